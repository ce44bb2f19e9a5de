package org.jorderer.channel.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.HexFormat;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.LastConfig;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.support.Vectors;
import org.jorderer.ledger.BlockHeaderHash;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * BlockWriter behaviour of Fabric's {@code multichannel/blockwriter.go} CreateNextBlock/commitBlock
 * (its blockwriter_test.go TestCreateBlock, TestBlockSignature, TestBlockLastConfig,
 * TestRaceWriteConfig).
 */
class BlockBuilderTest {
  private static final ChannelConfig VECTORS = ChannelConfig.fromConfigBlock(Vectors.block("vectors-0.block"));
  private LocalSigner signer;
  private Block genesis;

  @BeforeEach
  void load() throws Exception {
    signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    genesis = Vectors.block("vectors-0.block");
  }

  private static List<Envelope> oneEnvelope() {
    return List.of(Vectors.envelope("broadcast-vectors-message.env"));
  }

  @Test
  void dataHashIsShaOfConcatenatedEnvelopes() {
    Block block = BlockHashes.newBlock(0, ByteString.EMPTY).toBuilder()
        .setData(org.hyperledger.fabric.protos.common.BlockData.newBuilder()
            .addData(ByteString.copyFromUtf8("a")).addData(ByteString.copyFromUtf8("b")))
        .build();

    assertThat(HexFormat.of().formatHex(BlockHashes.dataHash(block.getData())))
        .isEqualTo("fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603");
    assertThat(HexFormat.of().formatHex(BlockHashes.dataHash(org.hyperledger.fabric.protos.common.BlockData.getDefaultInstance())))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assertThat(BlockHashes.newBlock(9, ByteString.EMPTY).getMetadata().getMetadataList())
        .containsExactly(ByteString.EMPTY, ByteString.EMPTY, ByteString.EMPTY, ByteString.EMPTY, ByteString.EMPTY);
  }

  @Test
  void createNextBlockFollowsTheLastCommittedBlockAndDoesNotAdvance() {
    BlockBuilder builder = new BlockBuilder(genesis, 1, signer);

    Block first = builder.createNextBlock(oneEnvelope());
    Block again = builder.createNextBlock(oneEnvelope());

    assertThat(first.getHeader().getNumber()).isEqualTo(1);
    assertThat(again.getHeader()).isEqualTo(first.getHeader());
    assertThat(first.getHeader().getPreviousHash().toByteArray()).isEqualTo(BlockHeaderHash.of(genesis.getHeader()));
    assertThat(first.getData().getData(0)).isEqualTo(oneEnvelope().get(0).toByteString());
  }

  @Test
  void commitWritesSignedOrdererMetadataWithConsenterMetadata() throws Exception {
    BlockBuilder builder = new BlockBuilder(genesis, 1, signer);

    Block committed = builder.commit(builder.createNextBlock(oneEnvelope()), 1, ByteString.copyFromUtf8("bar"));

    Metadata signatures = Metadata.parseFrom(committed.getMetadata().getMetadata(0));
    assertThat(signatures.getValue()).isEqualTo(OrdererBlockMetadata.newBuilder()
        .setLastConfig(LastConfig.newBuilder().setIndex(0))
        .setConsenterMetadata(Metadata.newBuilder().setValue(ByteString.copyFromUtf8("bar")).build().toByteString())
        .build().toByteString());
    assertThat(signatures.getSignaturesList()).hasSize(1);
    SignatureHeader header = SignatureHeader.parseFrom(signatures.getSignatures(0).getSignatureHeader());
    assertThat(header.getNonce().size()).isEqualTo(24);
    assertThat(header.getCreator()).isEqualTo(signer.serializedIdentity());
    assertThat(BlockMetadataReader.consenterMetadata(committed).toStringUtf8()).isEqualTo("bar");
    assertThat(committed.getMetadata().getMetadataCount()).isEqualTo(5);
    assertThat(committed.getMetadata().getMetadata(2)).isEmpty();
    assertThat(committed.getMetadata().getMetadata(3)).isEmpty();
    assertThat(committed.getMetadata().getMetadata(4)).isEmpty();
    assertThat(BlockSignatureVerifier.verify(committed, VECTORS).satisfied()).isTrue();
  }

  @Test
  void withoutConsenterMetadataTheValueIsFabricsTwoBytes() throws Exception {
    BlockBuilder builder = new BlockBuilder(genesis, 1, signer);

    Block committed = builder.commit(builder.createNextBlock(oneEnvelope()), 1, ByteString.EMPTY);

    assertThat(Metadata.parseFrom(committed.getMetadata().getMetadata(0)).getValue().toByteArray())
        .containsExactly(0x0a, 0x00);
    assertThat(committed.getMetadata().getMetadata(1)).isEmpty();
  }

  @Test
  void configBlocksRecordThemselvesAsLastConfig() {
    BlockBuilder builder = new BlockBuilder(genesis, 1, signer);

    Block one = builder.commit(builder.createNextBlock(oneEnvelope()), 1, ByteString.EMPTY);
    Block two = builder.commit(builder.createNextBlock(oneEnvelope()), 2, ByteString.EMPTY);
    Block three = builder.commit(builder.createNextBlock(oneEnvelope()), 3, ByteString.EMPTY);
    Block four = builder.commit(builder.createNextBlock(oneEnvelope()), 3, ByteString.EMPTY);

    assertThat(BlockMetadataReader.lastConfigIndex(one)).isZero();
    assertThat(BlockMetadataReader.lastConfigIndex(two)).isEqualTo(2);
    assertThat(BlockMetadataReader.lastConfigIndex(three)).isEqualTo(3);
    assertThat(BlockMetadataReader.lastConfigIndex(four)).isEqualTo(3);
    assertThat(builder.lastConfigBlockNumber()).isEqualTo(3);
    assertThat(builder.lastConfigSequence()).isEqualTo(3);
    assertThat(four.getHeader().getPreviousHash().toByteArray()).isEqualTo(BlockHeaderHash.of(three.getHeader()));
    // The LAST_CONFIG slot carries the same index (deprecated, still written).
    assertThat(BlockMetadataReader.metadata(four, 1).getValue())
        .isEqualTo(LastConfig.newBuilder().setIndex(3).build().toByteString());
    // A builder restarted on block 4 picks the last config up from the block's metadata.
    assertThat(new BlockBuilder(four, 3, signer).lastConfigBlockNumber()).isEqualTo(3);
  }

  @Test
  void commitRefusesABlockThatDoesNotFollow() {
    BlockBuilder builder = new BlockBuilder(genesis, 1, signer);
    Block one = builder.createNextBlock(oneEnvelope());
    builder.commit(one, 1, ByteString.EMPTY);

    assertThatThrownBy(() -> builder.commit(one, 1, ByteString.EMPTY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("block 1 does not follow the last block 1");
  }

  @Test
  void blockWithWrongDataHashOrNoSignatureFailsVerification() {
    BlockBuilder builder = new BlockBuilder(genesis, 1, signer);
    Block committed = builder.commit(builder.createNextBlock(oneEnvelope()), 1, ByteString.EMPTY);
    Block extraData = committed.toBuilder().setData(committed.getData().toBuilder().addData(ByteString.copyFromUtf8("x"))).build();
    Block unsigned = builder.createNextBlock(oneEnvelope());

    assertThat(BlockSignatureVerifier.verify(extraData, VECTORS).reason())
        .isEqualTo("Header.DataHash is different from Hash(block.Data) for block with id [1]");
    assertThat(BlockSignatureVerifier.verify(unsigned, VECTORS).reason()).isEqualTo("implicit policy evaluation failed - "
        + "0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied");
  }
}
