package org.jorderer.consensus.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.hyperledger.fabric.protos.common.Envelope;

/**
 * A channel's ordering state after the Raft entry at {@code index}: what a node needs, beside its
 * ledger, to apply the entries after that index and cut the same blocks as every other node.
 *
 * <ul>
 *   <li>{@code nextBlock}: the number of the block being filled, that is the ledger's height at
 *       that point of the log (the blocks themselves are in the ledger, or pulled over Deliver);
 *   <li>{@code pending}: the envelopes the block cutter holds, in order (at most one batch);
 *   <li>{@code recentRequests}: the client requests of the last entries applied, oldest first, so
 *       that a request committed twice is skipped alike on every node.
 * </ul>
 *
 * <p>File format (version 1): the magic {@code JORDRAFT}, an int version, then term, index and
 * nextBlock as longs, an int count of pending envelopes each as an int length and its marshalled
 * bytes, an int count of requests each in {@link DataOutputStream#writeUTF} form, and last a
 * CRC32C of everything before it. Big-endian throughout.
 */
record ChannelSnapshot(long term, long index, long nextBlock, List<Envelope> pending, List<String> recentRequests) {
  private static final long MAGIC = 0x4A4F524452414654L; // "JORDRAFT"
  private static final int VERSION = 1;

  ChannelSnapshot {
    pending = List.copyOf(pending);
    recentRequests = List.copyOf(recentRequests);
  }

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(MAGIC);
      out.writeInt(VERSION);
      out.writeLong(term);
      out.writeLong(index);
      out.writeLong(nextBlock);
      out.writeInt(pending.size());
      for (Envelope envelope : pending) {
        byte[] marshalled = envelope.toByteArray();
        out.writeInt(marshalled.length);
        out.write(marshalled);
      }
      out.writeInt(recentRequests.size());
      for (String request : recentRequests) {
        out.writeUTF(request);
      }
      out.flush();
      CRC32C crc = new CRC32C();
      crc.update(bytes.toByteArray());
      out.writeLong(crc.getValue());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** @throws IllegalArgumentException when {@code bytes} is not a whole, intact snapshot */
  static ChannelSnapshot decode(byte[] bytes) {
    if (bytes.length < 8 + 4 + 24 + 8 + 8) {
      throw new IllegalArgumentException("Raft snapshot of " + bytes.length + " bytes is truncated");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 8);
    if (crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong()) {
      throw new IllegalArgumentException("Raft snapshot of " + bytes.length + " bytes fails its checksum");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 8))) {
      if (in.readLong() != MAGIC) {
        throw new IllegalArgumentException("not a jorderer Raft snapshot");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException("Raft snapshot version " + version + " is not known to this node");
      }
      long term = in.readLong();
      long index = in.readLong();
      long nextBlock = in.readLong();
      int count = in.readInt();
      if (count < 0 || count > bytes.length) {
        throw new IllegalArgumentException("Raft snapshot claims " + count + " pending envelopes");
      }
      List<Envelope> pending = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
          throw new IllegalArgumentException("Raft snapshot envelope of " + length + " bytes runs past the end");
        }
        pending.add(Envelope.parseFrom(in.readNBytes(length)));
      }
      int requests = in.readInt();
      if (requests < 0 || requests > bytes.length) {
        throw new IllegalArgumentException("Raft snapshot claims " + requests + " requests");
      }
      List<String> recent = new ArrayList<>(requests);
      for (int i = 0; i < requests; i++) {
        recent.add(in.readUTF());
      }
      return new ChannelSnapshot(term, index, nextBlock, pending, recent);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("Raft snapshot holds an envelope that does not parse: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("Raft snapshot is truncated: " + e.getMessage(), e);
    }
  }

  /** Writes the snapshot to {@code file} durably: a temporary file, fsync, then an atomic rename. */
  void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(encode());
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory for sync; the rename itself is atomic.
    }
  }

  static ChannelSnapshot read(Path file) throws IOException {
    return decode(Files.readAllBytes(file));
  }
}
