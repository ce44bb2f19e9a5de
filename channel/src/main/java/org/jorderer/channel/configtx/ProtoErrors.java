package org.jorderer.channel.configtx;

import com.google.protobuf.InvalidProtocolBufferException;
import org.hyperledger.fabric.protos.common.HeaderType;

/** How Go's protobuf and enum printing read, for the texts Fabric composes around them. */
public final class ProtoErrors {
  private ProtoErrors() {}

  /**
   * Go's generic unmarshal failure text. Go's protobuf names the exact fault differently from
   * Java's, so the text is Go's catch-all for malformed input.
   */
  public static String text(InvalidProtocolBufferException e) {
    return "proto: cannot parse invalid wire-format data";
  }

  /** A HeaderType as Go's {@code %s} prints it: its name, or the number for unknown values. */
  public static String headerTypeName(int type) {
    HeaderType known = HeaderType.forNumber(type);
    return known == null || known == HeaderType.UNRECOGNIZED ? Integer.toString(type) : known.name();
  }
}
