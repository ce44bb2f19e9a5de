package org.jorderer.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --print-config: the effective configuration in orderer.yaml's layout, loadable again. */
class OrdererYamlPrintTest {
  @TempDir Path dir;

  @Test
  void printThenLoadGivesTheSameConfiguration() {
    Path file = ConfigFiles.write(dir.resolve("original"), "orderer.yaml", ConfigFiles.fullText());
    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of(
        "ORDERER_GENERAL_TLS_ROOTCAS", "[/crypto/ca1.pem, /crypto/ca2.pem]",
        "ORDERER_METRICS_STATSD_PREFIX", "yes",
        "ORDERER_GENERAL_LOCALMSPID", "1.5"));

    String printed = OrdererYaml.print(loaded.config());
    Path copy = ConfigFiles.write(dir.resolve("elsewhere"), "printed.yaml", printed);
    LoadedConfig reloaded = OrdererYaml.load(Optional.of(copy), Map.of());

    assertThat(reloaded.warnings()).isEmpty();
    assertThat(reloaded.config()).isEqualTo(loaded.config());
  }

  @Test
  void defaultsRoundTripToo() {
    Path empty = ConfigFiles.write(dir, "empty.yaml", "");
    OrdererConfiguration defaults = OrdererYaml.load(Optional.of(empty), Map.of()).config();

    Path copy = ConfigFiles.write(dir.resolve("elsewhere"), "printed.yaml", OrdererYaml.print(defaults));

    assertThat(OrdererYaml.load(Optional.of(copy), Map.of()).config()).isEqualTo(defaults);
  }

  @Test
  void theOutputReadsLikeFabricsSample() {
    String printed = OrdererYaml.print(OrdererConfiguration.embeddedDefault(Path.of("data")));

    assertThat(printed).contains("""
        General:
          ListenAddress: 127.0.0.1
          ListenPort: 7050
          TLS:
            Enabled: false
            PrivateKey:
            Certificate:
            RootCAs: []
            ClientAuthRequired: false
            ClientRootCAs: []
          Cluster:
            ListenAddress: ""
            ListenPort: 0
            ServerCertificate:
            ServerPrivateKey:
            ClientCertificate:
            ClientPrivateKey:
            RootCAs: []
          Keepalive:
            ServerMinInterval: 1m0s
            ServerInterval: 2h0m0s
            ServerTimeout: 20s
          MaxRecvMsgSize: 104857600
          MaxSendMsgSize: 104857600
          BootstrapMethod: none
          LocalMSPDir: data/msp
          LocalMSPID: JordererMSP
          Authentication:
            TimeWindow: 15m0s
            NoExpirationChecks: false
        FileLedger:
          Location: data/ledger
        Operations:
          ListenAddress: 127.0.0.1:8443
        """);
    assertThat(printed).contains("""
        Metrics:
          Provider: prometheus
          Statsd:
            Network: udp
            Address: 127.0.0.1:8125
            WriteInterval: 30s
            Prefix: ""
        """);
    assertThat(printed).contains("""
        ChannelParticipation:
          Enabled: true
          MaxRequestBodySize: 1048576
        Consensus: {}
        """);
  }

  @Test
  void wordsYamlWouldReadAsOtherTypesAreQuoted() {
    assertThat(OrdererYamlPrinter.scalar("yes")).isEqualTo("\"yes\"");
    assertThat(OrdererYamlPrinter.scalar("Off")).isEqualTo("\"Off\"");
    assertThat(OrdererYamlPrinter.scalar("1.5")).isEqualTo("\"1.5\"");
    assertThat(OrdererYamlPrinter.scalar("1:30")).isEqualTo("\"1:30\"");
    assertThat(OrdererYamlPrinter.scalar("")).isEqualTo("\"\"");
    assertThat(OrdererYamlPrinter.scalar("C:\\msp")).isEqualTo("\"C:\\\\msp\"");
    assertThat(OrdererYamlPrinter.scalar("127.0.0.1:8443")).isEqualTo("127.0.0.1:8443");
    assertThat(OrdererYamlPrinter.scalar("/var/hyperledger/msp")).isEqualTo("/var/hyperledger/msp");
  }

  @Test
  void thePrintedLayoutHasExactlyTheKeysTheLoaderReads() {
    Object printed = new Load(LoadSettings.builder().build())
        .loadFromString(OrdererYaml.print(OrdererConfiguration.fabricDefaults()));
    List<String> leaves = new ArrayList<>();
    flatten("", (Map<?, ?>) printed, leaves);
    leaves.remove("Consensus");

    assertThat(leaves).containsExactlyElementsOf(OrdererYamlKeys.LEAVES);
  }

  private static void flatten(String prefix, Map<?, ?> map, List<String> out) {
    map.forEach((k, v) -> {
      String path = prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k;
      if (v instanceof Map<?, ?> m && !m.isEmpty()) {
        flatten(path, m, out);
      } else {
        out.add(path);
      }
    });
  }
}
