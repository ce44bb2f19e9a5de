package org.jorderer.ledger;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockHeader;

/**
 * Reads only the header of a serialized {@code common.Block}, skipping data and metadata, so that
 * checking the chain on append costs the same for a 2 KB block as for a 100 MB one.
 */
final class BlockHeaderReader {
  private BlockHeaderReader() {}

  static BlockHeader read(byte[] block, int offset, int length) {
    CodedInputStream in = CodedInputStream.newInstance(block, offset, length);
    BlockHeader header = null;
    try {
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (WireFormat.getTagFieldNumber(tag) == Block.HEADER_FIELD_NUMBER
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          header = BlockHeader.parseFrom(in.readBytes());
        } else if (!in.skipField(tag)) {
          break;
        }
      }
    } catch (IOException e) {
      throw new BlockRejectedException("not a serialized common.Block: " + e.getMessage());
    }
    if (header == null) {
      throw new BlockRejectedException("block has no header");
    }
    return header;
  }

  static BlockHeader read(byte[] block) {
    return read(block, 0, block.length);
  }
}
