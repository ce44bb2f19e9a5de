package org.jorderer.server.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;

/** A Broadcast RPC through the stock generated stub: responses in order, and how the RPC ended. */
public final class BroadcastClient implements AutoCloseable {
  private final LinkedBlockingQueue<BroadcastResponse> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final StreamObserver<Envelope> requests;

  public BroadcastClient(ManagedChannel channel) {
    requests = AtomicBroadcastGrpc.newStub(channel).broadcast(new StreamObserver<>() {
      @Override
      public void onNext(BroadcastResponse response) {
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

  /** Sends {@code envelope} on a Broadcast RPC of its own; its answer, within 60 s. */
  public static BroadcastResponse answer(ManagedChannel channel, Envelope envelope) throws InterruptedException {
    try (BroadcastClient broadcast = new BroadcastClient(channel)) {
      broadcast.send(envelope);
      return broadcast.next(60);
    }
  }

  /**
   * Sends all {@code envelopes} on one Broadcast RPC, then checks that each is answered SUCCESS
   * (within 60 s each), failing with the answer's info otherwise.
   */
  public static void sendAllAccepted(ManagedChannel channel, List<Envelope> envelopes) throws InterruptedException {
    try (BroadcastClient broadcast = new BroadcastClient(channel)) {
      envelopes.forEach(broadcast::send);
      for (int n = 0; n < envelopes.size(); n++) {
        BroadcastResponse response = broadcast.next(60);
        assertThat(response.getStatus()).as(response.getInfo())
            .isEqualTo(org.hyperledger.fabric.protos.common.Status.SUCCESS);
      }
    }
  }

  public BroadcastClient send(Envelope envelope) {
    requests.onNext(envelope);
    return this;
  }

  public BroadcastClient halfClose() {
    requests.onCompleted();
    return this;
  }

  public BroadcastResponse next(long seconds) throws InterruptedException {
    BroadcastResponse r = received.poll(seconds, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no broadcast response within " + seconds + " s");
    }
    return r;
  }

  public BroadcastResponse poll(long millis) throws InterruptedException {
    return received.poll(millis, TimeUnit.MILLISECONDS);
  }

  public Status awaitClose(long seconds) throws Exception {
    return closed.get(seconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      requests.onError(Status.CANCELLED.asRuntimeException());
    }
  }
}
