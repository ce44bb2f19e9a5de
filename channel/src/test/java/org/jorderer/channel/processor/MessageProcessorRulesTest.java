package org.jorderer.channel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jorderer.channel.processor.ConfigUpdateVectorsTest.CLOCK;
import static org.jorderer.channel.processor.ConfigUpdateVectorsTest.block;
import static org.jorderer.channel.processor.ConfigUpdateVectorsTest.configEnvelopeOf;
import static org.jorderer.channel.processor.ConfigUpdateVectorsTest.dir;
import static org.jorderer.channel.processor.ConfigUpdateVectorsTest.envelope;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.configtx.ConfigTxValidator;
import org.jorderer.channel.configtx.ConfigUpdateException;
import org.jorderer.channel.envelope.ConfigUpdateEnvelopes;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.support.Vectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The processor's rules that the recorded vectors do not exercise, with Fabric v2.4's texts. */
class MessageProcessorRulesTest {
  static ChannelConfig genesis;
  static LocalSigner sampleOrg;
  static LocalSigner org3;

  @BeforeAll
  static void load() throws IOException {
    genesis = ChannelConfig.fromConfigBlock(block("cfgchan-0.block"));
    sampleOrg = LocalSigner.load(Vectors.msp(), "SampleOrg");
    Path crypto = dir().resolve("setup/crypto/peerOrganizations");
    org3 = LocalSigner.load(crypto.resolve("org3.example.com/users/Admin@org3.example.com/msp"), "Org3MSP");
  }

  static MessageProcessor processor(ChannelConfig config, LocalSigner signer, Clock clock, boolean expiry) {
    return new MessageProcessor("cfgchan", () -> config, signer, clock, expiry);
  }

  static Envelope message(LocalSigner signer, int bytes) {
    return new SignedEnvelopes(signer).message("cfgchan", ByteString.copyFrom(new byte[bytes]), CLOCK.instant()).envelope();
  }

  /** A config derived from {@code base} with the Orderer group's values changed. */
  static ChannelConfig withOrdererValue(ChannelConfig base, String key, ByteString value) {
    Config.Builder config = base.config().toBuilder();
    ConfigGroup.Builder orderer = config.getChannelGroupBuilder().getGroupsOrThrow("Orderer").toBuilder();
    orderer.putValues(key, orderer.getValuesOrThrow(key).toBuilder().setValue(value).build());
    config.getChannelGroupBuilder().putGroups("Orderer", orderer.build());
    return ChannelConfig.fromConfig("cfgchan", config.build(), base.crypto());
  }

  static ConfigValue ordererValue(ChannelConfig config, String key) {
    return config.config().getChannelGroup().getGroupsOrThrow("Orderer").getValuesOrThrow(key);
  }

  static ChannelConfig maintenance(ChannelConfig base) {
    return withOrdererValue(base, "ConsensusType",
        ConsensusType.newBuilder().setType("solo").setState(ConsensusType.State.STATE_MAINTENANCE).build().toByteString());
  }

  /** An update of /Channel/Orderer values to the next version, read set = the two groups. */
  static ConfigUpdate ordererUpdate(ChannelConfig base, String key, ByteString value, String otherKey, ByteString other) {
    ConfigGroup.Builder orderer = ConfigGroup.newBuilder();
    ConfigValue current = ordererValue(base, key);
    orderer.putValues(key, current.toBuilder().setVersion(current.getVersion() + 1).setValue(value).build());
    if (otherKey != null) {
      ConfigValue o = ordererValue(base, otherKey);
      orderer.putValues(otherKey, o.toBuilder().setVersion(o.getVersion() + 1).setValue(other).build());
    }
    ConfigGroup read = ConfigGroup.newBuilder().putGroups("Orderer", ConfigGroup.getDefaultInstance()).build();
    ConfigGroup write = ConfigGroup.newBuilder().putGroups("Orderer", orderer.build()).build();
    return ConfigUpdate.newBuilder().setChannelId("cfgchan").setReadSet(read).setWriteSet(write).build();
  }

  static ByteString batchSize(int count) {
    return BatchSize.newBuilder().setMaxMessageCount(count).setAbsoluteMaxBytes(10485760)
        .setPreferredMaxBytes(2097152).build().toByteString();
  }

