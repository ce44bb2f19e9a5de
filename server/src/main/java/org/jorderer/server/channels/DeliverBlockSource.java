package org.jorderer.server.channels;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
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
 * <p>An orderer that fails, serves a bad block, or sends nothing for {@link #IDLE} (it may be the
 * node itself, or behind too) is left for the next one; after {@link #ROUNDS} rounds over all of
 * them the pull fails, and Ratis asks again with the leader's next notification.
 */
public final class DeliverBlockSource implements BlockSource {
  private static final Logger log = LoggerFactory.getLogger(DeliverBlockSource.class);

  static final Duration IDLE = Duration.ofSeconds(5);
  static final int ROUNDS = 3;

  private final LocalSigner signer;
  private final Clock clock;
  private final OrdererClientTls tls;

  /**
   * @param signer this node's identity, signing its Deliver requests
   * @param clock stamps those requests (the node's clock)
   */
  public DeliverBlockSource(LocalSigner signer, Clock clock) {
    this(signer, clock, null);
  }

  /**
   * @param tls how to dial the orderers (docs/operating.md, "Pulling blocks from other
   *     orderers"), or null for plaintext
   */
  public DeliverBlockSource(LocalSigner signer, Clock clock, OrdererClientTls tls) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tls = tls;
  }

  @Override
  public void pull(String channelId, Block last, ChannelConfig config, long to, Consumer<Block> accept)
      throws InterruptedException {
    PulledBlockVerifier verifier = new PulledBlockVerifier(channelId, last, config, signer.crypto());
    BlockPuller puller = new BlockPuller(channelId, new SignedEnvelopes(signer), clock, tls);
    String lastFailure = "the channel config names no orderer endpoint";
    for (int round = 0; round < ROUNDS && verifier.next() <= to; round++) {
      List<BlockPuller.Endpoint> endpoints = BlockPuller.endpoints(verifier.config());
      for (BlockPuller.Endpoint endpoint : endpoints) {
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
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedException("pulling blocks of channel " + channelId);
        }
      }
    }
    if (verifier.next() <= to) {
      throw new IllegalStateException("channel " + channelId + ": could not pull blocks " + verifier.next() + " to "
          + to + " from the channel's orderers (last: " + lastFailure + ")");
    }
  }
}
