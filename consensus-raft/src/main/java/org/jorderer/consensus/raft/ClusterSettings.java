package org.jorderer.consensus.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

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
 * @param electionTimeoutMin Raft election timeout, lower bound
 * @param electionTimeoutMax Raft election timeout, upper bound
 * @param submitTimeout how long one proposal may take, once forwarded to a leader, before Broadcast
 *     is answered SERVICE_UNAVAILABLE (a leader that takes that long to commit it)
 * @param leaderWait how long Broadcast holds an envelope while this node knows no leader of the
 *     channel (an election, or no quorum reachable) before answering SERVICE_UNAVAILABLE "no Raft
 *     leader"; null for the default, the election timeout's upper bound plus its lower bound (a
 *     leader's crash noticed at the latest, then one more election round). Fabric answers at once.
 *     Intended orderer.yaml key: {@code Consensus.BroadcastLeaderWait} (jorderer's own)
 * @param queueCapacity envelopes waiting to be proposed, at most (Broadcast pushes back beyond)
 * @param maxEntryBytes envelope bytes proposed in one Raft entry, at most
 * @param maxInflightEntries proposals of one channel under way at once (more waiting envelopes
 *     are grouped into the next entry)
 * @param handOffExecutor completes Broadcast's futures, never on Ratis's threads
 * @param tls mutual TLS between consenters, or null for plaintext (loopback and tests only)
 */
public record ClusterSettings(String listenHost, int listenPort, byte[] serverCertificatePem, Path storageDir,
    Duration electionTimeoutMin, Duration electionTimeoutMax, Duration submitTimeout, Duration leaderWait,
    int queueCapacity, int maxEntryBytes, int maxInflightEntries, Executor handOffExecutor, ClusterTls tls) {

  public ClusterSettings {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(serverCertificatePem, "serverCertificatePem");
    Objects.requireNonNull(storageDir, "storageDir");
    Objects.requireNonNull(electionTimeoutMin, "electionTimeoutMin");
    Objects.requireNonNull(electionTimeoutMax, "electionTimeoutMax");
    Objects.requireNonNull(submitTimeout, "submitTimeout");
    Objects.requireNonNull(handOffExecutor, "handOffExecutor");
    if (listenPort < 1 || listenPort > 65_535) {
      throw new IllegalArgumentException("cluster listen port " + listenPort + " is not a port");
    }
    if (electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
      throw new IllegalArgumentException("election timeout max " + electionTimeoutMax + " must exceed min "
          + electionTimeoutMin);
    }
    if (leaderWait != null && (leaderWait.isNegative() || leaderWait.isZero())) {
      throw new IllegalArgumentException("leader wait " + leaderWait + " must be positive");
    }
    if (queueCapacity < 1 || maxEntryBytes < 1 || maxInflightEntries < 1) {
      throw new IllegalArgumentException("queueCapacity, maxEntryBytes and maxInflightEntries must be positive");
    }
  }

  /**
   * Defaults: elections after 1-2 s without a leader (Fabric's 500 ms x ElectionTick 10 waits 5 s),
   * 10 s per proposal, Broadcast held up to 3 s without a leader, 10,000 queued envelopes, 1 MiB
   * entries, 4 proposals in flight; plaintext.
   */
  public static ClusterSettings defaults(String listenHost, int listenPort, byte[] serverCertificatePem, Path storageDir) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(10), null, 10_000, 1 << 20, 4, ForkJoinPool.commonPool(), null);
  }

  /** {@link #leaderWait} as set, or its default: the election timeout's upper plus lower bound. */
  public Duration effectiveLeaderWait() {
    return leaderWait != null ? leaderWait : electionTimeoutMax.plus(electionTimeoutMin);
  }

  /** The same settings holding Broadcast up to {@code wait} without a leader (null: the default). */
  public ClusterSettings withLeaderWait(Duration wait) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, submitTimeout, wait, queueCapacity, maxEntryBytes, maxInflightEntries, handOffExecutor,
        tls);
  }

  public ClusterSettings withElectionTimeout(Duration min, Duration max) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, min, max, submitTimeout,
        leaderWait, queueCapacity, maxEntryBytes, maxInflightEntries, handOffExecutor, tls);
  }

  public ClusterSettings withSubmitTimeout(Duration timeout) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, timeout, leaderWait, queueCapacity, maxEntryBytes, maxInflightEntries, handOffExecutor, tls);
  }

  /** The same settings with at most {@code bytes} of envelopes in one Raft entry. */
  public ClusterSettings withMaxEntryBytes(int bytes) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, submitTimeout, leaderWait, queueCapacity, bytes, maxInflightEntries, handOffExecutor, tls);
  }

  /** The same settings over mutual TLS with {@code clusterTls}. */
  public ClusterSettings withTls(ClusterTls clusterTls) {
    return new ClusterSettings(listenHost, listenPort, serverCertificatePem, storageDir, electionTimeoutMin,
        electionTimeoutMax, submitTimeout, leaderWait, queueCapacity, maxEntryBytes, maxInflightEntries,
        handOffExecutor, clusterTls);
  }
}
