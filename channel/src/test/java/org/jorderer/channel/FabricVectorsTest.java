package org.jorderer.channel;

import org.jorderer.channel.support.BroadcastRules;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.channel.block.BlockHashes;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;
import org.jorderer.channel.support.Vectors;
import org.jorderer.ledger.BlockHeaderHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Decisions on the bytes Fabric v2.4.9 produced: they must come out as Fabric's did. */
class FabricVectorsTest {
  private static final ChannelConfig VECTORS = ChannelConfig.fromConfigBlock(Vectors.block("vectors-0.block"));

  @ParameterizedTest
  @ValueSource(strings = {
      "vectors-0.block",
      "appchannel-insecure-solo-genesis.block",
      "sampleorg-solo-genesis.block",
      "system-channel-devmode-solo-genesis.block"})
  void everyGenesisBlockParses(String name) {
    ChannelConfig config = ChannelConfig.fromConfigBlock(Vectors.block(name));

    assertThat(config.hashingAlgorithm().name()).isEqualTo("SHA256");
    assertThat(config.blockDataHashingStructure().width()).isEqualTo(0xffffffffL);
    assertThat(config.capabilities().has("V2_0")).isTrue();
    OrdererConfig orderer = config.orderer().orElseThrow();
    assertThat(orderer.consensusType().type()).isEqualTo("solo");
    assertThat(orderer.batchSize().maxMessageCount()).isEqualTo(500);
    assertThat(config.policies().get(PolicyTree.CHANNEL_READERS)).isPresent();
    assertThat(config.policies().get(PolicyTree.BLOCK_VALIDATION)).isPresent();
  }

