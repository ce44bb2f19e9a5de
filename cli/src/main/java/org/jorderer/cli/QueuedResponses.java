package org.jorderer.cli;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The responses of a client's gRPC stream (Deliver, Broadcast) queued in the order they came, then
 * the error that ended the stream, if one did: a caller that reads one answer at a time, with a
 * time limit, sees a failed stream where it would have seen its next answer.
 */
final class QueuedResponses<T> implements StreamObserver<T> {
  private final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();

  @Override
  public void onNext(T response) {
    received.add(response);
  }

  @Override
  public void onError(Throwable t) {
    received.add(t);
  }

  @Override
  public void onCompleted() {}

  /** The next response, or the {@link Throwable} that ended the stream; null if nothing came within the time. */
  Object poll(long seconds) throws InterruptedException {
    return received.poll(seconds, TimeUnit.SECONDS);
  }
}
