package org.jorderer.server.channels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.config.ConfigException;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.consensus.Chain;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.server.deliver.ChannelLookup;
import org.jorderer.server.deliver.DeliverableChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels this orderer serves, over the data directory's ledgers (Fabric's registrar). Each
 * channel's config comes from its last config block, found through the newest block's last-config
 * index, as Fabric does at start-up: the ledger is the truth, so a node that crashed after writing
 * a config block and before switching to it comes back on that block's config.
 */
public final class ChannelRegistry implements ChannelLookup, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChannelRegistry.class);

  private final LedgerDirectory ledgers;
  private final CryptoProvider crypto;
  private final ChainFactory chains;
  private final LocalSigner signer;
  private final Map<String, ServedChannel> channels = new ConcurrentHashMap<>();
  private final Map<String, ChannelFollower> followers = new ConcurrentHashMap<>();
  /**
   * Switches between follower and consenter, off the follower's and the chain's own threads, and
   * retries a consenter's chain start that failed.
   */
  private final ScheduledThreadPoolExecutor switches = new ScheduledThreadPoolExecutor(1, r -> {
    Thread t = new Thread(r, "channel-switch");
    t.setDaemon(true);
    return t;
  });
  /** The first wait before a failed chain start is tried again; doubled up to {@link #CHAIN_RETRY_MAX}. */
  static final Duration CHAIN_RETRY_FIRST = Duration.ofMillis(200);
  static final Duration CHAIN_RETRY_MAX = Duration.ofSeconds(5);
  private volatile boolean closed;

  private ChannelRegistry(LedgerDirectory ledgers, CryptoProvider crypto, ChainFactory chains, LocalSigner signer) {
    this.ledgers = ledgers;
    this.crypto = crypto;
    this.chains = chains;
    this.signer = signer;
    switches.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** What the channel participation API reports of one channel. */
  public record ParticipationInfo(String name, String consensusRelation, String status, long height) {}

  public static ChannelRegistry open(LedgerDirectory ledgers, CryptoProvider crypto, ChainFactory chains) {
    return open(ledgers, crypto, chains, null);
  }

  /**
   * Serves every channel that has a ledger in {@code ledgers}, each with a started chain from
   * {@code chains} (null: serve the ledgers for Deliver only, with no ordering).
   */
  /**
   * As above; {@code signer} signs the Deliver requests with which channels joined above their
   * genesis block pull their blocks from other orderers (null: such joins are refused).
   */
  public static ChannelRegistry open(LedgerDirectory ledgers, CryptoProvider crypto, ChainFactory chains,
      LocalSigner signer) {
    ChannelRegistry registry = new ChannelRegistry(ledgers, crypto, chains, signer);
    Map<String, Block> joins = registry.readJoinBlocks();
    joins.forEach((id, joinBlock) -> registry.follow(id, joinBlock));
    for (String id : ledgers.channelIds()) {
      if (joins.containsKey(id)) {
        continue;
      }
      BlockStore store = ledgers.openOrCreate(id);
      if (store.height() == 0) {
        log.warn("Ignoring channel {}: its ledger holds no block", id);
        continue;
      }
      ServedChannel channel = new ServedChannel(id, store, registry.lastConfig(id, store));
      try {
        registry.serve(channel);
        log.info("Serving channel {} at height {}", id, store.height());
      } catch (IllegalArgumentException e) {
        // Keep its blocks readable over Deliver; ordering for it is what cannot start.
        registry.channels.put(id, channel);
        log.error("[channel: {}] Serving Deliver only, no ordering: {}", id, e.getMessage());
      }
    }
    return registry;
  }

  private void serve(ServedChannel channel) {
    if (chains != null && !chains.isMember(channel.config())) {
      // Fabric's registrar: a node not among a cluster channel's consenters follows the channel.
      log.info("[channel: {}] This node is not one of the channel's consenters: following it", channel.channelId());
      followFromLedger(channel.channelId(), channel.ledger());
      channels.remove(channel.channelId(), channel); // listed as a follower first: never unknown
      return;
    }
    if (chains != null) {
      channel.processor(chains.processor(channel));
      String id = channel.channelId();
      Chain chain = chains.create(channel, () -> schedule(() -> switchToFollower(id)));
      try {
        chain.start();
      } catch (RuntimeException e) {
        chain.halt(); // whatever the failed start left running (a Raft chain that joined its group)
        throw e;
      }
      channel.attach(chain);
    }
    channels.put(channel.channelId(), channel);
  }

  /**
   * Fabric's {@code SwitchChainToFollower}: a config block removed this node from the consenters;
   * its chain has halted. The channel's ledger is kept and followed from the other orderers.
   */
  private synchronized void switchToFollower(String channelId) {
    ServedChannel channel = channels.get(channelId);
    if (closed || channel == null) {
      return;
    }
    channels.remove(channelId);
    channel.halt("removed from the channel's consenters");
    log.info("[channel: {}] Removed from the consenters by config: following the channel", channelId);
    followFromLedger(channelId, channel.ledger());
  }

  /**
   * Fabric's {@code SwitchFollowerToChain}: the follower holds its join block and the channel's
   * config names this node a consenter; the follower stops and a chain starts on its ledger.
   */
  private synchronized void switchToConsenter(String channelId) {
    ChannelFollower follower = followers.get(channelId);
    if (closed || follower == null || chains == null) {
      return;
    }
    BlockStore store = follower.ledger();
    if (store.height() <= follower.joinBlockNumber()) {
      return;
    }
    if (!chains.isClusterMember(lastConfig(channelId, store))) {
      return;
    }
    // Stopped while still listed, then listed as served before it is unlisted as a follower: the
    // participation API and Broadcast know the channel throughout the switch.
    follower.close();
    ChannelConfig config = lastConfig(channelId, store); // the follower may have appended more before it stopped
    ServedChannel channel = new ServedChannel(channelId, store, config);
    channel.processor(chains.processor(channel));
    channel.noChainReason("its chain is starting");
    channel.chainStarting(true);
    channels.put(channelId, channel);
    followers.remove(channelId);
    try {
      Files.deleteIfExists(joinFile(channelId));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the join block of " + channelId, e);
    }
    log.info("[channel: {}] The channel's config names this node a consenter: switching from follower to consenter at height {}",
        channelId, store.height());
    startChain(channel, 1, null);
  }

  /**
   * Starts the chain of a channel that became this node's to order. A start that fails for a
   * reason that may pass (its Ratis group add, its cluster port still taken) is tried again after
   * a wait doubling from {@link #CHAIN_RETRY_FIRST} to {@link #CHAIN_RETRY_MAX}, until it starts,
   * the channel is removed or the node stops; meanwhile the channel serves Deliver and Broadcast
   * answers SERVICE_UNAVAILABLE with the reason. A config this node cannot run (an
   * IllegalArgumentException) is not retried. Each distinct failure is logged once.
   */
  private synchronized void startChain(ServedChannel channel, int attempt, String lastFailure) {
    String id = channel.channelId();
    if (closed || channels.get(id) != channel) {
      return; // removed, or the node stops
    }
    try {
      serve(channel);
      if (attempt > 1) {
        log.info("[channel: {}] Chain started at attempt {}", id, attempt);
      }
    } catch (IllegalArgumentException e) {
      channel.noChainReason("ordering cannot start: " + e.getMessage());
      channel.chainStarting(false);
      log.error("[channel: {}] Serving Deliver only, no ordering: {}", id, e.getMessage());
    } catch (RuntimeException e) {
      String reason = String.valueOf(e.getMessage());
      long wait = Math.min(CHAIN_RETRY_MAX.toMillis(), CHAIN_RETRY_FIRST.toMillis() << Math.min(attempt - 1, 10));
      channel.noChainReason("its chain could not start (" + reason + "); trying again");
      if (!reason.equals(lastFailure)) {
        log.error("[channel: {}] The chain could not start (attempt {}): {}; serving Deliver only and trying again, "
            + "every {} s at most", id, attempt, reason, CHAIN_RETRY_MAX.toSeconds(), e);
      } else {
        log.debug("[channel: {}] The chain could not start (attempt {}): {}", id, attempt, reason);
      }
      try {
        switches.schedule(() -> startChain(channel, attempt + 1, reason), wait, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        log.debug("[channel: {}] Not starting the chain again: the node is stopping", id);
      }
    }
  }

  private void followFromLedger(String channelId, BlockStore store) {
    Block newest = store.readBlock(store.height() - 1);
    long index = BlockMetadataReader.lastConfigIndex(newest);
    Block lastConfigBlock = index == newest.getHeader().getNumber() ? newest : store.readBlock(index);
    startFollower(channelId, store, lastConfigBlock);
  }

  @Override
  public Optional<DeliverableChannel> find(String channelId) {
    return Optional.ofNullable(channels.get(channelId));
  }

  public Optional<ServedChannel> channel(String channelId) {
    return Optional.ofNullable(channels.get(channelId));
  }

  public List<String> channelIds() {
    return channels.keySet().stream().sorted().toList();
  }

  /** Creates a channel from its genesis block and serves it. */
  public synchronized ServedChannel create(Block genesis) {
    return create(genesis, java.util.List.of());
  }

  /**
   * Creates a channel from its genesis block and the blocks that follow it (as fetched from
   * another orderer), then starts its chain on top of them.
   */
  public synchronized ServedChannel create(Block genesis, java.util.List<byte[]> following) {
    ChannelConfig config = configOf(genesis);
    String id = config.channelId();
    if (genesis.getHeader().getNumber() != 0) {
      throw new IllegalArgumentException("block " + genesis.getHeader().getNumber() + " is not a genesis block");
    }
    if (channels.containsKey(id) || ledgers.channelIds().contains(id)) {
      throw new IllegalArgumentException("channel " + id + " already exists");
    }
    if (chains != null) {
      chains.checkSupported(config); // before any file exists for the channel
    }
    BlockStore store = ledgers.openOrCreate(id);
    store.append(genesis);
    following.forEach(store::append);
    ServedChannel channel = new ServedChannel(id, store, config);
    serve(channel);
    log.info("Created channel {}", id);
    return channel;
  }

  /**
   * Joins a channel with its config block (the channel participation API's join). A genesis block
   * creates the channel and starts its chain; a later config block makes this node follow the
   * channel, pulling its blocks from the orderers its config names.
   *
   * @throws ParticipationException with Fabric's reason when the channel exists or the block is
   *     not a usable join block
   */
  public synchronized ParticipationInfo join(Block configBlock) {
    ChannelConfig config;
    try {
      config = configOf(configBlock);
    } catch (IllegalArgumentException e) {
      throw new ParticipationException(ParticipationException.Reason.INVALID_BLOCK, e.getMessage());
    }
    if (config.consortiums().size() > 0 || config.application().isEmpty()) {
      throw new ParticipationException(ParticipationException.Reason.INVALID_BLOCK, "system channel not supported");
    }
    if (channels.containsKey(config.channelId()) || ledgers.channelIds().contains(config.channelId())) {
      throw new ParticipationException(ParticipationException.Reason.ALREADY_EXISTS, "channel already exists");
    }
    if (followers.containsKey(config.channelId())) {
      throw new ParticipationException(ParticipationException.Reason.ALREADY_EXISTS, "channel already exists");
    }
    if (configBlock.getHeader().getNumber() != 0) {
      if (signer == null) {
        throw new ParticipationException(ParticipationException.Reason.INVALID_BLOCK,
            "joining with a config block above the genesis block needs the node's signing identity");
      }
      if (BlockMetadataReader.lastConfigIndex(configBlock) != configBlock.getHeader().getNumber()) {
        throw new ParticipationException(ParticipationException.Reason.INVALID_BLOCK,
            "block " + configBlock.getHeader().getNumber() + " is not a config block");
      }
      writeJoinBlock(config.channelId(), configBlock);
      follow(config.channelId(), configBlock);
      return participationInfo(config.channelId()).orElseThrow();
    }
    try {
      create(configBlock);
      return participationInfo(config.channelId()).orElseThrow();
    } catch (IllegalArgumentException e) {
      throw new ParticipationException(ParticipationException.Reason.INVALID_BLOCK, e.getMessage());
    }
  }

  /**
   * Leaves a channel: its chain halts (so Deliver streams end with SERVICE_UNAVAILABLE), its
   * ledger is closed and deleted, and it is no longer served.
   */
  public synchronized void remove(String channelId) {
    ChannelFollower follower = followers.remove(channelId);
    if (follower != null) {
      follower.close();
      ledgers.remove(channelId);
      try {
        Files.deleteIfExists(joinFile(channelId));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the join block of " + channelId, e);
      }
      log.info("Removed channel {}", channelId);
      return;
    }
    ServedChannel channel = channels.remove(channelId);
    if (channel == null) {
      throw new ParticipationException(ParticipationException.Reason.NOT_FOUND, "channel does not exist");
    }
    log.info("[channel: {}] Chain halted: channel removed", channelId);
    channel.remove();
    ledgers.remove(channelId);
    log.info("Removed channel {}", channelId);
  }

  /** Every channel this node has joined, served or following, sorted. */
  public List<String> participationIds() {
    java.util.TreeSet<String> ids = new java.util.TreeSet<>(channels.keySet());
    ids.addAll(followers.keySet());
    return List.copyOf(ids);
  }

  /**
   * Fabric's channel info (orderer/common/types ChannelInfo): a channel this node orders for is
   * relation "consenter" (a cluster type such as etcdraft) or "other" (solo), status "active"
   * ("inactive" once its chain stopped); a channel being pulled is relation "follower", or
   * "consenter" when its join block names this node one (it becomes a consenter once it holds
   * that block), with status "onboarding" until the join block is held, then "active". A consenter
   * switching from follower stays "onboarding" until its chain has started (it may be retrying).
   */
  public Optional<ParticipationInfo> participationInfo(String channelId) {
    ServedChannel served = channels.get(channelId);
    if (served != null) {
      String relation = chains == null ? "other" : chains.relation(served.config());
      String status = served.chainStarting() ? "onboarding"
          : served.chain().isPresent() && served.errored().fired() ? "inactive" : "active";
      return Optional.of(new ParticipationInfo(channelId, relation, status, served.ledger().height()));
    }
    ChannelFollower follower = followers.get(channelId);
    if (follower != null) {
      String relation = chains != null && chains.isClusterMember(configOf(follower.joinBlock()))
          && follower.joinBlock().getHeader().getNumber() > 0 ? "consenter" : "follower";
      // A follower that will become a consenter orders nothing yet: "onboarding" until its chain
      // has started, never an "active" that Broadcast would contradict.
      String status = "consenter".equals(relation) && !"failed".equals(follower.status()) ? "onboarding"
          : follower.status();
      return Optional.of(new ParticipationInfo(channelId, relation, status, follower.ledger().height()));
    }
    return Optional.empty();
  }

  private void follow(String channelId, Block joinBlock) {
    startFollower(channelId, ledgers.openOrCreate(channelId), joinBlock);
    log.info("[channel: {}] Joined at config block {}: pulling its blocks from the channel's orderers", channelId,
        joinBlock.getHeader().getNumber());
  }

  private void schedule(Runnable task) {
    try {
      switches.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("Not switching a channel: the node is stopping");
    }
  }

  private void startFollower(String channelId, BlockStore store, Block joinBlock) {
    ChannelFollower follower = new ChannelFollower(channelId, store, joinBlock, crypto, signer, chains.clock(), chains.pullTls(),
        () -> schedule(() -> switchToConsenter(channelId)));
    followers.put(channelId, follower);
    follower.start();
  }

  private Path joinFile(String channelId) {
    return ledgers.root().resolve("join").resolve(channelId + ".join");
  }

  /** Kept until the channel is removed, so that a restart resumes following (Fabric's pendingops/join). */
  private void writeJoinBlock(String channelId, Block joinBlock) {
    try {
      Path file = joinFile(channelId);
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, joinBlock.toByteArray());
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the join block of " + channelId, e);
    }
  }

  private Map<String, Block> readJoinBlocks() {
    Map<String, Block> out = new java.util.TreeMap<>();
    Path dir = ledgers.root().resolve("join");
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (var files = Files.newDirectoryStream(dir, "*.join")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        out.put(name.substring(0, name.length() - ".join".length()), Block.parseFrom(Files.readAllBytes(f)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the join blocks in " + dir, e);
    }
    return out;
  }

  private ChannelConfig lastConfig(String id, BlockStore store) {
    Block newest = store.readBlock(store.height() - 1);
    long index = BlockMetadataReader.lastConfigIndex(newest);
    Block configBlock = index == newest.getHeader().getNumber() ? newest : store.readBlock(index);
    return configOf(configBlock);
  }

  private ChannelConfig configOf(Block configBlock) {
    try {
      return ChannelConfig.fromConfigBlock(configBlock, crypto);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("block " + configBlock.getHeader().getNumber() + " holds no valid channel config: " + e.getMessage(), e);
    }
  }

  /**
   * Closes every chain cleanly (what they accepted is written). The channels stay known: a
   * Broadcast or Deliver stream still open while the node stops finds its channel with a halted
   * chain and is answered SERVICE_UNAVAILABLE ("Exiting", as Fabric's halted solo chain answers),
   * not the BAD_REQUEST of an unknown channel, which clients take as final.
   */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    switches.shutdown();
    followers.values().forEach(ChannelFollower::close);
    followers.clear();
    channels.values().forEach(ServedChannel::close);
  }
}
