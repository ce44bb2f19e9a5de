package org.jorderer.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jorderer.server.Orderer;
import java.util.Optional;
import org.jorderer.server.OrdererSettings;
import org.jorderer.server.config.LoadedConfig;
import org.jorderer.server.config.OrdererYaml;
import org.jorderer.server.channels.ServedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jorderer start}: one orderer node, on the embedded default unless told otherwise. */
@Command(
    name = "start",
    mixinStandardHelpOptions = true,
    description = {
      "Starts an orderer node. With no options: data under ./data, gRPC on 127.0.0.1:7050, a local MSP",
      "generated on first start and kept, and a ready channel 'demo' (solo). With --config, Fabric's",
      "orderer.yaml (and ORDERER_* environment variables) describe the node. Options given on the",
      "command line win over both. Ctrl-C stops it cleanly."
    })
final class StartCommand implements Callable<Integer> {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(StartCommand.class);

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "Fabric's orderer.yaml.")
  Path config;

  @Option(names = "--print-config", description = "Print the effective configuration (orderer.yaml layout) and exit.")
  boolean printConfig;

  @Option(names = "--operations-listen", paramLabel = "HOST:PORT", converter = HostPort.class,
      description = "Operations endpoint: /metrics, /healthz, /version, /logspec (default: 127.0.0.1:8443).")
  InetSocketAddress operationsListen;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: ${DEFAULT-VALUE}).",
      defaultValue = "data")
  Path data;

  @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPort.class,
      description = "gRPC listen address (default: ${DEFAULT-VALUE}).", defaultValue = "127.0.0.1:7050")
  InetSocketAddress listen;

  @Option(names = "--admin-listen", paramLabel = "HOST:PORT", converter = HostPort.class,
      description = "Admin endpoint with the channel participation API, as osnadmin uses it (default: ${DEFAULT-VALUE}).",
      defaultValue = "127.0.0.1:9443")
  InetSocketAddress adminListen;

  @Option(names = "--msp-dir", paramLabel = "DIR",
      description = "The orderer's MSP folder (default: DATA/msp, generated on first start).")
  Path mspDir;

  @Option(names = "--msp-id", paramLabel = "ID", description = "The orderer's MSP ID (default: "
      + OrdererSettings.DEFAULT_MSP_ID + ").")
  String mspId;

  private boolean given(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  /** Set by tests to learn the node once it listens; null from the command line. */
  java.util.function.Consumer<Orderer> onStarted;
  CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    LoadedConfig loaded = OrdererYaml.load(Optional.ofNullable(config), System.getenv(), data);
    loaded.warnings().forEach(w -> log.warn("Configuration: {}", w));
    if (!loaded.ignoredFabricKeys().isEmpty()) {
      log.info("Configuration: Fabric settings jorderer does not use: {}", loaded.ignoredFabricKeys());
    }
    if (printConfig) {
      spec.commandLine().getOut().print(OrdererYaml.print(loaded.config()));
      spec.commandLine().getOut().flush();
      return 0;
    }
    OrdererSettings settings = OrdererSettings.from(loaded, data);
    if (given("--listen")) {
      settings = settings.withListen(listen);
    }
    if (given("--admin-listen")) {
      settings = settings.withAdminListen(adminListen);
    }
    if (operationsListen != null) {
      settings = settings.withOperationsListen(operationsListen);
    }
    if (mspDir != null) {
      if (mspId == null) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--msp-id is required with --msp-dir: it must match the MSP the folder belongs to");
      }
      settings = settings.withMsp(mspDir, mspId, false);
    } else if (mspId != null) {
      settings = settings.withMsp(settings.mspDir(), mspId, settings.generateMsp());
    }
    Orderer orderer = Orderer.start(settings);
    Thread hook = new Thread(() -> {
      orderer.close();
      stop.countDown();
    }, "jorderer-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    StringBuilder channels = new StringBuilder();
    for (String id : orderer.channels().channelIds()) {
      ServedChannel c = orderer.channels().channel(id).orElseThrow();
      channels.append(channels.length() == 0 ? "" : ", ").append(id).append(" (height ").append(c.ledger().height())
          .append(')');
    }
    String raft = settings.cluster() == null ? ""
        : String.format("; Raft cluster listener %s:%d, Raft storage in %s", settings.cluster().listenHost(),
            settings.cluster().listenPort(), settings.cluster().storageDir().toAbsolutePath());
    System.out.printf("jorderer is serving on %s:%d (admin API on port %d, operations on port %d) with MSP %s;"
            + " ledgers in %s; channels: %s%s%n",
        settings.listen().getHostString(), orderer.port(), orderer.adminPort(), orderer.operationsPort(),
        settings.mspId(), settings.ledgerDir().toAbsolutePath(), channels.length() == 0 ? "none" : channels, raft);
    System.out.flush();
    markClassArchiveTrained();
    if (onStarted != null) {
      onStarted.accept(orderer);
    }
    stop.await();
    try {
      Runtime.getRuntime().removeShutdownHook(hook); // stopped from inside the process, not by a signal
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running and closes the node
    }
    return 0;
  }

  /**
   * bin/jorderer runs a node without a usable class-data archive with
   * {@code -XX:ArchiveClassesAtExit} and this property naming a marker file; it keeps the archive
   * dumped at exit only when the marker exists, so an archive of a start that failed early (a few
   * classes, not Raft's or gRPC's) never becomes the one every later start maps (docs/performance.md,
   * "Raft catch-up after a restart").
   */
  private static void markClassArchiveTrained() {
    String marker = System.getProperty("jorderer.classArchive.servedMarker");
    if (marker == null || marker.isEmpty()) {
      return;
    }
    try {
      java.nio.file.Files.write(Path.of(marker), new byte[0]);
    } catch (java.io.IOException | RuntimeException e) {
      log.debug("Cannot write the class archive's marker {}: {}", marker, e.toString());
    }
  }
}
