package org.jorderer.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.tls.TlsSettings;

/**
 * What an orderer process needs to start. {@link #embeddedDefault} is the single node that
 * {@code jorderer start} runs with no configuration.
 *
 * @param dataDir everything the node keeps: the ledgers under {@code ledger/} and, when generated,
 *     its MSP under {@code msp/} (and an admin identity under {@code admin-msp/})
 * @param listen the gRPC address ({@code General.ListenAddress}:{@code ListenPort})
 * @param mspDir the local MSP folder ({@code General.LocalMSPDir}); generated on first start when
 *     {@link #generateMsp} and missing
 * @param mspId {@code General.LocalMSPID}
 * @param generateMsp create the MSP folder when it does not exist yet
 * @param demoChannel the channel created on first start from the built-in solo profile, or null
 * @param adminListen the admin endpoint ({@code Admin.ListenAddress}) serving the channel
 *     participation API, or null for none
 * @param tls {@code General.TLS} for the gRPC port; with client authentication it also turns on
 *     Deliver's TLS binding check
 * @param adminTls {@code Admin.TLS}
 */
public record OrdererSettings(
    Path dataDir,
    InetSocketAddress listen,
    Path mspDir,
    String mspId,
    boolean generateMsp,
    String demoChannel,
    DeliverHandler.Settings deliver,
    InetSocketAddress adminListen,
    TlsSettings tls,
    TlsSettings adminTls) {

  public static final String DEFAULT_MSP_ID = "JordererMSP";
  public static final String DEMO_CHANNEL = "demo";

  public static OrdererSettings embeddedDefault(Path dataDir) {
    return new OrdererSettings(dataDir, new InetSocketAddress("127.0.0.1", 7050), dataDir.resolve("msp"),
        DEFAULT_MSP_ID, true, DEMO_CHANNEL, DeliverHandler.Settings.defaults(), new InetSocketAddress("127.0.0.1", 9443),
        TlsSettings.DISABLED, TlsSettings.DISABLED);
  }

  public Path ledgerDir() {
    return dataDir.resolve("ledger");
  }

  public Path adminMspDir() {
    return dataDir.resolve("admin-msp");
  }

  public OrdererSettings withListen(InetSocketAddress address) {
    return new OrdererSettings(dataDir, address, mspDir, mspId, generateMsp, demoChannel, deliver, adminListen, tls, adminTls);
  }

  public OrdererSettings withMsp(Path dir, String id, boolean generate) {
    return new OrdererSettings(dataDir, listen, dir, id, generate, demoChannel, deliver, adminListen, tls, adminTls);
  }

  public OrdererSettings withTls(TlsSettings grpc, TlsSettings admin) {
    return new OrdererSettings(dataDir, listen, mspDir, mspId, generateMsp, demoChannel, deliver, adminListen, grpc, admin);
  }

  public OrdererSettings withAdminListen(InetSocketAddress address) {
    return new OrdererSettings(dataDir, listen, mspDir, mspId, generateMsp, demoChannel, deliver, address, tls, adminTls);
  }

  static final Duration GENERATED_CERTIFICATE_VALIDITY = Duration.ofDays(3650);
}
