package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.jorderer.channel.ChannelConfig;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deterministic half of a Raft chain, fed committed entries directly (no Ratis). */
class ChannelOrderingTest {
  @TempDir
  Path dir;

  /** The channel's consenters as its genesis block in {@code ledger} and {@code support}'s config name them. */
  private static ConsenterSet consenters(ConsenterSupport support, BlockStore ledger) throws Exception {
    return ConsenterSet.of(RaftCluster.CHANNEL, support.config().orderer().orElseThrow().consensusType().metadata(),
        ledger.readBlock(0));
  }

  /** {@code count} signed envelopes "tx 0", "tx 1", ... of the cluster's channel. */
  private static List<Envelope> transactions(RaftCluster cluster, int count) throws Exception {
    List<Envelope> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(cluster.envelope("tx " + i));
    }
    return sent;
  }

  private static RaftEntry envelopes(List<Envelope> envelopes) {
    return new RaftEntry.Envelopes(envelopes.stream().map(e -> new RaftEntry.Ordered(e, 0)).toList());
  }

  @Test
  void cutsByCountAndByReplicatedMarkerOnlyForTheBlockItNames() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofSeconds(2), 10);
        BlockStore ledger = BlockStore.open(dir.resolve("ledger"), LedgerOptions.defaults())) {
      ConsenterSupport support = cluster.support(ledger);
      ConsenterSet consenters = consenters(support, ledger);
      ChannelOrdering ordering = new ChannelOrdering(support, consenters, 1, e -> {});
      List<Envelope> sent = transactions(cluster, 15);

      assertThat(ordering.apply(5, "c#1", envelopes(sent.subList(0, 3)))).isEmpty();
      assertThat(ledger.height()).isEqualTo(1);
      assertThat(ordering.pending()).isEqualTo(3);
      // A marker for another block number (late, or from an old leader) cuts nothing.
      ordering.apply(6, "c#2", new RaftEntry.CutMarker(2));
      assertThat(ledger.height()).isEqualTo(1);
      ordering.apply(7, "c#3", new RaftEntry.CutMarker(1));
      assertThat(ledger.height()).isEqualTo(2);
      assertThat(ledger.readBlock(1).getData().getDataCount()).isEqualTo(3);
      assertThat(ConsenterSet.blockMetadata(ledger.readBlock(1)).orElseThrow().getRaftIndex()).isEqualTo(7);
      // The same marker again: block 1 is written, nothing pending.
      ordering.apply(8, "c#4", new RaftEntry.CutMarker(1));
      assertThat(ledger.height()).isEqualTo(2);

      // 12 envelopes at MaxMessageCount 10: one block of 10, 2 pending. The same request committed
      // again is applied once.
      ordering.apply(9, "c#5", envelopes(sent.subList(3, 15)));
      ordering.apply(10, "c#5", envelopes(sent.subList(3, 15)));
      assertThat(ledger.height()).isEqualTo(3);
      assertThat(ledger.readBlock(2).getData().getDataCount()).isEqualTo(10);
      assertThat(ConsenterSet.blockMetadata(ledger.readBlock(2)).orElseThrow().getConsenterIdsList())
          .containsExactly(1L, 2L, 3L);
      assertThat(ordering.pending()).isEqualTo(2);
      assertThat(ordering.nextBlock()).isEqualTo(3);
    }
  }

  @Test
  void replayingTheLogWritesNothingTwiceCutsUnderTheConfigOfItsTimeAndHaltsOnABlockCutDifferently() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofSeconds(2), 2);
        BlockStore ledger = BlockStore.open(dir.resolve("ledger"), LedgerOptions.defaults())) {
      ConsenterSupport support = cluster.support(ledger);
      ConsenterSet consenters = consenters(support, ledger);
      List<Envelope> sent = List.of(cluster.envelope("a"), cluster.envelope("b"), cluster.envelope("c"),
          cluster.envelope("d"));
      new ChannelOrdering(support, consenters, 1, e -> {}).apply(3, "c#1", envelopes(sent));
      assertThat(ledger.height()).isEqualTo(3);
      List<Block> written = List.of(ledger.readBlock(1), ledger.readBlock(2));

      // After a restart Ratis applies the log from its start again.
      ChannelOrdering replay = new ChannelOrdering(cluster.support(ledger), consenters, 1, e -> {});
      replay.apply(3, "c#1", envelopes(sent));
      assertThat(ledger.height()).isEqualTo(3);
      assertThat(List.of(ledger.readBlock(1), ledger.readBlock(2))).isEqualTo(written);
      assertThat(replay.nextBlock()).isEqualTo(3);

      // The config in force now cuts at 10 envelopes: the replay still cuts as the stored blocks
      // were cut, under the config of their time, and the envelope left pending continues live.
      ChannelConfig genesisConfig = ChannelConfig.fromConfigBlock(ledger.readBlock(0), cluster.signer.crypto());
      Config config = genesisConfig.config();
      ConfigGroup orderer = config.getChannelGroup().getGroupsOrThrow("Orderer");
      ConfigValue batchSize = orderer.getValuesOrThrow("BatchSize").toBuilder().setValue(
          BatchSize.parseFrom(orderer.getValuesOrThrow("BatchSize").getValue()).toBuilder().setMaxMessageCount(10)
              .build().toByteString()).build();
      Config larger = config.toBuilder().setChannelGroup(config.getChannelGroup().toBuilder()
          .putGroups("Orderer", orderer.toBuilder().putValues("BatchSize", batchSize).build())).build();
      ChannelOrdering later = new ChannelOrdering(
          cluster.support(ledger, ChannelConfig.fromConfig(RaftCluster.CHANNEL, larger, cluster.signer.crypto())),
          consenters, 1, e -> {});
      Envelope e = cluster.envelope("e");
      List<Envelope> withPending = new ArrayList<>(sent);
      withPending.add(e);
      later.apply(3, "c#1", envelopes(withPending));
      assertThat(ledger.height()).isEqualTo(3);
      assertThat(later.pending()).isEqualTo(1);
      later.apply(4, "c#2", envelopes(List.of(cluster.envelope("f"))));
      assertThat(ledger.height()).isEqualTo(3);
      later.apply(5, "c#3", new RaftEntry.CutMarker(3));
      assertThat(ledger.height()).isEqualTo(4);
      assertThat(ledger.readBlock(3).getData().getDataCount()).isEqualTo(2);

      AtomicReference<Throwable> failure = new AtomicReference<>();
      ChannelOrdering diverging = new ChannelOrdering(cluster.support(ledger), consenters, 1, failure::set);
      assertThatThrownBy(() -> diverging.apply(3, "c#1", envelopes(List.of(sent.get(1), sent.get(0)))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cuts block 1 differently from the stored block");
      assertThat(ledger.height()).isEqualTo(4);
    }
  }

  @Test
  void aSnapshotCarriesTheStateBesideTheLedgerSoAnotherNodeCutsTheSameBlocksAfterIt() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofSeconds(2), 10);
        BlockStore ledger = BlockStore.open(dir.resolve("ledger"), LedgerOptions.defaults());
        BlockStore other = BlockStore.open(dir.resolve("other"), LedgerOptions.defaults())) {
      ConsenterSupport support = cluster.support(ledger);
      ConsenterSet consenters = consenters(support, ledger);
      List<Envelope> sent = transactions(cluster, 20);
      ChannelOrdering ordering = new ChannelOrdering(support, consenters, 1, e -> {});
      ordering.apply(3, "c#1", envelopes(sent.subList(0, 12)));
      ordering.apply(4, "c#2", envelopes(sent.subList(12, 13)));
      assertThat(ledger.height()).isEqualTo(2);

      // The state after entry 4: block 2 is next, three envelopes pending, two requests remembered.
      ChannelSnapshot snapshot = ChannelSnapshot.decode(ordering.snapshot(1, 4).encode());
      assertThat(snapshot.term()).isEqualTo(1);
      assertThat(snapshot.index()).isEqualTo(4);
      assertThat(snapshot.nextBlock()).isEqualTo(2);
      assertThat(snapshot.pending()).containsExactlyElementsOf(sent.subList(10, 13));
      assertThat(snapshot.recentRequests()).containsExactly("c#1", "c#2");

      List<RaftEntry> after = List.of(envelopes(sent.subList(13, 20)), envelopes(sent.subList(0, 1)),
          new RaftEntry.CutMarker(3));
      List<String> requests = List.of("c#3", "c#1", "c#4"); // c#1 repeats a request from before the snapshot
      for (int i = 0; i < after.size(); i++) {
        ordering.apply(5 + i, requests.get(i), after.get(i));
      }
      assertThat(ledger.height()).isEqualTo(3);

      // Another node holds the blocks below the snapshot (pulled) and continues from the snapshot.
      ConsenterSupport otherSupport = cluster.support(other);
      otherSupport.appendPulled(ledger.readBlock(1));
      ChannelOrdering continued = new ChannelOrdering(otherSupport, consenters, 1, e -> {});
      continued.restore(snapshot);
      assertThat(continued.pending()).isEqualTo(3);
      for (int i = 0; i < after.size(); i++) {
        continued.apply(5 + i, requests.get(i), after.get(i));
      }
      assertThat(other.height()).isEqualTo(ledger.height());
      for (long n = 0; n < ledger.height(); n++) {
        assertThat(other.readBlock(n).getHeader()).isEqualTo(ledger.readBlock(n).getHeader());
        assertThat(other.readBlock(n).getData()).isEqualTo(ledger.readBlock(n).getData());
      }
      assertThat(ledger.readBlock(2).getData().getDataCount()).isEqualTo(10);
      assertThat(continued.pending()).isZero();

      // A ledger behind the snapshot cannot continue from it.
      try (BlockStore empty = BlockStore.open(dir.resolve("behind"), LedgerOptions.defaults())) {
        ChannelOrdering behind = new ChannelOrdering(cluster.support(empty), consenters, 1, e -> {});
        assertThatThrownBy(() -> behind.restore(snapshot)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("continues at block 2 but the ledger's height is only 1");
      }
      // A damaged snapshot is refused.
      byte[] bytes = snapshot.encode();
      bytes[bytes.length / 2] ^= 1;
      assertThatThrownBy(() -> ChannelSnapshot.decode(bytes)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("checksum");
    }
  }

  @Test
  void pulledBlocksAreWrittenInGroupsAndThoseHandedOverBeforeAFailureAreKept() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofSeconds(2), 2);
        BlockStore ledger = BlockStore.open(dir.resolve("ledger"), LedgerOptions.defaults());
        BlockStore behind = BlockStore.open(dir.resolve("behind"), LedgerOptions.defaults())) {
      ConsenterSupport support = cluster.support(ledger);
      ConsenterSet consenters = consenters(support, ledger);
      List<Envelope> sent = transactions(cluster, 2 * (PulledBlockBatch.MAX_BLOCKS + 20));
      new ChannelOrdering(support, consenters, 1, e -> {}).apply(3, "c#1", envelopes(sent));
      long height = ledger.height();
      assertThat(height).isEqualTo(PulledBlockBatch.MAX_BLOCKS + 21);

      ConsenterSupport behindSupport = cluster.support(behind);
      ChannelOrdering catchingUp = new ChannelOrdering(behindSupport, consenters, 1, e -> {});
      // The first source hands over 70 blocks (one full group and part of the next), then fails:
      // all 70 are in the ledger, so the next pull starts after them.
      long failAfter = PulledBlockBatch.MAX_BLOCKS + 6;
      BlockSource failing = (channel, last, config, to, accept) -> {
        for (long n = last.getHeader().getNumber() + 1; n <= failAfter; n++) {
          accept.accept(ledger.readBlock(n));
        }
        throw new IllegalStateException("the orderer went away");
      };
      assertThatThrownBy(() -> catchingUp.pullBlocks(height, failing)).hasMessageContaining("went away");
      assertThat(behind.height()).isEqualTo(failAfter + 1);

      List<Long> asked = new ArrayList<>();
      BlockSource rest = (channel, last, config, to, accept) -> {
        asked.add(last.getHeader().getNumber() + 1);
        for (long n = last.getHeader().getNumber() + 1; n <= to; n++) {
          accept.accept(ledger.readBlock(n));
        }
      };
      catchingUp.pullBlocks(height, rest);
      assertThat(asked).containsExactly(failAfter + 1);
      assertThat(behind.height()).isEqualTo(height);
      for (long n = 0; n < height; n++) {
        assertThat(behind.readBlock(n)).isEqualTo(ledger.readBlock(n));
      }
      assertThat(behind.lastHeaderHash()).isEqualTo(ledger.lastHeaderHash());
    }
  }

  @Test
  void aStoppedChainsFailureIsRecognizedInTheTextRatisSendsToTheClient() {
    // Ratis sends a state machine's failure to the client as the cause's class name and message.
    var sent = new ChannelOrdering.ChainStopped("mychannel");
    var received = new org.apache.ratis.protocol.exceptions.StateMachineException(
        sent.getClass().getName() + ": " + sent.getMessage());
    assertThat(ChannelOrdering.ChainStopped.describes(received, "mychannel")).isTrue();
    assertThat(ChannelOrdering.ChainStopped.describes(new java.util.concurrent.CompletionException(sent), "mychannel"))
        .isTrue();
    assertThat(ChannelOrdering.ChainStopped.describes(received, "other")).isFalse();
    assertThat(ChannelOrdering.ChainStopped.describes(
        new org.apache.ratis.protocol.exceptions.StateMachineException("java.lang.IllegalStateException: cut"),
        "mychannel")).isFalse();
  }

  /**
   * Two nodes whose clocks disagree about whether the client's certificate has expired re-check
   * envelopes (Broadcast checked them at an older config sequence) by the leader's stamp on the
   * entry, so both discard or keep the same ones. Without a stamp each judges by its own clock.
   */
  @Test
  void nodesWhoseClocksDisagreeRecheckByTheLeadersStampAndCutTheSameBlocks() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofSeconds(2), 2);
        BlockStore early = BlockStore.open(dir.resolve("early"), LedgerOptions.defaults());
        BlockStore late = BlockStore.open(dir.resolve("late"), LedgerOptions.defaults())) {
      java.time.Instant expiry = adminExpiry(cluster);
      java.time.Instant before = expiry.minus(Duration.ofDays(1));
      java.time.Instant after = expiry.plus(Duration.ofDays(1));
      early.append(cluster.genesis);
      late.append(cluster.genesis);
      // The config in force moved on (sequence 1) since Broadcast checked the envelopes (sequence 0).
      Config genesisConfig = ChannelConfig.fromConfigBlock(cluster.genesis, cluster.signer.crypto()).config();
      ChannelConfig moved = ChannelConfig.fromConfig(RaftCluster.CHANNEL, genesisConfig.toBuilder().setSequence(1).build(),
          cluster.signer.crypto());
      ConsenterSupport earlySupport = cluster.support(early, moved, java.time.Clock.fixed(before, java.time.ZoneOffset.UTC));
      ConsenterSupport lateSupport = cluster.support(late, moved, java.time.Clock.fixed(after, java.time.ZoneOffset.UTC));
      ConsenterSet consenters = ConsenterSet.of(RaftCluster.CHANNEL,
          moved.orderer().orElseThrow().consensusType().metadata(), cluster.genesis);
      ChannelOrdering earlyNode = new ChannelOrdering(earlySupport, consenters, 1, e -> {});
      ChannelOrdering lateNode = new ChannelOrdering(lateSupport, consenters, 1, e -> {});
      Envelope a = cluster.envelope("a");
      Envelope b = cluster.envelope("b");
      Envelope c = cluster.envelope("c");
      Envelope d = cluster.envelope("d");
      Envelope e = cluster.envelope("e");
      List<RaftEntry> log = List.of(
          // A leader before the expiry: both nodes keep a and b (one block of two).
          new RaftEntry.Stamped(before, new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(a, 0),
              new RaftEntry.Ordered(b, 0)))),
          // A leader after it: both discard c; d was checked at the current sequence and stays.
          new RaftEntry.Stamped(after, new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(c, 0),
              new RaftEntry.Ordered(d, 1)))),
          new RaftEntry.Stamped(after, new RaftEntry.CutMarker(2)));
      for (int i = 0; i < log.size(); i++) {
        earlyNode.apply(10 + i, "c#" + i, log.get(i));
        lateNode.apply(10 + i, "c#" + i, log.get(i));
      }
      assertThat(early.height()).isEqualTo(3);
      assertThat(late.height()).isEqualTo(3);
      for (long n = 1; n < 3; n++) {
        assertThat(late.readBlock(n).getHeader()).isEqualTo(early.readBlock(n).getHeader());
        assertThat(late.readBlock(n).getData()).isEqualTo(early.readBlock(n).getData());
      }
      assertThat(early.readBlock(1).getData().getDataList()).containsExactly(a.toByteString(), b.toByteString());
      assertThat(early.readBlock(2).getData().getDataList()).containsExactly(d.toByteString());

      // The control: an entry without a stamp (logged before leaders stamped) is judged by each
      // node's own clock, and the two nodes disagree.
      RaftEntry unstamped = new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(e, 0)));
      earlyNode.apply(20, "c#20", unstamped);
      lateNode.apply(20, "c#20", unstamped);
      assertThat(earlyNode.pending()).isEqualTo(1);
      assertThat(lateNode.pending()).isZero();
    }
  }

  private static java.time.Instant adminExpiry(RaftCluster cluster) throws Exception {
    var cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(java.nio.file.Files.readAllBytes(
            cluster.root.resolve("org/admin/signcerts/cert.pem"))));
    return cert.getNotAfter().toInstant();
  }
}
