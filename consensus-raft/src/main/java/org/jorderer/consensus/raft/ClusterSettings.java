package org.jorderer.consensus.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.jorderer.consensus.OrderingQueue;

/**
 * A node's side of its Raft clusters (Fabric's {@code General.Cluster.*} and
 * {@code Consensus.WALDir}/{@code SnapDir}).
 *
 * @param listenHost where this node's Ratis server listens ({@code General.Cluster.ListenAddress},
 *     else the general listener's address)
 * @param listenPort its port ({@code General.Cluster.ListenPort}); consenters of a channel give
 *     this port in their {@code host:port}
 * @param serverCertificatePem this node's cluster server TLS certificate
 *     ({@code General.Cluster.ServerCertificate}, else {@code General.TLS.Certificate}): the node is
 *     the consenter whose {@code server_tls_cert} has the same public key, as in Fabric
 * @param storageDir the Ratis log and this module's small state files ({@code Consensus.WALDir})
 * @param electionTimeoutMin a fixed Raft election timeout for this node, lower bound, or null (the
 *     default): then the channel's etcdraft Options decide ({@link RaftTiming})
 * @param electionTimeoutMax a fixed Raft election timeout, upper bound; null exactly when the lower is
 * @param tickIntervalOverride {@code Consensus.TickIntervalOverride}: replaces the channels'
 *     TickInterval on this node, or null
 * @param submitTimeout how long one proposal may take (elections included) before Broadcast is
 *     answered SERVICE_UNAVAILABLE
 * @param leaderWait how long Broadcast holds an envelope while this node knows no leader of the
 *     channel (an election, or no quorum reachable) before answering SERVICE_UNAVAILABLE "no Raft
 *     leader"; null for the default, the channel's election timeout's upper bound plus its lower
 *     bound (a leader's crash noticed at the latest, then one more election round). Fabric answers
 *     at once. orderer.yaml: {@code Consensus.BroadcastLeaderWait} (jorderer's own key)
 * @param queueCapacity envelopes waiting to be proposed, at most (Broadcast pushes back beyond)
 * @param queueBytes the bytes of those envelopes, at most (one envelope alone may be larger);
 *     Broadcast pushes back beyond, as for a solo channel ({@link OrderingQueue}, whose default
 *     {@link OrderingQueue#defaultMaxBytes} both use)
 * @param maxEntryBytes envelope bytes proposed in one Raft entry, at most
 * @param maxInflightEntries proposals of one channel under way at once; while that many are, the
 *     envelopes handed over wait in the queue and go together as the next entry (an envelope
 *     arriving while fewer are under way goes at once)
 * @param handOffExecutor completes Broadcast's futures, never on Ratis's threads
 * @param tls mutual TLS between consenters, or null for plaintext (loopback and tests only)
 */
