package org.jorderer.server.channels;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.config.OrganizationConfig;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls a channel's blocks from one other orderer over Deliver, with a Deliver request signed by
 * this node (Fabric's {@code BlockPuller} in orderer/common/cluster/deliver.go). What it hands over
 * is not yet checked: callers pass each block through a {@link PulledBlockVerifier} first.
 */
final class BlockPuller {
  private static final Logger log = LoggerFactory.getLogger(BlockPuller.class);

  private final String channelId;
  private final SignedEnvelopes requests;
  private final Clock clock;
  private volatile ManagedChannel connection;

  /** @param clock stamps the Deliver requests (the node's clock) */
  BlockPuller(String channelId, SignedEnvelopes requests, Clock clock) {
    this.channelId = channelId;
    this.requests = requests;
    this.clock = clock;
  }

  /**
   * Streams blocks {@code from} to {@code to} (inclusive; -1 for no end) from {@code endpoint} to
   * {@code accept}, on the calling thread. Returns once block {@code to} was handed over, or when
   * {@code running} turns false.
   *
   * @param idle how long to wait for the next block before giving up on this orderer (null: wait
   *     as long as {@code running} holds, as a follower that keeps following does)
   * @throws IllegalStateException when the orderer ends the stream, answers a status, fails, or is
   *     idle too long; or when {@code accept} throws
   */
  void pull(String endpoint, long from, long to, Duration idle, BooleanSupplier running, Consumer<Block> accept)
      throws InterruptedException {
    LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>(64);
    ManagedChannel channel = NettyChannelBuilder.forTarget(endpoint).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).build();
    connection = channel;
    try {
      StreamObserver<Envelope> stream = AtomicBroadcastGrpc.newStub(channel).deliver(new StreamObserver<>() {
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
          SeekPositions.seek(SeekPositions.specified(from), SeekPositions.specified(to)), clock.instant()));
      log.info("[channel: {}] Pulling blocks from {} starting at block {}", channelId, endpoint, from);
      long idleSince = System.nanoTime();
      while (running.getAsBoolean()) {
        Object next = responses.poll(200, TimeUnit.MILLISECONDS);
        if (next == null) {
          if (idle != null && System.nanoTime() - idleSince > idle.toNanos()) {
            throw new IllegalStateException(endpoint + " sent no block for " + idle.toMillis() + " ms");
          }
          continue;
        }
        idleSince = System.nanoTime();
        if (next instanceof DeliverResponse response && response.hasBlock()) {
          accept.accept(response.getBlock());
          if (to >= 0 && response.getBlock().getHeader().getNumber() >= to) {
            return;
          }
        } else if (next instanceof DeliverResponse response) {
          throw new IllegalStateException(endpoint + " answered " + response.getStatus());
        } else if (next instanceof Throwable t) {
          throw new IllegalStateException(endpoint + ": " + io.grpc.Status.fromThrowable(t));
        } else {
          throw new IllegalStateException(endpoint + " ended the stream");
        }
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** Ends the pull under way, if any (its stream fails at once). */
  void cancel() {
    ManagedChannel c = connection;
    if (c != null) {
      c.shutdownNow();
    }
  }

  /** The orderer organizations' endpoints, then the channel-level OrdererAddresses (deprecated). */
  static List<String> endpoints(ChannelConfig config) {
    Set<String> out = new LinkedHashSet<>();
    config.orderer().map(OrdererConfig::organizations).ifPresent(orgs -> {
      for (OrganizationConfig org : orgs.values()) {
        out.addAll(org.endpoints());
      }
    });
    config.ordererAddresses().ifPresent(a -> out.addAll(a.addresses()));
    return new ArrayList<>(out);
  }

  private static void putQuietly(LinkedBlockingQueue<Object> queue, Object item) {
    try {
      queue.put(item); // bounded: a fast source waits for the puller, never fills the heap
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
