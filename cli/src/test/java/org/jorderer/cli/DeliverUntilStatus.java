package org.jorderer.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;

/**
 * One Deliver request on a stream of its own, read the way a peer reads it: every response up to and
 * including the status that ends it. Tests that start a real {@code jorderer} process use it; the
 * server module's own tests have a richer client.
 */
final class DeliverUntilStatus {
  private DeliverUntilStatus() {}

  static List<DeliverResponse> deliver(ManagedChannel channel, Envelope signedSeek) throws Exception {
    List<DeliverResponse> got = new ArrayList<>();
    CompletableFuture<List<DeliverResponse>> finished = new CompletableFuture<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(channel).deliver(new StreamObserver<>() {
      @Override
      public void onNext(DeliverResponse r) {
        synchronized (got) {
          got.add(r);
          if (!r.hasBlock()) {
            finished.complete(List.copyOf(got));
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        finished.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    requests.onNext(signedSeek);
    requests.onCompleted();
    return finished.get(60, TimeUnit.SECONDS);
  }
}
