package org.jorderer.ledger;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.hyperledger.fabric.protos.common.Block;

/**
 * A block as the ledger holds it: its number and its exact serialized bytes. The bytes are what was
 * appended, byte for byte, so the send path can frame them without parsing or re-serializing.
 */
public record StoredBlock(long number, ByteString bytes) {
  public StoredBlock {
    if (bytes == null) {
      throw new IllegalArgumentException("bytes must not be null");
    }
  }

  /** Parses the bytes; for callers that need fields, never for the Deliver send path. */
  public Block parse() {
    try {
      return Block.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new LedgerException("stored block " + number + " does not parse as common.Block", e);
    }
  }
}
