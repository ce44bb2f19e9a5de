package org.jorderer.channel.block;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockData;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.hyperledger.fabric.protos.common.BlockMetadata;

/**
 * Fabric's block templates and data hash ({@code protoutil/blockutils.go} NewBlock, BlockDataHash);
 * the header hash lives in the ledger module.
 */
public final class BlockHashes {
  /** One metadata slot per {@code BlockMetadataIndex} value: SIGNATURES .. COMMIT_HASH. */
  public static final int METADATA_SLOTS = 5;

  private BlockHashes() {}

  /**
   * {@code SHA-256(data[0] || data[1] || ...)}: a flat concatenation, no lengths, no Merkle tree
   * (whatever the proto comment says); SHA-256 of nothing for an empty block.
   */
  public static byte[] dataHash(BlockData data) {
    MessageDigest sha256 = sha256();
    for (ByteString entry : data.getDataList()) {
      sha256.update(entry.asReadOnlyByteBuffer());
    }
    return sha256.digest();
  }

  /** Fabric's {@code NewBlock}: header {number, previous hash}, no data, five empty metadata slots. */
  public static Block newBlock(long number, ByteString previousHash) {
    BlockMetadata.Builder metadata = BlockMetadata.newBuilder();
    for (int i = 0; i < METADATA_SLOTS; i++) {
      metadata.addMetadata(ByteString.EMPTY);
    }
    return Block.newBuilder()
        .setHeader(BlockHeader.newBuilder().setNumber(number).setPreviousHash(previousHash))
        .setData(BlockData.getDefaultInstance())
        .setMetadata(metadata)
        .build();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
