package org.jorderer.server.broadcast;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Fabric's Broadcast metrics ({@code orderer/common/broadcast/metrics.go}): names, help texts,
 * labels and default buckets.
 */
public final class BroadcastMetrics {
  private final Histogram validateDuration;
  private final Histogram enqueueDuration;
  private final Counter processedCount;

  public BroadcastMetrics(PrometheusRegistry registry) {
    validateDuration = Histogram.builder()
        .name("broadcast_validate_duration")
        .help("The time to validate a transaction in seconds.")
        .labelNames("channel", "type", "status")
        .classicOnly()
        .register(registry);
    enqueueDuration = Histogram.builder()
        .name("broadcast_enqueue_duration")
        .help("The time to enqueue a transaction in seconds.")
        .labelNames("channel", "type", "status")
        .classicOnly()
        .register(registry);
    processedCount = Counter.builder()
        .name("broadcast_processed_count")
        .help("The number of transactions processed.")
        .labelNames("channel", "type", "status")
        .register(registry);
  }

  /**
   * Records one processed envelope, as {@code broadcast.go} ProcessMessage does.
   *
   * @param enqueueSeconds negative when the envelope never reached the chain
   */
  void processed(String channel, String type, String status, double validateSeconds, double enqueueSeconds) {
    validateDuration.labelValues(channel, type, status).observe(validateSeconds);
    if (enqueueSeconds >= 0) {
      enqueueDuration.labelValues(channel, type, status).observe(enqueueSeconds);
    }
    processedCount.labelValues(channel, type, status).inc();
  }
}
