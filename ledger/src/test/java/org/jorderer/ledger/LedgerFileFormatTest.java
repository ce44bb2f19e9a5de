package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bytes on disk, pinned against docs/ledger-format.md with the constants written out here: a
 * change to the format (magic, version, framing, what the CRC32C covers) must fail this test and
 * come with a version bump, since existing ledgers would no longer open.
 */
class LedgerFileFormatTest {
  @TempDir Path dir;

  @Test
  void segmentAndIndexFilesAreTheDocumentedBytes() throws Exception {
    byte[] block0 = Vectors.blockBytes("vectors-0.block");
    byte[] block1 = Vectors.blockBytes("vectors-1.block");
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      store.append(block0);
      store.append(block1);
    }
    byte[] segment = Files.readAllBytes(dir.resolve("00000000000000000000.blocks"));
    assertThat(segment).hasSize(16 + 16 + block0.length + 16 + block1.length);

    // File header: "JORD", version 1, base block number 0.
    assertThat(HexFormat.of().formatHex(segment, 0, 16)).isEqualTo("4a4f5244" + "00000001" + "0000000000000000");

    ByteBuffer bytes = ByteBuffer.wrap(segment); // big-endian
    int first = 16;
    assertRecord(bytes, first, 0, block0);
    int second = first + 16 + block0.length;
    assertRecord(bytes, second, 1, block1);

    // Index: 12 bytes per block, position of its record and payload length, no header.
    ByteBuffer index = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("00000000000000000000.index")));
    assertThat(index.remaining()).isEqualTo(24);
    assertThat(index.getLong(0)).isEqualTo(first);
    assertThat(index.getInt(8)).isEqualTo(block0.length);
    assertThat(index.getLong(12)).isEqualTo(second);
    assertThat(index.getInt(20)).isEqualTo(block1.length);
  }

  private static void assertRecord(ByteBuffer file, int at, long number, byte[] payload) {
    assertThat(file.getInt(at)).as("payload length").isEqualTo(payload.length);
    assertThat(file.getLong(at + 4)).as("block number").isEqualTo(number);
    byte[] stored = new byte[payload.length];
    file.get(at + 16, stored);
    assertThat(stored).as("the exact bytes appended").isEqualTo(payload);
    // CRC32C (Castagnoli, the JDK's own) over the record's first 12 bytes, then the payload.
    CRC32C crc = new CRC32C();
    crc.update(file.array(), at, 12);
    crc.update(payload);
    assertThat(Integer.toUnsignedLong(file.getInt(at + 12))).as("CRC32C").isEqualTo(crc.getValue());
  }

  @Test
  void aFileWithAnotherMagicOrVersionIsRefused() throws Exception {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      store.append(Vectors.blockBytes("vectors-0.block"));
    }
    Path segment = dir.resolve("00000000000000000000.blocks");
    byte[] original = Files.readAllBytes(segment);
    byte[] version2 = original.clone();
    version2[7] = 2;
    Files.write(segment, version2);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BlockStore.open(dir, LedgerOptions.defaults()).close())
        .isInstanceOf(LedgerException.class);
    byte[] otherMagic = original.clone();
    otherMagic[0] = 'X';
    Files.write(segment, otherMagic);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BlockStore.open(dir, LedgerOptions.defaults()).close())
        .isInstanceOf(LedgerException.class);
  }
}
