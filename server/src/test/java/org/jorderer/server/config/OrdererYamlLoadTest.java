package org.jorderer.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jorderer.server.config.OrdererConfiguration.BootstrapMethod;
import org.jorderer.server.config.OrdererConfiguration.General;
import org.jorderer.server.config.OrdererConfiguration.MetricsProvider;
import org.jorderer.server.config.OrdererConfiguration.Tls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading orderer.yaml files: every key, defaults for what is missing, relative paths. */
class OrdererYamlLoadTest {
  @TempDir Path dir;

  @Test
  void aFileWithEveryKeyParsesToItsValues() {
    Path file = ConfigFiles.write(dir.resolve("etc"), "orderer.yaml", ConfigFiles.fullText());
    Path etc = file.getParent().toAbsolutePath();

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());
    OrdererConfiguration c = loaded.config();

    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.source()).contains(file.toAbsolutePath());
    assertThat(loaded.embeddedDefault()).isFalse();
    General g = c.general();
    assertThat(g.listenAddress()).isEqualTo("0.0.0.0");
    assertThat(g.listenPort()).isEqualTo(7150);
    assertThat(g.tls()).isEqualTo(new Tls(true, Optional.of(etc.resolve("tls/server.key")),
        Optional.of(etc.resolve("tls/server.crt")), List.of(etc.resolve("tls/ca.crt"),
        Path.of("/etc/hyperledger/other-ca.crt")), true, List.of(etc.resolve("tls/client-ca.crt"))));
    assertThat(g.keepalive().serverMinInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(g.keepalive().serverInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(g.keepalive().serverTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(g.maxRecvMsgSize()).isEqualTo(52_428_800);
    assertThat(g.maxSendMsgSize()).isEqualTo(50 * 1024 * 1024);
    assertThat(g.bootstrapMethod()).isEqualTo(BootstrapMethod.NONE);
    assertThat(g.localMspDir()).isEqualTo(etc.resolve("msp"));
    assertThat(g.localMspId()).isEqualTo("OrdererMSP");
    assertThat(g.authentication().timeWindow()).isEqualTo(Duration.ofMinutes(5));
    assertThat(g.authentication().noExpirationChecks()).isTrue();
    assertThat(g.cluster()).isEqualTo(new OrdererConfiguration.Cluster("0.0.0.0", 7151,
        Optional.of(etc.resolve("cluster/server.crt")), Optional.of(etc.resolve("cluster/server.key")),
        Optional.of(etc.resolve("cluster/client.crt")), Optional.of(etc.resolve("cluster/client.key")),
        List.of(etc.resolve("cluster/ca.crt"))));
    assertThat(c.fileLedger().location()).isEqualTo(etc.resolve("ledger"));
    assertThat(c.operations().listenAddress()).isEqualTo("0.0.0.0:9444");
    assertThat(c.operations().tls()).isEqualTo(new Tls(true, Optional.of(Path.of("/etc/ops/server.key")),
        Optional.of(Path.of("/etc/ops/server.crt")), List.of(), false, List.of()));
    assertThat(c.metrics().provider()).isEqualTo(MetricsProvider.PROMETHEUS);
    assertThat(c.metrics().statsd().network()).isEqualTo("tcp");
    assertThat(c.metrics().statsd().address()).isEqualTo("statsd.example.com:8125");
    assertThat(c.metrics().statsd().writeInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.metrics().statsd().prefix()).isEqualTo("orderer0");
    assertThat(c.admin().listenAddress()).isEqualTo("0.0.0.0:7053");
    assertThat(c.admin().tls()).isEqualTo(new Tls(true, Optional.of(etc.resolve("admin/server.key")),
        Optional.of(etc.resolve("admin/server.crt")), List.of(etc.resolve("admin/ca.crt")), true,
        List.of(etc.resolve("admin/client-ca.crt"))));
    assertThat(c.channelParticipation().enabled()).isTrue();
    assertThat(c.channelParticipation().maxRequestBodySize()).isEqualTo(2 * 1024 * 1024);
    assertThat(c.consensus().walDir()).contains("/var/hyperledger/production/orderer/etcdraft/wal");
    assertThat(c.consensus().snapDir()).contains("/var/hyperledger/production/orderer/etcdraft/snapshot");
    assertThat(c.consensus().text("evictionsuspicion")).contains("10m");
  }

  @Test
  void fabricSectionsJordererDoesNotUseAreReportedAsIgnoredNotUnknown() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", ConfigFiles.fullText());

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());

    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.ignoredFabricKeys()).containsExactly("General.Backoff", "General.Throttling",
        "General.Cluster.SendBufferSize",
        "General.BootstrapFile", "General.Profile", "General.BCCSP", "Debug");
  }

  /**
   * Fabric v2.4.9's own sampleconfig/orderer.yaml (copied into the test resources as is): the
   * expected values are the ones written in that file, typed out here, not the loader's defaults.
   */
  @Test
  void fabricsSampleOrdererYamlLoadsToTheValuesWrittenInIt() throws Exception {
    Path file = dir.resolve("sampleconfig/orderer.yaml");
    java.nio.file.Files.createDirectories(file.getParent());
    try (var in = getClass().getResourceAsStream("/config/fabric-sampleconfig-orderer.yaml")) {
      java.nio.file.Files.copy(in, file);
    }
    Path etc = file.getParent().toAbsolutePath();

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());
    OrdererConfiguration c = loaded.config();

    General g = c.general();
    assertThat(g.listenAddress()).isEqualTo("127.0.0.1");
    assertThat(g.listenPort()).isEqualTo(7050);
    assertThat(g.tls()).isEqualTo(new Tls(false, Optional.of(etc.resolve("tls/server.key")),
        Optional.of(etc.resolve("tls/server.crt")), List.of(etc.resolve("tls/ca.crt")), false, List.of()));
    assertThat(g.keepalive()).isEqualTo(new OrdererConfiguration.Keepalive(Duration.ofSeconds(60),
        Duration.ofSeconds(7200), Duration.ofSeconds(20)));
    assertThat(g.maxRecvMsgSize()).isEqualTo(104_857_600);
    assertThat(g.maxSendMsgSize()).isEqualTo(104_857_600);
    assertThat(g.localMspDir()).isEqualTo(etc.resolve("msp"));
    assertThat(g.localMspId()).isEqualTo("SampleOrg");
    assertThat(g.authentication()).isEqualTo(new OrdererConfiguration.Authentication(Duration.ofMinutes(15), false));
    assertThat(c.fileLedger().location()).isEqualTo(Path.of("/var/hyperledger/production/orderer"));
    assertThat(c.operations().listenAddress()).isEqualTo("127.0.0.1:8443");
    assertThat(c.operations().tls().enabled()).isFalse();
    assertThat(c.operations().tls().clientAuthRequired()).isFalse();
    assertThat(c.metrics().provider()).isEqualTo(MetricsProvider.DISABLED);
    assertThat(c.metrics().statsd()).isEqualTo(new OrdererConfiguration.Statsd("udp", "127.0.0.1:8125",
        Duration.ofSeconds(30), ""));
    assertThat(c.admin().listenAddress()).isEqualTo("127.0.0.1:9443");
    assertThat(c.admin().tls().enabled()).isFalse();
    assertThat(c.admin().tls().clientAuthRequired()).isTrue();
    assertThat(c.channelParticipation().enabled()).isFalse();
    assertThat(c.channelParticipation().maxRequestBodySize()).isEqualTo(1024 * 1024);
    assertThat(c.consensus().walDir()).contains("/var/hyperledger/production/orderer/etcdraft/wal");
    assertThat(c.consensus().snapDir()).contains("/var/hyperledger/production/orderer/etcdraft/snapshot");
    // Fabric's sample sets no cluster listener: Raft would share the general port there.
    assertThat(g.cluster().listening()).isFalse();
  }

  @Test
  void missingSectionsAndKeysFallBackToFabricDefaults() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        General:
            ListenPort: 7051
        """);

    OrdererConfiguration c = OrdererYaml.load(Optional.of(file), Map.of()).config();

    // Fabric's defaults (orderer/common/localconfig/config.go, Defaults), typed out.
    Tls noTls = new Tls(false, Optional.empty(), Optional.empty(), List.of(), false, List.of());
    assertThat(c.general().listenPort()).isEqualTo(7051);
    assertThat(c.general().listenAddress()).isEqualTo("127.0.0.1");
    assertThat(c.general().tls()).isEqualTo(noTls);
    assertThat(c.general().keepalive().serverMinInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.general().keepalive().serverInterval()).isEqualTo(Duration.ofSeconds(7200));
    assertThat(c.general().keepalive().serverTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.general().maxRecvMsgSize()).isEqualTo(104_857_600);
    assertThat(c.general().maxSendMsgSize()).isEqualTo(104_857_600);
    assertThat(c.general().bootstrapMethod()).isEqualTo(BootstrapMethod.NONE);
    assertThat(c.general().localMspId()).isEqualTo("SampleOrg");
    assertThat(c.general().authentication().timeWindow()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.general().authentication().noExpirationChecks()).isFalse();
    assertThat(c.fileLedger().location()).isEqualTo(Path.of("/var/hyperledger/production/orderer"));
    assertThat(c.operations().tls()).isEqualTo(noTls);
    assertThat(c.operations().listenAddress()).isEqualTo("127.0.0.1:8443");
    assertThat(c.metrics().provider()).isEqualTo(MetricsProvider.DISABLED);
    assertThat(c.admin().tls().enabled()).isFalse();
    assertThat(c.admin().listenAddress()).isEqualTo("127.0.0.1:9443");
    assertThat(c.admin().tls().clientAuthRequired()).isTrue();
    assertThat(c.channelParticipation().enabled()).isFalse();
    assertThat(c.channelParticipation().maxRequestBodySize()).isEqualTo(1024 * 1024);
    assertThat(c.consensus().raw()).isEmpty();
  }

  @Test
  void emptyValuesAndZerosMeanTheDefaultAsInFabric() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        General:
            ListenAddress:
            LocalMSPID: ""
            MaxRecvMsgSize: 0
            Keepalive:
                ServerTimeout: 0s
        Operations:
        """);

    OrdererConfiguration c = OrdererYaml.load(Optional.of(file), Map.of()).config();

    assertThat(c.general().listenAddress()).isEqualTo("127.0.0.1");
    assertThat(c.general().localMspId()).isEqualTo("SampleOrg");
    assertThat(c.general().maxRecvMsgSize()).isEqualTo(104_857_600);
    assertThat(c.general().keepalive().serverTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.operations().listenAddress()).isEqualTo("127.0.0.1:8443");
  }

  @Test
  void anEmptyFileIsAllDefaults() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", "# nothing\n");

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());

    // All defaults, as in Fabric, but said out loud: an empty file is more often a mistake.
    assertThat(loaded.warnings()).containsExactly(file + ": the file is empty (no keys); every setting takes its default");
    assertThat(loaded.config().general()).isEqualTo(new General("127.0.0.1", 7050,
        OrdererConfiguration.fabricDefaults().general().tls(), OrdererConfiguration.fabricDefaults().general()
            .keepalive(), 104_857_600, 104_857_600, BootstrapMethod.NONE, dir.toAbsolutePath().resolve("msp"),
        "SampleOrg", OrdererConfiguration.fabricDefaults().general().authentication(),
        OrdererConfiguration.fabricDefaults().general().cluster()));
  }

  @Test
  void relativePathsResolveAgainstTheFilesFolderNotTheWorkingDirectory() {
    Path file = ConfigFiles.write(dir.resolve("a/b"), "orderer.yaml", """
        General:
            LocalMSPDir: ../msp
            TLS:
                RootCAs: [tls/ca.crt, /abs/ca.crt]
        FileLedger:
            Location: ./chains
        """);
    Path folder = dir.toAbsolutePath().resolve("a/b");

    OrdererConfiguration c = OrdererYaml.load(Optional.of(file), Map.of()).config();

    assertThat(c.general().localMspDir()).isEqualTo(dir.toAbsolutePath().resolve("a/msp"));
    assertThat(c.general().tls().rootCas()).containsExactly(folder.resolve("tls/ca.crt"), Path.of("/abs/ca.crt"));
    assertThat(c.fileLedger().location()).isEqualTo(folder.resolve("chains"));
  }

  @Test
  void keysMatchWithoutRegardToCaseAsViperDoes() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        general:
            listenport: 7055
            tls:
                ENABLED: false
        fileledger:
            location: /data/ledger
        """);

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());

    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.config().general().listenPort()).isEqualTo(7055);
    assertThat(loaded.config().fileLedger().location()).isEqualTo(Path.of("/data/ledger"));
  }

  @Test
  void booleansAcceptYaml11WordsAsGoYamlDoes() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        General:
            Authentication:
                NoExpirationChecks: on
        ChannelParticipation:
            Enabled: Yes
        Admin:
            TLS:
                ClientAuthRequired: no
        """);

    OrdererConfiguration c = OrdererYaml.load(Optional.of(file), Map.of()).config();

    assertThat(c.general().authentication().noExpirationChecks()).isTrue();
    assertThat(c.channelParticipation().enabled()).isTrue();
    assertThat(c.admin().tls().clientAuthRequired()).isFalse();
  }

  @Test
  void withNoFileTheEmbeddedDefaultKeepsEverythingUnderTheDataFolder() {
    LoadedConfig loaded = OrdererYaml.load(Optional.empty(), Map.of());

    assertThat(loaded.embeddedDefault()).isTrue();
    assertThat(loaded.warnings()).isEmpty();
    OrdererConfiguration c = loaded.config();
    assertThat(c).isEqualTo(OrdererConfiguration.embeddedDefault(Path.of("data")));
    assertThat(c.fileLedger().location()).isEqualTo(Path.of("data/ledger"));
    assertThat(c.general().localMspDir()).isEqualTo(Path.of("data/msp"));
    assertThat(c.general().localMspId()).isEqualTo("JordererMSP");
    assertThat(c.general().listenAddress()).isEqualTo("127.0.0.1");
    assertThat(c.general().listenPort()).isEqualTo(7050);
    assertThat(c.channelParticipation().enabled()).isTrue();

    assertThat(OrdererYaml.load(Optional.empty(), Map.of(), Path.of("/srv/jo")).config().fileLedger().location())
        .isEqualTo(Path.of("/srv/jo/ledger"));
  }

  @Test
  void listenAddressesBecomeSocketAddressesToBind() {
    OrdererConfiguration c = OrdererYaml.load(Optional.empty(), Map.of(
        "ORDERER_OPERATIONS_LISTENADDRESS", ":18443",
        "ORDERER_ADMIN_LISTENADDRESS", "[::1]:19443")).config();

    assertThat(c.general().listenSocket()).isEqualTo(new java.net.InetSocketAddress("127.0.0.1", 7050));
    assertThat(c.operations().listenSocket()).isEqualTo(new java.net.InetSocketAddress(18443));
    assertThat(c.admin().listenSocket()).isEqualTo(new java.net.InetSocketAddress("::1", 19443));
  }
}
