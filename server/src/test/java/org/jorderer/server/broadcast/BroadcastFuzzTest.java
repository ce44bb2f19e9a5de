package org.jorderer.server.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.ChannelConfig;
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
 * Broadcast's entry point on arbitrary request bytes: the bytes go through the method's own
 * marshaller into its call handler, in front of a real solo channel ({@code vectors}, blocks 0 to 2
 * from Fabric) on a temporary data directory. Every input must end in one of two ways: the RPC
 * ends with gRPC INTERNAL and nothing sent (bytes that are not an Envelope), or one
 * BroadcastResponse with a status is sent and the RPC ends cleanly. Never an unexpected exception
 * (thrown, or logged as an ERROR by the stream's safety net), and never a state change from a
 * rejected envelope: it is not handed to the chain, and no envelope reaches the ledger that was
 * not answered SUCCESS.
 *
 * <p>Seeds: Fabric's recorded envelopes from testdata/fabric (a valid message, a bad signature, a
 * CONFIG_UPDATE, Deliver requests sent to Broadcast). See docs/robustness.md.
 */
class BroadcastFuzzTest {
  private static final String CHANNEL = "vectors";
  private static final Set<Integer> ANSWERS = Set.of(Status.SUCCESS_VALUE, Status.BAD_REQUEST_VALUE,
      Status.FORBIDDEN_VALUE, Status.SERVICE_UNAVAILABLE_VALUE);

  private static Path dir;
  private static LedgerDirectory ledgers;
  private static ChannelRegistry registry;
  private static ServedChannel channel;
  private static ExecutorService executor;
  private static ErrorLog errors;
  private static BroadcastHandler handler;
  /** SHA-256 of every envelope answered SUCCESS: the only ones allowed into the ledger. */
  private static final Set<String> accepted = ConcurrentHashMap.newKeySet();
  private static long checkedHeight;

  /** Fabric's answers to its own recorded envelopes (testdata/fabric/README.md): the harness is live. */
  private static final java.util.Map<String, Status> FABRIC_ANSWERS = new java.util.HashMap<>();

  /** Set while one input runs: whether Broadcast handed that input to the chain. */
  private static final AtomicBoolean ordered = new AtomicBoolean();

  @BeforeAll
  static void openChannel() throws IOException {
    dir = Files.createTempDirectory("broadcast-fuzz");
    ledgers = LedgerDirectory.open(dir, LedgerOptions.defaults());
    // Replay at the time Fabric's recorded envelopes were signed (the signer's certificate expires
    // in 2027; the clock must not depend on today's date).
    TestClock clock = TestClock.atSigningTimeOf(Vectors.envelope("broadcast-vectors-message.env"));
    registry = ChannelRegistry.open(ledgers, CryptoProvider.preferred(),
        Orderer.chainFactory(TestOrderer.SIGNER, new ConsensusMetrics(new io.prometheus.metrics.model.registry.PrometheusRegistry()),
            clock, true),
        TestOrderer.SIGNER);
    channel = registry.create(Vectors.parseBlock("vectors-0.block"),
        List.of(Vectors.blockBytes("vectors-1.block"), Vectors.blockBytes("vectors-2.block")));
    checkedHeight = channel.ledger().height();
    FABRIC_ANSWERS.put(sha256(Vectors.bytes(Vectors.envelope("broadcast-vectors-message.env"))), Status.SUCCESS);
    FABRIC_ANSWERS.put(sha256(Vectors.bytes(Vectors.envelope("broadcast-vectors-message-badsig.env"))),
        Status.FORBIDDEN);
    executor = Executors.newFixedThreadPool(2);
    errors = new ErrorLog();
    BroadcastableChannel watched = new BroadcastableChannel() {
      @Override
      public ChannelConfig config() {
        return channel.config();
      }

      @Override
      public Optional<org.jorderer.channel.processor.MessageProcessor> processor() {
        return channel.processor();
      }

      @Override
      public org.jorderer.consensus.Submission order(Envelope envelope, long configSequence) {
        ordered.set(true);
        return channel.order(envelope, configSequence);
      }

      @Override
      public org.jorderer.consensus.Submission configure(Envelope configEnvelope, long configSequence) {
        ordered.set(true);
        return channel.configure(configEnvelope, configSequence);
      }
    };
    handler = new BroadcastHandler(id -> id.equals(CHANNEL) ? Optional.of(watched) : Optional.empty(),
        new BroadcastMetrics(new io.prometheus.metrics.model.registry.PrometheusRegistry()), executor);
  }