  @Test
  void classifiesAsFabricsStandardChannel() {
    assertThat(MessageProcessor.classify(ChannelHeader.newBuilder().setType(HeaderType.CONFIG_UPDATE_VALUE).build()))
        .isEqualTo(MessageClass.CONFIG_UPDATE);
    assertThat(MessageProcessor.classify(ChannelHeader.newBuilder().setType(HeaderType.CONFIG_VALUE).build()))
        .isEqualTo(MessageClass.CONFIG);
    assertThat(MessageProcessor.classify(ChannelHeader.newBuilder().setType(HeaderType.ORDERER_TRANSACTION_VALUE).build()))
        .isEqualTo(MessageClass.CONFIG);
    assertThat(MessageProcessor.classify(ChannelHeader.newBuilder().setType(HeaderType.ENDORSER_TRANSACTION_VALUE).build()))
        .isEqualTo(MessageClass.NORMAL);
    assertThat(MessageProcessor.classify(ChannelHeader.newBuilder().setType(77).build())).isEqualTo(MessageClass.NORMAL);
  }

  @Test
  void normalMessageIsCheckedAtTheCurrentSequence() {
    NormalResult result = processor(genesis, sampleOrg, CLOCK, true).processNormal(message(sampleOrg, 10));
    assertThat(result.verdict()).isEqualTo(Verdict.SUCCESS);
    assertThat(result.configSequence()).isEqualTo(1);
  }

  @Test
  void aPayloadParsedByTheCallerGivesTheSameVerdicts() throws Exception {
    // Broadcast parses the payload for the channel header and hands it over instead of having it
    // parsed again; every verdict must be the one the envelope alone gives.
    Clock later = Clock.fixed(Instant.parse("2028-01-01T00:00:00Z"), ZoneOffset.UTC);
    Envelope good = message(sampleOrg, 10);
    Envelope foreign = message(org3, 10);
    Envelope unsignedHeader = good.toBuilder().setPayload(Payload.newBuilder()
        .setHeader(Header.newBuilder().setSignatureHeader(ByteString.copyFrom(new byte[] {(byte) 0xff})))
        .build().toByteString()).build();
    for (MessageProcessor processor : new MessageProcessor[] {processor(genesis, sampleOrg, CLOCK, true),
        processor(genesis, sampleOrg, later, true), processor(genesis, sampleOrg, later, false)}) {
      for (Envelope envelope : new Envelope[] {good, foreign, unsignedHeader}) {
        NormalResult alone = processor.processNormal(envelope);
        NormalResult parsed = processor.processNormal(envelope, Payload.parseFrom(envelope.getPayload()));
        assertThat(parsed).isEqualTo(alone);
      }
    }
    assertThat(processor(genesis, sampleOrg, CLOCK, true).processNormal(unsignedHeader, Payload.parseFrom(
        unsignedHeader.getPayload())).verdict().status()).isEqualTo(Status.BAD_REQUEST);
  }

  @Test
  void maintenanceModeRefusesNormalMessagesAsServiceUnavailable() {
    NormalResult result = processor(maintenance(genesis), sampleOrg, CLOCK, true).processNormal(message(sampleOrg, 10));
    assertThat(result.verdict())
        .isEqualTo(new Verdict(Status.SERVICE_UNAVAILABLE, "normal transactions are rejected: maintenance mode"));
    assertThat(result.configSequence()).isZero();
  }

  @Test
  void emptyOversizedAndForeignMessages() {
    MessageProcessor processor = processor(genesis, sampleOrg, CLOCK, true);
    assertThat(processor.processNormal(Envelope.getDefaultInstance()).verdict())
        .isEqualTo(Verdict.badRequest("Message was empty"));
    assertThat(processor.processNormal(message(org3, 10)).verdict()).isEqualTo(new Verdict(Status.FORBIDDEN,
        "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the "
            + "'Writers' sub-policies to be satisfied: permission denied"));

    ChannelConfig small = withOrdererValue(genesis, "BatchSize",
        BatchSize.newBuilder().setMaxMessageCount(10).setAbsoluteMaxBytes(1000).setPreferredMaxBytes(500).build().toByteString());
    Envelope big = message(sampleOrg, 2000);
    long size = big.getPayload().size() + big.getSignature().size();
    assertThat(processor(small, sampleOrg, CLOCK, true).processNormal(big).verdict())
        .isEqualTo(Verdict.badRequest("message payload is " + size + " bytes and exceeds maximum allowed 1000 bytes"));
  }

  @Test
  void expiredCreatorIsRefusedUnlessExpirationChecksAreOff() {
    // SampleOrg's certificate expires 2027-11-10.
    Clock later = Clock.fixed(Instant.parse("2028-01-01T00:00:00Z"), ZoneOffset.UTC);
    Envelope envelope = message(sampleOrg, 10);
    assertThat(processor(genesis, sampleOrg, later, true).processNormal(envelope).verdict())
        .isEqualTo(Verdict.badRequest("broadcast client identity expired"));
    assertThat(processor(genesis, sampleOrg, later, false).processNormal(envelope).verdict()).isEqualTo(Verdict.SUCCESS);
  }

