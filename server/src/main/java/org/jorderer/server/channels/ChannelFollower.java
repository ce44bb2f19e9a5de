package org.jorderer.server.channels;

import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockHeaderHash;
import org.jorderer.ledger.BlockStore;
import org.jorderer.channel.block.BlockMetadataReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel this node joined with a config block above its genesis: it pulls the channel's blocks
 * over Deliver from the orderers the config names, checks each (its link to the previous block,
 * its data hash, the orderer signatures under the config in force), appends them, and keeps
 * following. It is "onboarding" until it holds the join block, "active" after.
 *
 * <p>The join block is the anchor of trust: the block pulled at its number must be exactly it, so
 * the chain of previous-hash links vouches for everything before it.
 */
final class ChannelFollower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChannelFollower.class);

  private final String channelId;
  private final BlockStore ledger;
  private final Block joinBlock;
  private final CryptoProvider crypto;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile String failure;
  private final BlockPuller puller;
  private ChannelConfig config; // the config in force for the next block; owned by the thread
  private PulledBlockVerifier verifier; // owned by the thread

  private final java.time.Clock clock;
  private final Runnable configHeld;

  /** @param clock the node's clock, which stamps the follower's Deliver requests */
  ChannelFollower(String channelId, BlockStore ledger, Block joinBlock, CryptoProvider crypto, LocalSigner signer,
      java.time.Clock clock) {
    this(channelId, ledger, joinBlock, crypto, signer, clock, null, () -> {});
  }

  /**
   * @param joinBlock the config block the node joined at, or for a node that was a consenter
   *     until a config block removed it, the channel's last config block (already held)
   * @param configHeld run on the follower's thread once the join block is held and after each
   *     later config block is appended, so the registry can make the node a consenter when a config
   *     names it (Fabric's follower: {@code SwitchFollowerToChain})
   * @param tls how to dial the orderers, or null for plaintext
   */
  ChannelFollower(String channelId, BlockStore ledger, Block joinBlock, CryptoProvider crypto, LocalSigner signer,
      java.time.Clock clock, OrdererClientTls tls, Runnable configHeld) {
    this.configHeld = configHeld;
    this.clock = clock;
    this.channelId = channelId;
    this.ledger = ledger;
    this.joinBlock = joinBlock;
    this.crypto = crypto;
    this.puller = new BlockPuller(channelId, new SignedEnvelopes(signer), clock, tls);
    this.thread = new Thread(this::run, "follower-" + channelId);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  long joinBlockNumber() {
    return joinBlock.getHeader().getNumber();
  }

  /** Fabric's participation status: onboarding until the join block is held, then active. */
  String status() {
    if (failure != null) {
      return "failed";
    }
    return ledger.height() > joinBlockNumber() ? "active" : "onboarding";
  }

  BlockStore ledger() {
    return ledger;
  }

  Block joinBlock() {
    return joinBlock;
  }

  /** Whether the follower's thread is the caller (it must not wait for itself to end). */
  boolean isFollowerThread() {
    return Thread.currentThread() == thread;
  }

  private void run() {
    ChannelConfig joinConfig = ChannelConfig.fromConfigBlock(joinBlock, crypto);
    config = ledger.height() == 0 ? null : lastConfig();
    if (ledger.height() > joinBlockNumber()) {
      configHeld.run(); // restarted after onboarding, or following after an eviction
    }
    int attempt = 0;
    while (running && failure == null) {
      List<BlockPuller.Endpoint> endpoints = BlockPuller.endpoints(config != null ? config : joinConfig);
      if (endpoints.isEmpty()) {
        fail("the channel config names no orderer endpoint to pull blocks from");
        return;
      }
      BlockPuller.Endpoint endpoint = endpoints.get(attempt++ % endpoints.size());
      try {
        pull(endpoint);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (running && failure == null) {
          log.warn("[channel: {}] Pulling blocks from {} failed: {}; trying again", channelId, endpoint, e.getMessage());
        }
      }
      sleep(Math.min(5_000, 200L * attempt));
    }
  }

  private void pull(BlockPuller.Endpoint endpoint) throws InterruptedException {
    puller.pull(endpoint, ledger.height(), -1, null, () -> running && failure == null, this::accept);
  }

  private void accept(Block block) {
    long number = block.getHeader().getNumber();
    if (verifier == null || verifier.next() != ledger.height()) {
      Block last = ledger.height() == 0 ? null : ledger.readBlock(ledger.height() - 1);
      verifier = new PulledBlockVerifier(channelId, last, config, crypto);
    }
    verifier.verify(block);
    if (number == joinBlockNumber()
        && !java.util.Arrays.equals(BlockHeaderHash.of(block.getHeader()), BlockHeaderHash.of(joinBlock.getHeader()))) {
      fail("block " + number + " received is not the join block: the orderers serve a different chain");
      return;
    }
    ledger.append(block.toByteArray());
    config = verifier.config();
    if (number == joinBlockNumber()) {
      log.info("[channel: {}] Onboarding done: holds blocks 0 to {}; following", channelId, number);
    }
    if (number >= joinBlockNumber() && (number == joinBlockNumber() || PulledBlockVerifier.isConfig(block))) {
      configHeld.run();
    }
  }

  private ChannelConfig lastConfig() {
    Block newest = ledger.readBlock(ledger.height() - 1);
    long index = BlockMetadataReader.lastConfigIndex(newest);
    return ChannelConfig.fromConfigBlock(index == newest.getHeader().getNumber() ? newest : ledger.readBlock(index), crypto);
  }

  private void fail(String reason) {
    failure = reason;
    log.error("[channel: {}] Onboarding stopped: {}", channelId, reason);
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      running = false;
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    puller.cancel();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
