package org.jorderer.server.operations;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jorderer.server.channels.ChannelRegistry;
import org.jorderer.server.channels.ServedChannel;

/** The orderer's own health checks, ready to register with {@link HealthChecks}. */
public final class NodeHealth {
  private NodeHealth() {}

  /**
   * Healthy while a file can be created, written, synced and deleted in the ledger directory.
   * Checking permissions is not enough: a full or read-only-remounted disk still reports the
   * directory as writable, and only an actual write with fsync finds out.
   */
  public static HealthCheck ledgerDiskWritable(Path ledgerRoot) {
    return () -> {
      Path probe = ledgerRoot.resolve(".healthz-" + ProcessHandle.current().pid() + "-"
          + Thread.currentThread().getId());
      try {
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
          ch.write(ByteBuffer.wrap(new byte[] {'o', 'k'}));
          ch.force(true);
        }
        return Optional.empty();
      } catch (IOException | SecurityException e) {
        return Optional.of("ledger directory " + ledgerRoot + " is not writable: " + e);
      } finally {
        try {
          Files.deleteIfExists(probe);
        } catch (IOException ignored) {
          // The write already failed or succeeded; a leftover probe file is harmless.
        }
      }
    };
  }

  /**
   * Unhealthy while any served channel's chain has failed, naming those channels, or while one
   * cannot write its ledger and waits to retry (a full disk: it resumes by itself), or while a
   * Raft channel has no quorum this node can reach (it knew no leader for longer than Broadcast
   * waits for one; it resumes once a quorum is back).
   */
  public static HealthCheck chains(ChannelRegistry channels) {
    HealthCheck failed = chains(channels::channelIds, id -> channels.channel(id)
        .map(ServedChannel::errored)
        .map(signal -> signal.fired())
        .orElse(false));
    return () -> {
      Optional<String> reason = failed.check();
      if (reason.isPresent()) {
        return reason;
      }
      List<String> stalled = new ArrayList<>();
      List<String> noQuorum = new ArrayList<>();
      for (String id : channels.channelIds()) {
        channels.channel(id).flatMap(ServedChannel::chain).flatMap(c -> c.stalled())
            .ifPresent(why -> stalled.add(id));
        channels.channel(id).flatMap(ServedChannel::chain).flatMap(c -> c.noQuorum())
            .ifPresent(why -> noQuorum.add("channel " + id + " has no Raft quorum (" + why + ")"));
      }
      List<String> reasons = new ArrayList<>();
      if (!stalled.isEmpty()) {
        reasons.add("cannot write the ledger (retrying) on channel" + (stalled.size() == 1 ? " " : "s ")
            + String.join(", ", stalled));
      }
      noQuorum.sort(null);
      reasons.addAll(noQuorum);
      return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    };
  }

  /**
   * The same over any channel source: {@code failed} says whether a channel's chain has failed.
   * Channels that disappear between listing and asking are not reported.
   */
  public static HealthCheck chains(Supplier<? extends Collection<String>> channelIds,
      Predicate<String> failed) {
    return () -> {
      List<String> broken = new ArrayList<>();
      for (String id : channelIds.get()) {
        if (failed.test(id)) {
          broken.add(id);
        }
      }
      if (broken.isEmpty()) {
        return Optional.empty();
      }
      broken.sort(null);
      return Optional.of((broken.size() == 1 ? "chain has failed on channel " : "chains have failed on channels ")
          + String.join(", ", broken));
    };
  }
}
