package org.jorderer.ledger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orderer's data directory: one {@link BlockStore} per channel under {@code chains/<channel>},
 * as Fabric lays out {@code FileLedger.Location}. A lock file keeps a second process out.
 *
 * <p>Removing a channel first renames its folder to {@code <channel>.removing} and then deletes it,
 * so a crash half-way is finished on the next open rather than leaving a half-deleted ledger that
 * would look like a damaged one.
 */
public final class LedgerDirectory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LedgerDirectory.class);
  // Fabric's channel name rule (configtx.ValidateChannelID), which also keeps names path-safe.
  private static final Pattern CHANNEL_ID = Pattern.compile("[a-z][a-z0-9.-]{0,248}");
  private static final String REMOVING_SUFFIX = ".removing";

  private static final Set<Path> OPEN_IN_THIS_PROCESS = ConcurrentHashMap.newKeySet();

  private final Path realRoot;
  private final Path root;
  private final Path chains;
  private final LedgerOptions options;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Map<String, BlockStore> open = new HashMap<>();
  private boolean closed;

  private LedgerDirectory(Path realRoot, Path root, LedgerOptions options, FileChannel lockChannel, FileLock lock) {
    this.realRoot = realRoot;
    this.root = root;
    this.chains = root.resolve("chains");
    this.options = options;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  public static LedgerDirectory open(Path root, LedgerOptions options) {
    try {
      Files.createDirectories(root.resolve("chains"));
      Path real = root.toRealPath();
      // Closing any descriptor of the lock file drops this process's POSIX lock on it, so a second
      // open from this JVM must be refused before it touches the file.
      if (!OPEN_IN_THIS_PROCESS.add(real)) {
        throw new LedgerException("ledger directory " + root + " is already open in this process");
      }
      FileChannel ch;
      FileLock lock;
      try {
        ch = FileChannel.open(root.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = ch.tryLock();
      } catch (IOException | RuntimeException e) {
        OPEN_IN_THIS_PROCESS.remove(real);
        throw e;
      }
      if (lock == null) {
        ch.close();
        OPEN_IN_THIS_PROCESS.remove(real);
        throw new LedgerException("ledger directory " + root + " is in use by another process");
      }
      LedgerDirectory ledgers = new LedgerDirectory(real, root, options, ch, lock);
      ledgers.finishRemovals();
      return ledgers;
    } catch (IOException e) {
      throw new LedgerException("cannot open ledger directory " + root + ": " + e.getMessage(), e);
    }
  }

  public Path root() {
    return root;
  }

  /** The channels that have a ledger, sorted. */
  public synchronized List<String> channelIds() {
    checkOpen();
    List<String> ids = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(chains, Files::isDirectory)) {
      for (Path d : dirs) {
        String name = d.getFileName().toString();
        if (CHANNEL_ID.matcher(name).matches()) {
          ids.add(name);
        }
      }
    } catch (IOException e) {
      throw new LedgerException("cannot list " + chains + ": " + e.getMessage(), e);
    }
    ids.sort(null);
    return ids;
  }

  /** The channel's store, opened (and recovered) on first use, created if it does not exist. */
  public synchronized BlockStore openOrCreate(String channelId) {
    checkOpen();
    checkChannelId(channelId);
    return open.computeIfAbsent(channelId, id -> BlockStore.open(chains.resolve(id), options));
  }

  /** The channel's store if the channel has a ledger. */
  public synchronized Optional<BlockStore> find(String channelId) {
    checkOpen();
    if (!CHANNEL_ID.matcher(channelId).matches()) {
      return Optional.empty();
    }
    BlockStore store = open.get(channelId);
    if (store != null) {
      return Optional.of(store);
    }
    return Files.isDirectory(chains.resolve(channelId)) ? Optional.of(openOrCreate(channelId)) : Optional.empty();
  }

  /** Closes the channel's store (ending its waiting cursors) and deletes its files. */
  public synchronized boolean remove(String channelId) {
    checkOpen();
    checkChannelId(channelId);
    BlockStore store = open.remove(channelId);
    if (store != null) {
      store.close();
    }
    Path dir = chains.resolve(channelId);
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try {
      Path removing = chains.resolve(channelId + REMOVING_SUFFIX);
      Files.move(dir, removing, StandardCopyOption.ATOMIC_MOVE);
      FileSystemSync.directory(chains);
      deleteTree(removing);
      FileSystemSync.directory(chains);
    } catch (IOException e) {
      throw new LedgerException("cannot remove the ledger of channel " + channelId + ": " + e.getMessage(), e);
    }
    log.info("Removed the ledger of channel {}", channelId);
    return true;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    for (BlockStore store : open.values()) {
      try {
        store.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    open.clear();
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      first = first == null ? new LedgerException("cannot release " + root + "/LOCK", e) : first;
    } finally {
      OPEN_IN_THIS_PROCESS.remove(realRoot);
    }
    if (first != null) {
      throw first;
    }
  }

  private void finishRemovals() throws IOException {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(chains, "*" + REMOVING_SUFFIX)) {
      for (Path d : dirs) {
        log.info("Finishing the interrupted removal of {}", d);
        deleteTree(d);
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new LedgerClosedException("ledger directory " + root + " is closed");
    }
  }

  private static void checkChannelId(String channelId) {
    if (channelId == null || !CHANNEL_ID.matcher(channelId).matches()) {
      throw new IllegalArgumentException(
          "invalid channel ID '" + channelId + "': it must match [a-z][a-z0-9.-]* and be shorter than 250 characters");
    }
  }

  private static void deleteTree(Path top) throws IOException {
    Files.walkFileTree(
        top,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
