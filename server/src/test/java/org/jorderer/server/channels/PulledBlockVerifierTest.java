package org.jorderer.server.channels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.Metadata;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blocks pulled from another orderer are checked before they are kept: number, link, data, signatures. */
class PulledBlockVerifierTest {
  @TempDir
  Path data;

  @Test
  void acceptsTheChannelsOwnBlocksAndRefusesAlteredOnes() {
    try (TestOrderer source = new TestOrderer(data)) {
      ServedChannel channel = source.withSampleOrgChannel(6);
      var ledger = channel.ledger();

      // From nothing: the genesis block first, then each block under the config in force.
      PulledBlockVerifier fromScratch = new PulledBlockVerifier("sampleorg", null, null, TestOrderer.SIGNER.crypto());
      for (long n = 0; n < ledger.height(); n++) {
        fromScratch.verify(ledger.readBlock(n));
      }
      assertThat(fromScratch.next()).isEqualTo(ledger.height());
      assertThat(fromScratch.config().channelId()).isEqualTo("sampleorg");

      Block anchor = ledger.readBlock(2);
      ChannelConfig config = ChannelConfig.fromConfigBlock(ledger.readBlock(0), TestOrderer.SIGNER.crypto());
      Block next = ledger.readBlock(3);

      assertThatThrownBy(() -> verifier(anchor, config).verify(ledger.readBlock(4)))
          .hasMessageContaining("expected block 3 but received 4");
      Block relinked = next.toBuilder().setHeader(next.getHeader().toBuilder()
          .setPreviousHash(ByteString.copyFromUtf8("another chain"))).build();
      assertThatThrownBy(() -> verifier(anchor, config).verify(relinked))
          .hasMessageContaining("block 3 does not link to block 2");
      Block otherData = next.toBuilder().setData(next.getData().toBuilder().addData(ByteString.copyFromUtf8("extra")))
          .build();
      assertThatThrownBy(() -> verifier(anchor, config).verify(otherData))
          .hasMessageContaining("data hash");
      Block unsigned = next.toBuilder().setMetadata(next.getMetadata().toBuilder()
          .setMetadata(BlockMetadataIndex.SIGNATURES_VALUE, Metadata.getDefaultInstance().toByteString())).build();
      assertThatThrownBy(() -> verifier(anchor, config).verify(unsigned))
          .hasMessageContaining("block 3 failed verification");

      PulledBlockVerifier verifier = verifier(anchor, config);
      verifier.verify(next);
      assertThat(verifier.next()).isEqualTo(4);
    }
  }

  private static PulledBlockVerifier verifier(Block anchor, ChannelConfig config) {
    return new PulledBlockVerifier("sampleorg", anchor, config, TestOrderer.SIGNER.crypto());
  }
}
