package org.jorderer.server.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.Submission;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.Orderer;
import org.jorderer.server.channels.ChannelRegistry;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node-wide Broadcast budget as clients see it, over real gRPC on loopback: Fabric's recorded
 * envelope, judged by a real channel's processor, and a chain the test holds (its {@code order}
 * futures complete when the test says), so that what each stream has read and not answered stays
 * where the test can count it.
 */
class BroadcastBackPressureTest {
  private static final String CHANNEL = "vectors";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private LedgerDirectory ledgers;
  private ChannelRegistry registry;
  private ExecutorService executor;
  private Server server;
  private ManagedChannel client;
  private Envelope envelope;
  private long size;
  /** The chain's acceptances the test has not released yet, in the order they were asked for. */
  private final ConcurrentLinkedQueue<CompletableFuture<Void>> held = new ConcurrentLinkedQueue<>();
  private volatile boolean holding = true;
  /**
   * When set, the chain takes every envelope at once and settles it when the test says (a Raft
   * chain's commit), in {@link #settling}, in the order the envelopes were handed over.
   */
  private volatile boolean settleApart;
  private final List<CompletableFuture<Void>> settling = new CopyOnWriteArrayList<>();

  @BeforeEach
  void open() throws Exception {
    envelope = Envelope.parseFrom(Vectors.bytes(Vectors.envelope("broadcast-vectors-message.env")));
    size = envelope.getSerializedSize();
    ledgers = LedgerDirectory.open(dir, LedgerOptions.defaults());
    TestClock clock = TestClock.atSigningTimeOf(Vectors.envelope("broadcast-vectors-message.env"));
    registry = ChannelRegistry.open(ledgers, CryptoProvider.preferred(),
        Orderer.chainFactory(TestOrderer.SIGNER, new ConsensusMetrics(new PrometheusRegistry()), clock, true),
        TestOrderer.SIGNER);
    registry.create(Vectors.parseBlock("vectors-0.block"),
        List.of(Vectors.blockBytes("vectors-1.block"), Vectors.blockBytes("vectors-2.block")));
    executor = Executors.newFixedThreadPool(2);
  }

  private InFlightBytes start(long limit) throws Exception {
    ServedChannel channel = registry.channel(CHANNEL).orElseThrow();
    BroadcastableChannel gated = new BroadcastableChannel() {
      @Override
      public ChannelConfig config() {
        return channel.config();
      }

      @Override
      public Optional<MessageProcessor> processor() {
        return channel.processor();
      }

      @Override
      public Submission order(Envelope e, long configSequence) {
        if (settleApart) {
          CompletableFuture<Void> settled = new CompletableFuture<>();
          settling.add(settled);
          return new Submission(CompletableFuture.completedFuture(null), settled);
        }
        if (!holding) {
          return Submission.settledWhenTaken(CompletableFuture.completedFuture(null));
        }
        CompletableFuture<Void> accepted = new CompletableFuture<>();
        held.add(accepted);
        return Submission.settledWhenTaken(accepted);
      }

      @Override
      public Submission configure(Envelope e, long configSequence) {
        return order(e, configSequence);
      }
    };
    InFlightBytes budget = new InFlightBytes(limit);
    BroadcastHandler handler = new BroadcastHandler(id -> id.equals(CHANNEL) ? Optional.of(gated) : Optional.empty(),
        new BroadcastMetrics(new PrometheusRegistry()), executor, budget);
    server = NettyServerBuilder.forPort(0).executor(executor)
        .addService(ServerServiceDefinition.builder(AtomicBroadcastGrpc.SERVICE_NAME)
            .addMethod(handler.methodDefinition()).build())
        .build().start();
    client = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    return budget;
  }

