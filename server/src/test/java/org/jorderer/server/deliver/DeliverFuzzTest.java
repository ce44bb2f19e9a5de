package org.jorderer.server.deliver;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.grpc.Status.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.EnvelopeMarshaller;
import org.jorderer.server.Orderer;
import org.jorderer.server.channels.ChannelRegistry;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.support.ErrorLog;
import org.jorderer.server.support.RawCall;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Deliver's entry point on arbitrary request bytes (an Envelope carrying a SeekInfo, or not): the
 * bytes go through the method's own marshaller into its call handler, against channel
 * {@code vectors} (Fabric's blocks 0 to 2) on a temporary data directory. Every input must end as
 * Fabric's handler ends it: gRPC INTERNAL with nothing sent (not an Envelope), or blocks of the
 * ledger, byte for byte and in order, followed by exactly one status and a clean end; or, for a
 * request that waits for a block that is not there yet, nothing more until the client leaves,
 * after which its cursor is released. Never an unexpected exception (thrown, or logged as an ERROR
 * by the stream's safety net, which would end the RPC without a status), and never a change to the
 * ledger.
 *
 * <p>Seeds: Fabric's recorded Deliver requests from testdata/fabric, replayed at the time they
 * were signed. See docs/robustness.md.
 */
class DeliverFuzzTest {
  private static final String CHANNEL = "vectors";

  private static Path dir;
  private static LedgerDirectory ledgers;
  private static ChannelRegistry registry;
  private static ServedChannel channel;
  private static ExecutorService executor;
  private static ErrorLog errors;
  private static DeliverHandler handler;
  private static long height;
  /** Fabric's answers to its own recorded requests (testdata/fabric/README.md): the harness is live. */
  private static final Map<String, List<String>> FABRIC_ANSWERS = new HashMap<>();

  @BeforeAll
  static void openChannel() throws IOException {
    dir = Files.createTempDirectory("deliver-fuzz");
    ledgers = LedgerDirectory.open(dir, LedgerOptions.defaults());
    io.prometheus.metrics.model.registry.PrometheusRegistry metrics = new io.prometheus.metrics.model.registry.PrometheusRegistry();
    TestClock clock = TestClock.atSigningTimeOf(Vectors.envelope("seek-vectors-1-to-2.env"));
    registry = ChannelRegistry.open(ledgers, CryptoProvider.preferred(),
        Orderer.chainFactory(TestOrderer.SIGNER, new ConsensusMetrics(metrics), clock, true), TestOrderer.SIGNER);
    channel = registry.create(Vectors.parseBlock("vectors-0.block"),
        List.of(Vectors.blockBytes("vectors-1.block"), Vectors.blockBytes("vectors-2.block")));
    height = channel.ledger().height();
    executor = Executors.newFixedThreadPool(2);
    errors = new ErrorLog();
    handler = new DeliverHandler(registry, new DeliverHandler.Settings(Duration.ofMinutes(15), false, true),
        new DeliverMetrics(metrics), executor, clock);
    FABRIC_ANSWERS.put(key("seek-vectors-1-to-2.env"), List.of("block 1", "block 2", "status SUCCESS"));
    FABRIC_ANSWERS.put(key("seek-vectors-newest-to-newest.env"), List.of("block 2", "status SUCCESS"));
    FABRIC_ANSWERS.put(key("seek-vectors-oldest-to-max.env"), List.of("block 0", "block 1", "block 2"));
    FABRIC_ANSWERS.put(key("seek-vectors-5-fail-if-not-ready.env"), List.of("status NOT_FOUND"));
    FABRIC_ANSWERS.put(key("seek-vectors-2-to-1-bad.env"), List.of("status BAD_REQUEST"));
    FABRIC_ANSWERS.put(key("seek-nochannel-oldest.env"), List.of("status NOT_FOUND"));
  }

  @AfterAll
  static void close() {
    errors.close();
    registry.close();
    ledgers.close();
    executor.shutdownNow();
  }

  @FuzzTest(maxDuration = "10s")
  void anyRequestBytesGetBlocksAndAStatusOrAnErrorAndChangeNothing(byte[] request) {
    BlockStore ledger = channel.ledger();
    RawCall<Envelope, ?> call = RawCall.start(handler.methodDefinition());
    assertThat(call.deliver(request)).as("Deliver asks for the first request at once").isTrue();
    call.halfClose();
    // Stored blocks are read without waiting, so everything Deliver can answer is answered on this
    // thread before halfClose() returns; a request still open then waits for a block.
    boolean waiting = !call.isClosed();
    io.grpc.Status closed = waiting ? null : call.awaitClose(0);
    if (waiting) {
      assertThat(ledger.waitingCursors()).as("an open request waits for the next block").isEqualTo(1);
      call.cancel();
    }
    assertThat(errors.drain()).as("ERROR lines").isEmpty();
    assertThat(ledger.height()).as("Deliver writes nothing").isEqualTo(height);
    assertThat(ledger.waitingCursors()).as("cursors released when the RPC ends").isZero();

    List<String> answers = answers(call.sent());
    List<String> fabrics = FABRIC_ANSWERS.get(sha256(request));
    if (fabrics != null) {
      assertThat(answers).as("Fabric's answer to its own request").isEqualTo(fabrics);
    }
    if (waiting) {
      assertThat(answers).as("no status before the request is over").allMatch(a -> a.startsWith("block "));
      return;
    }
    if (closed.getCode() != Code.OK) {
      assertThat(closed.getCode()).isEqualTo(Code.INTERNAL);
      assertThat(closed.getDescription()).isEqualTo(EnvelopeMarshaller.UNMARSHAL_FAILED);
      assertThat(answers).isEmpty();
      return;
    }
    assertThat(answers).as("a clean end follows exactly one status, after any blocks").isNotEmpty();
    assertThat(answers.subList(0, answers.size() - 1)).allMatch(a -> a.startsWith("block "));
    assertThat(answers.get(answers.size() - 1)).startsWith("status ");
  }

  /**
   * The responses as "block N" / "status S", checking on the way that every block is the ledger's
   * own bytes and that blocks come in order.
   */
  private static List<String> answers(List<byte[]> sent) {
    List<String> out = new java.util.ArrayList<>();
    long previous = -1;
    for (byte[] bytes : sent) {
      DeliverResponse response;
      try {
        response = DeliverResponse.parseFrom(bytes);
      } catch (IOException e) {
        throw new AssertionError("the server sent bytes that are not a DeliverResponse", e);
      }
      if (response.hasBlock()) {
        long number = response.getBlock().getHeader().getNumber();
        assertThat(number).as("blocks in order").isGreaterThan(previous);
        previous = number;
        org.hyperledger.fabric.protos.common.Block stored = channel.ledger().readBlock(number);
        if (response.getBlock().hasData()) {
          assertThat(response.getBlock().toByteArray()).as("block %d as stored", number)
              .isEqualTo(channel.ledger().read(number).toByteArray());
        } else { // HEADER_WITH_SIG: the stored header and metadata without the data
          assertThat(response.getBlock().getHeader()).isEqualTo(stored.getHeader());
          assertThat(response.getBlock().getMetadata()).isEqualTo(stored.getMetadata());
        }
        out.add("block " + number);
      } else {
        assertThat(response.getStatus()).isNotIn(Status.UNKNOWN, Status.UNRECOGNIZED);
        out.add("status " + response.getStatus());
      }
    }
    return out;
  }

  private static String key(String envelopeFile) {
    return sha256(Vectors.bytes(Vectors.envelope(envelopeFile)));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
