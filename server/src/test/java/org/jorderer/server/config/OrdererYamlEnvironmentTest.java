package org.jorderer.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jorderer.server.config.OrdererConfiguration.MetricsProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ORDERER_SECTION_KEY environment overrides, over a file and over the embedded default. */
class OrdererYamlEnvironmentTest {
  @TempDir Path dir;

  @Test
  void scalarsBooleansDurationsAndSizesOverrideTheFile() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", ConfigFiles.fullText());

    OrdererConfiguration c = OrdererYaml.load(Optional.of(file), Map.of(
        "ORDERER_GENERAL_LISTENPORT", "7051",
        "ORDERER_GENERAL_LISTENADDRESS", "10.0.0.5",
        "ORDERER_GENERAL_LOCALMSPID", "Org2OrdererMSP",
        "ORDERER_GENERAL_AUTHENTICATION_NOEXPIRATIONCHECKS", "false",
        "ORDERER_GENERAL_KEEPALIVE_SERVERINTERVAL", "90m",
        "ORDERER_GENERAL_MAXRECVMSGSIZE", "10485760",
        "ORDERER_CHANNELPARTICIPATION_MAXREQUESTBODYSIZE", "4MB",
        "ORDERER_METRICS_PROVIDER", "disabled")).config();

    assertThat(c.general().listenPort()).isEqualTo(7051);
    assertThat(c.general().listenAddress()).isEqualTo("10.0.0.5");
    assertThat(c.general().localMspId()).isEqualTo("Org2OrdererMSP");
    assertThat(c.general().authentication().noExpirationChecks()).isFalse();
    assertThat(c.general().keepalive().serverInterval()).isEqualTo(Duration.ofMinutes(90));
    assertThat(c.general().maxRecvMsgSize()).isEqualTo(10 * 1024 * 1024);
    assertThat(c.channelParticipation().maxRequestBodySize()).isEqualTo(4 * 1024 * 1024);
    assertThat(c.metrics().provider()).isEqualTo(MetricsProvider.DISABLED);
    // untouched keys keep the file's values
    assertThat(c.general().keepalive().serverTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void listsInFabricsBracketSyntaxAndNestedTlsSections() {
    Path file = ConfigFiles.write(dir.resolve("etc"), "orderer.yaml", ConfigFiles.fullText());
    Path etc = file.getParent().toAbsolutePath();

    OrdererConfiguration c = OrdererYaml.load(Optional.of(file), Map.of(
        "ORDERER_GENERAL_TLS_ENABLED", "true",
        "ORDERER_GENERAL_TLS_ROOTCAS", "[/crypto/ca1.pem, /crypto/ca2.pem]",
        "ORDERER_GENERAL_TLS_CLIENTROOTCAS", "relative/client-ca.pem",
        "ORDERER_GENERAL_TLS_PRIVATEKEY", "/crypto/server.key",
        "ORDERER_OPERATIONS_LISTENADDRESS", "0.0.0.0:17443",
        "ORDERER_OPERATIONS_TLS_ENABLED", "false",
        "ORDERER_ADMIN_TLS_CLIENTROOTCAS", "[]")).config();

    assertThat(c.general().tls().enabled()).isTrue();
    assertThat(c.general().tls().rootCas()).containsExactly(Path.of("/crypto/ca1.pem"), Path.of("/crypto/ca2.pem"));
    // a relative path from the environment is taken from the file's folder too, as Fabric does
    assertThat(c.general().tls().clientRootCas()).containsExactly(etc.resolve("relative/client-ca.pem"));
    assertThat(c.general().tls().privateKey()).contains(Path.of("/crypto/server.key"));
    assertThat(c.general().tls().certificate()).contains(etc.resolve("tls/server.crt"));
    assertThat(c.operations().listenAddress()).isEqualTo("0.0.0.0:17443");
    assertThat(c.operations().tls().enabled()).isFalse();
    assertThat(c.admin().tls().clientRootCas()).isEmpty();
  }

  @Test
  void overridesApplyToTheEmbeddedDefaultAndToKeysTheFileLacks() {
    LoadedConfig loaded = OrdererYaml.load(Optional.empty(), Map.of(
        "ORDERER_GENERAL_LISTENPORT", "0",
        "ORDERER_FILELEDGER_LOCATION", "/var/jorderer/ledger",
        "ORDERER_CONSENSUS_WALDIR", "/var/jorderer/wal",
        "PATH", "/usr/bin",
        "ORDERER_GENERAL_LOCALMSPDIR", ""));

    assertThat(loaded.warnings()).isEmpty();
    OrdererConfiguration c = loaded.config();
    assertThat(c.general().listenPort()).isZero();
    assertThat(c.fileLedger().location()).isEqualTo(Path.of("/var/jorderer/ledger"));
    assertThat(c.consensus().walDir()).contains("/var/jorderer/wal");
    // an empty variable is unset, as in viper
    assertThat(c.general().localMspDir()).isEqualTo(Path.of("data/msp"));
  }

  @Test
  void consensusKeysOfTheFileCanBeOverriddenWhateverTheirCase() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        Consensus:
            walDir: /from/file
            CustomPluginKey: a
        """);

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of(
        "ORDERER_CONSENSUS_WALDIR", "/from/env",
        "ORDERER_CONSENSUS_CUSTOMPLUGINKEY", "b"));

    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.config().consensus().raw()).containsExactly(Map.entry("walDir", "/from/env"),
        Map.entry("CustomPluginKey", "b"));
  }

  @Test
  void aVariableForAKeyThatDoesNotExistIsAWarning() {
    LoadedConfig loaded = OrdererYaml.load(Optional.empty(), Map.of(
        "ORDERER_GENERAL_LISTENPORTT", "7051",
        "ORDERER_OPERATIONS_TLS_ENABLD", "true"));

    assertThat(loaded.warnings()).containsExactly(
        "ORDERER_GENERAL_LISTENPORTT: names no orderer.yaml key jorderer knows; ignored",
        "ORDERER_OPERATIONS_TLS_ENABLD: names no orderer.yaml key jorderer knows; ignored");
    assertThat(loaded.config().general().listenPort()).isEqualTo(7050);
  }

  @Test
  void variablesForFabricKeysJordererDoesNotUseAreListedAsIgnored() {
    LoadedConfig loaded = OrdererYaml.load(Optional.empty(), Map.of(
        "ORDERER_GENERAL_GENESISPROFILE", "SampleInsecureSolo",
        "ORDERER_GENERAL_CLUSTER_SENDBUFFERSIZE", "10",
        "ORDERER_KAFKA_VERBOSE", "true"));

    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.ignoredFabricKeys()).containsExactly(
        "ORDERER_GENERAL_CLUSTER_SENDBUFFERSIZE (General.Cluster)",
        "ORDERER_GENERAL_GENESISPROFILE (General.GenesisProfile)",
        "ORDERER_KAFKA_VERBOSE (Kafka)");
  }

  @Test
  void everyKeyHasAnEnvironmentName() {
    for (String key : OrdererYamlKeys.LEAVES) {
      String env = OrdererYamlKeys.envName(key);
      assertThat(OrdererYamlKeys.leafForEnv(env)).as(env).contains(key);
    }
    assertThat(OrdererYamlKeys.envName("Admin.TLS.ClientRootCAs")).isEqualTo("ORDERER_ADMIN_TLS_CLIENTROOTCAS");
    assertThat(OrdererYamlLoader.splitList("[ a , b,c ]")).isEqualTo(List.of("a", "b", "c"));
    assertThat(OrdererYamlLoader.splitList("[]")).isEmpty();
    assertThat(OrdererYamlLoader.splitList("single")).containsExactly("single");
  }
}
