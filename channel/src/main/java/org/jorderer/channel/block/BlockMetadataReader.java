package org.jorderer.channel.block;

import com.google.protobuf.InvalidProtocolBufferException;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.LastConfig;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;

/** Reads the metadata slots the orderer writes (Fabric's blockwriter.go commitBlock). */
public final class BlockMetadataReader {
  private BlockMetadataReader() {}

  /**
   * Fabric's {@code GetLastConfigIndexFromBlock}: the last-config index from the SIGNATURES slot's
   * OrdererBlockMetadata, or, for blocks of orderers before v1.4.1 whose SIGNATURES value is empty,
   * from the LAST_CONFIG slot.
   *
   * @throws IllegalArgumentException when the slots cannot be read
   */
  public static long lastConfigIndex(Block block) {
    Metadata signatures = metadata(block, BlockMetadataIndex.SIGNATURES_VALUE);
    try {
      if (signatures.getValue().isEmpty()) {
        Metadata lastConfig = metadata(block, BlockMetadataIndex.LAST_CONFIG_VALUE);
        return LastConfig.parseFrom(lastConfig.getValue()).getIndex();
      }
      return OrdererBlockMetadata.parseFrom(signatures.getValue()).getLastConfig().getIndex();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("block " + block.getHeader().getNumber()
          + ": failed to unmarshal orderer block metadata: " + e.getMessage(), e);
    }
  }

  /** The consenter metadata the orderer stored in the SIGNATURES slot (empty for solo). */
  public static com.google.protobuf.ByteString consenterMetadata(Block block) {
    Metadata signatures = metadata(block, BlockMetadataIndex.SIGNATURES_VALUE);
    try {
      OrdererBlockMetadata orderer = OrdererBlockMetadata.parseFrom(signatures.getValue());
      return Metadata.parseFrom(orderer.getConsenterMetadata()).getValue();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("block " + block.getHeader().getNumber()
          + ": failed to unmarshal orderer block metadata: " + e.getMessage(), e);
    }
  }

  /** The {@code Metadata} message in slot {@code index}. */
  public static Metadata metadata(Block block, int index) {
    if (block.getMetadata().getMetadataCount() <= index) {
      throw new IllegalArgumentException("block " + block.getHeader().getNumber() + " has no metadata slot " + index);
    }
    try {
      return Metadata.parseFrom(block.getMetadata().getMetadata(index));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("block " + block.getHeader().getNumber()
          + ": metadata slot " + index + " is not a Metadata message: " + e.getMessage(), e);
    }
  }
}
