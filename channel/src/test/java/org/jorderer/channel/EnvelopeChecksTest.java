package org.jorderer.channel;

import org.hyperledger.fabric.protos.common.Status;
import org.jorderer.channel.support.BroadcastRules;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.jorderer.channel.EnvelopeChecks.Outcome;
import org.jorderer.channel.EnvelopeChecks.Verdict;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.support.ChannelFixture;
import org.jorderer.channel.support.ChannelFixture.Org;
import org.jorderer.channel.support.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broadcast's filter chain and Deliver's policy check: outcome and Fabric's info text. */
class EnvelopeChecksTest {
  @TempDir Path tmp;
  private Org ordererOrg;
  private Org applicationOrg;
  private TestPki.Issued applicationClient;

  @BeforeEach
  void twoOrgs() throws Exception {
    TestPki.Issued ordererRoot = TestPki.rootCa("orderer.example.com");
    TestPki.Issued applicationRoot = TestPki.rootCa("org2.example.com");
    applicationClient = TestPki.leaf(applicationRoot, "client", List.of());
    ordererOrg = Org.standard("OrdererOrg", MspFolder.readMspConfig(
        TestPki.mspFolder(tmp.resolve("o"), ordererRoot, List.of(), List.of(), List.of(), null, null), "OrdererMSP"), "OrdererMSP");
    applicationOrg = Org.standard("Org2", MspFolder.readMspConfig(
        TestPki.mspFolder(tmp.resolve("a"), applicationRoot, List.of(), List.of(), List.of(), null, null), "Org2MSP"), "Org2MSP");
  }

  private ChannelConfig channel(ConsensusType.State state) {
    return ChannelConfig.fromConfig("ch", ChannelFixture.config(List.of(ordererOrg), List.of(applicationOrg), state, "2s"),
        CryptoProvider.preferred());
  }

  @Test
  void maintenanceModeSwitchesToTheOrdererPolicies() {
    Envelope envelope = ChannelFixture.envelope("ch", "Org2MSP", applicationClient);
    String ordererWritersFailed = "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy "
        + "requires 1 of the 'Writers' sub-policies to be satisfied: permission denied";
    String ordererReadersFailed = "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy "
        + "requires 1 of the 'Readers' sub-policies to be satisfied: permission denied";

    assertThat(BroadcastRules.verdict(channel(ConsensusType.State.STATE_NORMAL), envelope, Instant.now()).accepted()).isTrue();
    assertThat(EnvelopeChecks.deliver(channel(ConsensusType.State.STATE_NORMAL), envelope).accepted()).isTrue();
    // Broadcast refuses normal messages outright in maintenance mode (msgprocessor's maintenance
    // rule comes first); the orderer-writers policy is what a config update then has to meet.
    assertThat(BroadcastRules.verdict(channel(ConsensusType.State.STATE_MAINTENANCE), envelope, Instant.now()))
        .isEqualTo(new org.jorderer.channel.processor.Verdict(Status.SERVICE_UNAVAILABLE,
            "normal transactions are rejected: maintenance mode"));
    assertThat(EnvelopeChecks.signatureFilter(channel(ConsensusType.State.STATE_MAINTENANCE), envelope,
        "/Channel/Writers", "/Channel/Orderer/Writers")).isEqualTo(new Verdict(Outcome.FORBIDDEN, ordererWritersFailed));
    assertThat(EnvelopeChecks.deliver(channel(ConsensusType.State.STATE_MAINTENANCE), envelope))
        .isEqualTo(new Verdict(Outcome.FORBIDDEN, ordererReadersFailed));
  }

  @Test
  void oversizedEnvelopeIsABadRequest() {
    Config config = ChannelFixture.config(List.of(ordererOrg), List.of(applicationOrg));
    ConfigGroup orderer = config.getChannelGroup().getGroupsOrThrow("Orderer").toBuilder()
        .putValues("BatchSize", ChannelFixture.value(BatchSize.newBuilder().setMaxMessageCount(10)
            .setAbsoluteMaxBytes(100).setPreferredMaxBytes(50).build().toByteString()))
        .build();
    ChannelConfig small = ChannelConfig.fromConfig("ch", config.toBuilder()
        .setChannelGroup(config.getChannelGroup().toBuilder().putGroups("Orderer", orderer)).build(), CryptoProvider.preferred());
    Envelope envelope = ChannelFixture.envelope("ch", "Org2MSP", applicationClient);
    int size = envelope.getPayload().size() + envelope.getSignature().size();

    assertThat(BroadcastRules.verdict(small, envelope, Instant.now())).isEqualTo(new org.jorderer.channel.processor.Verdict(
        Status.BAD_REQUEST, "message payload is " + size + " bytes and exceeds maximum allowed 100 bytes"));
  }

  @Test
  void unreadableEnvelopesAreBadRequests() {
    ChannelConfig config = channel(ConsensusType.State.STATE_NORMAL);
    Envelope garbage = Envelope.newBuilder().setPayload(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01})).build();
    Envelope headerless = Envelope.newBuilder().setPayload(Payload.newBuilder().setData(ByteString.copyFromUtf8("x"))
        .build().toByteString()).build();

    assertThat(BroadcastRules.verdict(config, garbage, Instant.now())).isEqualTo(new org.jorderer.channel.processor.Verdict(
        Status.BAD_REQUEST, "could not convert message to signedData: proto: cannot parse invalid wire-format data"));
    assertThat(EnvelopeChecks.deliver(config, headerless))
        .isEqualTo(new Verdict(Outcome.BAD_REQUEST, "could not convert message to signedData: Missing Header"));
  }
}
