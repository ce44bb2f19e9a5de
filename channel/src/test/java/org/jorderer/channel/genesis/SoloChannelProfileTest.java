package org.jorderer.channel.genesis;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.OrdererAddresses;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.ledger.BlockHeaderHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A generated MSP and the single-org solo genesis block built from it work as a Fabric channel. */
class SoloChannelProfileTest {
  @TempDir Path dir;

  @Test
  void aGeneratedOrganizationGetsAWorkingChannel() throws Exception {
    Path ordererMsp = dir.resolve("msp");
    Path adminMsp = dir.resolve("admin-msp");
    MspGenerator.generate(ordererMsp, adminMsp, "demo.example.com", "orderer.demo.example.com", Duration.ofDays(3650));

    SoloChannelProfile profile = SoloChannelProfile.withDefaults(
        "DemoMSP", MspFolder.readMspConfig(ordererMsp, "DemoMSP"), List.of("127.0.0.1:7050"));
    Block genesis = GenesisBlock.of("demo", profile.config(), Instant.parse("2026-01-01T00:00:00Z"));

    assertThat(genesis.getHeader().getNumber()).isZero();
    assertThat(genesis.getHeader().getPreviousHash()).isEmpty();
    assertThat(genesis.getMetadata().getMetadataCount()).isEqualTo(5);
    assertThat(BlockMetadataReader.lastConfigIndex(genesis)).isZero();
    assertThat(BlockHeaderHash.of(genesis.getHeader())).hasSize(32);

    ChannelConfig config = ChannelConfig.fromConfigBlock(genesis);
    assertThat(config.channelId()).isEqualTo("demo");
    assertThat(config.sequence()).isZero();
    var orderer = config.orderer().orElseThrow();
    assertThat(orderer.consensusType().type()).isEqualTo("solo");
    assertThat(orderer.batchSize().maxMessageCount()).isEqualTo(500);
    assertThat(orderer.batchTimeout().duration()).isEqualTo(Duration.ofSeconds(2));

    for (Path msp : List.of(ordererMsp, adminMsp)) {
      LocalSigner signer = LocalSigner.load(msp, "DemoMSP");
      Envelope envelope = signed(signer);
      assertThat(EnvelopeChecks.deliver(config, envelope).accepted()).as("%s reads", msp).isTrue();
      assertThat(EnvelopeChecks.signatureFilter(config, envelope, "/Channel/Writers", "/Channel/Orderer/Writers")
          .accepted()).as("%s writes", msp).isTrue();
    }
  }

  /**
   * The profile against configtxgen's: Fabric v2.4.9's configtxgen made
   * {@code sampleorg-solo-genesis.block} from sampleconfig's SampleOrg solo profile. Given the same
   * organization, MSP, endpoints and batch settings, every value, policy and mod_policy must be
   * byte-identical, except for the differences listed here, which are intended.
   */
  @Test
  void theConfigIsConfigtxgensForTheSameOrganization() throws Exception {
    Block fabric = org.jorderer.channel.support.Vectors.block("sampleorg-solo-genesis.block");
    Config expected = configOf(fabric);
    ConfigGroup orderer = expected.getChannelGroup().getGroupsOrThrow("Orderer");
    MSPConfig msp = MSPConfig.parseFrom(orderer.getGroupsOrThrow("SampleOrg").getValuesOrThrow("MSP").getValue());
    List<String> endpoints = OrdererAddresses.parseFrom(
        orderer.getGroupsOrThrow("SampleOrg").getValuesOrThrow("Endpoints").getValue()).getAddressesList();
    BatchSize batch = BatchSize.parseFrom(orderer.getValuesOrThrow("BatchSize").getValue());
    Duration timeout = org.jorderer.channel.config.GoDuration.parse(
        BatchTimeout.parseFrom(orderer.getValuesOrThrow("BatchTimeout").getValue()).getTimeout());
    SoloChannelProfile profile = new SoloChannelProfile("SampleOrg", msp, endpoints, batch.getMaxMessageCount(),
        batch.getAbsoluteMaxBytes(), batch.getPreferredMaxBytes(), timeout);

    Map<String, ByteString> ours = flatten(profile.config().getChannelGroup());
    Map<String, ByteString> theirs = flatten(expected.getChannelGroup());
    Map<String, String> differences = new TreeMap<>();
    for (String key : union(ours.keySet(), theirs.keySet())) {
      if (!ours.containsKey(key)) {
        differences.put(key, "configtxgen only");
      } else if (!theirs.containsKey(key)) {
        differences.put(key, "profile only");
      } else if (!ours.get(key).equals(theirs.get(key))) {
        differences.put(key, "differs");
      }
    }
    assertThat(differences).isEqualTo(Map.of(
        // The channel-level OrdererAddresses (deprecated, still read by v2 peers and SDKs) so that
        // clients find the node without per-org endpoints; configtxgen writes it only for V1 profiles.
        "/[value]OrdererAddresses", "profile only",
        // Application ACLs, anchor peers and the orderer org's Endorsement policy belong to peers'
        // channel setup, which the profile leaves to a later config update (an orderer ignores them).
        "/Application/[value]ACLs", "configtxgen only",
        "/Application/SampleOrg/[value]AnchorPeers", "configtxgen only",
        "/Orderer/SampleOrg/[policy]Endorsement", "configtxgen only"));
    assertThat(profile.config().getSequence()).isEqualTo(expected.getSequence());
  }

  private static Config configOf(Block block) throws Exception {
    Envelope envelope = Envelope.parseFrom(block.getData().getData(0));
    return ConfigEnvelope.parseFrom(Payload.parseFrom(envelope.getPayload()).getData()).getConfig();
  }

  /** Every value, policy and group of a config tree by path, as bytes (a group: its mod_policy and version). */
  private static Map<String, ByteString> flatten(ConfigGroup group) {
    Map<String, ByteString> out = new TreeMap<>();
    flatten("", group, out);
    return out;
  }

  private static void flatten(String path, ConfigGroup group, Map<String, ByteString> out) {
    out.put(path + "/[group]", ByteString.copyFromUtf8(group.getModPolicy() + "@" + group.getVersion()));
    group.getValuesMap().forEach((name, value) -> out.put(path + "/[value]" + name, value.toByteString()));
    group.getPoliciesMap().forEach((name, policy) -> out.put(path + "/[policy]" + name, policy.toByteString()));
    group.getGroupsMap().forEach((name, child) -> flatten(path + "/" + name, child, out));
  }

  private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
    java.util.Set<String> all = new java.util.TreeSet<>(a);
    all.addAll(b);
    return all;
  }

  private static Envelope signed(LocalSigner signer) {
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setSignatureHeader(SignatureHeader.newBuilder()
                .setCreator(signer.serializedIdentity())
                .setNonce(ByteString.copyFromUtf8("nonce"))
                .build()
                .toByteString()))
        .setData(ByteString.copyFromUtf8("data"))
        .build();
    return Envelope.newBuilder()
        .setPayload(payload.toByteString())
        .setSignature(ByteString.copyFrom(signer.sign(payload.toByteArray())))
        .build();
  }
}
