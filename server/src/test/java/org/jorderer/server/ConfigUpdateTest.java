package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.ConfigUpdateVectors.CHANNEL;
import static org.jorderer.server.support.ConfigUpdateVectors.NOW;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigPolicy;
import org.hyperledger.fabric.protos.common.ConfigSignature;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.ConfigUpdateVectors;
import org.jorderer.server.support.ConfigUpdateVectors.Answer;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channel config updates through a running node over gRPC, at a fixed clock: Fabric v2.4.9's
 * recorded sequence of config updates answered byte for byte, the config blocks they produce, and
 * what the switch to each new config does to Broadcast, Deliver and the block cutter; restarts, and
 * a crash between writing a config block and switching to it.
 */
class ConfigUpdateTest {
  private static final long WAIT = 30;
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir
  Path data;
  private TestOrderer orderer;
  private final TestClock clock = new TestClock(NOW);
  private final SeekRequests sampleOrgReader = new SeekRequests(TestOrderer.SIGNER);

  @AfterEach
  void tearDown() {
    if (orderer != null) {
      orderer.close();
    }
  }

  private TestOrderer start() {
    orderer = new TestOrderer(data, DeliverHandler.Settings.defaults(), clock);
    return orderer;
  }

  /** A node that joined {@code cfgchan-0.block} (solo, config sequence 1). */
  private ServedChannel joined() {
    start().channels.join(ConfigUpdateVectors.block(0));
    return orderer.channels.channel(CHANNEL).orElseThrow();
  }

