package org.jorderer.server.support;

import com.google.protobuf.InvalidProtocolBufferException;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.BlockMetadata;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.ledger.BlockStore;

/** What the Raft cluster tests read back from a node's channel ledger. */
public final class RaftLedgerBlocks {
  private RaftLedgerBlocks() {}

  /** Normal envelopes in the ledger (genesis and config blocks excluded). */
  public static int normalEnvelopes(BlockStore ledger) {
    int count = 0;
    for (long n = 1; n < ledger.height(); n++) {
      Block block = ledger.readBlock(n);
      if (!isConfig(block)) {
        count += block.getData().getDataCount();
      }
    }
    return count;
  }

  /** All envelopes in the ledger after the genesis block, config envelopes included. */
  public static int envelopesAfterGenesis(BlockStore ledger) {
    int count = 0;
    for (long n = 1; n < ledger.height(); n++) {
      count += ledger.readBlock(n).getData().getDataCount();
    }
    return count;
  }

  /** The ledger's newest config block above the genesis block. */
  public static Block lastConfigBlock(BlockStore ledger) {
    for (long n = ledger.height() - 1; n > 0; n--) {
      Block block = ledger.readBlock(n);
      if (isConfig(block)) {
        return block;
      }
    }
    throw new AssertionError("no config block above genesis");
  }

  /** Whether the block is a config block: its LAST_CONFIG metadata names itself. */
  public static boolean isConfig(Block block) {
    return BlockMetadataReader.lastConfigIndex(block) == block.getHeader().getNumber();
  }

  /** The etcdraft metadata (consenter ids, next id, Raft index) in the block's SIGNATURES metadata. */
  public static BlockMetadata raftMetadata(Block block) throws InvalidProtocolBufferException {
    Metadata signatures = Metadata.parseFrom(block.getMetadata().getMetadata(BlockMetadataIndex.SIGNATURES_VALUE));
    OrdererBlockMetadata orderer = OrdererBlockMetadata.parseFrom(signatures.getValue());
    return BlockMetadata.parseFrom(Metadata.parseFrom(orderer.getConsenterMetadata()).getValue());
  }
}
