package org.jorderer.channel.block;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockData;
import org.hyperledger.fabric.protos.common.BlockMetadata;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.LastConfig;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.MetadataSignature;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockHeaderHash;

/**
 * Creates and signs a channel's next blocks exactly as Fabric's {@code BlockWriter} does
 * ({@code orderer/common/multichannel/blockwriter.go} CreateNextBlock, commitBlock; see
 * docs/channel-config.md §4): previous hash = DER header hash of the last block, data hash over the
 * envelopes, five metadata slots, LAST_CONFIG tracking by config sequence, and the orderer
 * signature over {@code OrdererBlockMetadata || SignatureHeader || header DER} in the SIGNATURES
 * slot.
 *
 * <p>Usage per block: {@link #createNextBlock}, then (after any config change for a config block has
 * been applied) {@link #commit} with the current config sequence. Thread-safe; calls are serialized.
 */
public final class BlockBuilder {
  private static final int NONCE_BYTES = 24;

  private final LocalSigner signer;
  private final SecureRandom random = new SecureRandom();
  private Block lastBlock;
  private long lastConfigBlockNumber;
  private long lastConfigSequence;

  /**
   * @param lastBlock the newest block of the chain (the genesis block on a new channel)
   * @param configSequence the sequence of the config currently in force
   * @param signer the orderer's signing identity
   * @throws IllegalArgumentException when the last block's metadata cannot be read
   */
  public BlockBuilder(Block lastBlock, long configSequence, LocalSigner signer) {
    this.signer = signer;
    this.lastBlock = lastBlock;
    this.lastConfigSequence = configSequence;
    this.lastConfigBlockNumber = lastBlock.getHeader().getNumber() == 0
        ? 0
        : BlockMetadataReader.lastConfigIndex(lastBlock);
  }

  /**
   * Fabric's {@code CreateNextBlock}: number and previous hash follow the last block handed to
   * {@link #commit}; each envelope is re-serialized (canonical field order, as Go does).
   * Metadata slots are empty until {@link #commit}.
   */
  public synchronized Block createNextBlock(List<Envelope> envelopes) {
    BlockData.Builder data = BlockData.newBuilder();
    for (Envelope envelope : envelopes) {
      data.addData(envelope.toByteString());
    }
    return assemble(data.build());
  }

  /** {@link #createNextBlock} for envelopes already serialized (no re-encoding). */
  public synchronized Block createNextBlockFromBytes(List<ByteString> serializedEnvelopes) {
    return assemble(BlockData.newBuilder().addAllData(serializedEnvelopes).build());
  }

  private Block assemble(BlockData data) {
    byte[] previousHash = BlockHeaderHash.of(lastBlock.getHeader());
    Block template = BlockHashes.newBlock(lastBlock.getHeader().getNumber() + 1, ByteString.copyFrom(previousHash));
    return template.toBuilder()
        .setHeader(template.getHeader().toBuilder().setDataHash(ByteString.copyFrom(BlockHashes.dataHash(data))))
        .setData(data)
        .build();
  }

  /**
   * Fabric's {@code commitBlock}: fills LAST_CONFIG and SIGNATURES and makes {@code block} the last
   * block. For a config block, pass the sequence of the config it carries (already applied), so
   * that the block records itself as the last config.
   *
   * @param consenterMetadata consenter bytes stored in OrdererBlockMetadata (empty for solo)
   * @return the signed block, ready to append to the ledger
   */
  public synchronized Block commit(Block block, long configSequence, ByteString consenterMetadata) {
    if (block.getHeader().getNumber() != lastBlock.getHeader().getNumber() + 1) {
      throw new IllegalArgumentException("block " + block.getHeader().getNumber()
          + " does not follow the last block " + lastBlock.getHeader().getNumber());
    }
    if (configSequence > lastConfigSequence) {
      lastConfigBlockNumber = block.getHeader().getNumber();
      lastConfigSequence = configSequence;
    }
    LastConfig lastConfig = LastConfig.newBuilder().setIndex(lastConfigBlockNumber).build();
    ByteString lastConfigSlot = Metadata.newBuilder().setValue(lastConfig.toByteString()).build().toByteString();

    ByteString value = OrdererBlockMetadata.newBuilder()
        .setLastConfig(lastConfig)
        .setConsenterMetadata(Metadata.newBuilder().setValue(consenterMetadata).build().toByteString())
        .build()
        .toByteString();
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    ByteString signatureHeader = SignatureHeader.newBuilder()
        .setCreator(signer.serializedIdentity())
        .setNonce(ByteString.copyFrom(nonce))
        .build()
        .toByteString();
    byte[] signature = signer.sign(signedBytes(value, signatureHeader, BlockHeaderHash.derEncoding(block.getHeader())));
    ByteString signaturesSlot = Metadata.newBuilder()
        .setValue(value)
        .addSignatures(MetadataSignature.newBuilder()
            .setSignatureHeader(signatureHeader)
            .setSignature(ByteString.copyFrom(signature)))
        .build()
        .toByteString();

    BlockMetadata.Builder metadata = BlockMetadata.newBuilder();
    for (int i = 0; i < BlockHashes.METADATA_SLOTS; i++) {
      metadata.addMetadata(ByteString.EMPTY);
    }
    metadata.setMetadata(BlockMetadataIndex.SIGNATURES_VALUE, signaturesSlot);
    metadata.setMetadata(BlockMetadataIndex.LAST_CONFIG_VALUE, lastConfigSlot);
    Block signed = block.toBuilder().setMetadata(metadata).build();
    lastBlock = signed;
    return signed;
  }

  /** {@code value || signatureHeader || headerDer}: what the orderer signs (commitBlock). */
  static byte[] signedBytes(ByteString value, ByteString signatureHeader, byte[] headerDer) {
    byte[] out = new byte[value.size() + signatureHeader.size() + headerDer.length];
    value.copyTo(out, 0);
    signatureHeader.copyTo(out, value.size());
    System.arraycopy(headerDer, 0, out, value.size() + signatureHeader.size(), headerDer.length);
    return out;
  }

  public synchronized long lastConfigBlockNumber() {
    return lastConfigBlockNumber;
  }

  public synchronized long lastConfigSequence() {
    return lastConfigSequence;
  }

  public synchronized Block lastBlock() {
    return lastBlock;
  }
}
