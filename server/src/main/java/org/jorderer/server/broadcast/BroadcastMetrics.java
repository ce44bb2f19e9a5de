package org.jorderer.server.broadcast;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
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
    Series series = last;
    if (!series.labelled(channel, type, status)) {
      series = new Series(channel, type, status, validateDuration.labelValues(channel, type, status),
          processedCount.labelValues(channel, type, status));
      last = series;
    }
    series.validate().observe(validateSeconds);
    if (enqueueSeconds >= 0) {
      // Looked up only here: a refused envelope never reached the chain, and Fabric has no series for it.
      series.enqueue(enqueueDuration).observe(enqueueSeconds);
    }
    series.processed().inc();
  }

  /**
   * The series of the last labels recorded: a busy channel's envelopes nearly all have the same
   * labels (channel, ENDORSER_TRANSACTION, SUCCESS), and looking the series up by label values for
   * each envelope (hashing and comparing the label list, three times) showed in Broadcast's profile.
   */
  private volatile Series last = new Series("", "", "", null, null);

  private static final class Series {
    final String channel;
    final String type;
    final String status;
    private final DistributionDataPoint validate;
    private final CounterDataPoint processed;
    private volatile DistributionDataPoint enqueue;

    Series(String channel, String type, String status, DistributionDataPoint validate, CounterDataPoint processed) {
      this.channel = channel;
      this.type = type;
      this.status = status;
      this.validate = validate;
      this.processed = processed;
    }

    boolean labelled(String channel, String type, String status) {
      return validate != null && this.channel.equals(channel) && this.type.equals(type) && this.status.equals(status);
    }

    DistributionDataPoint validate() {
      return validate;
    }

    CounterDataPoint processed() {
      return processed;
    }

    DistributionDataPoint enqueue(Histogram histogram) {
      DistributionDataPoint known = enqueue;
      if (known == null) {
        known = histogram.labelValues(channel, type, status);
        enqueue = known;
      }
      return known;
    }
  }
}
