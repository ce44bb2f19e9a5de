package org.jorderer.ledger.bench;

import com.google.protobuf.ByteString;
import java.util.Random;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockData;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.hyperledger.fabric.protos.common.BlockMetadata;
import org.jorderer.ledger.BlockHeaderHash;

/**
 * Makes chained blocks for benchmarks at the cost of a header, not of the payload: the data
 * section is serialized once and every block reuses it (the ledger does not check data hashes),
 * so what a benchmark measures is the store, not block generation.
 */
final class BenchBlocks {
  private final byte[] body; // serialized data + metadata fields, identical in every block
  private final byte[] dataHash = new byte[32];
  private long number;
  private byte[] previousHash;

  BenchBlocks(int blockBytes, long number, byte[] previousHash) {
    byte[] payload = new byte[Math.max(0, blockBytes - 160)];
    new Random(42).nextBytes(payload);
    BlockMetadata.Builder metadata = BlockMetadata.newBuilder();
    for (int i = 0; i < 5; i++) {
      metadata.addMetadata(ByteString.EMPTY);
    }
    this.body = Block.newBuilder()
        .setData(BlockData.newBuilder().addData(ByteString.copyFrom(payload)))
        .setMetadata(metadata)
        .build()
        .toByteArray();
    this.number = number;
    this.previousHash = previousHash.clone();
  }

  /** Where benchmarks keep their stores: a real disk (not tmpfs), so fsync costs what it costs. */
  static java.nio.file.Path workDirectory() throws java.io.IOException {
    return java.nio.file.Files.createDirectories(
        java.nio.file.Path.of(System.getProperty("bench.dir", "target/bench")).toAbsolutePath());
  }

  byte[] next() {
    BlockHeader header = BlockHeader.newBuilder()
        .setNumber(number++)
        .setPreviousHash(ByteString.copyFrom(previousHash))
        .setDataHash(ByteString.copyFrom(dataHash))
        .build();
    byte[] headerField = Block.newBuilder().setHeader(header).build().toByteArray();
    byte[] block = new byte[headerField.length + body.length];
    System.arraycopy(headerField, 0, block, 0, headerField.length);
    System.arraycopy(body, 0, block, headerField.length, body.length);
    previousHash = BlockHeaderHash.of(header);
    return block;
  }
}
