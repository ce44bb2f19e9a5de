package org.jorderer.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad values stop the load with the key and the expected form; unknown keys only warn. */
class OrdererYamlValidationTest {
  @TempDir Path dir;

  private ConfigurationException failure(Map<String, String> env) {
    try {
      OrdererYaml.load(Optional.empty(), env);
    } catch (ConfigurationException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigurationException for " + env);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "ORDERER_GENERAL_LISTENPORT|abc|General.ListenPort (from ORDERER_GENERAL_LISTENPORT): expected an integer from 0 to 65535, got 'abc'",
      "ORDERER_GENERAL_LISTENPORT|70000|General.ListenPort (from ORDERER_GENERAL_LISTENPORT): expected an integer from 0 to 65535, got '70000'",
      "ORDERER_GENERAL_LISTENPORT|-1|General.ListenPort (from ORDERER_GENERAL_LISTENPORT): expected an integer from 0 to 65535, got '-1'",
      "ORDERER_GENERAL_TLS_ENABLED|maybe|General.TLS.Enabled (from ORDERER_GENERAL_TLS_ENABLED): expected a boolean, true or false, got 'maybe'",
      "ORDERER_GENERAL_KEEPALIVE_SERVERTIMEOUT|20|General.Keepalive.ServerTimeout (from ORDERER_GENERAL_KEEPALIVE_SERVERTIMEOUT): expected a Go duration such as 20s or 2h, got '20'",
      "ORDERER_GENERAL_AUTHENTICATION_TIMEWINDOW|15 minutes|General.Authentication.TimeWindow (from ORDERER_GENERAL_AUTHENTICATION_TIMEWINDOW): expected a Go duration such as 20s or 2h, got '15 minutes'",
      "ORDERER_GENERAL_KEEPALIVE_SERVERINTERVAL|-5s|General.Keepalive.ServerInterval (from ORDERER_GENERAL_KEEPALIVE_SERVERINTERVAL): expected a Go duration such as 20s or 2h that is not negative, got '-5s'",
      "ORDERER_GENERAL_MAXRECVMSGSIZE|lots|General.MaxRecvMsgSize (from ORDERER_GENERAL_MAXRECVMSGSIZE): expected a size in bytes from 0 to 2147483647 such as 104857600 or 100 MB, got 'lots'",
      "ORDERER_GENERAL_MAXSENDMSGSIZE|3 GB|General.MaxSendMsgSize (from ORDERER_GENERAL_MAXSENDMSGSIZE): expected a size in bytes from 0 to 2147483647 such as 104857600 or 100 MB, got '3 GB'",
      "ORDERER_CHANNELPARTICIPATION_MAXREQUESTBODYSIZE|0|ChannelParticipation.MaxRequestBodySize (from ORDERER_CHANNELPARTICIPATION_MAXREQUESTBODYSIZE): expected a size in bytes from 1 to 4294967295 such as 1048576 or 1 MB, got '0'",
      "ORDERER_CHANNELPARTICIPATION_MAXREQUESTBODYSIZE|1 TB|ChannelParticipation.MaxRequestBodySize (from ORDERER_CHANNELPARTICIPATION_MAXREQUESTBODYSIZE): expected a size in bytes from 1 to 4294967295 such as 1048576 or 1 MB, got '1 TB'",
      "ORDERER_OPERATIONS_LISTENADDRESS|localhost|Operations.ListenAddress (from ORDERER_OPERATIONS_LISTENADDRESS): expected HOST:PORT such as 127.0.0.1:8443, got 'localhost'",
      "ORDERER_ADMIN_LISTENADDRESS|::1:9443|Admin.ListenAddress (from ORDERER_ADMIN_LISTENADDRESS): expected HOST:PORT such as 127.0.0.1:8443, got '::1:9443'",
      "ORDERER_GENERAL_BOOTSTRAPMETHOD|provisional|General.BootstrapMethod (from ORDERER_GENERAL_BOOTSTRAPMETHOD): expected none or file, got 'provisional'",
      "ORDERER_METRICS_PROVIDER|graphite|Metrics.Provider (from ORDERER_METRICS_PROVIDER): expected disabled, prometheus or statsd, got 'graphite'",
      "ORDERER_METRICS_STATSD_NETWORK|http|Metrics.Statsd.Network (from ORDERER_METRICS_STATSD_NETWORK): expected udp or tcp, got 'http'",
  })
  void aBadValueNamesTheKeyAndTheExpectedForm(String variable, String value, String problem) {
    ConfigurationException e = failure(Map.of(variable, value));

    assertThat(e.problems()).containsExactly(problem);
    assertThat(e.getMessage()).isEqualTo("invalid orderer configuration: " + problem);
  }

