package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node stopped while Broadcast streams keep sending (the shutdown hook's path, as on SIGTERM):
 * streams still open get SUCCESS or SERVICE_UNAVAILABLE ("Exiting", Fabric's text for a halted
 * chain), never BAD_REQUEST, which SDKs treat as final for a valid transaction.
 */
class StopUnderBroadcastTest {
  @TempDir Path dir;

  @Test
  void streamsOpenDuringTheStopAreAnsweredServiceUnavailableNeverBadRequest() throws Exception {
    Path data = dir.resolve("data");
    Map<Status, AtomicInteger> answers = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> refusals = new ConcurrentHashMap<>();
    List<Load> streams = new ArrayList<>();
    StartCommandTest.Running node = StartCommandTest.Running.start(data);
    ManagedChannel connection = NettyChannelBuilder.forAddress("127.0.0.1", node.orderer().port()).usePlaintext()
        .build();
    try {
      SignedEnvelopes envelopes = new SignedEnvelopes(LocalSigner.load(data.resolve("admin-msp"), "JordererMSP"));
      List<Envelope> batch = new ArrayList<>();
      for (int i = 0; i < 4_000; i++) {
        batch.add(envelopes.message("demo", ByteString.copyFrom(new byte[64]), Instant.now()).envelope());
      }
      for (int s = 0; s < 6; s++) {
        streams.add(new Load(connection, batch, answers, refusals));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (streams.stream().anyMatch(l -> l.answered.get() < 50) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(streams).as("every stream is flowing when the node stops").allMatch(l -> l.answered.get() >= 50);
      node.close(); // what the shutdown hook runs on SIGTERM
      for (Load load : streams) {
        assertThat(load.ended.await(30, TimeUnit.SECONDS)).as("every stream ends").isTrue();
      }
    } finally {
      connection.shutdownNow();
    }
    assertThat(answers.keySet()).as("answers by status %s, refusals %s", answers, refusals)
        .isSubsetOf(Status.SUCCESS, Status.SERVICE_UNAVAILABLE);
    assertThat(refusals.keySet()).as("what refused envelopes were told").containsOnly("Exiting");
  }

  /** One Broadcast stream sending as fast as flow control allows, counting answers by status. */
  private static final class Load implements ClientResponseObserver<Envelope, BroadcastResponse> {
    private final List<Envelope> batch;
    private final Map<Status, AtomicInteger> answers;
    private final Map<String, AtomicInteger> refusals;
    final AtomicInteger answered = new AtomicInteger();
    final CountDownLatch ended = new CountDownLatch(1);
    private ClientCallStreamObserver<Envelope> requests;
    private int sent;

    Load(ManagedChannel connection, List<Envelope> batch, Map<Status, AtomicInteger> answers,
        Map<String, AtomicInteger> refusals) {
      this.batch = batch;
      this.answers = answers;
      this.refusals = refusals;
      AtomicBroadcastGrpc.newStub(connection).broadcast(this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Envelope> stream) {
      requests = stream;
      stream.setOnReadyHandler(this::feed);
    }

    private synchronized void feed() {
      while (requests.isReady() && sent < batch.size()) {
        requests.onNext(batch.get(sent++));
      }
    }

    @Override
    public void onNext(BroadcastResponse response) {
      answers.computeIfAbsent(response.getStatus(), s -> new AtomicInteger()).incrementAndGet();
      if (response.getStatus() != Status.SUCCESS) {
        refusals.computeIfAbsent(response.getInfo(), s -> new AtomicInteger()).incrementAndGet();
      }
      answered.incrementAndGet();
    }

    @Override
    public void onError(Throwable t) {
      ended.countDown();
    }

    @Override
    public void onCompleted() {
      ended.countDown();
    }
  }
}
