package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockMetadata;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fabric's rules for consenter changes in a config update (etcdraft {@code ValidateConsensusMetadata},
 * {@code VerifyConfigMetadata}, {@code ComputeMembershipChanges}), judged on real channel configs
 * with certificates from real CAs, and the consenter ids a change assigns.
 */
class ConsenterRulesTest {
  private static final String CHANNEL = "rules";
  private static final Instant NOW = Instant.now();

  // Made once: generating the CAs and certificates is most of the cost.
  @TempDir
  static Path dir;
  private static Path orgMsp;
  private static final List<EtcdRaftProfile.ConsenterAddress> nodes = new ArrayList<>();
  private static EtcdRaftProfile.ConsenterAddress stranger;
  private static EtcdRaftProfile.ConsenterAddress expired;
  private static ChannelConfig current;
  private static Block genesis;
  private static int ports;

  @BeforeAll
  static void setUp() throws Exception {
    orgMsp = dir.resolve("org/orderer");
    MspGenerator.generate(orgMsp, dir.resolve("org/admin"), "org.example", "orderer.org.example", Duration.ofDays(3650));
    Files.createDirectories(orgMsp.resolve("tlscacerts"));
    for (int i = 0; i < 5; i++) {
      nodes.add(node("tls" + i, Duration.ofDays(3650), true));
    }
    stranger = node("stranger", Duration.ofDays(3650), false); // its CA is no TLS root of the organization
    expired = node("expired", Duration.ofDays(-1), true);
    genesis = GenesisBlock.of(CHANNEL, EtcdRaftProfile.withEtcdRaft(profile().config(),
        EtcdRaftProfile.metadata(nodes.subList(0, 3))), NOW);
    current = ChannelConfig.fromConfigBlock(genesis, CryptoProvider.preferred());
  }

  @Test
  void oneConsenterAddedOrRemovedIsAccepted() {
    assertThat(validate(nodes.subList(0, 4))).isEmpty();
    assertThat(validate(nodes.subList(0, 2))).isEmpty();
    assertThat(validate(List.of(nodes.get(0), nodes.get(1), nodes.get(3)))).as("rotation: one out, one in").isEmpty();
    assertThat(validate(nodes.subList(0, 3))).as("no change").isEmpty();
  }

  @Test
  void moreThanOneChangeAtOnceIsRefusedWithFabricsText() {
    assertThat(validate(nodes.subList(0, 5))).contains(
        "update of more than one consenter at a time is not supported, requested changes: add 2 node(s), remove 0 node(s)");
    assertThat(validate(nodes.subList(0, 1))).contains(
        "update of more than one consenter at a time is not supported, requested changes: add 0 node(s), remove 2 node(s)");
    assertThat(validate(List.of(nodes.get(3)))).contains(
        "update of more than one consenter at a time is not supported, requested changes: add 1 node(s), remove 3 node(s)");
  }

  @Test
  void anEmptySetIsRefused() {
    assertThat(validate(List.of())).contains("invalid new config metadata: empty consenter set");
  }

  @Test
  void aCertificateNotIssuedByAnOrdererOrganizationsTlsCaIsRefused() {
    List<EtcdRaftProfile.ConsenterAddress> withStranger = new ArrayList<>(nodes.subList(0, 3));
    withStranger.add(stranger);
    assertThat(validate(withStranger)).hasValueSatisfying(text -> assertThat(text)
        .startsWith("invalid new config metadata: consenter 127.0.0.1:" + stranger.port()
            + " has invalid certificate: verifying tls client cert with serial number ")
        .endsWith(": x509: certificate signed by unknown authority"));
  }

  @Test
  void anAddedConsenterWithAnExpiredCertificateIsRefused() {
    List<EtcdRaftProfile.ConsenterAddress> withExpired = new ArrayList<>(nodes.subList(0, 3));
    withExpired.add(expired);
    assertThat(validate(withExpired)).hasValueSatisfying(text -> assertThat(text)
        .startsWith("consenter 127.0.0.1:" + expired.port() + " has invalid certificates: verifying tls client cert "
            + "with serial number ")
        .contains(": x509: certificate has expired or is not yet valid: current time "));
  }

  @Test
  void duplicateConsentersAreRefused() {
    List<EtcdRaftProfile.ConsenterAddress> twice = new ArrayList<>(nodes.subList(0, 3));
    twice.add(nodes.get(0));
    assertThat(validate(twice)).hasValueSatisfying(text -> assertThat(text)
        .startsWith("invalid new config metadata: duplicate consenter: server cert: -----BEGIN CERTIFICATE-----"));
  }

  @Test
  void badOptionsAreRefused() {
    ConfigMetadata metadata = EtcdRaftProfile.metadata(nodes.subList(0, 3)).toBuilder()
        .setOptions(EtcdRaftProfile.defaultOptions().toBuilder().setElectionTick(1).setHeartbeatTick(1)).build();
    assertThat(validate(metadata)).contains("invalid new config metadata: ElectionTick (1) must be greater than HeartbeatTick (1)");
    metadata = metadata.toBuilder().setOptions(EtcdRaftProfile.defaultOptions().toBuilder().setTickInterval("0s")).build();
    assertThat(validate(metadata)).contains("invalid new config metadata: TickInterval cannot be zero");
  }