  @Test
  void configUpdateOfAnOrdererOutsideTheChannelFailsTheFinalChecks() {
    Envelope update = ConfigUpdateEnvelopes.signedUpdate(
        ordererUpdate(genesis, "BatchSize", batchSize(100), null, null), CLOCK.instant(), sampleOrg);
    ConfigResult result = processor(genesis, org3, CLOCK, true).processConfigUpdate(update);
    assertThat(result.verdict()).isEqualTo(new Verdict(Status.FORBIDDEN,
        "config update for existing channel did not pass final checks: implicit policy evaluation failed - 0 "
            + "sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied: "
            + "permission denied"));
    assertThat(result.config()).isEmpty();
    assertThat(result.configSequence()).isZero();
  }

  @Test
  void configUpdateMadeHereIsAcceptedLikeFabricsOwn() throws Exception {
    Envelope update = ConfigUpdateEnvelopes.signedUpdate(
        ordererUpdate(genesis, "BatchSize", batchSize(100), null, null), CLOCK.instant(), sampleOrg);
    ConfigResult result = processor(genesis, sampleOrg, CLOCK, true).processConfigUpdate(update);
    assertThat(result.verdict()).isEqualTo(Verdict.SUCCESS);
    // Same change as vector 2: the same config as Fabric's block 1.
    assertThat(configEnvelopeOf(result.config().orElseThrow()).getConfig())
        .isEqualTo(configEnvelopeOf(Envelope.parseFrom(block("cfgchan-1.block").getData().getData(0))).getConfig());
  }

  @Test
  void configIsRevalidatedAgainstTheCurrentConfig() throws Exception {
    AtomicReference<ChannelConfig> current = new AtomicReference<>(genesis);
    MessageProcessor processor = new MessageProcessor("cfgchan", current::get, sampleOrg, CLOCK, true);
    ConfigResult first = processor.processConfigUpdate(envelope("config-update-batchsize.env"));
    Envelope config = first.config().orElseThrow();

    ConfigResult same = processor.processConfig(config);
    assertThat(same.verdict()).isEqualTo(Verdict.SUCCESS);
    assertThat(configEnvelopeOf(same.config().orElseThrow()).getConfig()).isEqualTo(configEnvelopeOf(config).getConfig());

    current.set(first.newConfig().orElseThrow()); // the config moved on before this one was ordered
    assertThat(processor.processConfig(config).verdict()).isEqualTo(Verdict.badRequest(
        "error applying config update to existing channel 'cfgchan': error authorizing update: error validating "
            + "DeltaSet: attempt to set key [Value]  /Channel/Orderer/BatchSize to version 1, but key is at version 1"));

    assertThat(processor.processConfig(envelope("config-update-batchsize.env")).verdict())
        .isEqualTo(Verdict.badRequest("invalid type CONFIG_UPDATE, expected CONFIG"));
  }

  @Test
  void validateChecksSequenceAndResult() throws Exception {
    ConfigTxValidator validator = new ConfigTxValidator(genesis);
    ConfigEnvelope fabrics = configEnvelopeOf(Envelope.parseFrom(block("cfgchan-1.block").getData().getData(0)));
    validator.validate(fabrics);

    ConfigEnvelope skipped = fabrics.toBuilder().setConfig(fabrics.getConfig().toBuilder().setSequence(3)).build();
    assertThatThrownBy(() -> validator.validate(skipped)).isInstanceOf(ConfigUpdateException.class)
        .hasMessage("config currently at sequence 1, cannot validate config at sequence 3");

    Config.Builder tampered = fabrics.getConfig().toBuilder();
    ConfigGroup.Builder orderer = tampered.getChannelGroupBuilder().getGroupsOrThrow("Orderer").toBuilder();
    orderer.putValues("BatchSize", orderer.getValuesOrThrow("BatchSize").toBuilder().setValue(batchSize(101)).build());
    tampered.getChannelGroupBuilder().putGroups("Orderer", orderer.build());
    assertThatThrownBy(() -> validator.validate(fabrics.toBuilder().setConfig(tampered).build()))
        .hasMessage("ConfigEnvelope LastUpdate did not produce the supplied config result");

    assertThatThrownBy(() -> validator.validate(fabrics.toBuilder().clearConfig().build()))
        .hasMessage("config envelope has nil config");
    assertThatThrownBy(() -> new ConfigTxValidator(ChannelConfig.fromConfigBlock(block("cfgchan-1.block"))).validate(fabrics))
        .hasMessage("config currently at sequence 2, cannot validate config at sequence 2");
  }

