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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jorderer start} in its own JVM, under Broadcast load, stopped with SIGTERM: every envelope
 * it answered SUCCESS is in the ledger afterwards.
 */
class GracefulShutdownTest {
  @TempDir Path dir;

  @Test
  void sigtermUnderLoadLosesNoAcknowledgedEnvelope() throws Exception {
    Path data = dir.resolve("data");
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    // The node binds port 0 and says which port it got: no probe-then-close race with other tests.
    try (NodeProcess node = NodeProcess.startOnAnyPort(data, dir.resolve("node.log"))) {
      int port = node.servingPort();

      SignedEnvelopes envelopes = new SignedEnvelopes(LocalSigner.load(data.resolve("admin-msp"), "JordererMSP"));
      ManagedChannel connection = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        List<Load> streams = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
          List<SignedEnvelopes.SignedEnvelope> batch = new ArrayList<>();
          for (int i = 0; i < 3_000; i++) {
            batch.add(envelopes.message("demo", ByteString.copyFrom(new byte[256]), Instant.now()));
          }
          streams.add(new Load(connection, batch, acknowledged));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (acknowledged.size() < 1_000 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(acknowledged).as("load is flowing when the signal arrives").hasSizeGreaterThanOrEqualTo(1_000);
        node.signal("TERM");
        assertThat(node.process.waitFor(60, TimeUnit.SECONDS)).as("the node stops").isTrue();
      } finally {
        connection.shutdownNow();
      }
    } // closing the node kills it if a failed assertion left it running

    Set<String> stored = new HashSet<>();
    try (LedgerDirectory ledgers = LedgerDirectory.open(data.resolve("ledger"), LedgerOptions.defaults())) {
      BlockStore demo = ledgers.find("demo").orElseThrow();
      for (long n = 1; n < demo.height(); n++) {
        Block block = demo.readBlock(n);
        for (ByteString entry : block.getData().getDataList()) {
          Payload payload = Payload.parseFrom(Envelope.parseFrom(entry).getPayload());
          stored.add(ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getTxId());
        }
      }
    }
    assertThat(stored).containsAll(acknowledged);
  }

  /** One Broadcast stream sending its envelopes as fast as flow control allows. */
  private static final class Load implements ClientResponseObserver<Envelope, BroadcastResponse> {
    private final List<SignedEnvelopes.SignedEnvelope> batch;
    private final Set<String> acknowledged;
    private ClientCallStreamObserver<Envelope> requests;
    private int sent;
    private int answered;

    Load(ManagedChannel connection, List<SignedEnvelopes.SignedEnvelope> batch, Set<String> acknowledged) {
      this.batch = batch;
      this.acknowledged = acknowledged;
      AtomicBroadcastGrpc.newStub(connection).broadcast(this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Envelope> stream) {
      requests = stream;
      stream.setOnReadyHandler(this::feed);
    }

    private synchronized void feed() {
      while (requests.isReady() && sent < batch.size()) {
        requests.onNext(batch.get(sent++).envelope());
      }
    }

    @Override
    public synchronized void onNext(BroadcastResponse response) {
      if (response.getStatus() == Status.SUCCESS) {
        acknowledged.add(batch.get(answered).txId());
      }
      answered++;
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