  @Test
  void badValuesInTheFileNameTheKeyAndEveryProblemIsListed() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        General:
            ListenPort: abc
            TLS:
                Enabled: 2
                RootCAs:
                    nested: map
            Keepalive:
                ServerMinInterval: 1 minute
        FileLedger: /var/ledger
        """);

    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(file), Map.of()))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
            "FileLedger: expected a section of keys, got '/var/ledger'",
            "General.ListenPort: expected an integer from 0 to 65535, got 'abc'",
            "General.TLS.Enabled: expected a boolean, true or false, got '2'",
            "General.TLS.RootCAs: expected a list of file paths such as [a.pem, b.pem], got a section of keys",
            "General.Keepalive.ServerMinInterval: expected a Go duration such as 20s or 2h, got '1 minute'"))
        .hasMessageStartingWith("invalid orderer configuration (5 problems):");
  }

  @Test
  void tlsOnWithoutItsFilesAndAdminWithoutMutualTlsAreRefused() {
    ConfigurationException e = failure(Map.of(
        "ORDERER_GENERAL_TLS_ENABLED", "true",
        "ORDERER_ADMIN_TLS_ENABLED", "true",
        "ORDERER_ADMIN_TLS_CERTIFICATE", "/a.crt",
        "ORDERER_ADMIN_TLS_PRIVATEKEY", "/a.key",
        "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED", "false"));

    assertThat(e.problems()).containsExactly(
        "General.TLS.Certificate: required when General.TLS.Enabled is true; expected the path of a PEM certificate",
        "General.TLS.PrivateKey: required when General.TLS.Enabled is true; expected the path of a PEM private key",
        "Admin.TLS.ClientAuthRequired: must be true when Admin.TLS.Enabled is true "
            + "(the admin endpoint requires mutual TLS, as in Fabric)");
  }

  @Test
  void unknownKeysWarnWithTheirFullPathAndDoNotFail() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        General:
            ListenPortt: 7051
            TLS:
                Enabld: true
        Operation:
            ListenAddress: 127.0.0.1:8443
        """);

    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());

    assertThat(loaded.warnings()).containsExactly(
        "General.ListenPortt: not an orderer.yaml key jorderer knows; ignored",
        "General.TLS.Enabld: not an orderer.yaml key jorderer knows; ignored",
        "Operation: not an orderer.yaml key jorderer knows; ignored");
    assertThat(loaded.config().general().listenPort()).isEqualTo(7050);
    assertThat(loaded.config().general().tls().enabled()).isFalse();
  }

  @Test
  void settingsJordererCannotHonourWarn() {
    LoadedConfig loaded = OrdererYaml.load(Optional.empty(), Map.of(
        "ORDERER_GENERAL_BOOTSTRAPMETHOD", "file",
        "ORDERER_METRICS_PROVIDER", "statsd",
        "ORDERER_OPERATIONS_TLS_ENABLED", "true",
        "ORDERER_OPERATIONS_TLS_CERTIFICATE", "/o.crt",
        "ORDERER_OPERATIONS_TLS_PRIVATEKEY", "/o.key",
        "ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED", "true"));

    assertThat(loaded.warnings()).containsExactly(
        "Operations.TLS.ClientRootCAs: empty while client certificates are required; no client can connect",
        "General.BootstrapMethod: 'file' bootstraps a system channel, which jorderer does not have; "
            + "treated as 'none' (join channels through the channel participation API)",
        "Metrics.Provider: jorderer does not push to statsd; Metrics.Statsd is ignored");
  }

  @Test
  void aKeyWrittenTwiceInDifferentCaseIsRefused() {
    Path file = ConfigFiles.write(dir, "orderer.yaml", """
        General:
            ListenPort: 7050
            listenport: 7051
        """);

    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(file), Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("General.ListenPort: set twice in the file");
  }

  @Test
  void aBinaryFileIsRefusedAsNotUtf8TextAndBrokenYamlInOneLine() throws Exception {
    Path binary = dir.resolve("binary.yaml");
    java.nio.file.Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, (byte) 0x80});
    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(binary), Map.of()))
        .hasMessage("invalid orderer configuration: " + binary
            + ": is not UTF-8 text (orderer.yaml must be a YAML text file)");
    Path broken = ConfigFiles.write(dir, "broken.yaml", "General:\n  ListenPort: [7050\n");
    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(broken), Map.of()))
        .hasMessageStartingWith("invalid orderer configuration: " + broken + ": not valid YAML at line 3, column 1: ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void anEmptyFileStartsOnDefaultsWithAWarning() {
    Path empty = ConfigFiles.write(dir, "empty.yaml", "# nothing here\n");
    LoadedConfig loaded = OrdererYaml.load(Optional.of(empty), Map.of());
    assertThat(loaded.warnings()).containsExactly(empty + ": the file is empty (no keys); every setting takes its default");
    assertThat(OrdererYaml.print(loaded.config())).isEqualTo(OrdererYaml.print(OrdererYaml.load(
        Optional.of(ConfigFiles.write(dir, "one.yaml", "General:\n  ListenPort: 7050\n")), Map.of()).config()));
  }

  @Test
  void aFileThatIsNotYamlOrIsMissingIsRefusedWithItsName() {
    Path broken = ConfigFiles.write(dir, "broken.yaml", "General:\n  ListenPort: [7050\n");
    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(broken), Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining(broken + ": not valid YAML");

    Path missing = dir.resolve("missing.yaml");
    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(missing), Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage("invalid orderer configuration: " + missing + ": no such configuration file");

    Path list = ConfigFiles.write(dir, "list.yaml", "- a\n- b\n");
    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(list), Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("expected a YAML mapping of sections");
  }
}
