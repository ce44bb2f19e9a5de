package org.jorderer.server;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jorderer.server.broadcast.BroadcastHandler;
import org.jorderer.server.operations.GrpcConnectionMetrics;
import org.jorderer.server.operations.GrpcMetricsInterceptor;
import org.jorderer.server.tls.TlsContexts;
import org.jorderer.server.tls.TlsSettings;
import org.jorderer.server.deliver.DeliverHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The orderer's gRPC listener, serving {@code orderer.AtomicBroadcast}. */
public final class OrdererServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrdererServer.class);

  /**
   * @param listen address and port ({@code General.ListenAddress}/{@code ListenPort}); port 0 picks one
   * @param maxRecvMessageBytes {@code General.MaxRecvMsgSize}, 100 MiB by default as in Fabric;
   *     a larger request is refused by the transport before any of our code sees it
   * @param tls {@code General.TLS}: server TLS, and client certificates when required
   * @param keepalive {@code General.Keepalive}
   */
  public record Settings(InetSocketAddress listen, int maxRecvMessageBytes, TlsSettings tls, Keepalive keepalive) {
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

    public Settings(InetSocketAddress listen, int maxRecvMessageBytes, TlsSettings tls) {
      this(listen, maxRecvMessageBytes, tls, Keepalive.FABRIC_DEFAULTS);
    }

    public static Settings listeningOn(InetSocketAddress listen) {
      return new Settings(listen, DEFAULT_MAX_MESSAGE_BYTES, TlsSettings.DISABLED);
    }
  }

  /**
   * Fabric's server keepalive ({@code comm.KeepaliveOptions}): ping idle clients every
   * {@code interval}, drop them after {@code timeout} without an answer, and refuse clients that
   * ping more often than {@code minInterval}; pings without open streams are allowed.
   */
  public record Keepalive(Duration minInterval, Duration interval, Duration timeout) {
    public static final Keepalive FABRIC_DEFAULTS =
        new Keepalive(Duration.ofSeconds(60), Duration.ofHours(2), Duration.ofSeconds(20));
  }

  private final Server server;

  private OrdererServer(Server server) {
    this.server = server;
  }

  /**
   * Starts listening. {@code executor} runs gRPC callbacks; nothing on it ever waits for a block,
   * so a few threads serve any number of streams.
   */
  public static OrdererServer start(Settings settings, DeliverHandler deliver, BroadcastHandler broadcast,
      ExecutorService executor) {
    return start(settings, deliver, broadcast, executor, null);
  }

  /**
   * As above, counting Fabric's gRPC metrics ({@code common/grpcmetrics}) in {@code metrics} when
   * it is not null.
   */
  public static OrdererServer start(Settings settings, DeliverHandler deliver, BroadcastHandler broadcast,
      ExecutorService executor, PrometheusRegistry metrics) {
    ClientErrorLog.install();
    ServerServiceDefinition atomicBroadcast = ServerServiceDefinition.builder(AtomicBroadcastGrpc.SERVICE_NAME)
        .addMethod(broadcast.methodDefinition())
        .addMethod(deliver.methodDefinition())
        .build();
    NettyServerBuilder builder = settings.tls().enabled()
        ? NettyServerBuilder.forAddress(settings.listen(), TlsContexts.grpc(settings.tls()))
        : NettyServerBuilder.forAddress(settings.listen());
    if (metrics != null) {
      builder.intercept(new GrpcMetricsInterceptor(metrics)).addTransportFilter(new GrpcConnectionMetrics(metrics));
    }
    builder.keepAliveTime(settings.keepalive().interval().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(settings.keepalive().timeout().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveTime(settings.keepalive().minInterval().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(true);
    Server server = builder
        .executor(executor)
        .callExecutor(broadcast.callExecutors()) // Broadcast's calls on the transport thread
        .maxInboundMessageSize(settings.maxRecvMessageBytes())
        .addService(atomicBroadcast)
        .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + Orderer.hostPort(settings.listen()) + ": " + e.getMessage(), e);
    }
    log.info("Serving orderer.AtomicBroadcast on {}{}", server.getListenSockets(),
        settings.tls().enabled() ? (settings.tls().clientAuthRequired() ? " with mutual TLS" : " with TLS") : "");
    return new OrdererServer(server);
  }

  public int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /**
   * Stops accepting calls, gives running ones a few seconds, then cancels the rest, and returns
   * only once the transport is done with the executor (so the executor can be shut down after).
   */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
