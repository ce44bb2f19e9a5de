package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of large envelopes on many Broadcast streams at once, into a node ({@code jorderer start}
 * in its own JVM) with a small heap: the node-wide in-flight budget and the chain's byte-bounded
 * queue hold the burst back through HTTP/2 flow control instead of reading it all onto the heap
 * (docs/broadcast.md, "Memory and back-pressure"). Every envelope is answered, none is lost or
 * ordered twice, the log has no OutOfMemoryError, and the node serves Deliver afterwards.
 *
 * <p>The burst is 192 MiB of envelopes into a 96 MiB heap. Before the budget, each stream read up to
 * 16 envelopes ahead and the chain's queue was bounded in envelopes only: this test then failed
 * with "OutOfMemoryError: Java heap space" in the node's log and unanswered envelopes (live heap
 * 86 MiB of 92 after full collections); with it, the live heap peaked at about 61 MiB.
 */
class BroadcastBurstSmallHeapTest {
  private static final String CHANNEL = "demo";
  private static final int MIB = 1024 * 1024;
  private static final int STREAMS = 6;
  private static final int PER_STREAM = 8;
  private static final int SIZE = 4 * MIB; // over PreferredMaxBytes (2 MB): one block each

  @TempDir Path dir;
  private NodeProcess node;
  private final List<ManagedChannel> connections = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : connections) {
      c.shutdownNow();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void largeEnvelopesOnManyStreamsAtOnceAreAllAnsweredWithoutRunningOutOfHeap() throws Exception {
    Path data = dir.resolve("data");
    node = NodeProcess.start(data, dir.resolve("node.log"), List.of("-XX:+UseSerialGC", "-Xmx96m"));
    assertThat(node.firstLine()).as("log:%n%s", node.logTail()).startsWith("jorderer is serving");
    SignedEnvelopes envelopes = new SignedEnvelopes(LocalSigner.load(data.resolve("admin-msp"), "JordererMSP"));
    long heightBefore = deliver(connect(), SeekPositions.OLDEST, SeekPositions.NEWEST).size() - 1;

    long started = System.nanoTime();
    byte[] filler = new byte[SIZE];
    new Random(12).nextBytes(filler);
    ByteString data4 = ByteString.copyFrom(filler);
    List<Burst> bursts = new ArrayList<>();
    List<ManagedChannel> shared = List.of(connect(), connect(), connect(), connect());
    for (int s = 0; s < STREAMS; s++) {
      Burst burst = new Burst(shared.get(s % shared.size()));
      for (int i = 0; i < PER_STREAM; i++) {
        burst.requests.onNext(envelopes.message(CHANNEL, data4, Instant.now()).envelope());
      }
      burst.requests.onCompleted();
      bursts.add(burst);
    }
    // And one stream sends an envelope over the channel's AbsoluteMaxBytes (10 MiB): a clear refusal.
    Burst oversize = new Burst(connect());
    oversize.requests.onNext(envelopes.message(CHANNEL, ByteString.copyFrom(new byte[11 * MIB]), Instant.now()).envelope());
    oversize.requests.onCompleted();

    for (Burst burst : bursts) {
      assertThat(burst.ended.get(180, TimeUnit.SECONDS)).as("log:%n%s", node.logTail()).isEqualTo(io.grpc.Status.Code.OK);
      assertThat(burst.answers).extracting(BroadcastResponse::getStatus).as("log:%n%s", node.logTail())
          .containsExactly(java.util.Collections.nCopies(PER_STREAM, Status.SUCCESS).toArray(Status[]::new));
    }
    long answered = System.nanoTime();
    assertThat(oversize.ended.get(180, TimeUnit.SECONDS)).as("log:%n%s", node.logTail()).isEqualTo(io.grpc.Status.Code.OK);
    assertThat(oversize.answers).hasSize(1);
    assertThat(oversize.answers.get(0).getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(oversize.answers.get(0).getInfo()).contains("exceeds maximum allowed");

    // Every envelope ordered exactly once (each is over PreferredMaxBytes, so in a block of its own),
    // read back over Deliver from the same node.
    int expected = STREAMS * PER_STREAM;
    ManagedChannel reader = connect();
    long lastExpected = heightBefore + expected - 1;
    org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> {
      List<DeliverResponse> newest = deliver(reader, SeekPositions.NEWEST, SeekPositions.NEWEST);
      return newest.get(0).getBlock().getHeader().getNumber() >= lastExpected;
    });
    List<DeliverResponse> got = deliver(reader, SeekPositions.specified(heightBefore), SeekPositions.NEWEST);
    assertThat(got.get(got.size() - 1).getStatus()).isEqualTo(Status.SUCCESS);
    List<DeliverResponse> blocks = got.subList(0, got.size() - 1);
    assertThat(blocks).hasSize(expected);
    java.util.Set<ByteString> distinct = new java.util.HashSet<>();
    for (DeliverResponse r : blocks) {
      assertThat(r.getBlock().getData().getDataCount()).isEqualTo(1);
      distinct.add(Envelope.parseFrom(r.getBlock().getData().getData(0)).getSignature());
    }
    assertThat(distinct).as("each envelope once").hasSize(expected);
    System.out.printf("%d envelopes of %d MiB on %d streams: answered after %d ms, read back after %d ms%n", expected,
        SIZE / MIB, STREAMS, (answered - started) / 1_000_000, (System.nanoTime() - started) / 1_000_000);

    assertThat(node.process.isAlive()).isTrue();
    assertThat(node.logLines()).noneMatch(line -> line.contains("OutOfMemoryError"));
  }

  /** One Broadcast stream and its answers. */
  private static final class Burst {
    final List<BroadcastResponse> answers = new CopyOnWriteArrayList<>();
    final CompletableFuture<io.grpc.Status.Code> ended = new CompletableFuture<>();
    final StreamObserver<Envelope> requests;

    Burst(ManagedChannel channel) {
      requests = AtomicBroadcastGrpc.newStub(channel).broadcast(new StreamObserver<>() {
        @Override
        public void onNext(BroadcastResponse r) {
          answers.add(r);
        }

        @Override
        public void onError(Throwable t) {
          ended.complete(io.grpc.Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
          ended.complete(io.grpc.Status.Code.OK);
        }
      });
    }
  }

  private ManagedChannel connect() {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", node.port).usePlaintext()
        .maxInboundMessageSize(100 * MIB).build();
    connections.add(c);
    return c;
  }

  /** One Deliver request: every response up to and including the status. */
  private List<DeliverResponse> deliver(ManagedChannel c, org.hyperledger.fabric.protos.orderer.SeekPosition start,
      org.hyperledger.fabric.protos.orderer.SeekPosition stop) throws Exception {
    SignedEnvelopes reader = new SignedEnvelopes(LocalSigner.load(dir.resolve("data/admin-msp"), "JordererMSP"));
    return DeliverUntilStatus.deliver(c, reader.seek(CHANNEL, SeekPositions.seek(start, stop), Instant.now()));
  }
}