  @AfterEach
  void close() throws Exception {
    holding = false;
    releaseHeld();
    settling.forEach(f -> f.complete(null));
    if (client != null) {
      client.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    executor.shutdownNow();
    registry.close();
    ledgers.close();
  }

  private void releaseHeld() {
    CompletableFuture<Void> f;
    while ((f = held.poll()) != null) {
      f.complete(null);
    }
  }

  /** One Broadcast stream and what it was answered. */
  private final class Stream {
    final List<BroadcastResponse> answers = new CopyOnWriteArrayList<>();
    final CompletableFuture<io.grpc.Status> ended = new CompletableFuture<>();
    final ClientCallStreamObserver<Envelope> requests;

    @SuppressWarnings("unchecked")
    Stream() {
      requests = (ClientCallStreamObserver<Envelope>) AtomicBroadcastGrpc.newStub(client).broadcast(new StreamObserver<>() {
        @Override
        public void onNext(BroadcastResponse value) {
          answers.add(value);
        }

        @Override
        public void onError(Throwable t) {
          ended.complete(io.grpc.Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
          ended.complete(io.grpc.Status.OK);
        }
      });
    }

    void send(int count) {
      for (int i = 0; i < count; i++) {
        requests.onNext(envelope);
      }
    }
  }

  @Test
  void aStreamStopsReadingWhenTheBudgetIsUsedUpAndEveryEnvelopeIsAnsweredOnceBytesAreReleased() throws Exception {
    // Room for two and a half envelopes: the third one read fills it.
    InFlightBytes budget = start(size * 5 / 2);
    Stream first = new Stream();
    first.send(10);
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == 3 * size && budget.waiting() == 1);
    assertThat(held).as("one envelope with the chain, two read ahead").hasSize(1);

    // A second stream finds no room: it waits for a release, and its client sees nothing but that.
    Stream second = new Stream();
    second.send(3);
    Awaitility.await().atMost(WAIT).until(() -> budget.waiting() == 2);
    assertThat(second.answers).isEmpty();
    assertThat(second.ended).isNotDone();
    assertThat(budget.used()).as("nothing of the second stream read").isEqualTo(3 * size);

    // The chain accepts from now on: everything is answered SUCCESS and every byte released.
    holding = false;
    releaseHeld();
    first.requests.onCompleted();
    second.requests.onCompleted();
    assertThat(first.ended.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(second.ended.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(first.answers).hasSize(10).allMatch(a -> a.getStatus() == Status.SUCCESS);
    assertThat(second.answers).hasSize(3).allMatch(a -> a.getStatus() == Status.SUCCESS);
    assertThat(budget.used()).isZero();
  }

  @Test
  void aClientThatCancelsMidwayLeavesNoBytesBehind() throws Exception {
    InFlightBytes budget = start(size * 5 / 2);
    Stream stream = new Stream();
    stream.send(10);
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == 3 * size && held.size() == 1);

    stream.requests.cancel("the client gives up", null);
    // The two read ahead are dropped at once; the one with the chain is released when it answers.
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == size);
    releaseHeld();
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == 0);

    // And the budget serves the next client whole.
    holding = false;
    Stream next = new Stream();
    next.send(5);
    next.requests.onCompleted();
    assertThat(next.ended.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(next.answers).hasSize(5).allMatch(a -> a.getStatus() == Status.SUCCESS);
    assertThat(budget.used()).isZero();
  }

  @Test
  void anEnvelopeLargerThanTheWholeBudgetGetsInAloneAndTheRefusalOfOneReleasesTheRest() throws Exception {
    InFlightBytes budget = start(1);
    Stream stream = new Stream();
    stream.send(4);
    // Read one at a time: the first fills the budget, and the stream waits with nothing more read.
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == size && budget.waiting() == 1 && held.size() == 1);
    holding = false;
    releaseHeld();
    Awaitility.await().atMost(WAIT).until(() -> stream.answers.size() == 4);
    assertThat(stream.answers).allMatch(a -> a.getStatus() == Status.SUCCESS);
    // What stays held is the stream's reservation for its next message, as large as its last one.
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == size && held.isEmpty());

    // A refusal ends the stream (Fabric's rule); what it had read ahead is released unanswered.
    InFlightBytes roomy = budget; // the same node
    Envelope unsigned = envelope.toBuilder().clearSignature().build();
    stream.requests.onNext(unsigned);
    stream.requests.onNext(envelope);
    assertThat(stream.ended.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(stream.answers).hasSize(5);
    assertThat(stream.answers.get(4).getStatus()).isEqualTo(Status.FORBIDDEN);
    Awaitility.await().atMost(WAIT).until(() -> roomy.used() == 0);
  }

  @Test
  void envelopesGoToTheChainBeforeEarlierOnesSettleAndAreAnsweredInTheOrderTheyCame() throws Exception {
    settleApart = true;
    InFlightBytes budget = start(1L << 30);
    Stream stream = new Stream();
    stream.send(10);
    // All ten are with the chain while none is settled: a stream does not wait for each one's
    // replication before handing over the next.
    Awaitility.await().atMost(WAIT).until(() -> settling.size() == 10);
    assertThat(stream.answers).isEmpty();

    // Settled from the last to the first, the fourth one failing: the answers still follow the
    // envelopes' order, so the client sees three SUCCESSes, then the failure, and the stream ends.
    for (int i = 9; i >= 0; i--) {
      if (i == 3) {
        settling.get(i).completeExceptionally(new IllegalStateException("no Raft leader"));
      } else {
        settling.get(i).complete(null);
      }
    }
    assertThat(stream.ended.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(stream.answers).extracting(BroadcastResponse::getStatus)
        .containsExactly(Status.SUCCESS, Status.SUCCESS, Status.SUCCESS, Status.SERVICE_UNAVAILABLE);
    assertThat(stream.answers.get(3).getInfo()).isEqualTo("no Raft leader");
    // The six after the failure were with the chain; they go unanswered, and their bytes are released.
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == 0);
  }

  @Test
  void aRefusalWaitsForTheAnswersOfTheEnvelopesBeforeItThenEndsTheStream() throws Exception {
    settleApart = true;
    InFlightBytes budget = start(1L << 30);
    Stream stream = new Stream();
    stream.send(3);
    stream.requests.onNext(envelope.toBuilder().clearSignature().build()); // refused by the processor
    stream.send(2); // never judged: Fabric ends the stream at the refusal
    Awaitility.await().atMost(WAIT).until(() -> settling.size() == 3);

    settling.forEach(f -> f.complete(null));
    assertThat(stream.ended.get(30, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(stream.answers).extracting(BroadcastResponse::getStatus)
        .containsExactly(Status.SUCCESS, Status.SUCCESS, Status.SUCCESS, Status.FORBIDDEN);
    assertThat(settling).as("nothing after the refusal went to the chain").hasSize(3);
    Awaitility.await().atMost(WAIT).until(() -> budget.used() == 0);
  }
}