public record ClusterSettings(String listenHost, int listenPort, byte[] serverCertificatePem, Path storageDir,
    Duration electionTimeoutMin, Duration electionTimeoutMax, Duration tickIntervalOverride, Duration submitTimeout,
    Duration leaderWait, int queueCapacity, long queueBytes, int maxEntryBytes, int maxInflightEntries, Executor handOffExecutor,
    ClusterTls tls) {

  public ClusterSettings {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(serverCertificatePem, "serverCertificatePem");
    Objects.requireNonNull(storageDir, "storageDir");
    Objects.requireNonNull(submitTimeout, "submitTimeout");
    Objects.requireNonNull(handOffExecutor, "handOffExecutor");
    if (listenPort < 1 || listenPort > 65_535) {
      throw new IllegalArgumentException("cluster listen port " + listenPort + " is not a port");
    }
    if ((electionTimeoutMin == null) != (electionTimeoutMax == null)) {
      throw new IllegalArgumentException("election timeout min and max are set together or not at all");
    }
    if (tickIntervalOverride != null && (tickIntervalOverride.isZero() || tickIntervalOverride.isNegative())) {
      throw new IllegalArgumentException("tick interval override " + tickIntervalOverride + " must be positive");
    }
    if (electionTimeoutMin != null && electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
      throw new IllegalArgumentException("election timeout max " + electionTimeoutMax + " must exceed min "
          + electionTimeoutMin);
    }
    if (leaderWait != null && (leaderWait.isNegative() || leaderWait.isZero())) {
      throw new IllegalArgumentException("leader wait " + leaderWait + " must be positive");
    }
    if (queueCapacity < 1 || queueBytes < 1 || maxEntryBytes < 1 || maxInflightEntries < 1) {
      throw new IllegalArgumentException(
          "queueCapacity, queueBytes, maxEntryBytes and maxInflightEntries must be positive");
    }
  }

  /**
   * Defaults: election timeouts from each channel's etcdraft Options (Fabric's 500 ms x
   * ElectionTick 10 gives 5-10 s), 10 s per proposal, Broadcast held without a leader for the
   * election timeout's upper plus lower bound, 10,000 queued envelopes of at most a sixteenth of
   * the heap together (as solo's queue), 1 MiB entries, 1 proposal in flight (group commit: under load
   * what arrives while one entry is being committed goes as the next; 4 in flight, with the permit
   * taken after the queue, made entries of 3-4 times fewer envelopes, docs/performance.md "Raft:
   * group commit"); plaintext.
   */
  public static ClusterSettings defaults(String listenHost, int listenPort, byte[] serverCertificatePem, Path storageDir) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, null, null, null,
        Duration.ofSeconds(10), null, 10_000, OrderingQueue.defaultMaxBytes(), 1 << 20, 1, ForkJoinPool.commonPool(), null);
  }

  /** {@link #leaderWait} as set, or its default for a channel timed by {@code timing}. */
  Duration effectiveLeaderWait(RaftTiming timing) {
    return leaderWait != null ? leaderWait : timing.electionTimeoutMax().plus(timing.electionTimeoutMin());
  }

  /** The same settings holding Broadcast up to {@code wait} without a leader (null: the default). */
  public ClusterSettings withLeaderWait(Duration wait) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tickIntervalOverride, submitTimeout, wait, queueCapacity, queueBytes, maxEntryBytes,
        maxInflightEntries, handOffExecutor, tls);
  }

  /** A fixed election timeout for this node, whatever the channels' Options say (tests). */
  public ClusterSettings withElectionTimeout(Duration min, Duration max) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, min, max,
        tickIntervalOverride, submitTimeout, leaderWait, queueCapacity, queueBytes, maxEntryBytes, maxInflightEntries,
        handOffExecutor, tls);
  }

  /** {@code Consensus.TickIntervalOverride}: this node's tick instead of the channels' TickInterval. */
  public ClusterSettings withTickIntervalOverride(Duration tick) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tick, submitTimeout, leaderWait, queueCapacity, queueBytes, maxEntryBytes, maxInflightEntries,
        handOffExecutor, tls);
  }

  public ClusterSettings withSubmitTimeout(Duration timeout) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tickIntervalOverride, timeout, leaderWait, queueCapacity, queueBytes, maxEntryBytes,
        maxInflightEntries, handOffExecutor, tls);
  }

  /** The same settings with at most {@code bytes} of envelopes in one Raft entry. */
  public ClusterSettings withMaxEntryBytes(int bytes) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tickIntervalOverride, submitTimeout, leaderWait, queueCapacity, queueBytes, bytes,
        maxInflightEntries, handOffExecutor, tls);
  }

  /** The same settings over mutual TLS with {@code clusterTls}. */
  public ClusterSettings withTls(ClusterTls clusterTls) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tickIntervalOverride, submitTimeout, leaderWait, queueCapacity, queueBytes, maxEntryBytes,
        maxInflightEntries,
        handOffExecutor, clusterTls);
  }

  /** The same settings with at most {@code capacity} envelopes waiting to be proposed. */
  public ClusterSettings withQueueCapacity(int capacity) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tickIntervalOverride, submitTimeout, leaderWait, capacity, queueBytes, maxEntryBytes,
        maxInflightEntries, handOffExecutor, tls);
  }

  /** The same settings with at most {@code bytes} of envelopes waiting to be proposed. */
  public ClusterSettings withQueueBytes(long bytes) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, tickIntervalOverride, submitTimeout, leaderWait, queueCapacity, bytes, maxEntryBytes,
        maxInflightEntries, handOffExecutor, tls);
  }
}
