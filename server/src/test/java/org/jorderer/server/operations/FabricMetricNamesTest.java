package org.jorderer.server.operations;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hyperledger.fabric.protos.common.Status;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production metrics, as the operations endpoint writes them, against Fabric v2.4.9's own
 * definitions, written out here by hand: orderer/common/broadcast/metrics.go, common/deliver/metrics.go,
 * orderer/common/blockcutter/metrics.go, common/ledger/blkstorage/metrics.go,
 * internal/pkg/comm/metrics.go and common/grpcmetrics/metrics.go (texts checked against the v2.4.9
 * orderer binary, which still spells "enqueing"). Dashboards built for Fabric depend on them.
 */
class FabricMetricNamesTest {
  /** Prometheus' DefBuckets, which Fabric's histograms use when their options name none (le as Go prints it). */
  private static final List<String> GO_DEFAULT_BUCKETS =
      List.of("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf");

  private static final Map<String, String> FABRIC = new TreeMap<>(Map.ofEntries(
      Map.entry("broadcast_validate_duration", "histogram The time to validate a transaction in seconds."),
      Map.entry("broadcast_enqueue_duration", "histogram The time to enqueue a transaction in seconds."),
      Map.entry("broadcast_processed_count", "counter The number of transactions processed."),
      Map.entry("deliver_streams_opened",
          "counter The number of GRPC streams that have been opened for the deliver service."),
      Map.entry("deliver_streams_closed",
          "counter The number of GRPC streams that have been closed for the deliver service."),
      Map.entry("deliver_requests_received", "counter The number of deliver requests that have been received."),
      Map.entry("deliver_requests_completed", "counter The number of deliver requests that have been completed."),
      Map.entry("deliver_blocks_sent", "counter The number of blocks sent by the deliver service."),
      Map.entry("blockcutter_block_fill_duration",
          "histogram The time from first transaction enqueing to the block being cut in seconds."),
      Map.entry("ledger_blockchain_height", "gauge Height of the chain in blocks."),
      Map.entry("ledger_blockstorage_commit_time",
          "histogram Time taken in seconds for committing the block to storage."),
      Map.entry("grpc_comm_conn_opened",
          "counter gRPC connections opened. Open minus closed is the active number of connections."),
      Map.entry("grpc_comm_conn_closed",
          "counter gRPC connections closed. Open minus closed is the active number of connections."),
      Map.entry("grpc_server_unary_requests_received", "counter The number of unary requests received."),
      Map.entry("grpc_server_unary_requests_completed", "counter The number of unary requests completed."),
      Map.entry("grpc_server_unary_request_duration", "histogram The time to complete a unary request."),
      Map.entry("grpc_server_stream_requests_received", "counter The number of stream requests received."),
      Map.entry("grpc_server_stream_requests_completed", "counter The number of stream requests completed."),
      Map.entry("grpc_server_stream_request_duration", "histogram The time to complete a stream request."),
      Map.entry("grpc_server_stream_messages_received", "counter The number of stream messages received."),
      Map.entry("grpc_server_stream_messages_sent", "counter The number of stream messages sent.")));

  private static final Pattern HELP = Pattern.compile("^# HELP (\\S+) (.*)$");
  private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$");
  private static final Pattern BUCKET = Pattern.compile("^(\\S+)_bucket\\{.*le=\"([^\"]+)\".*\\} .*$");

  @TempDir Path data;

  @Test
  void namesHelpTextsTypesAndBucketsAreFabrics() throws Exception {
    PrometheusRegistry grpc = new PrometheusRegistry();
    new GrpcMetricsInterceptor(grpc);
    new GrpcConnectionMetrics(grpc);
    String text;
    try (TestOrderer orderer = new TestOrderer(data, DeliverHandler.Settings.defaults(),
        new TestClock(TestClock.SAMPLE_ORG_ERA))) {
      var vectors = orderer.withVectorsChannel();
      // One ordered message puts a sample in every orderer histogram, so their buckets show.
      try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
        assertThat(client.send(Vectors.parseEnvelope("broadcast-vectors-message.env")).next(10).getStatus())
            .isEqualTo(Status.SUCCESS);
      }
      org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> vectors.ledger().height() == 4);
      StringWriter out = new StringWriter();
      PrometheusTextWriter.write(out, List.of(
          new PrometheusTextWriter.Source(orderer.metrics, PrometheusTextWriter.Naming.FABRIC),
          new PrometheusTextWriter.Source(grpc, PrometheusTextWriter.Naming.FABRIC)));
      text = out.toString();
    }

    Map<String, String> help = new LinkedHashMap<>();
    Map<String, String> type = new LinkedHashMap<>();
    Map<String, List<String>> buckets = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher m;
      if ((m = HELP.matcher(line)).matches()) {
        help.put(m.group(1), m.group(2));
      } else if ((m = TYPE.matcher(line)).matches()) {
        type.put(m.group(1), m.group(2));
      } else if ((m = BUCKET.matcher(line)).matches()) {
        List<String> les = buckets.computeIfAbsent(m.group(1), k -> new ArrayList<>());
        if (!les.contains(m.group(2))) {
          les.add(m.group(2));
        }
      }
    }
    Map<String, String> exposed = new TreeMap<>();
    for (String name : help.keySet()) {
      exposed.put(name, type.get(name) + " " + help.get(name));
    }
    assertThat(exposed).isEqualTo(FABRIC);

    assertThat(buckets.get("ledger_blockstorage_commit_time"))
        .containsExactly("0.005", "0.01", "0.015", "0.05", "0.1", "1", "10", "+Inf");
    for (String histogram : List.of("broadcast_validate_duration", "broadcast_enqueue_duration",
        "blockcutter_block_fill_duration")) {
      assertThat(buckets.get(histogram)).as(histogram).isEqualTo(GO_DEFAULT_BUCKETS);
    }
    assertThat(text).contains("broadcast_processed_count{channel=\"vectors\",status=\"SUCCESS\",type=\"MESSAGE\"} 1");
  }
}
