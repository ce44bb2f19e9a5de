package org.jorderer.channel.genesis;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockData;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.hyperledger.fabric.protos.common.BlockMetadata;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.LastConfig;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.block.BlockHashes;

/**
 * A channel's genesis block laid out as configtxgen lays it out ({@code common/genesis/genesis.go}):
 * one unsigned CONFIG envelope carrying the config at sequence 0, and the metadata a join block
 * carries.
 */
public final class GenesisBlock {
  private static final SecureRandom RANDOM = new SecureRandom();

  private GenesisBlock() {}

  public static Block of(String channelId, Config config, Instant now) {
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    ChannelHeader channelHeader = ChannelHeader.newBuilder()
        .setType(HeaderType.CONFIG_VALUE)
        .setVersion(1)
        .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
        .setChannelId(channelId)
        .setTxId(txId(nonce))
        .build();
    SignatureHeader signatureHeader = SignatureHeader.newBuilder().setNonce(ByteString.copyFrom(nonce)).build();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setChannelHeader(channelHeader.toByteString())
            .setSignatureHeader(signatureHeader.toByteString()))
        .setData(ConfigEnvelope.newBuilder().setConfig(config.toBuilder().setSequence(0)).build().toByteString())
        .build();
    Envelope envelope = Envelope.newBuilder().setPayload(payload.toByteString()).build();
    BlockData data = BlockData.newBuilder().addData(envelope.toByteString()).build();

    BlockMetadata.Builder metadata = BlockMetadata.newBuilder();
    for (int i = 0; i < BlockHashes.METADATA_SLOTS; i++) {
      metadata.addMetadata(ByteString.EMPTY);
    }
    OrdererBlockMetadata ordererMetadata = OrdererBlockMetadata.newBuilder()
        .setLastConfig(LastConfig.newBuilder().setIndex(0))
        .build();
    metadata.setMetadata(BlockMetadataIndex.SIGNATURES_VALUE,
        Metadata.newBuilder().setValue(ordererMetadata.toByteString()).build().toByteString());
    metadata.setMetadata(BlockMetadataIndex.LAST_CONFIG_VALUE,
        Metadata.newBuilder().setValue(LastConfig.newBuilder().setIndex(0).build().toByteString()).build().toByteString());

    return Block.newBuilder()
        .setHeader(BlockHeader.newBuilder()
            .setNumber(0)
            .setDataHash(ByteString.copyFrom(BlockHashes.dataHash(data))))
        .setData(data)
        .setMetadata(metadata)
        .build();
  }

  /** Fabric's ComputeTxID: hex(SHA-256(nonce || creator)); the genesis creator is empty. */
  private static String txId(byte[] nonce) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(nonce));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
