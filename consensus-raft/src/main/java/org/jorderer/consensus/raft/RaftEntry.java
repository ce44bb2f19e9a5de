package org.jorderer.consensus.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Envelope;

/**
 * What a channel's Raft log holds: the replicated input of block cutting. Every node feeds the
 * same entries in the same order into its cutter, so every node cuts the same blocks (Fabric's
 * etcdraft replicates finished blocks instead; replicating envelopes lets any node propose and lets
 * a proposal be acknowledged once a quorum holds it).
 *
 * <p>Encoding (version 1): one kind byte, then the kind's fields in big-endian
 * {@link DataOutputStream} form. Envelopes are stored as their marshalled bytes. A proposer sends
 * one of the first three kinds; the leader wraps it into a {@link Stamped} entry before it enters
 * the log ({@link ChannelStateMachine#startTransaction}), so that what every node re-checks by
 * time is judged at the leader's time.
 */
sealed interface RaftEntry
    permits RaftEntry.Envelopes, RaftEntry.ConfigMessage, RaftEntry.CutMarker, RaftEntry.Stamped {

  byte ENVELOPES = 1;
  byte CONFIG = 2;
  byte CUT = 3;
  byte STAMPED = 4;

  /** A normal envelope and the config sequence Broadcast checked it at. */
  record Ordered(Envelope envelope, long configSequence) {}

  /** Normal envelopes, in the order they go through the block cutter. */
  record Envelopes(List<Ordered> envelopes) implements RaftEntry {
    public Envelopes {
      envelopes = List.copyOf(envelopes);
    }
  }

  /** A CONFIG envelope made from a CONFIG_UPDATE at {@code configSequence}; written alone in a block. */
  record ConfigMessage(Envelope envelope, long configSequence) implements RaftEntry {}

  /**
   * The leader's batch timer fired while block {@code blockNumber} was pending: cut it now. A
   * marker for a block already cut (by size, or by an earlier marker) does nothing, so a late or
   * repeated marker cannot cut a different batch on different nodes.
   */
  record CutMarker(long blockNumber) implements RaftEntry {}

  /**
   * {@code entry} as it entered the log, with the time of the leader that appended it. Every node
   * judges the time-dependent rules of re-checking an envelope at ordering time (its creator's
   * expiry) at {@code leaderTime}, not by its own clock, so nodes whose clocks disagree still cut
   * the same blocks (Fabric's leader re-checks alone and replicates the blocks it cut).
   */
  record Stamped(java.time.Instant leaderTime, RaftEntry entry) implements RaftEntry {
    public Stamped {
      java.util.Objects.requireNonNull(leaderTime, "leaderTime");
      if (entry instanceof Stamped) {
        throw new IllegalArgumentException("a Raft entry is stamped once");
      }
    }

    /**
     * The encoding of {@code proposed} (an encoded entry of another kind) stamped with {@code time},
     * without copying {@code proposed}'s bytes.
     */
    static org.apache.ratis.thirdparty.com.google.protobuf.ByteString stamp(
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString proposed, java.time.Instant time) {
      byte[] head = java.nio.ByteBuffer.allocate(1 + 8 + 4).put(STAMPED).putLong(time.getEpochSecond())
          .putInt(time.getNano()).array();
      return org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(head).concat(proposed);
    }
  }

  default byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      if (this instanceof Envelopes batch) {
        out.writeByte(ENVELOPES);
        out.writeInt(batch.envelopes().size());
        for (Ordered ordered : batch.envelopes()) {
          out.writeLong(ordered.configSequence());
          writeEnvelope(out, ordered.envelope());
        }
      } else if (this instanceof ConfigMessage config) {
        out.writeByte(CONFIG);
        out.writeLong(config.configSequence());
        writeEnvelope(out, config.envelope());
      } else if (this instanceof CutMarker cut) {
        out.writeByte(CUT);
        out.writeLong(cut.blockNumber());
      } else if (this instanceof Stamped stamped) {
        out.writeByte(STAMPED);
        out.writeLong(stamped.leaderTime().getEpochSecond());
        out.writeInt(stamped.leaderTime().getNano());
        out.write(stamped.entry().encode());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * @throws IllegalArgumentException when {@code bytes} is not an entry this version wrote (a node
   *     cannot skip an entry it does not understand without forking from the others)
   */
  static RaftEntry decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      byte kind = in.readByte();
      switch (kind) {
        case ENVELOPES: {
          int count = in.readInt();
          if (count < 0 || count > bytes.length) {
            throw new IllegalArgumentException("Raft entry claims " + count + " envelopes");
          }
          List<Ordered> envelopes = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            long sequence = in.readLong();
            envelopes.add(new Ordered(readEnvelope(in), sequence));
          }
          return new Envelopes(envelopes);
        }
        case CONFIG: {
          long sequence = in.readLong();
          return new ConfigMessage(readEnvelope(in), sequence);
        }
        case CUT:
          return new CutMarker(in.readLong());
        case STAMPED: {
          long seconds = in.readLong();
          int nanos = in.readInt();
          if (nanos < 0 || nanos > 999_999_999) {
            throw new IllegalArgumentException("Raft entry stamped with " + nanos + " nanoseconds");
          }
          byte[] inner = in.readAllBytes();
          if (inner.length > 0 && inner[0] == STAMPED) {
            throw new IllegalArgumentException("Raft entry stamped twice");
          }
          return new Stamped(java.time.Instant.ofEpochSecond(seconds, nanos), decode(inner));
        }
        default:
          throw new IllegalArgumentException("unknown Raft entry kind " + kind);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated Raft entry of " + bytes.length + " bytes", e);
    }
  }

  private static void writeEnvelope(DataOutputStream out, Envelope envelope) throws IOException {
    byte[] marshalled = envelope.toByteArray();
    out.writeInt(marshalled.length);
    out.write(marshalled);
  }

  private static Envelope readEnvelope(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IllegalArgumentException("Raft entry envelope of " + length + " bytes runs past the entry");
    }
    byte[] marshalled = in.readNBytes(length);
    try {
      return Envelope.parseFrom(marshalled);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("Raft entry holds an envelope that does not parse: " + e.getMessage(), e);
    }
  }
}
