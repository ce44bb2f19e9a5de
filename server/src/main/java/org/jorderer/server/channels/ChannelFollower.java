package org.jorderer.server.channels;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.config.OrganizationConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockHeaderHash;
import org.jorderer.ledger.BlockStore;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.policy.PolicyResult;
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
  private final SignedEnvelopes requests;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile String failure;
  private volatile ManagedChannel connection;
  private ChannelConfig config; // the config in force for the next block; owned by the thread

  private final java.time.Clock clock;
  private final Runnable configHeld;

  /** @param clock the node's clock, which stamps the follower's Deliver requests */
  ChannelFollower(String channelId, BlockStore ledger, Block joinBlock, CryptoProvider crypto, LocalSigner signer,
      java.time.Clock clock) {
    this(channelId, ledger, joinBlock, crypto, signer, clock, () -> {});
  }

  /**
   * @param joinBlock the config block the node joined at, or for a node that was a consenter
   *     until a config block removed it, the channel's last config block (already held)
   * @param configHeld run on the follower's thread once the join block is held and after each
   *     later config block is appended, so the registry can make the node a consenter when a config
   *     names it (Fabric's follower: {@code SwitchFollowerToChain})
   */
  ChannelFollower(String channelId, BlockStore ledger, Block joinBlock, CryptoProvider crypto, LocalSigner signer,
      java.time.Clock clock, Runnable configHeld) {
    this.configHeld = configHeld;
    this.clock = clock;
    this.channelId = channelId;
    this.ledger = ledger;
    this.joinBlock = joinBlock;
    this.crypto = crypto;
    this.requests = new SignedEnvelopes(signer);
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
      List<String> endpoints = endpoints(config != null ? config : joinConfig);
      if (endpoints.isEmpty()) {
        fail("the channel config names no orderer endpoint to pull blocks from");
        return;
      }
      String endpoint = endpoints.get(attempt++ % endpoints.size());
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

  private void pull(String endpoint) throws InterruptedException {
    LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>(64);
    connection = NettyChannelBuilder.forTarget(endpoint).usePlaintext().maxInboundMessageSize(Integer.MAX_VALUE).build();
    try {
      StreamObserver<Envelope> stream = AtomicBroadcastGrpc.newStub(connection).deliver(new StreamObserver<>() {
        @Override
        public void onNext(DeliverResponse value) {
          putQuietly(responses, value);
        }

        @Override
        public void onError(Throwable t) {
          putQuietly(responses, t);
        }

        @Override
        public void onCompleted() {
          putQuietly(responses, "closed");
        }
      });
      stream.onNext(requests.seek(channelId,
          SeekPositions.seek(SeekPositions.specified(ledger.height()), SeekPositions.specified(-1L)), clock.instant()));
      log.info("[channel: {}] Pulling blocks from {} starting at block {}", channelId, endpoint, ledger.height());
      while (running) {
        Object next = responses.poll(1, TimeUnit.SECONDS);
        if (next == null) {
          continue;
        }
        if (next instanceof DeliverResponse response && response.hasBlock()) {
          accept(response.getBlock());
        } else if (next instanceof DeliverResponse response) {
          throw new IllegalStateException(endpoint + " answered " + response.getStatus());
        } else if (next instanceof Throwable t) {
          throw new IllegalStateException(endpoint + ": " + io.grpc.Status.fromThrowable(t));
        } else {
          throw new IllegalStateException(endpoint + " ended the stream");
        }
      }
    } finally {
      connection.shutdownNow();
    }
  }

  private void accept(Block block) {
    long number = block.getHeader().getNumber();
    if (number != ledger.height()) {
      throw new IllegalStateException("expected block " + ledger.height() + " but received " + number);
    }
    if (number > 0) {
      PolicyResult verified = BlockSignatureVerifier.verify(block, config);
      if (!verified.satisfied()) {
        throw new IllegalStateException("block " + number + " failed verification: " + verified.reason());
      }
    }
    if (number == joinBlockNumber()
        && !java.util.Arrays.equals(BlockHeaderHash.of(block.getHeader()), BlockHeaderHash.of(joinBlock.getHeader()))) {
      fail("block " + number + " received is not the join block: the orderers serve a different chain");
      return;
    }
    ledger.append(block.toByteArray());
    if (number == 0 || isConfig(block)) {
      config = ChannelConfig.fromConfigBlock(block, crypto);
    }
    if (number == joinBlockNumber()) {
      log.info("[channel: {}] Onboarding done: holds blocks 0 to {}; following", channelId, number);
    }
    if (number >= joinBlockNumber() && (number == joinBlockNumber() || isConfig(block))) {
      configHeld.run();
    }
  }

  private static boolean isConfig(Block block) {
    try {
      return BlockMetadataReader.lastConfigIndex(block) == block.getHeader().getNumber();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private ChannelConfig lastConfig() {
    Block newest = ledger.readBlock(ledger.height() - 1);
    long index = BlockMetadataReader.lastConfigIndex(newest);
    return ChannelConfig.fromConfigBlock(index == newest.getHeader().getNumber() ? newest : ledger.readBlock(index), crypto);
  }

  /** The orderer organizations' endpoints, then the channel-level OrdererAddresses (deprecated). */
  private static List<String> endpoints(ChannelConfig config) {
    Set<String> out = new LinkedHashSet<>();
    config.orderer().map(OrdererConfig::organizations).ifPresent(orgs -> {
      for (OrganizationConfig org : orgs.values()) {
        out.addAll(org.endpoints());
      }
    });
    config.ordererAddresses().ifPresent(a -> out.addAll(a.addresses()));
    return new ArrayList<>(out);
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

  private static void putQuietly(LinkedBlockingQueue<Object> queue, Object item) {
    try {
      queue.put(item); // bounded: a fast source waits for the follower, never fills the heap
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    ManagedChannel c = connection;
    if (c != null) {
      c.shutdownNow();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