  @Test
  void maintenanceFilterRulesConsensusTypeChanges() {
    ChannelConfig inMaintenance = maintenance(genesis);
    ByteString etcdraft = ConsensusType.newBuilder().setType("etcdraft")
        .setState(ConsensusType.State.STATE_MAINTENANCE).build().toByteString();
    // Leaving maintenance together with another change is refused.
    ByteString normal = ConsensusType.newBuilder().setType("solo").setState(ConsensusType.State.STATE_NORMAL)
        .build().toByteString();
    Envelope exitWithBatchSize = ConfigUpdateEnvelopes.signedUpdate(
        ordererUpdate(inMaintenance, "ConsensusType", normal, "BatchSize", batchSize(7)), CLOCK.instant(), sampleOrg);
    assertThat(processor(inMaintenance, sampleOrg, CLOCK, true).processConfigUpdate(exitWithBatchSize).verdict())
        .isEqualTo(Verdict.badRequest("config update for existing channel did not pass maintenance checks: config "
            + "transaction inspection failed: config update contain more then just the ConsensusType value in the "
            + "Orderer group"));
    // A type change to etcdraft in maintenance mode passes the filter.
    Envelope toRaft = ConfigUpdateEnvelopes.signedUpdate(
        ordererUpdate(inMaintenance, "ConsensusType", etcdraft, null, null), CLOCK.instant(), sampleOrg);
    ConfigResult migrated = processor(inMaintenance, sampleOrg, CLOCK, true).processConfigUpdate(toRaft);
    assertThat(migrated.verdict()).isEqualTo(Verdict.SUCCESS);
    assertThat(migrated.newConfig().orElseThrow().orderer().orElseThrow().consensusType().type()).isEqualTo("etcdraft");
    // Outside maintenance the same change is refused (vector 15's rule, with the state kept).
    Envelope toRaftNormal = ConfigUpdateEnvelopes.signedUpdate(ordererUpdate(genesis, "ConsensusType",
        ConsensusType.newBuilder().setType("etcdraft").build().toByteString(), null, null), CLOCK.instant(), sampleOrg);
    assertThat(processor(genesis, sampleOrg, CLOCK, true).processConfigUpdate(toRaftNormal).verdict())
        .isEqualTo(Verdict.badRequest("config update for existing channel did not pass maintenance checks: config "
            + "transaction inspection failed: attempted to change consensus type from solo to etcdraft, but current "
            + "config ConsensusType.State is not in maintenance mode"));
  }

  @Test
  void invalidResultingConfigsGiveFabricsBundleTexts() {
    Envelope zero = ConfigUpdateEnvelopes.signedUpdate(
        ordererUpdate(genesis, "BatchSize", BatchSize.newBuilder().setMaxMessageCount(10).setAbsoluteMaxBytes(100)
            .setPreferredMaxBytes(200).build().toByteString(), null, null), CLOCK.instant(), sampleOrg);
    assertThat(processor(genesis, sampleOrg, CLOCK, true).processConfigUpdate(zero).verdict())
        .isEqualTo(Verdict.badRequest("error applying config update to existing channel 'cfgchan': initializing "
            + "channelconfig failed: could not create channel Orderer sub-group config: Attempted to set the batch size "
            + "preferred max bytes (200) greater than the absolute max bytes (100)."));
  }

  @Test
  void aValueTheGroupDoesNotDefineIsRefusedAsFabricDeserializes() {
    // As compute_update writes an added value: the whole group in the read set, the group at the
    // next version with the new value in the write set (the group's mod_policy rules the addition).
    ConfigGroup orderer = genesis.config().getChannelGroup().getGroupsOrThrow("Orderer");
    ConfigGroup written = orderer.toBuilder().setVersion(orderer.getVersion() + 1)
        .putValues("Foo", ConfigValue.newBuilder().setModPolicy("Admins").setValue(ByteString.copyFromUtf8("x")).build())
        .build();
    ConfigUpdate update = ConfigUpdate.newBuilder().setChannelId("cfgchan")
        .setReadSet(ConfigGroup.newBuilder().putGroups("Orderer", orderer))
        .setWriteSet(ConfigGroup.newBuilder().putGroups("Orderer", written))
        .build();
    assertThat(processor(genesis, sampleOrg, CLOCK, true)
        .processConfigUpdate(ConfigUpdateEnvelopes.signedUpdate(update, CLOCK.instant(), sampleOrg)).verdict())
        .isEqualTo(Verdict.badRequest("error applying config update to existing channel 'cfgchan': initializing "
            + "channelconfig failed: could not create channel Orderer sub-group config: failed to deserialize values: "
            + "Unexpected key Foo"));
  }

