package org.jorderer.cli;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The responses of a client's gRPC stream (Deliver, Broadcast) queued in the order they came, then
 * how the stream ended: its error, or an {@link IllegalStateException} when the orderer closed it
 * normally. A caller that reads one answer at a time, with a time limit, sees an ended stream where
 * it would have seen its next answer.
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
  public void onCompleted() {
    received.add(new IllegalStateException("the orderer closed the stream without an answer"));
  }

  /** The next response, or a {@link Throwable} for the stream's end; null if nothing came within the time. */
  Object poll(long seconds) throws InterruptedException {
    return received.poll(seconds, TimeUnit.SECONDS);
  }
}
