package org.jorderer.consensus;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The ordering side's metrics ({@code orderer/common/blockcutter/metrics.go},
 * {@code common/ledger/blkstorage/metrics.go}): Fabric's block cutter histogram and the two ledger
 * metrics its block store updates, with Fabric's names, help texts, labels and buckets. Create one
 * per registry (the names can be registered once) and hand {@link #forChannel} to each chain.
 */
public final class ConsensusMetrics {
  private final PrometheusRegistry registry;
  private final Map<Class<?>, Object> typeMetrics = new ConcurrentHashMap<>();
  private final Histogram blockFillDuration;
  private final Gauge blockchainHeight;
  private final Histogram blockstorageCommitTime;

  public ConsensusMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    blockFillDuration = Histogram.builder()
        .name("blockcutter_block_fill_duration")
        .help("The time from first transaction enqueing to the block being cut in seconds.")
        .labelNames("channel")
        .classicOnly()
        .register(registry);
    blockchainHeight = Gauge.builder()
        .name("ledger_blockchain_height")
        .help("Height of the chain in blocks.")
        .labelNames("channel")
        .register(registry);
    blockstorageCommitTime = Histogram.builder()
        .name("ledger_blockstorage_commit_time")
        .help("Time taken in seconds for committing the block to storage.")
        .labelNames("channel")
        .classicUpperBounds(0.005, 0.01, 0.015, 0.05, 0.1, 1, 10)
        .classicOnly()
        .register(registry);
  }

  /**
   * The metrics a consensus type adds (etcdraft's {@code consensus_etcdraft_*}), registered with
   * this registry by {@code register} on the first ask and shared by every chain after. A node
   * that runs no chain of that type registers none of them, as Fabric's orderer registers the
   * metrics of the consenters it makes. This keeps the consensus modules free of the server's
   * operations code: they reach the registry the endpoint scrapes through here.
   */
  public <T> T typeMetrics(Class<T> type, Function<PrometheusRegistry, T> register) {
    return type.cast(typeMetrics.computeIfAbsent(type, t -> register.apply(registry)));
  }

  /** Metrics bound to one channel's label. */
  public ChannelMetrics forChannel(String channelId) {
    return new ChannelMetrics(channelId);
  }

  /**
   * One channel's series. Label values are looked up on each update rather than bound up front so
   * that, as in Fabric, a series appears only with its first observation.
   */
  public final class ChannelMetrics {
    private final String channelId;

    private ChannelMetrics(String channelId) {
      this.channelId = channelId;
    }

    public String channelId() {
      return channelId;
    }

    /** See {@link ConsensusMetrics#typeMetrics}. */
    public <T> T typeMetrics(Class<T> type, Function<PrometheusRegistry, T> register) {
      return ConsensusMetrics.this.typeMetrics(type, register);
    }

    /** {@code blockcutter_block_fill_duration}: seconds from the batch's first envelope to its cut. */
    public void blockFilled(double seconds) {
      blockFillDuration.labelValues(channelId).observe(seconds);
    }

    /** {@code ledger_blockchain_height}: the ledger's height in blocks. */
    public void height(long blocks) {
      blockchainHeight.labelValues(channelId).set(blocks);
    }

    /** {@code ledger_blockstorage_commit_time}: seconds one block append (with its fsync) took. */
    public void blockCommitted(double seconds) {
      blockstorageCommitTime.labelValues(channelId).observe(seconds);
    }
  }
}
