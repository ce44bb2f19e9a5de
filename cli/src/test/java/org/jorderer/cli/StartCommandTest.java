package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.server.Orderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jorderer start} on the embedded default, talked to over gRPC like a peer would. */
class StartCommandTest {
  @TempDir Path dir;

  @Test
  void theEmbeddedDefaultServesAReadyDemoChannelAndKeepsItsIdentity() throws Exception {
    Path data = dir.resolve("data");
    byte[] firstCert;
    Block firstGenesis;
    try (Running node = Running.start(data)) {
      assertThat(node.orderer.channels().channelIds()).containsExactly("demo");
      Block genesis = fetchOldest(node.orderer.port(), LocalSigner.load(data.resolve("admin-msp"), "JordererMSP"));
      ChannelConfig config = ChannelConfig.fromConfigBlock(genesis);
      assertThat(config.channelId()).isEqualTo("demo");
      assertThat(config.orderer().orElseThrow().consensusType().type()).isEqualTo("solo");
      // The operations endpoint is wired to the node: Fabric's metric names, and health.
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      String ops = "http://127.0.0.1:" + node.orderer.operationsPort();
      String metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(ops + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("ledger_blockchain_height{channel=\"demo\"} 1")
          .contains("deliver_streams_opened 1").doesNotContain("deliver_streams_opened_total");
      assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(ops + "/healthz")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      firstCert = Files.readAllBytes(data.resolve("msp/signcerts/cert.pem"));
      firstGenesis = genesis;
    }
    try (Running node = Running.start(data)) {
      assertThat(Files.readAllBytes(data.resolve("msp/signcerts/cert.pem"))).isEqualTo(firstCert);
      assertThat(node.orderer.channels().channel("demo").orElseThrow().ledger().height()).isEqualTo(1);
      assertThat(fetchOldest(node.orderer.port(), LocalSigner.load(data.resolve("msp"), "JordererMSP")))
          .isEqualTo(firstGenesis);
    }
  }

  /** A node started through the command, on a free port, stopped on close. */
  record Running(Orderer orderer, StartCommand command, Thread thread) implements AutoCloseable {
    static Running start(Path data) throws Exception {
      StartCommand command = new StartCommand();
      CompletableFuture<Orderer> started = new CompletableFuture<>();
      command.onStarted = started::complete;
      Thread thread = new Thread(() -> {
        int code = new picocli.CommandLine(command).execute("--data", data.toString(), "--listen", "127.0.0.1:0",
            "--admin-listen", "127.0.0.1:0", "--operations-listen", "127.0.0.1:0");
        if (!started.isDone()) {
          started.completeExceptionally(new AssertionError("start exited with " + code));
        }
      });
      thread.start();
      // A bound on liveness, not a speed check: a cold JVM on a loaded 2-core machine can take long.
      return new Running(started.get(120, TimeUnit.SECONDS), command, thread);
    }

    @Override
    public void close() throws Exception {
      orderer.close();
      command.stop.countDown();
      thread.join(10_000);
    }
  }

  static Block fetchOldest(int port, LocalSigner signer) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      Envelope request = new SignedEnvelopes(signer)
          .seek("demo", SeekPositions.seek(SeekPositions.OLDEST, SeekPositions.OLDEST), Instant.now());
      var responses = new java.util.concurrent.LinkedBlockingQueue<DeliverResponse>();
      var observer = AtomicBroadcastGrpc.newStub(channel).deliver(new io.grpc.stub.StreamObserver<>() {
        @Override
        public void onNext(DeliverResponse value) {
          responses.add(value);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
      observer.onNext(request);
      DeliverResponse first = responses.poll(10, TimeUnit.SECONDS);
      DeliverResponse second = responses.poll(10, TimeUnit.SECONDS);
      observer.onCompleted();
      assertThat(first).isNotNull();
      assertThat(second.getStatus()).isEqualTo(Status.SUCCESS);
      return first.getBlock();
    } finally {
      channel.shutdownNow();
    }
  }
}
