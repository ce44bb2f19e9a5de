package org.jorderer.server.participation;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import org.jorderer.server.tls.TlsContexts;
import org.jorderer.server.tls.TlsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orderer's admin endpoint ({@code Admin.ListenAddress}), serving the channel participation
 * API: HTTPS with required client certificates when configured (as Fabric's), plain HTTP bound
 * to loopback in the embedded default.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static AdminServer start(InetSocketAddress listen, ChannelParticipationHandler participation) {
    return start(listen, TlsSettings.DISABLED, participation);
  }

  /**
   * With {@code tls} enabled the endpoint speaks HTTPS and, when {@code clientAuthRequired},
   * accepts only clients whose certificate chains to its client root CAs, as Fabric's admin
   * endpoint does.
   */
  public static AdminServer start(InetSocketAddress listen, TlsSettings tls, ChannelParticipationHandler participation) {
    try {
      HttpServer server;
      if (tls.enabled()) {
        HttpsServer https = HttpsServer.create(listen, 16);
        https.setHttpsConfigurator(TlsContexts.https(tls));
        server = https;
      } else {
        server = HttpServer.create(listen, 16);
      }
      server.createContext(ChannelParticipationHandler.BASE, participation);
      ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "admin-http");
        t.setDaemon(true);
        return t;
      });
      server.setExecutor(executor);
      server.start();
      log.info("Serving the channel participation API on {}://{}:{}{}", tls.enabled() ? "https" : "http",
          server.getAddress().getHostString(), server.getAddress().getPort(), ChannelParticipationHandler.CHANNELS);
      return new AdminServer(server, executor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort()
          + " for the admin API: " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
