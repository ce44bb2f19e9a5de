package org.jorderer.server.channels;

import java.security.MessageDigest;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockHashes;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.ledger.BlockHeaderHash;

/**
 * Checks blocks pulled from other orderers, in order, before they are kept (Fabric's
 * {@code VerifyBlocks} and {@code VerifyBlockHash} in orderer/common/cluster/util.go): each must be
 * the next number, link to the block before it by its previous hash, carry the hash of its own
 * data, and (above the genesis block) be signed as the channel's BlockValidation policy of the
 * config in force requires. A config block switches that config for the blocks after it.
 */
final class PulledBlockVerifier {
  private final String channelId;
  private final CryptoProvider crypto;
  private long next;
  private byte[] previousHash;
  private ChannelConfig config;

  /**
   * @param last the newest block already held, which the pulled blocks extend (null: none, the
   *     first block pulled is the genesis block)
   * @param config the config in force after {@code last} (null with {@code last} null)
   */
  PulledBlockVerifier(String channelId, Block last, ChannelConfig config, CryptoProvider crypto) {
    this.channelId = channelId;
    this.crypto = crypto;
    this.next = last == null ? 0 : last.getHeader().getNumber() + 1;
    this.previousHash = last == null ? new byte[0] : BlockHeaderHash.of(last.getHeader());
    this.config = config;
  }

  /** The number the next block must have. */
  long next() {
    return next;
  }

  /** The config in force for the next block (null before the genesis block). */
  ChannelConfig config() {
    return config;
  }

  /**
   * Checks {@code block} as the next one and moves past it.
   *
   * @throws IllegalStateException naming what is wrong with the block
   */
  void verify(Block block) {
    long number = block.getHeader().getNumber();
    if (number != next) {
      throw new IllegalStateException("expected block " + next + " but received " + number);
    }
    if (!MessageDigest.isEqual(previousHash, block.getHeader().getPreviousHash().toByteArray())) {
      throw new IllegalStateException("block " + number + " does not link to block " + (number - 1)
          + " (its previous hash differs)");
    }
    if (!MessageDigest.isEqual(BlockHashes.dataHash(block.getData()), block.getHeader().getDataHash().toByteArray())) {
      throw new IllegalStateException("block " + number + " carries a data hash that is not that of its data");
    }
    if (number > 0) {
      PolicyResult verified = BlockSignatureVerifier.verify(block, config);
      if (!verified.satisfied()) {
        throw new IllegalStateException("block " + number + " failed verification: " + verified.reason());
      }
    }
    if (number == 0 || isConfig(block)) {
      config = ChannelConfig.fromConfigBlock(block, crypto);
    }
    previousHash = BlockHeaderHash.of(block.getHeader());
    next = number + 1;
  }

  /** Whether {@code block} is a config block (its last-config index is itself). */
  static boolean isConfig(Block block) {
    try {
      return BlockMetadataReader.lastConfigIndex(block) == block.getHeader().getNumber();
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "verifier of channel " + channelId + " at block " + next;
  }
}
