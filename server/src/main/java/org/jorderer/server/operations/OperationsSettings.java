package org.jorderer.server.operations;

import com.sun.net.httpserver.HttpsConfigurator;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How the operations server listens.
 *
 * @param listenAddress      Fabric's {@code Operations.ListenAddress}; port 0 picks a free port
 * @param https              TLS for the listener, or null for plain HTTP. A configurator rather
 *                           than an SSLContext so that the TLS work can also set client
 *                           authentication in {@code configure(HttpsParameters)}
 * @param healthCheckTimeout how long {@code /healthz} waits for all checks together
 * @param threads            request threads; scrapes and probes are few, a handful is plenty
 */
public record OperationsSettings(InetSocketAddress listenAddress, HttpsConfigurator https,
    Duration healthCheckTimeout, int threads) {
  public static final Duration DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(2);
  public static final int DEFAULT_THREADS = 4;

  public OperationsSettings {
    if (listenAddress == null) {
      throw new IllegalArgumentException("the operations server needs a listen address");
    }
    if (healthCheckTimeout == null || healthCheckTimeout.isNegative() || healthCheckTimeout.isZero()) {
      throw new IllegalArgumentException("health check timeout must be positive, got " + healthCheckTimeout);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("operations server threads must be at least 1, got " + threads);
    }
  }

  /** Plain HTTP on the address with the default timeout and threads. */
  public static OperationsSettings plain(InetSocketAddress listenAddress) {
    return new OperationsSettings(listenAddress, null, DEFAULT_HEALTH_CHECK_TIMEOUT, DEFAULT_THREADS);
  }

  public OperationsSettings withHttps(HttpsConfigurator configurator) {
    return new OperationsSettings(listenAddress, configurator, healthCheckTimeout, threads);
  }

  public OperationsSettings withHealthCheckTimeout(Duration timeout) {
    return new OperationsSettings(listenAddress, https, timeout, threads);
  }
}
