package org.jorderer.ledger;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The framing of one block inside a segment file:
 *
 * <pre>
 *   u32 payload length | u64 block number | u32 CRC32C(length, number, payload) | payload
 * </pre>
 *
 * All integers are big-endian. The checksum covers the length and number too, so a flipped bit in
 * the framing is caught as surely as one in the block.
 */
final class BlockRecord {
  static final int HEADER_BYTES = 16;

  private BlockRecord() {}

  record Header(int length, long number, int checksum) {
    long recordBytes() {
      return HEADER_BYTES + (long) length;
    }
  }

  static ByteBuffer encodeHeader(long number, byte[] payload, int offset, int length) {
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    header.putInt(length).putLong(number).putInt(checksum(length, number, payload, offset, length));
    return header.flip();
  }

  /** Reads the 16 header bytes at the buffer's position without moving it. */
  static Header decodeHeader(ByteBuffer buffer) {
    int p = buffer.position();
    return new Header(buffer.getInt(p), buffer.getLong(p + 4), buffer.getInt(p + 12));
  }

  static int checksum(int length, long number, byte[] payload, int offset, int payloadLength) {
    CRC32C crc = new CRC32C();
    ByteBuffer prefix = ByteBuffer.allocate(12).putInt(length).putLong(number).flip();
    crc.update(prefix);
    crc.update(payload, offset, payloadLength);
    return (int) crc.getValue();
  }

  /** True when the record starting at {@code buffer}'s position (header, then payload) is intact. */
  static boolean isIntact(ByteBuffer buffer, Header header) {
    CRC32C crc = new CRC32C();
    int p = buffer.position();
    crc.update(buffer.duplicate().position(p).limit(p + 12));
    crc.update(buffer.duplicate().position(p + HEADER_BYTES).limit(p + HEADER_BYTES + header.length()));
    return (int) crc.getValue() == header.checksum();
  }

  /** True when {@code record} (header followed by payload, starting at {@code offset}) is intact. */
  static boolean isIntact(byte[] record, int offset, Header header) {
    return checksum(header.length(), header.number(), record, offset + HEADER_BYTES, header.length())
        == header.checksum();
  }
}