  private BroadcastResponse broadcast(Envelope envelope) throws Exception {
    try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
      client.send(envelope);
      BroadcastResponse response = client.next(WAIT);
      client.halfClose();
      return response;
    }
  }

  /** Block {@code number}, waiting for it, read as SampleOrg through Deliver. */
  private Block deliverBlock(long number) throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(sampleOrgReader.envelope(CHANNEL, seek(specified(number), specified(number)), clock.instant()));
      List<DeliverResponse> responses = client.untilStatus(WAIT);
      assertThat(responses.get(responses.size() - 1).getStatus()).as("deliver block %d", number).isEqualTo(Status.SUCCESS);
      assertThat(responses).hasSize(2);
      return responses.get(0).getBlock();
    }
  }

  private static Envelope transaction(LocalSigner signer, String tag) {
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(HeaderType.ENDORSER_TRANSACTION_VALUE)
        .setChannelId(CHANNEL)
        .setTxId(tag)
        .setTimestamp(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond()))
        .build();
    return new SignedEnvelopes(signer).sign(header, ByteString.copyFromUtf8(tag));
  }

  private static String txId(Envelope envelope) {
    return ConfigUpdateVectors.channelHeader(envelope).getTxId();
  }

  // ------------------------------------------------------------------ Fabric's recorded sequence

  @Test
  void ordererASequenceIsAnsweredAsFabricAnsweredAndWritesFabricsConfigs() throws Exception {
    ServedChannel channel = joined();
    assertThat(channel.configSequence()).isEqualTo(1);
    List<Integer> replayed = new ArrayList<>();
    int nextBlock = 1;
    for (Answer answer : ConfigUpdateVectors.answers()) {
      if (!answer.orderer().equals("A") || answer.order() < 2) {
        continue; // 1 created the channel through orderer A's system channel; 26.. ran on orderer B
      }
      replayed.add(answer.order());
      // Orderer A turned an update for an unknown channel into a channel-creation attempt; a node
      // without a system channel answers as orderer B did (vector 26).
      Answer expected = answer.order() == 11 ? ConfigUpdateVectors.answer(26) : answer;
      Envelope sent = ConfigUpdateVectors.envelope(answer.file());

      BroadcastResponse response = broadcast(sent);

      assertThat(response.getStatus()).as("status of vector %d", answer.order()).isEqualTo(expected.status());
      assertThat(response.getInfo()).as("info of vector %d", answer.order()).isEqualTo(expected.info());
      if (expected.status() == Status.SUCCESS) {
        Block written = deliverBlock(nextBlock);
        Block fabrics = ConfigUpdateVectors.block(nextBlock);
        assertThat(written.getHeader().getNumber()).isEqualTo(nextBlock);
        assertThat(written.getData().getDataCount()).as("the CONFIG envelope alone in its block").isEqualTo(1);
        assertThat(ConfigUpdateVectors.channelHeader(ConfigUpdateVectors.onlyEnvelope(written)).getType())
            .isEqualTo(HeaderType.CONFIG_VALUE);
        assertThat(ConfigUpdateVectors.config(written)).as("config of block %d", nextBlock)
            .isEqualTo(ConfigUpdateVectors.config(fabrics));
        assertThat(ConfigUpdateVectors.configEnvelope(written).getLastUpdate().toByteString())
            .isEqualTo(sent.toByteString());
        assertThat(BlockMetadataReader.lastConfigIndex(written)).isEqualTo(nextBlock);
        ChannelConfig carried = ChannelConfig.fromConfigBlock(written, CryptoProvider.preferred());
        assertThat(BlockSignatureVerifier.verify(written, carried).satisfied()).isTrue();
        // Visible in the ledger means in force: the next update is judged by this config.
        assertThat(channel.configSequence()).isEqualTo(carried.sequence());
        nextBlock++;
      }
    }
    assertThat(replayed).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(2, 25).boxed().toList());
    assertThat(nextBlock).isEqualTo(5);
    assertThat(channel.ledger().height()).isEqualTo(5);
    assertThat(channel.config().config()).isEqualTo(ConfigUpdateVectors.config(ConfigUpdateVectors.block(4)));
  }

  @Test
  void aConfigUpdateForAnUnknownChannelGetsFabricsAnswerWithoutASystemChannel() throws Exception {
    start();
    for (int order : new int[] {26, 27}) {
      Answer answer = ConfigUpdateVectors.answer(order);
      BroadcastResponse response = broadcast(ConfigUpdateVectors.envelope(answer.file()));
      assertThat(response.getStatus()).isEqualTo(answer.status());
      assertThat(response.getInfo()).isEqualTo(answer.info());
    }
  }

  // ------------------------------------------------------------------ what the switch does

  @Test
  void theNewBatchSizeCutsTheBlocksAfterTheConfigBlock() throws Exception {
    ServedChannel channel = joined();
    assertThat(broadcast(ConfigUpdateVectors.envelope("config-update-batchsize.env")).getStatus())
        .isEqualTo(Status.SUCCESS); // MaxMessageCount 500 -> 100
    deliverBlock(1);

    assertThat(channel.config().orderer().orElseThrow().batchSize().maxMessageCount()).isEqualTo(100);
    try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
      for (int i = 0; i < 250; i++) {
        client.send(transaction(TestOrderer.SIGNER, "tx-" + i));
      }
      for (int i = 0; i < 250; i++) {
        assertThat(client.next(WAIT).getStatus()).isEqualTo(Status.SUCCESS);
      }
      client.halfClose();
    }
    orderer.close(); // a clean stop writes the pending batch
    orderer = null;

    // No block holds more than the new MaxMessageCount (the old one was 500). How many blocks
    // depends on whether the 2 s BatchTimeout fired on the way, so only the bound is asserted.
    List<Integer> sizes = new ArrayList<>();
    try (BlockStore ledger = BlockStore.open(data.resolve("chains").resolve(CHANNEL), LedgerOptions.defaults())) {
      for (long n = 2; n < ledger.height(); n++) {
        sizes.add(ledger.readBlock(n).getData().getDataCount());
      }
    }
    assertThat(sizes).allSatisfy(size -> assertThat(size).isBetween(1, 100));
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(250);
  }

  @Test
  void aRemovedOrgIsRefusedAtItsNextRequestAndItsOpenDeliverStreamEndsAtTheConfigBlock() throws Exception {
    ServedChannel channel = joined();
    LocalSigner org2User = ConfigUpdateVectors.org2("User1");
    SeekRequests org2Reader = new SeekRequests(org2User);
    assertThat(broadcast(transaction(org2User, "org2-before")).getStatus()).isEqualTo(Status.SUCCESS);

    try (DeliverClient org2Stream = orderer.deliver()) {
      org2Stream.send(org2Reader.envelope(CHANNEL, seek(specified(1), specified(Long.MAX_VALUE)), clock.instant()));
      // Block 1 (the transaction, cut by the 2 s BatchTimeout) reaches Org2: its session is open.
      Block first = org2Stream.next(WAIT).getBlock();
      assertThat(first.getHeader().getNumber()).isEqualTo(1);
      assertThat(txId(ConfigUpdateVectors.onlyEnvelope(first))).isEqualTo("org2-before");

      Envelope removal = removeOrg2(channel.config().config());
      BroadcastResponse response = broadcast(removal);
      assertThat(response.getInfo()).isEmpty();
      assertThat(response.getStatus()).isEqualTo(Status.SUCCESS);

      // The config block 2 ends Org2's stream without being sent, as Fabric's Deliver ends a
      // session whose access was revoked.
      List<DeliverResponse> seen = org2Stream.untilStatus(WAIT);
      assertThat(seen).extracting(DeliverResponse::getStatus).containsExactly(Status.FORBIDDEN);
    }
    Block configBlock = deliverBlock(2);
    assertThat(ConfigUpdateVectors.config(configBlock).getChannelGroup().getGroupsOrThrow("Application")
        .getGroupsMap()).containsOnlyKeys("SampleOrg");

    BroadcastResponse refused = broadcast(transaction(org2User, "org2-after"));
    assertThat(refused.getStatus()).isEqualTo(Status.FORBIDDEN);
    assertThat(refused.getInfo()).isEqualTo("implicit policy evaluation failed - 0 sub-policies were satisfied, "
        + "but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied");
    try (DeliverClient again = orderer.deliver()) {
      again.send(org2Reader.envelope(CHANNEL, seek(specified(0), specified(0)), clock.instant()));
      assertThat(again.untilStatus(WAIT)).extracting(DeliverResponse::getStatus).containsExactly(Status.FORBIDDEN);
    }
  }

  @Test
  void trafficDuringAConfigUpdateIsReCheckedAtOrderingAndNothingAcknowledgedIsLost() throws Exception {
    ServedChannel channel = joined();
    LocalSigner org2User = ConfigUpdateVectors.org2("User1");
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean sending = new AtomicBoolean(true);
    ExecutorService senders = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (LocalSigner signer : List.of(TestOrderer.SIGNER, org2User)) {
        String org = signer == org2User ? "org2" : "sampleorg";
        running.add(senders.submit(() -> {
          // One stream per org, as a client would: each envelope answered before the next is sent.
          BroadcastClient client = new BroadcastClient(orderer.connect());
          for (int i = 0; sending.get() && i < 5_000; i++) {
            String id = org + "-" + i;
            client.send(transaction(signer, id));
            BroadcastResponse response = client.next(WAIT);
            if (response.getStatus() != Status.SUCCESS) {
              break; // Org2 once removed: FORBIDDEN ends its stream
            }
            acknowledged.add(id);
          }
          client.close();
          return null;
        }));
      }
      await().atMost(Duration.ofSeconds(WAIT)).until(() -> acknowledged.size() >= 50);
      Envelope removal = removeOrg2(channel.config().config());
      assertThat(broadcast(removal).getStatus()).isEqualTo(Status.SUCCESS);
      // Let both senders go on until SampleOrg traffic was acknowledged under the new config too.
      await().atMost(Duration.ofSeconds(WAIT)).until(() -> channel.configSequence() == 2);
      long atSwitch = sampleOrgAcks(acknowledged);
      await().atMost(Duration.ofSeconds(WAIT)).until(() -> sampleOrgAcks(acknowledged) >= atSwitch + 50);
      sending.set(false);
      for (Future<?> f : running) {
        f.get(WAIT, TimeUnit.SECONDS);
      }
    } finally {
      senders.shutdownNow();
    }
    orderer.close(); // a clean stop writes everything accepted
    orderer = null;

    List<String> ordered = new ArrayList<>();
    long configBlock = -1;
    try (BlockStore ledger = BlockStore.open(data.resolve("chains").resolve(CHANNEL), LedgerOptions.defaults())) {
      for (long n = 1; n < ledger.height(); n++) {
        Block block = ledger.readBlock(n);
        for (ByteString bytes : block.getData().getDataList()) {
          Envelope envelope = Envelope.parseFrom(bytes);
          if (ConfigUpdateVectors.channelHeader(envelope).getType() == HeaderType.CONFIG_VALUE) {
            assertThat(block.getData().getDataCount()).isEqualTo(1);
            configBlock = n;
          } else {
            String id = txId(envelope);
            assertThat(configBlock < 0 || !id.startsWith("org2"))
                .as("%s ordered in block %d after Org2 was removed in block %d", id, n, configBlock).isTrue();
            ordered.add(id);
          }
        }
      }
    }
    assertThat(configBlock).isPositive();
    assertThat(new HashSet<>(ordered)).hasSize(ordered.size());
    // Everything acknowledged is there, except Org2's envelopes acknowledged under the old config
    // and ordered after the switch: those were checked again and dropped, as Fabric's solo does.
    Set<String> missing = new HashSet<>(acknowledged);
    ordered.forEach(missing::remove);
    assertThat(missing).allSatisfy(id -> assertThat(id).startsWith("org2"));
    assertThat(ordered.stream().filter(id -> id.startsWith("sampleorg")).count())
        .isEqualTo(acknowledged.stream().filter(id -> id.startsWith("sampleorg")).count());
  }

  // ------------------------------------------------------------------ restarts

  @Test
  void aRestartedNodeRunsOnItsLastConfigBlock() throws Exception {
    joined();
    assertThat(broadcast(ConfigUpdateVectors.envelope("config-update-batchsize.env")).getStatus())
        .isEqualTo(Status.SUCCESS);
    deliverBlock(1);
    orderer.close();

    ServedChannel channel = start().channels.channel(CHANNEL).orElseThrow();
    assertThat(channel.configSequence()).isEqualTo(2);
    // Judged under sequence 2: the replay is a stale update (vector 3's answer).
    BroadcastResponse response = broadcast(ConfigUpdateVectors.envelope("config-update-batchsize.env"));
    assertThat(response.getStatus()).isEqualTo(ConfigUpdateVectors.answer(3).status());
    assertThat(response.getInfo()).isEqualTo(ConfigUpdateVectors.answer(3).info());
    // And the next accepted update continues the chain of config blocks.
    assertThat(broadcast(ConfigUpdateVectors.envelope("config-update-anchorpeers.env")).getStatus())
        .isEqualTo(Status.SUCCESS);
    assertThat(ConfigUpdateVectors.config(deliverBlock(2))).isEqualTo(ConfigUpdateVectors.config(ConfigUpdateVectors.block(2)));
  }

  @Test
  void aCrashBetweenWritingAConfigBlockAndSwitchingComesBackOnThatBlocksConfig() throws Exception {
    joined();
    orderer.close();
    // What a crash right after the append leaves: config block 1 durable, the switch never made.
    try (BlockStore ledger = BlockStore.open(data.resolve("chains").resolve(CHANNEL), LedgerOptions.defaults())) {
      ledger.append(ConfigUpdateVectors.block(1));
    }

    ServedChannel channel = start().channels.channel(CHANNEL).orElseThrow();
    assertThat(channel.configSequence()).isEqualTo(2);
    assertThat(channel.config().config()).isEqualTo(ConfigUpdateVectors.config(ConfigUpdateVectors.block(1)));
    BroadcastResponse response = broadcast(ConfigUpdateVectors.envelope("config-update-batchsize.env"));
    assertThat(response.getStatus()).isEqualTo(ConfigUpdateVectors.answer(3).status());
    assertThat(response.getInfo()).isEqualTo(ConfigUpdateVectors.answer(3).info());
    // Normal traffic continues after it, signed and linked under the new config.
    assertThat(broadcast(transaction(TestOrderer.SIGNER, "after-crash")).getStatus()).isEqualTo(Status.SUCCESS);
    orderer.close();
    orderer = null;
    try (BlockStore ledger = BlockStore.open(data.resolve("chains").resolve(CHANNEL), LedgerOptions.defaults())) {
      assertThat(ledger.height()).isEqualTo(3);
      assertThat(BlockMetadataReader.lastConfigIndex(ledger.readBlock(2))).isEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ building an update

  /**
   * What {@code configtxlator compute_update} makes for taking Org2MSP out of the application
   * group, signed as {@code peer channel signconfigtx} would by both application admins
   * (/Channel/Application/Admins is MAJORITY of two), the envelope signed by SampleOrg.
   */
  private static Envelope removeOrg2(Config current) {
    ConfigGroup channel = current.getChannelGroup();
    ConfigGroup application = channel.getGroupsOrThrow("Application");
    ConfigGroup.Builder readApplication = versionsOnly(application).toBuilder().removeGroups("Org2");
    ConfigGroup.Builder writeApplication = readApplication.clone()
        .setVersion(application.getVersion() + 1)
        .setModPolicy(application.getModPolicy());
    ConfigUpdate update = ConfigUpdate.newBuilder()
        .setChannelId(CHANNEL)
        .setReadSet(ConfigGroup.newBuilder().setVersion(channel.getVersion())
            .putGroups("Application", readApplication.build()))
        .setWriteSet(ConfigGroup.newBuilder().setVersion(channel.getVersion())
            .putGroups("Application", writeApplication.build()))
        .build();
    ConfigUpdateEnvelope.Builder signed = ConfigUpdateEnvelope.newBuilder().setConfigUpdate(update.toByteString());
    for (LocalSigner admin : List.of(ConfigUpdateVectors.org2("Admin"), TestOrderer.SIGNER)) {
      byte[] nonce = new byte[24];
      RANDOM.nextBytes(nonce);
      ByteString header = SignatureHeader.newBuilder().setCreator(admin.serializedIdentity())
          .setNonce(ByteString.copyFrom(nonce)).build().toByteString();
      signed.addSignatures(ConfigSignature.newBuilder().setSignatureHeader(header)
          .setSignature(ByteString.copyFrom(admin.sign(header.concat(update.toByteString()).toByteArray()))));
    }
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(HeaderType.CONFIG_UPDATE_VALUE)
        .setChannelId(CHANNEL)
        .setTimestamp(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond()))
        .build();
    return new SignedEnvelopes(TestOrderer.SIGNER).sign(header, signed.build().toByteString());
  }

  /** The group with its members' versions only, as compute_update puts unchanged elements. */
  private static ConfigGroup versionsOnly(ConfigGroup group) {
    ConfigGroup.Builder out = ConfigGroup.newBuilder().setVersion(group.getVersion());
    group.getGroupsMap().forEach((k, g) -> out.putGroups(k, ConfigGroup.newBuilder().setVersion(g.getVersion()).build()));
    group.getValuesMap().forEach((k, v) -> out.putValues(k, ConfigValue.newBuilder().setVersion(v.getVersion()).build()));
    group.getPoliciesMap().forEach((k, p) -> out.putPolicies(k, ConfigPolicy.newBuilder().setVersion(p.getVersion()).build()));
    return out.build();
  }

  private static long sampleOrgAcks(Set<String> acknowledged) {
    return acknowledged.stream().filter(id -> id.startsWith("sampleorg")).count();
  }
}
