package org.jorderer.consensus.raft;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jorderer.consensus.ConsensusMetrics;

/**
 * Fabric's etcdraft metrics ({@code orderer/consensus/etcdraft/metrics.go}): the names, help texts,
 * types and the {@code channel} label of Fabric v2.4, so dashboards and alerts written for a Go
 * orderer's Raft channels read jorderer's. Registered once per registry through
 * {@link ConsensusMetrics#typeMetrics}, when the node's first etcdraft chain starts.
 *
 * <p>What each one measures here, where Ratis makes it differ from etcd/raft, is in docs/raft.md
 * ("Metrics").
 */
public final class EtcdRaftMetrics {
  private final Gauge clusterSize;
  private final Gauge isLeader;
  private final Gauge activeNodes;
  private final Gauge committedBlockNumber;
  private final Gauge snapshotBlockNumber;
  private final Counter leaderChanges;
  private final Counter proposalFailures;
  private final Histogram dataPersistDuration;
  private final Counter normalProposalsReceived;
  private final Counter configProposalsReceived;

  private EtcdRaftMetrics(PrometheusRegistry registry) {
    clusterSize = gauge(registry, "cluster_size", "Number of nodes in this channel.");
    isLeader = gauge(registry, "is_leader", "The leadership status of the current node: 1 if it is the leader else 0.");
    activeNodes = gauge(registry, "active_nodes", "Number of active nodes in this channel.");
    committedBlockNumber = gauge(registry, "committed_block_number", "The block number of the latest block committed.");
    snapshotBlockNumber = gauge(registry, "snapshot_block_number", "The block number of the latest snapshot.");
    leaderChanges = counter(registry, "leader_changes", "The number of leader changes since process start.");
    proposalFailures = counter(registry, "proposal_failures", "The number of proposal failures.");
    // Fabric's options name no buckets, so Go's DefBuckets apply; client_java's defaults are the same.
    dataPersistDuration = Histogram.builder()
        .name("consensus_etcdraft_data_persist_duration")
        .help("The time taken for etcd/raft data to be persisted in storage (in seconds).")
        .labelNames("channel")
        .classicOnly()
        .register(registry);
    normalProposalsReceived = counter(registry, "normal_proposals_received",
        "The total number of proposals received for normal type transactions.");
    configProposalsReceived = counter(registry, "config_proposals_received",
        "The total number of proposals received for config type transactions.");
  }

  /** The node's etcdraft metrics on the registry {@code metrics} reports to. */
  static EtcdRaftMetrics of(ConsensusMetrics.ChannelMetrics metrics) {
    return metrics.typeMetrics(EtcdRaftMetrics.class, EtcdRaftMetrics::new);
  }

  private static Gauge gauge(PrometheusRegistry registry, String name, String help) {
    return Gauge.builder().name("consensus_etcdraft_" + name).help(help).labelNames("channel").register(registry);
  }

  private static Counter counter(PrometheusRegistry registry, String name, String help) {
    return Counter.builder().name("consensus_etcdraft_" + name).help(help).labelNames("channel").register(registry);
  }

  /** One channel's series. */
  Channel forChannel(String channelId) {
    return new Channel(channelId);
  }

  /** The series of one channel, each made with its first update as Fabric's are. */
  final class Channel {
    private final String channelId;

    private Channel(String channelId) {
      this.channelId = channelId;
    }

    void clusterSize(int nodes) {
      clusterSize.labelValues(channelId).set(nodes);
    }

    void isLeader(boolean leader) {
      isLeader.labelValues(channelId).set(leader ? 1 : 0);
    }

    void activeNodes(int nodes) {
      activeNodes.labelValues(channelId).set(nodes);
    }

    void committedBlockNumber(long number) {
      committedBlockNumber.labelValues(channelId).set(number);
    }

    /** The number of the last block a snapshot of this channel's Raft state covers. */
    void snapshotBlockNumber(long number) {
      snapshotBlockNumber.labelValues(channelId).set(number);
    }

    void leaderChanged() {
      leaderChanges.labelValues(channelId).inc();
    }

    void proposalFailed() {
      proposalFailures.labelValues(channelId).inc();
    }

    void dataPersisted(double seconds) {
      dataPersistDuration.labelValues(channelId).observe(seconds);
    }

    void normalProposalReceived() {
      normalProposalsReceived.labelValues(channelId).inc();
    }

    void configProposalReceived() {
      configProposalsReceived.labelValues(channelId).inc();
    }
  }
}
