package org.jorderer.ledger.testing;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockData;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.hyperledger.fabric.protos.common.BlockMetadata;
import org.jorderer.ledger.BlockHeaderHash;

/**
 * Builds well-formed, hash-chained blocks with deterministic pseudo-random payloads, for tests that
 * need many blocks of chosen sizes. Not signed: the ledger does not look at signatures.
 */
public final class TestChain {
  private final Random random;
  private long nextNumber;
  private byte[] previousHash;

  public TestChain(long seed) {
    this(seed, 0, new byte[0]);
  }

  /** Continues a chain whose last block had number {@code nextNumber - 1} and header hash {@code previousHash}. */
  public TestChain(long seed, long nextNumber, byte[] previousHash) {
    this.random = new Random(seed);
    this.nextNumber = nextNumber;
    this.previousHash = previousHash.clone();
  }

  /** The next block, with one data entry of {@code payloadBytes} bytes. */
  public Block next(int payloadBytes) {
    byte[] payload = new byte[payloadBytes];
    random.nextBytes(payload);
    BlockHeader header =
        BlockHeader.newBuilder()
            .setNumber(nextNumber)
            .setPreviousHash(ByteString.copyFrom(previousHash))
            .setDataHash(ByteString.copyFrom(sha256(payload)))
            .build();
    BlockMetadata.Builder metadata = BlockMetadata.newBuilder();
    for (int i = 0; i < 5; i++) {
      metadata.addMetadata(ByteString.EMPTY);
    }
    Block block =
        Block.newBuilder()
            .setHeader(header)
            .setData(BlockData.newBuilder().addData(ByteString.copyFrom(payload)))
            .setMetadata(metadata)
            .build();
    previousHash = BlockHeaderHash.of(header);
    nextNumber++;
    return block;
  }

  public List<byte[]> nextBytes(int count, int payloadBytes) {
    List<byte[]> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(next(payloadBytes).toByteArray());
    }
    return out;
  }

  public long nextNumber() {
    return nextNumber;
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
