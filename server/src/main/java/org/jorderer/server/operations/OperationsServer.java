package org.jorderer.server.operations;

import org.jorderer.server.http.Json;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fabric's operations endpoints on the JDK HTTP server: {@code /metrics}, {@code /healthz},
 * {@code /version} and {@code /logspec}, with the JSON shapes, status codes and content types of
 * Fabric's {@code core/operations} handlers (see docs/operations.md for each).
 *
 * <p>Paths match exactly, as Go's ServeMux does for these patterns; anything else is Go's 404.
 * Handlers never send a stack trace: an unexpected failure is logged here and answered with a
 * short message.
 */
public final class OperationsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OperationsServer.class);

  private static final String JSON = "application/json";
  // Fabric's /version and /logspec handlers set no Content-Type before writing (version.go sets
  // it after WriteHeader, where Go ignores it), so Go sniffs the JSON body as plain text.
  private static final String SNIFFED_TEXT = "text/plain; charset=utf-8";
  private static final int MAX_BODY = 1 << 20;

  /**
   * JVM and process metrics are per process, so one registry serves every server in it. Building
   * them once also keeps their GC notification listeners from piling up across restarts.
   */
  private static PrometheusRegistry jvmRegistry;

  private final HttpServer http;
  private final ExecutorService executor;
  private final List<PrometheusTextWriter.Source> metricSources;
  private final HealthChecks checks;
  private final LogLevels logLevels;
  private final VersionInfo version;
  private final OperationsSettings settings;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();

  private OperationsServer(HttpServer http, ExecutorService executor, OperationsSettings settings,
      List<PrometheusTextWriter.Source> metricSources, HealthChecks checks, LogLevels logLevels,
      VersionInfo version) {
    this.http = http;
    this.executor = executor;
    this.settings = settings;
    this.metricSources = metricSources;
    this.checks = checks;
    this.logLevels = logLevels;
    this.version = version;
  }

  /**
   * Starts with logback as the log level backend and the version from this jar's manifest.
   *
   * @param registry the orderer's metrics, exposed with Fabric's names
   * @param checks   the node's health checks; components may be added while running
   */
  public static OperationsServer start(OperationsSettings settings, PrometheusRegistry registry,
      HealthChecks checks) throws IOException {
    return start(settings, registry, checks, LogLevels.forCurrentBackend(),
        VersionInfo.of(OperationsServer.class));
  }

  /**
   * Binds the listener and starts serving.
   *
   * @throws IOException if the address cannot be bound
   */
  public static OperationsServer start(OperationsSettings settings, PrometheusRegistry registry,
      HealthChecks checks, LogLevels logLevels, VersionInfo version) throws IOException {
    // Fabric's operations system sets fabric_version{version} to 1 at start; dashboards use it
    // to see which release each node runs. It lives in a registry of our own so that starting
    // two servers over one orderer registry cannot clash on the name.
    PrometheusRegistry own = new PrometheusRegistry();
    Gauge.builder()
        .name("fabric_version")
        .help("The active version of Fabric.")
        .labelNames("version")
        .register(own)
        .labelValues(version.version())
        .set(1);
    List<PrometheusTextWriter.Source> sources = List.of(
        new PrometheusTextWriter.Source(registry, PrometheusTextWriter.Naming.FABRIC),
        new PrometheusTextWriter.Source(own, PrometheusTextWriter.Naming.FABRIC),
        new PrometheusTextWriter.Source(jvmRegistry(), PrometheusTextWriter.Naming.PROMETHEUS));

    HttpServer http;
    if (settings.https() != null) {
      HttpsServer https = HttpsServer.create(settings.listenAddress(), 0);
      https.setHttpsConfigurator(settings.https());
      http = https;
    } else {
      http = HttpServer.create(settings.listenAddress(), 0);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(settings.threads(), r -> {
      Thread t = new Thread(r, "operations-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    OperationsServer server =
        new OperationsServer(http, executor, settings, sources, checks, logLevels, version);
    http.createContext("/", server::handle);
    http.start();
    log.info("operations server listening on {}", server.address());
    return server;
  }

  private static synchronized PrometheusRegistry jvmRegistry() {
    if (jvmRegistry == null) {
      PrometheusRegistry registry = new PrometheusRegistry();
      JvmMetrics.builder().register(registry);
      jvmRegistry = registry;
    }
    return jvmRegistry;
  }

  /** The bound address, with the real port when 0 was asked for. */
  public InetSocketAddress address() {
    return http.getAddress();
  }

  public int port() {
    return http.getAddress().getPort();
  }

  /** Stops listening, gives requests in progress up to a second to finish, and ends the threads. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // JDK 17's HttpServer.stop(delay) waits the whole delay even when idle (JDK-8304065), so
    // wait for our own requests in progress, briefly, and then stop at once.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    http.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) {
    inFlight.incrementAndGet();
    try (exchange) {
      try {
        route(exchange);
      } catch (IOException e) {
        // The client went away mid-response; nothing to tell it.
        log.debug("operations request {} {} ended early: {}", exchange.getRequestMethod(),
            exchange.getRequestURI(), e.toString());
      } catch (RuntimeException e) {
        log.error("operations request {} {} failed", exchange.getRequestMethod(),
            exchange.getRequestURI(), e);
        try {
          send(exchange, 500, SNIFFED_TEXT, "{\"error\":\"internal server error\"}\n");
        } catch (IOException | RuntimeException ignored) {
          // Headers were already sent; the client sees a cut response.
        }
      }
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    switch (exchange.getRequestURI().getRawPath()) {
      case "/metrics" -> metrics(exchange);
      case "/healthz" -> healthz(exchange);
      case "/version" -> version(exchange);
      case "/logspec" -> logspec(exchange);
      default -> {
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        send(exchange, 404, SNIFFED_TEXT, "404 page not found\n");
      }
    }
  }

  /**
   * The metrics, to GET and HEAD. Fabric mounts promhttp without a method check, so a DELETE or
   * POST gets the metrics there; here they get 405 as on the other paths that take one method.
   */
  private void metrics(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      sendError(exchange, 405, "invalid request method: " + method);
      return;
    }
    // Scrape fully before sending headers, so that a failing collector becomes a clean 500.
    StringWriter text = new StringWriter(16384);
    PrometheusTextWriter.write(text, metricSources);
    exchange.getResponseHeaders().set("Content-Type", PrometheusTextWriter.CONTENT_TYPE);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    boolean gzip = acceptsGzip(exchange);
    if (gzip) {
      exchange.getResponseHeaders().set("Content-Encoding", "gzip");
    }
    exchange.sendResponseHeaders(200, 0);
    OutputStream body = exchange.getResponseBody();
    OutputStream out = gzip ? new GZIPOutputStream(body, 8192) : body;
    try (Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8)) {
      writer.write(text.toString());
    }
  }

  private static boolean acceptsGzip(HttpExchange exchange) {
    List<String> accept = exchange.getRequestHeaders().get("Accept-Encoding");
    if (accept == null) {
      return false;
    }
    for (String header : accept) {
      for (String part : header.split(",")) {
        String coding = part.trim();
        int semi = coding.indexOf(';');
        if ((semi < 0 ? coding : coding.substring(0, semi).trim()).equalsIgnoreCase("gzip")) {
          return true;
        }
      }
    }
    return false;
  }

  /** fabric-lib-go's healthz handler: GET only (405 with no body otherwise). */
  private void healthz(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.sendResponseHeaders(405, -1);
      return;
    }
    String time = OffsetDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    List<FailedCheck> failed = checks.run(settings.healthCheckTimeout());
    StringBuilder json = new StringBuilder();
    json.append("{\"status\":").append(Json.quote(failed.isEmpty() ? "OK" : "Service Unavailable"))
        .append(",\"time\":").append(Json.quote(time));
    if (!failed.isEmpty()) {
      json.append(",\"failed_checks\":[");
      for (int i = 0; i < failed.size(); i++) {
        FailedCheck f = failed.get(i);
        json.append(i == 0 ? "" : ",")
            .append("{\"component\":").append(Json.quote(f.component()))
            .append(",\"reason\":").append(Json.quote(f.reason())).append('}');
      }
      json.append(']');
    }
    json.append('}');
    send(exchange, failed.isEmpty() ? 200 : 503, JSON, json.toString());
  }

  /** Fabric's VersionInfoHandler: GET only, otherwise 400 with {@code {"Error":...}}. */
  private void version(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    if (!method.equals("GET")) {
      send(exchange, 400, SNIFFED_TEXT,
          "{\"Error\":" + Json.quote("invalid request method: " + method) + "}");
      return;
    }
    // Both fields are omitempty in Fabric.
    StringBuilder json = new StringBuilder("{");
    if (!version.commitSha().isEmpty()) {
      json.append("\"CommitSHA\":").append(Json.quote(version.commitSha()));
    }
    if (!version.version().isEmpty()) {
      json.append(json.length() > 1 ? "," : "").append("\"Version\":").append(Json.quote(version.version()));
    }
    send(exchange, 200, SNIFFED_TEXT, json.append('}').toString());
  }

  /**
   * Fabric's httpadmin SpecHandler: GET answers {@code {"spec":...}}, PUT {@code {"spec":...}}
   * activates it (204), anything else is 400. Its bodies end in a newline (Go's json.Encoder).
   */
  private void logspec(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    switch (method) {
      case "GET" -> {
        String spec = logLevels.spec();
        send(exchange, 200, SNIFFED_TEXT,
            spec.isEmpty() ? "{}\n" : "{\"spec\":" + Json.quote(spec) + "}\n");
      }
      case "PUT" -> {
        String spec;
        try {
          spec = specFrom(readBody(exchange));
          logLevels.activate(spec);
        } catch (IllegalArgumentException e) {
          sendError(exchange, 400, e.getMessage());
          return;
        } catch (UnsupportedOperationException e) {
          sendError(exchange, 500, e.getMessage());
          return;
        }
        log.info("log spec set to '{}' through the operations server", spec);
        exchange.sendResponseHeaders(204, -1);
      }
      default -> sendError(exchange, 400, "invalid request method: " + method);
    }
  }

  /**
   * The spec from a PUT body, as Go's decoder fills Fabric's LogSpec: the "spec" key (matched
   * case-insensitively when there is no exact match), other keys ignored, absent or null meaning
   * the empty spec (which resets every level to info).
   */
  private static String specFrom(String body) {
    if (body.isBlank()) {
      throw new IllegalArgumentException("request body is empty; send {\"spec\":\"<logging spec>\"}");
    }
    Object parsed;
    try {
      parsed = Json.parse(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("request body is not valid JSON: " + e.getMessage());
    }
    if (!(parsed instanceof Map<?, ?> object)) {
      throw new IllegalArgumentException(
          "request body must be a JSON object such as {\"spec\":\"info\"}");
    }
    Object value = object.get("spec");
    if (!object.containsKey("spec")) {
      for (Map.Entry<?, ?> e : object.entrySet()) {
        if (((String) e.getKey()).equalsIgnoreCase("spec")) {
          value = e.getValue();
          break;
        }
      }
    }
    if (value == null) {
      return "";
    }
    if (!(value instanceof String spec)) {
      throw new IllegalArgumentException("\"spec\" must be a JSON string");
    }
    return spec;
  }

  private static String readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        if (out.size() > MAX_BODY) {
          throw new IllegalArgumentException("request body is larger than " + MAX_BODY + " bytes");
        }
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  private static void sendError(HttpExchange exchange, int code, String message) throws IOException {
    send(exchange, code, SNIFFED_TEXT, "{\"error\":" + Json.quote(message) + "}\n");
  }

  private static void send(HttpExchange exchange, int code, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(code, -1);
      return;
    }
    exchange.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
