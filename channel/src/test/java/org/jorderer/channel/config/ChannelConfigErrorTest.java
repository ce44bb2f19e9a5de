package org.jorderer.channel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.MSPRole.MSPRoleType;
import org.hyperledger.fabric.protos.common.SignaturePolicy;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.support.ChannelFixture;
import org.jorderer.channel.support.ChannelFixture.Org;
import org.jorderer.channel.support.TestPki;
import org.jorderer.channel.support.Vectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unusable configuration is refused with the config path of the element at fault. */
class ChannelConfigErrorTest {
  @TempDir Path tmp;
  private Config good;
  private Org org;

  @BeforeEach
  void goodConfig() throws Exception {
    TestPki.Issued root = TestPki.rootCa("org1.example.com");
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(), List.of(), null, null);
    org = Org.standard("Org1", MspFolder.readMspConfig(msp, "Org1MSP"), "Org1MSP");
    good = ChannelFixture.config(List.of(org), List.of(org));
  }

  private static ChannelConfig build(Config config) {
    return ChannelConfig.fromConfig("ch", config, CryptoProvider.preferred());
  }

  private Config withOrderer(UnaryOperator<ConfigGroup.Builder> change) {
    ConfigGroup channel = good.getChannelGroup();
    ConfigGroup orderer = change.apply(channel.getGroupsOrThrow("Orderer").toBuilder()).build();
    return good.toBuilder().setChannelGroup(channel.toBuilder().putGroups("Orderer", orderer)).build();
  }

  @Test
  void goodConfigBuilds() {
    ChannelConfig config = build(good);

    assertThat(config.orderer().orElseThrow().organizations().get("Org1").mspId()).isEqualTo("Org1MSP");
    assertThat(config.orderer().orElseThrow().channelRestrictions()).isEmpty();
  }

  @Test
  void zeroMaxMessageCountNamesBatchSize() {
    Config bad = withOrderer(o -> o.putValues("BatchSize", ChannelFixture.value(
        BatchSize.newBuilder().setMaxMessageCount(0).setAbsoluteMaxBytes(10).setPreferredMaxBytes(5).build().toByteString())));

    assertThatThrownBy(() -> build(bad)).isInstanceOf(ConfigException.class)
        .hasMessage("/Channel/Orderer/BatchSize: Attempted to set the batch size max message count to an invalid value: 0")
        .extracting(e -> ((ConfigException) e).path()).isEqualTo("/Channel/Orderer/BatchSize");
  }

  @Test
  void preferredAboveAbsoluteIsRefused() {
    Config bad = withOrderer(o -> o.putValues("BatchSize", ChannelFixture.value(
        BatchSize.newBuilder().setMaxMessageCount(10).setAbsoluteMaxBytes(10).setPreferredMaxBytes(11).build().toByteString())));

    assertThatThrownBy(() -> build(bad)).hasMessage("/Channel/Orderer/BatchSize: Attempted to set the batch size "
        + "preferred max bytes (11) greater than the absolute max bytes (10).");
  }

  @Test
  void malformedBytesNameTheirPath() {
    Config bad = withOrderer(o -> o.putValues("BatchSize", ChannelFixture.value(ByteString.copyFrom(new byte[] {(byte) 0xff}))));

    assertThatThrownBy(() -> build(bad)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("/Channel/Orderer/BatchSize: malformed value: ");
  }

  @Test
  void batchTimeoutMustBeAPositiveGoDuration() {
    assertThatThrownBy(() -> build(ChannelFixture.config(List.of(org), List.of(), ConsensusType.State.STATE_NORMAL, "2")))
        .hasMessage("/Channel/Orderer/BatchTimeout: Attempted to set the batch timeout to a invalid value: "
            + "time: missing unit in duration \"2\"");
    assertThatThrownBy(() -> build(ChannelFixture.config(List.of(org), List.of(), ConsensusType.State.STATE_NORMAL, "-1s")))
        .hasMessage("/Channel/Orderer/BatchTimeout: Attempted to set the batch timeout to a non-positive value: -1s");
    assertThat(build(ChannelFixture.config(List.of(org), List.of(), ConsensusType.State.STATE_NORMAL, "1m30s"))
        .orderer().orElseThrow().batchTimeout().duration()).hasSeconds(90);
  }

  @Test
  void missingOrUnknownValuesAreRefused() {
    assertThatThrownBy(() -> build(withOrderer(o -> o.removeValues("BatchTimeout"))))
        .hasMessage("/Channel/Orderer/BatchTimeout: missing value");
    assertThatThrownBy(() -> build(withOrderer(o -> o.putValues("Colour", ChannelFixture.value(ByteString.EMPTY)))))
        .hasMessage("/Channel/Orderer/Colour: unknown value key: Colour");
    Config strayGroup = good.toBuilder().setChannelGroup(good.getChannelGroup().toBuilder()
        .putGroups("Peers", ConfigGroup.getDefaultInstance())).build();
    assertThatThrownBy(() -> build(strayGroup)).hasMessage("/Channel/Peers: Disallowed channel group: Peers");
  }

  @Test
  void unsupportedCapabilityIsRefused() {
    Config future = good.toBuilder().setChannelGroup(good.getChannelGroup().toBuilder()
        .putValues("Capabilities", ChannelFixture.value(ChannelFixture.capabilities("V2_0", "V9_9")))).build();

    assertThatThrownBy(() -> build(future))
        .hasMessage("/Channel/Capabilities: Channel capability V9_9 is required but not supported");
  }

  @Test
  void maintenanceModeIsRead() {
    ChannelConfig config = build(ChannelFixture.config(List.of(org), List.of(org), ConsensusType.State.STATE_MAINTENANCE, "2s"));

    assertThat(config.orderer().orElseThrow().consensusType().maintenance()).isTrue();
  }

  @Test
  void policyReferringToAMissingPrincipalDoesNotCompile() {
    SignaturePolicyEnvelope outOfRange = SignaturePolicyEnvelope.newBuilder()
        .setRule(SignaturePolicy.newBuilder().setSignedBy(3))
        .addIdentities(ChannelFixture.role("Org1MSP", MSPRoleType.MEMBER))
        .build();
    Config bad = withOrderer(o -> o.putGroups("Org1", o.getGroupsOrThrow("Org1").toBuilder()
        .putPolicies("Writers", ChannelFixture.signature(outOfRange)).build()));

    assertThatThrownBy(() -> build(bad)).hasMessage("/Channel/Orderer/Org1/Writers: policy Writers at path "
        + "Channel/Orderer/Org1 did not compile: identity index out of range, requested 3, but identities length is 1");
  }

  @Test
  void brokenMspNamesItsOrganization() {
    MSPConfig noRoots = MSPConfig.newBuilder()
        .setConfig(FabricMSPConfig.newBuilder().setName("Org2MSP").build().toByteString()).build();
    Org broken = Org.standard("Org2", noRoots, "Org2MSP");

    assertThatThrownBy(() -> build(ChannelFixture.config(List.of(org, broken), List.of())))
        .hasMessage("/Channel/Orderer/Org2/MSP: MSP setup failed: expected at least one CA certificate");
  }

  @Test
  void twoDifferentDefinitionsOfOneMspAreRefused() throws Exception {
    TestPki.Issued otherRoot = TestPki.rootCa("impostor.example.com");
    Path msp = TestPki.mspFolder(tmp.resolve("other"), otherRoot, List.of(), List.of(), List.of(), null, null);
    Org impostor = Org.standard("Org1", MspFolder.readMspConfig(msp, "Org1MSP"), "Org1MSP");

    assertThatThrownBy(() -> build(ChannelFixture.config(List.of(org), List.of(impostor))))
        .hasMessage("/Channel/Orderer/Org1/MSP: Attempted to define two different versions of MSP: Org1MSP");
  }

  @Test
  void aBlockThatIsNotAConfigBlockIsRefused() {
    Block normal = Vectors.block("vectors-1.block");

    assertThatThrownBy(() -> ChannelConfig.fromConfigBlock(normal)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("block 1 is not a config block: envelope type is MESSAGE (0)");
  }
}
