package org.jorderer.server;

import org.jorderer.ledger.testing.SmallTmpfs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockHeaderHash;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose ledger lives on a small tmpfs that fills up: Broadcast gets SERVICE_UNAVAILABLE,
 * Deliver still serves the stored blocks, /healthz says what is wrong; once space returns ordering
 * resumes by itself, nothing acknowledged is lost and the ledger verifies.
 */
class DiskFullTest {
  private static final ByteString BIG = ByteString.copyFrom(new byte[16 * 1024]); // more than a page per block

  @TempDir Path dir;
  private SmallTmpfs tmpfs;
  private Path mount;

  @BeforeEach
  void mountSmallTmpfs() throws Exception {
    tmpfs = SmallTmpfs.mount(dir, "4m");
    mount = tmpfs.path();
  }

  @AfterEach
  void unmount() throws Exception {
    if (tmpfs != null) {
      tmpfs.close();
    }
  }

  @Test
  void aFullDiskStallsOrderingWithoutLosingAnythingAndOrderingResumesWhenSpaceReturns() throws Exception {
    Path data = mount.resolve("data");
    OrdererSettings settings = OrdererSettings.embeddedDefault(data)
        .withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0))
        .withOperationsListen(new InetSocketAddress("127.0.0.1", 0));
    Set<String> acknowledged = new HashSet<>();
    Path filler = mount.resolve("filler");
    try (Orderer node = Orderer.start(settings)) {
      BlockStore ledger = node.channels().channel("demo").orElseThrow().ledger();
      SignedEnvelopes envelopes = new SignedEnvelopes(LocalSigner.load(settings.adminMspDir(), settings.mspId()));
      ManagedChannel connection = NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext().build();
      try {
        acknowledged.add(broadcastSuccess(connection, envelopes));
        await("block 1 is written", () -> ledger.height() == 2);

        fill(filler);
        // Accepted into the queue (SUCCESS): the chain fails to write its block and stalls.
        acknowledged.add(broadcastSuccess(connection, envelopes));
        await("the chain stalls on the full disk",
            () -> node.channels().channel("demo").orElseThrow().chain().orElseThrow().stalled().isPresent());

        BroadcastResponse refused = broadcast(connection, envelopes.message("demo", BIG, Instant.now()).envelope());
        assertThat(refused.getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
        assertThat(refused.getInfo()).contains("cannot be written");

        // Blocks already stored are served while the disk is full.
        try (DeliverClient deliver = new DeliverClient(connection)) {
          deliver.send(new SeekRequests(LocalSigner.load(settings.adminMspDir(), settings.mspId()))
              .envelope("demo", seek(specified(0), specified(1)), Instant.now()));
          List<DeliverResponse> answers = deliver.untilStatus(20);
          assertThat(answers).extracting(r -> r.hasBlock() ? "block " + r.getBlock().getHeader().getNumber()
              : r.getStatus().name()).containsExactly("block 0", "block 1", "SUCCESS");
        }
        HttpResponse<String> unhealthy = healthz(node);
        assertThat(unhealthy.statusCode()).isEqualTo(503);
        assertThat(unhealthy.body()).contains("ledger");

        Files.delete(filler);
        await("ordering resumes by itself", () -> ledger.height() == 3);
        assertThat(node.channels().channel("demo").orElseThrow().chain().orElseThrow().stalled()).isEmpty();
        acknowledged.add(broadcastSuccess(connection, envelopes));
        await("the next block is written", () -> ledger.height() == 4);
        await("/healthz is OK again", () -> healthz(node).statusCode() == 200);
      } finally {
        connection.shutdownNow();
      }
    }

    try (LedgerDirectory ledgers = LedgerDirectory.open(data.resolve("ledger"), LedgerOptions.defaults())) {
      BlockStore demo = ledgers.find("demo").orElseThrow();
      assertThat(demo.height()).isEqualTo(4);
      Set<String> stored = new HashSet<>();
      byte[] previousHash = new byte[0];
      for (long n = 0; n < demo.height(); n++) {
        Block block = demo.readBlock(n);
        assertThat(block.getHeader().getNumber()).isEqualTo(n);
        if (n > 0) {
          assertThat(block.getHeader().getPreviousHash().toByteArray()).as("block %d's previous hash", n)
              .isEqualTo(previousHash);
          for (ByteString entry : block.getData().getDataList()) {
            Payload payload = Payload.parseFrom(Envelope.parseFrom(entry).getPayload());
            stored.add(ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getTxId());
          }
        }
        previousHash = BlockHeaderHash.of(block.getHeader());
      }
      assertThat(stored).containsExactlyInAnyOrderElementsOf(acknowledged);
    }
  }

  private static String broadcastSuccess(ManagedChannel connection, SignedEnvelopes envelopes) throws Exception {
    SignedEnvelopes.SignedEnvelope envelope = envelopes.message("demo", BIG, Instant.now());
    BroadcastResponse response = broadcast(connection, envelope.envelope());
    assertThat(response.getStatus()).as(response.getInfo()).isEqualTo(Status.SUCCESS);
    return envelope.txId();
  }

  private static BroadcastResponse broadcast(ManagedChannel connection, Envelope envelope) throws Exception {
    try (BroadcastClient client = new BroadcastClient(connection)) {
      return client.send(envelope).next(20);
    }
  }

  /** Writes until the file system has no room left. */
  private static void fill(Path filler) {
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) 1);
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException full) {
      assertThat(full.getMessage()).contains("No space left on device");
    }
  }

  private static HttpResponse<String> healthz(Orderer node) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + node.operationsPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void await(String what, Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
