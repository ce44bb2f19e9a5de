package org.jorderer.server.channels;

import java.time.Clock;
import java.time.Duration;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.function.Consumer;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.consensus.raft.BlockSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a Raft consenter behind the others' compacted logs gets its missing blocks: over Deliver
 * from the orderers the channel's config names, each block checked by a
 * {@link PulledBlockVerifier} (hash chain, data hash, BlockValidation signatures) before it is
 * handed over, as Fabric's onboarding pulls and verifies (orderer/common/cluster/replication.go).
 * The same puller and verifier serve {@link ChannelFollower}.
 *
 * <p>Each round first asks every orderer for its newest block and pulls from the highest first,
 * leaving out the orderers that do not hold the next block wanted, as Fabric's {@code BlockPuller}
 * probes its endpoints and connects only to one holding the requested block
 * (orderer/common/cluster/deliver.go, {@code probeEndpoints}, {@code connectToSomeEndpoint}).
 * Fabric's etcdraft lists every orderer endpoint, its own included, and relies on that probe to
 * skip itself (its ledger is behind); this node also never dials the addresses it knows as its own
 * (its client listener). An orderer that fails, serves a bad block, or sends nothing for
 * {@link #IDLE} is left for the next one; after {@link #ROUNDS} rounds over all of them the pull
 * fails, and the caller asks again later.
 */
public final class DeliverBlockSource implements BlockSource {
  private static final Logger log = LoggerFactory.getLogger(DeliverBlockSource.class);

  static final Duration IDLE = Duration.ofSeconds(5);
  static final int ROUNDS = 3;

  private final LocalSigner signer;
  private final Clock clock;
  private final OrdererClientTls tls;
  private final Set<String> own;

  /**
   * @param signer this node's identity, signing its Deliver requests
   * @param clock stamps those requests (the node's clock)
   */
  public DeliverBlockSource(LocalSigner signer, Clock clock) {
    this(signer, clock, null, Set.of());
  }

  /**
   * @param tls how to dial the orderers (docs/operating.md, "Pulling blocks from other
   *     orderers"), or null for plaintext
   */
  public DeliverBlockSource(LocalSigner signer, Clock clock, OrdererClientTls tls) {
    this(signer, clock, tls, Set.of());
  }

  /**
   * @param tls as above
   * @param own the endpoints ({@code host:port}) that are this node's own, never dialed
   */
  public DeliverBlockSource(LocalSigner signer, Clock clock, OrdererClientTls tls, Set<String> own) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tls = tls;
    this.own = Set.copyOf(own);
  }

  /**
   * The endpoints a node listening on {@code listen} answers at: its host and port as configured,
   * and, for a loopback or wildcard host, the loopback names of that port.
   */
  public static Set<String> ownEndpoints(InetSocketAddress listen) {
    if (listen == null || listen.getPort() == 0) {
      return Set.of();
    }
    Set<String> out = new LinkedHashSet<>();
    String host = listen.getHostString();
    out.add(host + ":" + listen.getPort());
    InetAddress address = listen.getAddress();
    if (address != null && (address.isLoopbackAddress() || address.isAnyLocalAddress())) {
      for (String loopback : List.of("127.0.0.1", "localhost", "[::1]", "::1")) {
        out.add(loopback + ":" + listen.getPort());
      }
    }
    return out;
  }

  @Override
  public void pull(String channelId, Block last, ChannelConfig config, long to, Consumer<Block> accept)
      throws InterruptedException {
    PulledBlockVerifier verifier = new PulledBlockVerifier(channelId, last, config, signer.crypto());
    // One puller for the whole pull: its connections are kept from the probes to the pulls
    try (BlockPuller puller = new BlockPuller(channelId, new SignedEnvelopes(signer), clock, tls)) {
      pull(channelId, verifier, puller, to, accept);
    }
  }

  private void pull(String channelId, PulledBlockVerifier verifier, BlockPuller puller, long to, Consumer<Block> accept)
      throws InterruptedException {
    String lastFailure = "the channel config names no orderer endpoint";
    for (int round = 0; round < ROUNDS && verifier.next() <= to; round++) {
      List<BlockPuller.Endpoint> endpoints = new ArrayList<>();
      for (BlockPuller.Endpoint endpoint : BlockPuller.endpoints(verifier.config())) {
        if (!own.contains(endpoint.address())) {
          endpoints.add(endpoint);
        }
      }
      if (endpoints.isEmpty()) {
        lastFailure = "the channel config names no orderer endpoint but this node's own";
        break;
      }
      // Every orderer is asked at once, as Fabric's probeEndpoints asks them concurrently: the
      // round waits for the slowest answer, not for the sum of them.
      Thread caller = Thread.currentThread();
      Map<BlockPuller.Endpoint, java.util.concurrent.CompletableFuture<Long>> asked = new java.util.LinkedHashMap<>();
      for (BlockPuller.Endpoint endpoint : endpoints) {
        java.util.concurrent.CompletableFuture<Long> answer = new java.util.concurrent.CompletableFuture<>();
        Thread probe = new Thread(() -> {
          try {
            answer.complete(puller.newestBlock(endpoint, IDLE, () -> !caller.isInterrupted()));
          } catch (Throwable e) {
            answer.completeExceptionally(e);
          }
        }, "probe-" + channelId + "-" + endpoint.address());
        probe.setDaemon(true);
        probe.start();
        asked.put(endpoint, answer);
      }
      Map<BlockPuller.Endpoint, Long> newest = new HashMap<>();
      for (var entry : asked.entrySet()) {
        try {
          newest.put(entry.getKey(), entry.getValue().get());
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof IllegalStateException failure)) {
            throw new IllegalStateException(entry.getKey() + ": " + e.getCause(), e.getCause());
          }
          lastFailure = entry.getKey() + ": " + failure.getMessage();
          log.warn("[channel: {}] Asking {} for its newest block failed: {}", channelId, entry.getKey(),
              failure.getMessage());
        }
      }
      stopIfInterrupted(channelId);
      long wanted = verifier.next();
      List<BlockPuller.Endpoint> holding = new ArrayList<>();
      newest.forEach((endpoint, number) -> {
        if (number >= wanted) {
          holding.add(endpoint);
        }
      });
      holding.sort(Comparator.comparing(newest::get).reversed());
      if (holding.isEmpty() && !newest.isEmpty()) {
        lastFailure = "no orderer holds block " + wanted + " (newest blocks: " + newest + ")";
        log.info("[channel: {}] No orderer holds block {} yet: {}", channelId, wanted, newest);
      }
      for (BlockPuller.Endpoint endpoint : holding) {
        if (verifier.next() > to) {
          break;
        }
        try {
          puller.pull(endpoint, verifier.next(), to, IDLE, () -> !Thread.currentThread().isInterrupted(), block -> {
            verifier.verify(block);
            accept.accept(block);
          });
        } catch (IllegalStateException e) {
          lastFailure = endpoint + ": " + e.getMessage();
          log.warn("[channel: {}] Pulling blocks {} to {} from {} failed: {}", channelId, verifier.next(), to, endpoint,
              e.getMessage());
        }
        stopIfInterrupted(channelId);
      }
    }
    if (verifier.next() <= to) {
      throw new IllegalStateException("channel " + channelId + ": could not pull blocks " + verifier.next() + " to "
          + to + " from the channel's orderers (last: " + lastFailure + ")");
    }
  }

  private static void stopIfInterrupted(String channelId) throws InterruptedException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedException("pulling blocks of channel " + channelId);
    }
  }
}
