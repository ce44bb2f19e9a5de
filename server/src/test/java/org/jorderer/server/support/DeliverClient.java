package org.jorderer.server.support;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;

/**
 * A Deliver RPC seen from the client, through the stock generated stub (so the server's own
 * marshalling is checked against the official bindings): what arrived, in order, and how the RPC
 * ended.
 */
public final class DeliverClient implements AutoCloseable {
  private final LinkedBlockingQueue<DeliverResponse> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> closed = new CompletableFuture<>();
  private volatile ClientCallStreamObserver<Envelope> requests;

  public DeliverClient(ManagedChannel channel) {
    this(channel, -1);
  }

  /**
   * @param readLimit when not negative, the client reads only this many responses and then stops
   *     reading (manual flow control), as a stalled peer would
   */
  public DeliverClient(ManagedChannel channel, int readLimit) {
    AtomicBroadcastGrpc.newStub(channel).deliver(new ClientResponseObserver<Envelope, DeliverResponse>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<Envelope> stream) {
        requests = stream;
        if (readLimit >= 0) {
          stream.disableAutoRequestWithInitial(readLimit);
        }
      }

      @Override
      public void onNext(DeliverResponse response) {
        received.add(response);
      }

      @Override
      public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(Status.OK);
      }
    });
  }

  public DeliverClient send(Envelope request) {
    requests.onNext(request);
    return this;
  }

  public DeliverClient halfClose() {
    requests.onCompleted();
    return this;
  }

  public void cancel() {
    requests.cancel("client cancelled", null);
  }

  /** The next response, or fails after {@code seconds}. */
  public DeliverResponse next(long seconds) throws InterruptedException {
    DeliverResponse r = received.poll(seconds, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no deliver response within " + seconds + " s");
    }
    return r;
  }

  /** Null if nothing arrives within {@code millis}. */
  public DeliverResponse poll(long millis) throws InterruptedException {
    return received.poll(millis, TimeUnit.MILLISECONDS);
  }

  /** Responses up to and including the first status. */
  public List<DeliverResponse> untilStatus(long seconds) throws InterruptedException {
    List<DeliverResponse> out = new ArrayList<>();
    while (true) {
      DeliverResponse r = next(seconds);
      out.add(r);
      if (r.getTypeCase() == DeliverResponse.TypeCase.STATUS) {
        return out;
      }
    }
  }

  /** How the RPC ended (OK for a normal end). */
  public Status awaitClose(long seconds) throws Exception {
    return closed.get(seconds, TimeUnit.SECONDS);
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!closed.isDone() && requests != null) {
      cancel();
    }
  }
}