  @Test
  void vectorsGenesisHasTheSampleSingleMspChannelValues() {
    assertThat(VECTORS.channelId()).isEqualTo("vectors");
    assertThat(VECTORS.sequence()).isEqualTo(1);
    OrdererConfig orderer = VECTORS.orderer().orElseThrow();
    assertThat(orderer.batchSize().maxMessageCount()).isEqualTo(500);
    assertThat(orderer.batchSize().absoluteMaxBytes()).isEqualTo(10 * 1024 * 1024);
    assertThat(orderer.batchSize().preferredMaxBytes()).isEqualTo(2 * 1024 * 1024);
    assertThat(orderer.batchTimeout().text()).isEqualTo("2s");
    assertThat(orderer.batchTimeout().duration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(orderer.consensusType().type()).isEqualTo("solo");
    assertThat(orderer.consensusType().state()).isEqualTo(ConsensusType.State.NORMAL);
    assertThat(orderer.channelRestrictions().orElseThrow().maxCount()).isZero();
    assertThat(orderer.capabilities().ordererExpirationCheck()).isTrue();
    assertThat(orderer.organizations()).containsOnlyKeys("SampleOrg");
    assertThat(orderer.organizations().get("SampleOrg").endpoints()).containsExactly("127.0.0.1:7050");
    assertThat(orderer.organizations().get("SampleOrg").mspId()).isEqualTo("SampleOrg");
    assertThat(VECTORS.application().orElseThrow().organizations()).containsOnlyKeys("SampleOrg");
    assertThat(VECTORS.consortium()).contains("SampleConsortium");
    assertThat(VECTORS.msps().msps()).containsOnlyKeys("SampleOrg");
    assertThat(VECTORS.msps().msp("SampleOrg").orElseThrow().rootCertificates()).hasSize(1);
    assertThat(VECTORS.policies().paths()).contains(
        "/Channel/Readers", "/Channel/Writers", "/Channel/Admins",
        "/Channel/Orderer/BlockValidation", "/Channel/Orderer/SampleOrg/Writers",
        "/Channel/Application/Writers", "/Channel/Application/SampleOrg/Admins");
  }

  @Test
  void systemChannelListsItsConsortium() {
    ChannelConfig system = ChannelConfig.fromConfigBlock(Vectors.block("system-channel-devmode-solo-genesis.block"));

    assertThat(system.consortiums()).containsOnlyKeys("SampleConsortium");
    assertThat(system.consortiums().get("SampleConsortium").organizations()).containsOnlyKeys("SampleOrg");
    assertThat(system.application()).isPresent();
  }

  @Test
  void broadcastMessageSatisfiesChannelWriters() {
    Envelope envelope = Vectors.envelope("broadcast-vectors-message.env");

    PolicyResult result = VECTORS.evaluate(PolicyTree.CHANNEL_WRITERS, SignedData.fromEnvelope(envelope));

    assertThat(result.satisfied()).as(result.reason()).isTrue();
    assertThat(BroadcastRules.verdict(VECTORS, envelope, Instant.parse("2026-11-26T00:00:00Z")).accepted()).isTrue();
  }

  @Test
  void broadcastMessageWithBadSignatureFailsWithFabricsReason() {
    Envelope envelope = Vectors.envelope("broadcast-vectors-message-badsig.env");

    PolicyResult result = VECTORS.evaluate(PolicyTree.CHANNEL_WRITERS, SignedData.fromEnvelope(envelope));
    org.jorderer.channel.processor.Verdict verdict = BroadcastRules.verdict(VECTORS, envelope, Instant.parse("2026-11-26T00:00:00Z"));

    assertThat(result.satisfied()).isFalse();
    assertThat(result.reason()).isEqualTo("implicit policy evaluation failed - 0 sub-policies were satisfied, "
        + "but this policy requires 1 of the 'Writers' sub-policies to be satisfied");
    assertThat(verdict.status()).isEqualTo(org.hyperledger.fabric.protos.common.Status.FORBIDDEN);
    assertThat(verdict.info()).isEqualTo("implicit policy evaluation failed - 0 sub-policies were satisfied, "
        + "but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied");
  }

  @Test
  void everySeekEnvelopeSatisfiesChannelReaders() throws IOException {
    List<Path> seeks;
    try (Stream<Path> files = Files.list(Vectors.root().resolve("envelopes"))) {
      seeks = files.filter(p -> p.getFileName().toString().startsWith("seek-")).sorted().toList();
    }
    assertThat(seeks).hasSize(6);
    for (Path seek : seeks) {
      Envelope envelope = Envelope.parseFrom(Files.readAllBytes(seek));
      PolicyResult result = VECTORS.evaluate(PolicyTree.CHANNEL_READERS, SignedData.fromEnvelope(envelope));
      assertThat(result.satisfied()).as(seek.getFileName() + ": " + result.reason()).isTrue();
      assertThat(EnvelopeChecks.deliver(VECTORS, envelope).accepted()).isTrue();
    }
  }

  @Test
  void ordererSignaturesOnFabricBlocksVerify() {
    for (String name : List.of("vectors-1.block", "vectors-2.block")) {
      Block block = Vectors.block(name);
      PolicyResult result = BlockSignatureVerifier.verify(block, VECTORS);
      assertThat(result.satisfied()).as(name + ": " + result.reason()).isTrue();
      assertThat(BlockMetadataReader.lastConfigIndex(block)).isZero();
    }
  }

  @Test
  void tamperedFabricBlockFailsVerification() {
    Block block = Vectors.block("vectors-2.block");
    Block otherNumber = block.toBuilder().setHeader(block.getHeader().toBuilder().setNumber(3)).build();

    PolicyResult result = BlockSignatureVerifier.verify(otherNumber, VECTORS);

    assertThat(result.satisfied()).isFalse();
    assertThat(result.reason()).startsWith("implicit policy evaluation failed - 0 sub-policies were satisfied");
  }

  @Test
  void blockBuilderReproducesFabricsHashes() throws IOException {
    Block genesis = Vectors.block("vectors-0.block");
    Block one = Vectors.block("vectors-1.block");
    Block two = Vectors.block("vectors-2.block");
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    BlockBuilder builder = new BlockBuilder(genesis, VECTORS.sequence(), signer);

    Block ourOne = builder.createNextBlock(envelopes(one));
    assertThat(ourOne.getHeader()).isEqualTo(one.getHeader());
    Block committedOne = builder.commit(ourOne, VECTORS.sequence(), ByteString.EMPTY);
    Block ourTwo = builder.createNextBlock(envelopes(two));

    assertThat(ourTwo.getHeader()).isEqualTo(two.getHeader());
    assertThat(Base64.getEncoder().encodeToString(ourTwo.getHeader().getDataHash().toByteArray()))
        .isEqualTo("ZMJyyJ/GIkG9ssquPuSuWTHAuY3QDWxh2iBIL5A7EBY=");
    assertThat(Base64.getEncoder().encodeToString(ourTwo.getHeader().getPreviousHash().toByteArray()))
        .isEqualTo("h0+dFoKMZ2unr4k9cVVGUrvEoxaTgces/zLJjR/4w+s=");
    assertThat(BlockHeaderHash.of(committedOne.getHeader())).isEqualTo(BlockHeaderHash.of(one.getHeader()));
    assertThat(ByteString.copyFrom(BlockHashes.dataHash(two.getData()))).isEqualTo(two.getHeader().getDataHash());
  }

  @Test
  void blockWeSignWithTheSampleMspVerifiesLikeFabrics() throws IOException {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    Block two = Vectors.block("vectors-2.block");
    BlockBuilder builder = new BlockBuilder(two, VECTORS.sequence(), signer);

    Block three = builder.commit(builder.createNextBlock(envelopes(two)), VECTORS.sequence(), ByteString.EMPTY);

    assertThat(three.getHeader().getNumber()).isEqualTo(3);
    assertThat(three.getMetadata().getMetadataCount()).isEqualTo(5);
    assertThat(BlockSignatureVerifier.verify(three, VECTORS).satisfied()).isTrue();
    assertThat(BlockMetadataReader.lastConfigIndex(three)).isZero();
    // Same creator bytes as the Fabric orderer put into its own signatures.
    assertThat(BlockSignatureVerifier.signedData(three).get(0).identity())
        .isEqualTo(BlockSignatureVerifier.signedData(two).get(0).identity());
    // Same metadata layout as Fabric's block 2, except for nonce and signature.
    assertThat(three.getMetadata().getMetadata(1)).isEqualTo(two.getMetadata().getMetadata(1));
    assertThat(three.getMetadata().getMetadata(2)).isEqualTo(two.getMetadata().getMetadata(2));
  }

  private static List<Envelope> envelopes(Block block) throws IOException {
    List<Envelope> out = new ArrayList<>();
    for (ByteString data : block.getData().getDataList()) {
      out.add(Envelope.parseFrom(data));
    }
    return out;
  }
}
