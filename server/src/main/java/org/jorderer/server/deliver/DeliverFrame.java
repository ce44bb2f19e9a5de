package org.jorderer.server.deliver;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;

/**
 * One {@code orderer.DeliverResponse} on the wire, kept as the bytes to send rather than as a
 * message: a block frame is the two-to-six byte field prefix of {@code DeliverResponse.block}
 * followed by the block exactly as the ledger stored it, so the send path never parses or
 * re-serializes a block.
 */
final class DeliverFrame {
  private static final Map<Status, DeliverFrame> STATUS_FRAMES = new EnumMap<>(Status.class);

  static {
    for (Status s : Status.values()) {
      if (s != Status.UNRECOGNIZED) {
        byte[] bytes = DeliverResponse.newBuilder().setStatus(s).build().toByteArray();
        STATUS_FRAMES.put(s, new DeliverFrame(bytes, ByteBuffer.allocate(0)));
      }
    }
  }

  private final byte[] prefix;
  private final ByteBuffer body;
  private volatile boolean drained; // a stream of this frame was read to its end

  private DeliverFrame(byte[] prefix, ByteBuffer body) {
    this.prefix = prefix;
    this.body = body;
  }

  static DeliverFrame status(Status status) {
    return STATUS_FRAMES.get(status);
  }

  /** {@code DeliverResponse{block = <these bytes>}}; {@code block} is a serialized common.Block. */
  static DeliverFrame block(ByteBuffer block) {
    int length = block.remaining();
    byte[] prefix = new byte[1 + varintSize(length)];
    prefix[0] = (byte) ((DeliverResponse.BLOCK_FIELD_NUMBER << 3) | 2); // length-delimited
    int p = 1;
    int v = length;
    while ((v & ~0x7f) != 0) {
      prefix[p++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    prefix[p] = (byte) v;
    return new DeliverFrame(prefix, block.slice());
  }

  byte[] prefix() {
    return prefix;
  }

  /** A fresh view of the body, so that a frame can be streamed more than once. */
  ByteBuffer body() {
    return body.duplicate();
  }

  void markDrained() {
    drained = true;
  }

  /**
   * True once gRPC has read a stream of this frame to its end. A frame whose body is borrowed (a
   * thread's reused read buffer) must be drained before its sender reads another block.
   */
  boolean drained() {
    return drained;
  }

  int size() {
    return prefix.length + body.remaining();
  }

  private static int varintSize(int v) {
    int n = 1;
    while ((v & ~0x7f) != 0) {
      n++;
      v >>>= 7;
    }
    return n;
  }
}
