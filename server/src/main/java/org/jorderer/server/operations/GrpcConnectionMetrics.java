package org.jorderer.server.operations;

import io.grpc.Attributes;
import io.grpc.ServerTransportFilter;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Fabric's connection counters ({@code grpc_comm_conn_opened}, {@code grpc_comm_conn_closed},
 * from {@code internal/pkg/comm}'s stats handler). Fabric counts connections, which an interceptor
 * never sees, so this is a transport filter: install it with {@code
 * ServerBuilder.addTransportFilter(new GrpcConnectionMetrics(registry))}.
 */
public final class GrpcConnectionMetrics extends ServerTransportFilter {
  private final Counter opened;
  private final Counter closed;

  public GrpcConnectionMetrics(PrometheusRegistry registry) {
    opened = Counter.builder()
        .name("grpc_comm_conn_opened")
        .help("gRPC connections opened. Open minus closed is the active number of connections.")
        .register(registry);
    closed = Counter.builder()
        .name("grpc_comm_conn_closed")
        .help("gRPC connections closed. Open minus closed is the active number of connections.")
        .register(registry);
  }

  @Override
  public Attributes transportReady(Attributes transportAttrs) {
    opened.inc();
    return transportAttrs.toBuilder().set(READY, Boolean.TRUE).build();
  }

  @Override
  public void transportTerminated(Attributes transportAttrs) {
    // gRPC calls this also for transports that never became ready (a failed TLS handshake);
    // count only those we counted as opened, so that open minus closed stays the active number.
    if (transportAttrs != null && transportAttrs.get(READY) != null) {
      closed.inc();
    }
  }

  private static final Attributes.Key<Boolean> READY = Attributes.Key.create("jorderer.conn.ready");
}