  @Test
  void aChangeThatLosesAQuorumMoreNodesCouldKeepIsRefusedOnTheLeader() {
    java.util.Set<Long> twoOfThree = java.util.Set.of(1L, 2L); // consenter 3 is down
    assertThat(validate(nodes.subList(0, 4), twoOfThree))
        .as("four need three alive").contains("2 out of 3 nodes are alive, configuration will result in quorum loss");
    assertThat(validate(List.of(nodes.get(0), nodes.get(2)), twoOfThree))
        .as("removing a live one leaves one of two").contains("2 out of 3 nodes are alive, configuration will result in quorum loss");
    assertThat(validate(nodes.subList(0, 2), twoOfThree)).as("removing the dead one").isEmpty();
    assertThat(validate(nodes.subList(0, 4), java.util.Set.of(1L, 2L, 3L))).isEmpty();
  }

  @Test
  void idsFollowFabricsMembershipChanges() {
    ConsenterSet three = ConsenterSet.of(CHANNEL, current.orderer().orElseThrow().consensusType().metadata(), genesis);
    assertThat(three.members()).extracting(ConsenterSet.Member::id).containsExactly(1L, 2L, 3L);
    assertThat(three.nextConsenterId()).isEqualTo(4);

    ConsenterSet.Membership added = three.next(EtcdRaftProfile.metadata(nodes.subList(0, 4)));
    assertThat(added.next().members()).extracting(ConsenterSet.Member::id).containsExactly(1L, 2L, 3L, 4L);
    assertThat(added.next().nextConsenterId()).isEqualTo(5);

    ConsenterSet.Membership removed = added.next().next(EtcdRaftProfile.metadata(nodes.subList(1, 4)));
    assertThat(removed.next().members()).extracting(ConsenterSet.Member::id).containsExactly(2L, 3L, 4L);
    assertThat(removed.next().nextConsenterId()).as("ids are never reused").isEqualTo(5);

    ConsenterSet.Membership rotated = removed.next().next(EtcdRaftProfile.metadata(
        List.of(nodes.get(1), nodes.get(4), nodes.get(3))));
    assertThat(rotated.next().members()).extracting(ConsenterSet.Member::id).as("the new one takes the old one's id")
        .containsExactly(2L, 3L, 4L);
    assertThat(rotated.next().nextConsenterId()).isEqualTo(5);

    // The ids written in a block's metadata are those a restart reads back.
    Block withMetadata = blockWith(rotated.next().blockMetadata(7));
    ConsenterSet reread = ConsenterSet.of(CHANNEL, rotated.next().metadata().toByteString(), withMetadata);
    assertThat(reread.members()).extracting(ConsenterSet.Member::id).containsExactly(2L, 3L, 4L);
    assertThat(reread.nextConsenterId()).isEqualTo(5);
  }

  // ------------------------------------------------------------------ support

  private static Optional<String> validate(List<EtcdRaftProfile.ConsenterAddress> consenters) {
    return validate(EtcdRaftProfile.metadata(consenters));
  }

  private static Optional<String> validate(List<EtcdRaftProfile.ConsenterAddress> consenters, java.util.Set<Long> active) {
    ChannelConfig next = ChannelConfig.fromConfig(CHANNEL,
        EtcdRaftProfile.withEtcdRaft(current.config(), EtcdRaftProfile.metadata(consenters)), CryptoProvider.preferred());
    return ConsenterRules.validate(current, next, genesis, NOW, Optional.of(active));
  }

  /** The rules as the message processor's seam calls them, with the genesis block as the newest block. */
  private static Optional<String> validate(ConfigMetadata metadata) {
    ChannelConfig next = ChannelConfig.fromConfig(CHANNEL, EtcdRaftProfile.withEtcdRaft(current.config(), metadata),
        CryptoProvider.preferred());
    return ConsenterRules.validate(current, next, genesis, NOW);
  }

  private static SoloChannelProfile profile() throws Exception {
    return new SoloChannelProfile("OrgMSP", MspFolder.readMspConfig(orgMsp, "OrgMSP"), List.of("127.0.0.1:7050"), 10,
        10 << 20, 2 << 20, Duration.ofSeconds(2));
  }

  private static EtcdRaftProfile.ConsenterAddress node(String name, Duration validity, boolean trusted) throws Exception {
    Path tls = dir.resolve(name);
    MspGenerator.generate(tls.resolve("node"), tls.resolve("unused"), name + ".example", name, validity);
    if (trusted) {
      Files.copy(tls.resolve("node/cacerts/ca.pem"), orgMsp.resolve("tlscacerts/" + name + ".pem"));
    }
    byte[] cert = Files.readAllBytes(tls.resolve("node/signcerts/cert.pem"));
    return new EtcdRaftProfile.ConsenterAddress("127.0.0.1", 7050 + ports++, cert, cert);
  }

  private static Block blockWith(org.hyperledger.fabric.protos.orderer.etcdraft.BlockMetadata raft) {
    ByteString consenter = Metadata.newBuilder().setValue(raft.toByteString()).build().toByteString();
    ByteString signatures = Metadata.newBuilder().setValue(
        OrdererBlockMetadata.newBuilder().setConsenterMetadata(consenter).build().toByteString()).build().toByteString();
    BlockMetadata.Builder metadata = BlockMetadata.newBuilder();
    for (int i = 0; i <= BlockMetadataIndex.SIGNATURES_VALUE; i++) {
      metadata.addMetadata(i == BlockMetadataIndex.SIGNATURES_VALUE ? signatures : ByteString.EMPTY);
    }
    return Block.newBuilder().setMetadata(metadata).build();
  }
}
