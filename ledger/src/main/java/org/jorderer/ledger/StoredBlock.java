package org.jorderer.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import org.hyperledger.fabric.protos.common.Block;

/**
 * A block as the ledger holds it: its number and its exact serialized bytes, byte for byte what was
 * appended. The bytes are usually a read-only view of the segment file's memory map, so a send path
 * can write them out without a copy into the heap, without parsing and without re-serializing.
 *
 * @param number the block number
 * @param bytes a read-only view of the serialized {@code common.Block}; each call returns a fresh
 *     view positioned at the first byte, so callers cannot disturb each other
 */
public record StoredBlock(long number, ByteBuffer bytes) {
  public StoredBlock {
    if (bytes == null) {
      throw new IllegalArgumentException("bytes must not be null");
    }
    bytes = bytes.slice().asReadOnlyBuffer();
  }

  static StoredBlock of(long number, byte[] bytes) {
    return new StoredBlock(number, ByteBuffer.wrap(bytes));
  }

  @Override
  public ByteBuffer bytes() {
    return bytes.duplicate();
  }

  public int size() {
    return bytes.remaining();
  }

  public byte[] toByteArray() {
    byte[] out = new byte[bytes.remaining()];
    bytes.duplicate().get(out);
    return out;
  }

  /** Writes the bytes to {@code out} (for a memory-mapped block, straight from the page cache). */
  public void writeTo(OutputStream out) throws IOException {
    WritableByteChannel channel = Channels.newChannel(out);
    ByteBuffer view = bytes.duplicate();
    while (view.hasRemaining()) {
      channel.write(view);
    }
  }

  /** Parses the bytes; for callers that need fields, never for the Deliver send path. */
  public Block parse() {
    try {
      return Block.parseFrom(bytes.duplicate());
    } catch (InvalidProtocolBufferException e) {
      throw new LedgerException("stored block " + number + " does not parse as common.Block", e);
    }
  }
}
