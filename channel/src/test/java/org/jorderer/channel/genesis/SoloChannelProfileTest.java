package org.jorderer.channel.genesis;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
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
    Block genesis = GenesisBlock.of("demo", profile.config(), Instant.now());

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
