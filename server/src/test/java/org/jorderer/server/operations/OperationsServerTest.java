package org.jorderer.server.operations;

import org.jorderer.server.http.Json;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class OperationsServerTest {
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private PrometheusRegistry registry;
  private HealthChecks checks;
  private OperationsServer server;

  @BeforeEach
  void start() throws IOException {
    registry = new PrometheusRegistry();
    checks = new HealthChecks();
    server = OperationsServer.start(
        OperationsSettings.plain(new InetSocketAddress("127.0.0.1", 0))
            .withHealthCheckTimeout(Duration.ofMillis(500)),
        registry, checks, LogLevels.forCurrentBackend(), new VersionInfo("abc123", "0.1.0"));
  }

  @AfterEach
  void stop() {
    server.close();
    checks.close();
  }

  // ---- /metrics -------------------------------------------------------------------------------

  // The text format of /metrics for metrics registered here; that the production metrics carry
  // Fabric's names, help texts and buckets is FabricMetricNamesTest's job.
  @Test
  void metricsUseFabricNamesTypesAndCumulativeBuckets() throws Exception {
    Counter processed = Counter.builder().name("broadcast_processed_count")
        .help("The number of transactions processed.")
        .labelNames("channel", "type", "status").register(registry);
    processed.labelValues("mychannel", "ENDORSER_TRANSACTION", "SUCCESS").inc(3);
    processed.labelValues("a\"b\\c\nd", "CONFIG", "BAD_REQUEST").inc();
    Counter.builder().name("deliver_requests_received").help("The number of deliver requests that have been received.")
        .labelNames("channel", "filtered", "data_type").register(registry);
    Histogram validate = Histogram.builder().name("broadcast_validate_duration")
        .help("The time to validate a transaction in seconds.")
        .labelNames("channel", "type", "status").classicOnly().register(registry);
    validate.labelValues("mychannel", "ENDORSER_TRANSACTION", "SUCCESS").observe(0.003);
    validate.labelValues("mychannel", "ENDORSER_TRANSACTION", "SUCCESS").observe(0.2);
    validate.labelValues("mychannel", "ENDORSER_TRANSACTION", "SUCCESS").observe(20);
    Gauge.builder().name("ledger_blockchain_height").help("Height of the chain in blocks.")
        .labelNames("channel").register(registry).labelValues("mychannel").set(7);

    HttpResponse<String> response = get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    String text = response.body();
    Map<String, String> types = parse(text);

    assertThat(types).containsEntry("broadcast_processed_count", "counter")
        .containsEntry("broadcast_validate_duration", "histogram")
        .containsEntry("ledger_blockchain_height", "gauge")
        .containsEntry("fabric_version", "gauge");
    assertThat(text).doesNotContain("broadcast_processed_count_total")
        .contains("# HELP broadcast_processed_count The number of transactions processed.\n")
        .contains("broadcast_processed_count{channel=\"mychannel\",status=\"SUCCESS\",type=\"ENDORSER_TRANSACTION\"} 3\n")
        .contains("broadcast_processed_count{channel=\"a\\\"b\\\\c\\nd\",status=\"BAD_REQUEST\",type=\"CONFIG\"} 1\n")
        .contains("ledger_blockchain_height{channel=\"mychannel\"} 7\n")
        .contains("fabric_version{version=\"0.1.0\"} 1\n");
    // A labelled series appears only once it was touched, as in Fabric.
    assertThat(text).doesNotContain("deliver_requests_received{");

    String series = "{channel=\"mychannel\",status=\"SUCCESS\",type=\"ENDORSER_TRANSACTION\"";
    List<String> buckets = text.lines()
        .filter(l -> l.startsWith("broadcast_validate_duration_bucket" + series)).toList();
    assertThat(buckets).containsExactly(
        "broadcast_validate_duration_bucket" + series + ",le=\"0.005\"} 1",
        "broadcast_validate_duration_bucket" + series + ",le=\"0.01\"} 1",
        "broadcast_validate_duration_bucket" + series + ",le=\"0.025\"} 1",
        "broadcast_validate_duration_bucket" + series + ",le=\"0.05\"} 1",
        "broadcast_validate_duration_bucket" + series + ",le=\"0.1\"} 1",
        "broadcast_validate_duration_bucket" + series + ",le=\"0.25\"} 2",
        "broadcast_validate_duration_bucket" + series + ",le=\"0.5\"} 2",
        "broadcast_validate_duration_bucket" + series + ",le=\"1\"} 2",
        "broadcast_validate_duration_bucket" + series + ",le=\"2.5\"} 2",
        "broadcast_validate_duration_bucket" + series + ",le=\"5\"} 2",
        "broadcast_validate_duration_bucket" + series + ",le=\"10\"} 2",
        "broadcast_validate_duration_bucket" + series + ",le=\"+Inf\"} 3");
    assertThat(text).contains("broadcast_validate_duration_count" + series + "} 3\n");
    String sum = text.lines().filter(l -> l.startsWith("broadcast_validate_duration_sum" + series))
        .findFirst().orElseThrow();
    assertThat(Double.parseDouble(sum.substring(sum.lastIndexOf(' ') + 1)))
        .isCloseTo(20.203, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void metricsIncludeJvmAndProcessMetricsUnderPrometheusNames() throws Exception {
    String text = get("/metrics").body();
    Map<String, String> types = parse(text);
    assertThat(types).containsEntry("jvm_memory_used_bytes", "gauge")
        .containsEntry("jvm_threads_current", "gauge")
        .containsEntry("jvm_gc_collection_seconds", "summary")
        .containsEntry("process_cpu_seconds_total", "counter")
        .containsEntry("jvm_classes_loaded_total", "counter")
        .containsEntry("jvm_runtime_info", "gauge");
    assertThat(text).containsPattern("(?m)^process_cpu_seconds_total \\S+$")
        .containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\"} \\d+$");
  }

  @Test
  void metricsAreDeterministicAndGzipWhenAsked() throws Exception {
    Counter c = Counter.builder().name("deliver_blocks_sent").help("h")
        .labelNames("channel").register(registry);
    c.labelValues("zeta").inc();
    c.labelValues("alpha").inc();
    String text = get("/metrics").body();
    assertThat(text.indexOf("channel=\"alpha\"")).isLessThan(text.indexOf("channel=\"zeta\""));
    List<String> names = new ArrayList<>(parse(text).keySet());
    assertThat(names).isSorted();

    HttpResponse<byte[]> zipped = client.send(HttpRequest.newBuilder(uri("/metrics"))
        .header("Accept-Encoding", "gzip").build(), BodyHandlers.ofByteArray());
    assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
    String unzipped = new String(new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes(),
        StandardCharsets.UTF_8);
    assertThat(unzipped).contains("deliver_blocks_sent{channel=\"alpha\"} 1\n");
  }

  @Test
  void metricsAnswerGetAndHeadOnlyOtherMethodsGet405() throws Exception {
    assertThat(send("HEAD", "/metrics", "").statusCode()).isEqualTo(200);
    for (String method : List.of("DELETE", "POST", "PUT", "PATCH")) {
      HttpResponse<String> wrong = send(method, "/metrics", "");
      assertThat(wrong.statusCode()).as(method).isEqualTo(405);
      assertThat(wrong.headers().firstValue("Allow")).hasValue("GET, HEAD");
      assertThat(wrong.body()).as(method).doesNotContain("# TYPE");
    }
    for (String method : List.of("DELETE", "POST", "PUT")) {
      assertThat(send(method, "/healthz", "").statusCode()).as(method + " /healthz").isEqualTo(405);
      assertThat(send(method, "/version", "").statusCode()).as(method + " /version (Fabric: 400)").isEqualTo(400);
    }
    assertThat(send("DELETE", "/logspec", "").statusCode()).as("DELETE /logspec (Fabric: 400)").isEqualTo(400);
  }

  // ---- /healthz -------------------------------------------------------------------------------

  @Test
  void healthzIsOkWhenEveryCheckPasses(@TempDir Path ledger) throws Exception {
    checks.register("ledger", NodeHealth.ledgerDiskWritable(ledger));
    checks.register("chains", NodeHealth.chains(() -> List.of("a", "b"), id -> false));
    HttpResponse<String> response = get("/healthz");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    Map<String, Object> json = object(response.body());
    assertThat(json).containsOnlyKeys("status", "time").containsEntry("status", "OK");
    OffsetDateTime.parse((String) json.get("time"));
    try (var files = Files.list(ledger)) {
      assertThat(files).as("the probe file is removed").isEmpty();
    }
  }

  @Test
  void healthzIs503WithFailedChecksSortedByComponent(@TempDir Path tmp) throws Exception {
    checks.register("ledger", NodeHealth.ledgerDiskWritable(tmp.resolve("missing")));
    checks.register("chains", NodeHealth.chains(() -> List.of("b", "a", "c"), id -> !id.equals("c")));
    checks.register("slow", () -> {
      Thread.sleep(5_000);
      return Optional.empty();
    });
    checks.register("throws", () -> {
      throw new IllegalStateException("boom");
    });
    checks.register("fine", Optional::empty);

    long start = System.nanoTime();
    HttpResponse<String> response = get("/healthz");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).startsWith("{\"status\":\"Service Unavailable\",\"time\":\"");
    Map<String, Object> json = object(response.body());
    assertThat(json).containsOnlyKeys("status", "time", "failed_checks");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> failed = (List<Map<String, Object>>) json.get("failed_checks");
    assertThat(failed).extracting(f -> f.get("component")).containsExactly("chains", "ledger", "slow", "throws");
    assertThat(failed.get(0)).containsOnlyKeys("component", "reason")
        .containsEntry("reason", "chains have failed on channels a, b");
    assertThat((String) failed.get(1).get("reason")).startsWith("ledger directory ").contains("is not writable");
    assertThat(failed.get(2)).containsEntry("reason", "health check did not answer within 500 ms");
    assertThat(failed.get(3)).containsEntry("reason", "health check failed: boom");

    checks.deregister("ledger");
    checks.deregister("chains");
    checks.deregister("slow");
    checks.deregister("throws");
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void healthzRejectsOtherMethodsAndDuplicateComponents() throws Exception {
    HttpResponse<String> response = send("POST", "/healthz", "");
    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.body()).isEmpty();
    checks.register("x", Optional::empty);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> checks.register("x", Optional::empty))
        .isInstanceOf(IllegalStateException.class).hasMessage("'x' is already registered");
  }

  // ---- /version -------------------------------------------------------------------------------

  @Test
  void versionHasFabricsShape() throws Exception {
    HttpResponse<String> response = get("/version");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"CommitSHA\":\"abc123\",\"Version\":\"0.1.0\"}");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");

    HttpResponse<String> wrong = send("DELETE", "/version", "");
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(wrong.body()).isEqualTo("{\"Error\":\"invalid request method: DELETE\"}");
  }

  @Test
  void versionFromABuildDirectoryIsADevelopmentBuild() {
    assertThat(VersionInfo.of(OperationsServerTest.class))
        .isEqualTo(new VersionInfo("development build", "development build"));
  }

  // ---- /logspec -------------------------------------------------------------------------------

  @Test
  void logspecRoundTripChangesEffectiveLevels() throws Exception {
    String before = specOf(get("/logspec"));
    org.slf4j.Logger probe = LoggerFactory.getLogger("org.jorderer.opsprobe.Child");
    org.slf4j.Logger other = LoggerFactory.getLogger("io.grpc.netty.Something");
    try {
      HttpResponse<String> put = send("PUT", "/logspec",
          "{\"spec\":\"org.jorderer.opsprobe=debug:io.grpc=error:warning\"}");
      assertThat(put.statusCode()).isEqualTo(204);
      assertThat(put.body()).isEmpty();
      assertThat(probe.isDebugEnabled()).isTrue();
      assertThat(other.isWarnEnabled()).isFalse();
      assertThat(other.isErrorEnabled()).isTrue();
      assertThat(LoggerFactory.getLogger("unrelated").isWarnEnabled()).isTrue();
      assertThat(LoggerFactory.getLogger("unrelated").isInfoEnabled()).isFalse();

      HttpResponse<String> get = get("/logspec");
      assertThat(get.statusCode()).isEqualTo(200);
      assertThat(get.body()).isEqualTo("{\"spec\":\"io.grpc=error:org.jorderer.opsprobe=debug:warn\"}\n");

      // The next spec replaces the whole previous one.
      assertThat(send("PUT", "/logspec", "{\"spec\":\"info\"}").statusCode()).isEqualTo(204);
      assertThat(probe.isDebugEnabled()).isFalse();
      assertThat(other.isInfoEnabled()).isTrue();
      assertThat(specOf(get("/logspec"))).isEqualTo("info");

      // fatal lets nothing through: Java has no level above error.
      assertThat(send("PUT", "/logspec", "{\"spec\":\"org.jorderer.opsprobe=fatal:info\"}").statusCode())
          .isEqualTo(204);
      assertThat(probe.isErrorEnabled()).isFalse();
    } finally {
      // Leave the test JVM's logging as it was configured.
      assertThat(send("PUT", "/logspec", "{\"spec\":\"" + before + "\"}").statusCode()).isEqualTo(204);
    }
  }

  @Test
  void logspecExactOnlyNameLeavesDescendantsAlone() throws Exception {
    String before = specOf(get("/logspec"));
    org.slf4j.Logger parent = LoggerFactory.getLogger("org.jorderer.exact");
    org.slf4j.Logger child = LoggerFactory.getLogger("org.jorderer.exact.Child");
    try {
      assertThat(send("PUT", "/logspec", "{\"spec\":\"org.jorderer.exact.=debug:org.jorderer=warn:error\"}")
          .statusCode()).isEqualTo(204);
      assertThat(parent.isDebugEnabled()).isTrue();
      assertThat(child.isDebugEnabled()).isFalse();
      assertThat(child.isWarnEnabled()).isTrue();
      assertThat(specOf(get("/logspec"))).isEqualTo("org.jorderer.exact.=debug:org.jorderer=warn:error");
    } finally {
      send("PUT", "/logspec", "{\"spec\":\"" + before + "\"}");
    }
  }

  @Test
  void logspecStartsFromLogbackConfiguration() throws Exception {
    // logback-test.xml: root WARN and one named logger at ERROR.
    String spec = specOf(get("/logspec"));
    assertThat(spec).endsWith(":warn").contains("org.jorderer.ledger.LedgerLoader=error");
  }

  @Test
  void badLogspecIs400WithFabricsErrorJson() throws Exception {
    String before = specOf(get("/logspec"));
    assertError(send("PUT", "/logspec", "{\"spec\":\"chatty\"}"), 400,
        "invalid logging specification 'chatty': bad segment 'chatty'");
    assertError(send("PUT", "/logspec", "{\"spec\":\"=debug\"}"), 400,
        "invalid logging specification '=debug': no logger specified in segment '=debug'");
    assertError(send("PUT", "/logspec", "{\"spec\":\"a b=debug\"}"), 400,
        "invalid logging specification 'a b=debug': bad logger name 'a b'");
    assertError(send("PUT", "/logspec", "{\"spec\":\"a=b=c\"}"), 400,
        "invalid logging specification 'a=b=c': bad segment 'a=b=c'");
    HttpResponse<String> notJson = send("PUT", "/logspec", "spec=debug");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(object(notJson.body())).containsOnlyKeys("error");
    assertThat(send("PUT", "/logspec", "{\"spec\":5}").statusCode()).isEqualTo(400);
    assertError(send("POST", "/logspec", "{}"), 400, "invalid request method: POST");
    assertThat(specOf(get("/logspec"))).as("a rejected spec changes nothing").isEqualTo(before);
  }

  // ---- routing --------------------------------------------------------------------------------

  @Test
  void unknownPathsAreGoStyle404() throws Exception {
    for (String path : List.of("/", "/metrics/", "/healthzz", "/participation/v1/channels")) {
      HttpResponse<String> response = get(path);
      assertThat(response.statusCode()).as(path).isEqualTo(404);
      assertThat(response.body()).isEqualTo("404 page not found\n");
      assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
      assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }
  }

  @Test
  void closeStopsListening() throws Exception {
    int port = server.port();
    server.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
            BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).build(), BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path))
        .method(method, body.isEmpty() ? BodyPublishers.noBody() : BodyPublishers.ofString(body))
        .build(), BodyHandlers.ofString());
  }

  private static String specOf(HttpResponse<String> response) {
    assertThat(response.statusCode()).isEqualTo(200);
    return (String) object(response.body()).get("spec");
  }

  private static void assertError(HttpResponse<String> response, int status, String message) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.body()).isEqualTo("{\"error\":" + Json.quote(message) + "}\n");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(String json) {
    return (Map<String, Object>) Json.parse(json);
  }

  private static final Pattern HELP = Pattern.compile("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$");
  private static final Pattern TYPE =
      Pattern.compile("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$");
  private static final Pattern SAMPLE = Pattern.compile(
      "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\[\\\\\"n]|[^\"\\\\\\n])*\",?)*})?"
          + " (\\+Inf|-Inf|NaN|-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?)$");

  /**
   * Checks the exposition line by line against the 0.0.4 grammar, and that every sample belongs
   * to the family declared last (by name, or name plus a suffix its type allows). Returns each
   * family's type by name.
   */
  private static Map<String, String> parse(String text) {
    assertThat(text).endsWith("\n");
    Map<String, String> types = new LinkedHashMap<>();
    String family = null;
    String type = null;
    for (String line : text.split("\n")) {
      Matcher help = HELP.matcher(line);
      Matcher t = TYPE.matcher(line);
      Matcher sample = SAMPLE.matcher(line);
      if (help.matches()) {
        continue;
      }
      if (t.matches()) {
        family = t.group(1);
        type = t.group(2);
        assertThat(types).as("family declared twice: " + family).doesNotContainKey(family);
        types.put(family, type);
      } else if (sample.matches()) {
        String name = sample.group(1);
        assertThat(family).as("sample before any TYPE: " + line).isNotNull();
        List<String> allowed = switch (type) {
          case "histogram" -> List.of(family + "_bucket", family + "_sum", family + "_count");
          case "summary" -> List.of(family, family + "_sum", family + "_count");
          default -> List.of(family);
        };
        assertThat(allowed).as("sample " + line + " in family " + family).contains(name);
        if (name.endsWith("_bucket")) {
          assertThat(line).contains("le=\"");
        }
      } else {
        throw new AssertionError("not a valid exposition line: " + line);
      }
    }
    return types;
  }
}