  @Test
  void anMspThatDoesNotSetUpIsRefusedWithFabricsBundleWrapping() throws Exception {
    LocalSigner org2 = LocalSigner.load(dir().resolve(
        "setup/crypto/peerOrganizations/org2.example.com/users/Admin@org2.example.com/msp"), "Org2MSP");
    ConfigGroup org2Group = genesis.config().getChannelGroup().getGroupsOrThrow("Application").getGroupsOrThrow("Org2");
    ConfigValue mspValue = org2Group.getValuesOrThrow("MSP");
    org.hyperledger.fabric.protos.msp.MSPConfig msp = org.hyperledger.fabric.protos.msp.MSPConfig.parseFrom(mspValue.getValue());
    org.hyperledger.fabric.protos.msp.FabricMSPConfig fabric =
        org.hyperledger.fabric.protos.msp.FabricMSPConfig.parseFrom(msp.getConfig());
    // The admin's own certificate as the root CA: not a CA certificate.
    org.hyperledger.fabric.protos.msp.FabricMSPConfig broken = fabric.toBuilder()
        .clearRootCerts().addRootCerts(fabric.getAdmins(0)).build();
    ConfigValue newMsp = mspValue.toBuilder().setVersion(mspValue.getVersion() + 1)
        .setValue(msp.toBuilder().setConfig(broken.toByteString()).build().toByteString()).build();
    long application = genesis.config().getChannelGroup().getGroupsOrThrow("Application").getVersion();
    ConfigGroup read = ConfigGroup.newBuilder().putGroups("Application", ConfigGroup.newBuilder().setVersion(application)
        .putGroups("Org2", ConfigGroup.getDefaultInstance()).build()).build();
    ConfigGroup write = ConfigGroup.newBuilder().putGroups("Application", ConfigGroup.newBuilder().setVersion(application)
        .putGroups("Org2", ConfigGroup.newBuilder().putValues("MSP", newMsp).build()).build()).build();
    ConfigUpdate update = ConfigUpdate.newBuilder().setChannelId("cfgchan").setReadSet(read).setWriteSet(write).build();

    Verdict verdict = processor(genesis, sampleOrg, CLOCK, true)
        .processConfigUpdate(ConfigUpdateEnvelopes.signedUpdate(update, CLOCK.instant(), org2)).verdict();
    assertThat(verdict.status()).isEqualTo(Status.BAD_REQUEST);
    // Fabric's wrapping (NewBundle, NewChannelConfig, MSPConfigHandler.ProposeMSP); the MSP's own
    // reason after it is FabricMsp's text.
    assertThat(verdict.info()).startsWith("error applying config update to existing channel 'cfgchan': initializing "
        + "channelconfig failed: could not create channel Application sub-group config: setting up the MSP manager "
        + "failed: CA Certificate");
  }

  @Test
  void signconfigtxAddsOneSignatureAndRewraps() throws Exception {
    Envelope once = envelope("config-update-batchsize.env");
    Envelope twice = ConfigUpdateEnvelopes.signConfigTx(once, org3, CLOCK.instant());
    org.hyperledger.fabric.protos.common.Payload payload =
        org.hyperledger.fabric.protos.common.Payload.parseFrom(twice.getPayload());
    org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope before =
        org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope.parseFrom(
            org.hyperledger.fabric.protos.common.Payload.parseFrom(once.getPayload()).getData());
    org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope after =
        org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope.parseFrom(payload.getData());
    assertThat(after.getConfigUpdate()).isEqualTo(before.getConfigUpdate());
    assertThat(after.getSignaturesList()).startsWith(before.getSignaturesList().toArray(
        new org.hyperledger.fabric.protos.common.ConfigSignature[0]));
    assertThat(after.getSignaturesCount()).isEqualTo(before.getSignaturesCount() + 1);
    ChannelHeader header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
    assertThat(header.getType()).isEqualTo(HeaderType.CONFIG_UPDATE_VALUE);
    assertThat(header.getChannelId()).isEqualTo("cfgchan");
    assertThat(header.getTxId()).isEmpty();
    assertThat(header.getTimestamp().getNanos()).isZero();
    assertThatThrownBy(() -> ConfigUpdateEnvelopes.signConfigTx(message(sampleOrg, 1), sampleOrg, CLOCK.instant()))
        .hasMessage("Invalid channel create transaction : bad type");
  }
}
