package org.jorderer.ledger;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.hyperledger.fabric.protos.common.BlockHeader;

/**
 * Fabric's block header hash: SHA-256 over the ASN.1 DER encoding of
 * {@code SEQUENCE { number INTEGER, previousHash OCTET STRING, dataHash OCTET STRING }}.
 *
 * <p>The number is encoded as Go's {@code encoding/asn1} encodes an unsigned big integer, so block
 * numbers at or above 2^63 keep their leading zero byte. The same DER bytes are part of what the
 * orderer signs, which is why {@link #derEncoding} is public.
 */
public final class BlockHeaderHash {
  private BlockHeaderHash() {}

  /** SHA-256 of {@link #derEncoding(long, byte[], byte[])}. */
  public static byte[] of(BlockHeader header) {
    return of(header.getNumber(), header.getPreviousHash().toByteArray(), header.getDataHash().toByteArray());
  }

  public static byte[] of(long number, byte[] previousHash, byte[] dataHash) {
    return sha256(derEncoding(number, previousHash, dataHash));
  }

  public static byte[] derEncoding(BlockHeader header) {
    return derEncoding(
        header.getNumber(), header.getPreviousHash().toByteArray(), header.getDataHash().toByteArray());
  }

  /** The DER bytes Fabric calls {@code BlockHeaderBytes}; {@code number} is read as unsigned. */
  public static byte[] derEncoding(long number, byte[] previousHash, byte[] dataHash) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(16 + previousHash.length + dataHash.length);
    writeTagged(body, 0x02, unsignedMinimal(number));
    writeTagged(body, 0x04, previousHash);
    writeTagged(body, 0x04, dataHash);
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.size() + 4);
    writeTagged(out, 0x30, body.toByteArray());
    return out.toByteArray();
  }

  private static byte[] unsignedMinimal(long value) {
    // Big-endian magnitude with the fewest bytes, plus a 0x00 in front when the top bit is set, so
    // the INTEGER stays positive (DER two's complement).
    int significant = Math.max(1, 8 - Long.numberOfLeadingZeros(value) / 8);
    boolean pad = ((value >>> (8 * (significant - 1))) & 0x80) != 0;
    byte[] out = new byte[significant + (pad ? 1 : 0)];
    for (int i = 0; i < significant; i++) {
      out[out.length - 1 - i] = (byte) (value >>> (8 * i));
    }
    return out;
  }

  private static void writeTagged(ByteArrayOutputStream out, int tag, byte[] content) {
    out.write(tag);
    int length = content.length;
    if (length < 0x80) {
      out.write(length);
    } else {
      int lengthBytes = 4 - Integer.numberOfLeadingZeros(length) / 8;
      out.write(0x80 | lengthBytes);
      for (int i = lengthBytes - 1; i >= 0; i--) {
        out.write(length >>> (8 * i));
      }
    }
    out.write(content, 0, content.length);
  }

  static byte[] sha256(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
