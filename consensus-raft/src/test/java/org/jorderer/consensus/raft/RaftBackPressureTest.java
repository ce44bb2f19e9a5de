package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.consensus.ChainHaltedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Raft channel's queue of envelopes waiting to be proposed is bounded in bytes as well as in
 * envelopes, as a solo channel's is: beyond the bound Broadcast's future waits for room, and a
 * halted chain refuses what waits with "chain is stopped".
 */
class RaftBackPressureTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @Test
  void envelopesBeyondTheQueuesBytesWaitForRoomAndAHaltRefusesThem() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofMillis(200), 10)) {
      String text = "x".repeat(10_000);
      Envelope[] sent = new Envelope[8];
      for (int i = 0; i < sent.length; i++) {
        sent[i] = cluster.envelope(i + text);
      }
      long each = bytes(sent[0]); // about what each takes (signatures differ by a byte or two)
      // Room for two such envelopes, far below the 10,000 envelopes the queue may count.
      cluster.tune = (index, settings) -> settings.withQueueBytes(2 * each + each / 2);
      RaftCluster.Node node = cluster.nodes[0];
      node.start(); // alone: no leader can be elected, so the proposer holds what it takes

      // The proposer takes the first envelope and holds it, waiting for a leader.
      CompletableFuture<Void> first = node.chain.order(sent[0], 0);
      await().atMost(WAIT).until(() -> node.chain.queuedEnvelopes() == 0);
      // Two more fit in the queue's bytes: accepted at once (their answers still wait for commit).
      CompletableFuture<Void> second = node.chain.order(sent[1], 0);
      CompletableFuture<Void> third = node.chain.order(sent[2], 0);
      assertThat(node.chain.queuedEnvelopes()).isEqualTo(2);
      assertThat(node.chain.queuedBytes()).isEqualTo(bytes(sent[1]) + bytes(sent[2]));
      // The fourth does not: it waits as a hand-off, not in the queue.
      CompletableFuture<Void> fourth = node.chain.order(sent[3], 0);
      assertThat(node.chain.queuedEnvelopes()).isEqualTo(2);
      assertThat(node.chain.queuedBytes()).isEqualTo(bytes(sent[1]) + bytes(sent[2]));
      assertThat(fourth).isNotDone();

      // A quorum: a leader is elected, the held envelope is proposed, the queue drains and lets
      // the fourth in. All four are ordered on every node.
      cluster.nodes[1].start();
      cluster.nodes[2].start();
      CompletableFuture.allOf(first, second, third, fourth).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      for (RaftCluster.Node each2 : cluster.nodes) {
        await().atMost(WAIT).until(() -> envelopes(each2.blocks()).containsAll(
            List.of(sent[0].toByteString(), sent[1].toByteString(), sent[2].toByteString(), sent[3].toByteString())));
      }

      // Quorum lost again: the same back-pressure, and a halt refuses the waiting hand-off and
      // everything accepted but not committed, with Fabric's "chain is stopped".
      cluster.nodes[1].stop();
      cluster.nodes[2].stop();
      await().atMost(WAIT).until(() -> node.chain.knownLeader() == null);
      CompletableFuture<Void> held = node.chain.order(sent[4], 0);
      await().atMost(WAIT).until(() -> node.chain.queuedEnvelopes() == 0);
      CompletableFuture<Void> queued = node.chain.order(sent[5], 0);
      node.chain.order(sent[6], 0);
      CompletableFuture<Void> waiting = node.chain.order(sent[7], 0);
      assertThat(node.chain.queuedEnvelopes()).isEqualTo(2);
      assertThat(waiting).isNotDone();
      node.stop();
      for (CompletableFuture<Void> refused : List.of(held, queued, waiting)) {
        assertThatThrownBy(() -> refused.get(WAIT.toSeconds(), TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class).cause().isInstanceOf(ChainHaltedException.class)
            .hasMessage(RaftChain.HALTED);
      }
    }
  }

  /** What the chain counts for an envelope in its queue. */
  private static long bytes(Envelope envelope) {
    return envelope.getSerializedSize() + 16;
  }

  private static List<com.google.protobuf.ByteString> envelopes(List<Block> blocks) {
    return blocks.stream().flatMap(b -> b.getData().getDataList().stream()).toList();
  }
}
