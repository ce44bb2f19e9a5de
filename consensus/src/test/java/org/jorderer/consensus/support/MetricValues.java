package org.jorderer.consensus.support;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Optional;

/** Reads what a registry exposes, as a scrape of {@code /metrics} would see it. */
public final class MetricValues {
  private final PrometheusRegistry registry;

  public MetricValues(PrometheusRegistry registry) {
    this.registry = registry;
  }

  public MetricSnapshot metric(String name) {
    for (MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getName().equals(name)) {
        return snapshot;
      }
    }
    throw new AssertionError("no metric " + name + " registered");
  }

  /** The histogram's series for {@code channel}, if it has been observed. */
  public Optional<HistogramSnapshot.HistogramDataPointSnapshot> histogram(String name, String channel) {
    return ((HistogramSnapshot) metric(name)).getDataPoints().stream()
        .filter(p -> channel.equals(p.getLabels().get("channel")))
        .findFirst();
  }

  public long histogramCount(String name, String channel) {
    return histogram(name, channel).map(HistogramSnapshot.HistogramDataPointSnapshot::getCount).orElse(0L);
  }

  public double histogramSum(String name, String channel) {
    return histogram(name, channel).map(HistogramSnapshot.HistogramDataPointSnapshot::getSum).orElse(0.0);
  }

  public Optional<Double> gauge(String name, String channel) {
    return ((GaugeSnapshot) metric(name)).getDataPoints().stream()
        .filter(p -> channel.equals(p.getLabels().get("channel")))
        .map(GaugeSnapshot.GaugeDataPointSnapshot::getValue)
        .findFirst();
  }
}