  @AfterAll
  static void close() {
    errors.close();
    registry.close();
    ledgers.close();
    executor.shutdownNow();
  }

  @FuzzTest(maxDuration = "10s")
  void anyRequestBytesGetAStatusOrAnErrorAndRejectedOnesChangeNothing(byte[] request) {
    ordered.set(false);
    RawCall<Envelope, BroadcastResponse> call = RawCall.start(handler.methodDefinition());
    assertThat(call.deliver(request)).as("Broadcast asks for requests at once").isTrue();
    call.halfClose();
    io.grpc.Status closed = call.awaitClose(30_000);
    assertThat(closed).as("the RPC ends").isNotNull();
    assertThat(errors.drain()).as("ERROR lines").isEmpty();

    List<byte[]> sent = call.sent();
    if (closed.getCode() != Code.OK) {
      // Only bytes that are not an Envelope end the RPC with an error (Fabric's failed Recv).
      assertThat(closed.getCode()).isEqualTo(Code.INTERNAL);
      assertThat(closed.getDescription()).isEqualTo(EnvelopeMarshaller.UNMARSHAL_FAILED);
      assertThat(sent).isEmpty();
      assertThat(ordered).as("a request that is not an Envelope is not ordered").isFalse();
      return;
    }
    assertThat(sent).as("one answer per envelope").hasSize(1);
    BroadcastResponse response = parse(sent.get(0));
    assertThat(ANSWERS).as("status %s (%s)", response.getStatus(), response.getInfo())
        .contains(response.getStatusValue());
    Status fabrics = FABRIC_ANSWERS.get(sha256(request));
    if (fabrics != null) {
      assertThat(response.getStatus()).as("Fabric's answer to its own envelope").isEqualTo(fabrics);
    }
    if (response.getStatus() == Status.SUCCESS) {
      assertThat(ordered).as("SUCCESS means the chain took it").isTrue();
      accepted.add(sha256(reencoded(request))); // the chain stores the parsed envelope's encoding
    } else {
      assertThat(response.getInfo()).as("a refusal says why").isNotBlank();
      assertThat(ordered).as("a refused envelope is not handed to the chain").isFalse();
    }
    everyNewEnvelopeInTheLedgerWasAnsweredSuccess();
  }

  /** The chain cuts blocks on its own time; whatever it has written must come from SUCCESSes. */
  private static void everyNewEnvelopeInTheLedgerWasAnsweredSuccess() {
    BlockStore ledger = channel.ledger();
    for (long n = checkedHeight; n < ledger.height(); n++) {
      for (ByteString envelope : ledger.readBlock(n).getData().getDataList()) {
        assertThat(accepted).as("envelope in block %d", n).contains(sha256(envelope.toByteArray()));
      }
      checkedHeight = n + 1;
    }
  }

  private static byte[] reencoded(byte[] request) {
    try {
      return Envelope.parseFrom(request).toByteArray();
    } catch (IOException e) {
      throw new AssertionError("answered SUCCESS to bytes that are not an Envelope", e);
    }
  }

  private static BroadcastResponse parse(byte[] bytes) {
    try {
      return BroadcastResponse.parseFrom(bytes);
    } catch (IOException e) {
      throw new AssertionError("the server sent bytes that are not a BroadcastResponse", e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
