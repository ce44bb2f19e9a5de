package org.jorderer.server.deliver;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Fabric's Deliver metrics ({@code common/deliver/metrics.go}), with its names, help texts and
 * labels. The orderer's Deliver is neither filtered nor private-data, so those two labels are
 * constant.
 */
public final class DeliverMetrics {
  static final String FILTERED = "false";
  static final String DATA_TYPE = "block";

  private final Counter streamsOpened;
  private final Counter streamsClosed;
  private final Counter requestsReceived;
  private final Counter requestsCompleted;
  private final Counter blocksSent;

  public DeliverMetrics(PrometheusRegistry registry) {
    streamsOpened = Counter.builder()
        .name("deliver_streams_opened")
        .help("The number of GRPC streams that have been opened for the deliver service.")
        .register(registry);
    streamsClosed = Counter.builder()
        .name("deliver_streams_closed")
        .help("The number of GRPC streams that have been closed for the deliver service.")
        .register(registry);
    requestsReceived = Counter.builder()
        .name("deliver_requests_received")
        .help("The number of deliver requests that have been received.")
        .labelNames("channel", "filtered", "data_type")
        .register(registry);
    requestsCompleted = Counter.builder()
        .name("deliver_requests_completed")
        .help("The number of deliver requests that have been completed.")
        .labelNames("channel", "filtered", "data_type", "success")
        .register(registry);
    blocksSent = Counter.builder()
        .name("deliver_blocks_sent")
        .help("The number of blocks sent by the deliver service.")
        .labelNames("channel", "filtered", "data_type")
        .register(registry);
  }

  void streamOpened() {
    streamsOpened.inc();
  }

  void streamClosed() {
    streamsClosed.inc();
  }

  void requestReceived(String channel) {
    requestsReceived.labelValues(channel, FILTERED, DATA_TYPE).inc();
  }

  void requestCompleted(String channel, boolean success) {
    requestsCompleted.labelValues(channel, FILTERED, DATA_TYPE, Boolean.toString(success)).inc();
  }

  void blockSent(String channel) {
    BlocksSentSeries series = lastBlocksSent;
    if (!series.channel.equals(channel)) {
      series = new BlocksSentSeries(channel, blocksSent.labelValues(channel, FILTERED, DATA_TYPE));
      lastBlocksSent = series;
    }
    series.counter.inc();
  }

  /**
   * The blocks-sent series of the last channel counted: a fan-out counts one block per waiting
   * stream, all on one channel, and a lookup by label values (hashing the label list) per block
   * was work repeated thousands of times for the same answer. The series still appears only once
   * a block is counted, as Fabric's does.
   */
  private record BlocksSentSeries(String channel, CounterDataPoint counter) {}

  private volatile BlocksSentSeries lastBlocksSent = new BlocksSentSeries("\0none", null);
}
