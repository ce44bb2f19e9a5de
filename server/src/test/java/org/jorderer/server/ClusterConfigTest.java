package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jorderer.channel.msp.TlsCa;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.server.config.ConfigurationException;
import org.jorderer.server.config.LoadedConfig;
import org.jorderer.server.config.OrdererYaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** orderer.yaml's General.Cluster and Consensus keys become the node's ClusterSettings. */
class ClusterConfigTest {
  @TempDir Path dir;

  private TlsCa.Issued server;
  private TlsCa.Issued client;
  private TlsCa ca;

  private Path write(String yaml) throws Exception {
    ca = TlsCa.generate("example.com", Duration.ofDays(3650));
    ca.write(dir.resolve("etc/cluster"));
    server = ca.issue("orderer0.example.com", List.of("127.0.0.1"), Duration.ofDays(3650));
    server.write(dir.resolve("etc/cluster"), "server");
    client = ca.issue("client.orderer0.example.com", List.of(), Duration.ofDays(3650));
    client.write(dir.resolve("etc/cluster"), "client");
    server.write(dir.resolve("etc/tls"), "server");
    Path file = dir.resolve("etc/orderer.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void theClusterListenerAndItsKeyPairsAndWalDirComeFromTheFile() throws Exception {
    Path file = write("""
        General:
            Cluster:
                ListenAddress: 127.0.0.1
                ListenPort: 7151
                ServerCertificate: cluster/server.crt
                ServerPrivateKey: cluster/server.key
                ClientCertificate: cluster/client.crt
                ClientPrivateKey: cluster/client.key
                RootCAs: [cluster/ca.crt]
                SendBufferSize: 10
        FileLedger:
            Location: ledger
        Consensus:
            WALDir: raft/wal
            SnapDir: raft/snap
            TickIntervalOverride: 100ms
            BroadcastLeaderWait: 7s
        """);
    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());
    assertThat(loaded.warnings()).isEmpty();
    assertThat(loaded.ignoredFabricKeys()).containsExactly("General.Cluster.SendBufferSize");

    ClusterSettings cluster = OrdererSettings.from(loaded, dir).cluster();

    Path etc = dir.resolve("etc").toAbsolutePath();
    assertThat(cluster.listenHost()).isEqualTo("127.0.0.1");
    assertThat(cluster.listenPort()).isEqualTo(7151);
    assertThat(cluster.serverCertificatePem()).isEqualTo(server.certificatePem().getBytes());
    assertThat(cluster.tls().serverCertificate()).isEqualTo(server.certificate());
    assertThat(cluster.tls().clientCertificate()).isEqualTo(client.certificate());
    assertThat(((java.security.interfaces.ECPrivateKey) cluster.tls().clientKey()).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) client.keys().getPrivate()).getS());
    assertThat(cluster.tls().rootCas()).containsExactly(ca.certificate());
    assertThat(cluster.storageDir()).isEqualTo(etc.resolve("raft/wal"));
    assertThat(cluster.tickIntervalOverride()).isEqualTo(Duration.ofMillis(100));
    assertThat(cluster.electionTimeoutMin()).as("from the channels' Options").isNull();
    assertThat(cluster.leaderWait()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void environmentVariablesSetTheClusterKeysAndTheClientPairFallsBackToGeneralTls() throws Exception {
    Path file = write("""
        General:
            TLS:
                Enabled: true
                Certificate: tls/server.crt
                PrivateKey: tls/server.key
        FileLedger:
            Location: /var/ledger
        """);
    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of(
        "ORDERER_GENERAL_CLUSTER_LISTENADDRESS", "127.0.0.1",
        "ORDERER_GENERAL_CLUSTER_LISTENPORT", "7152",
        "ORDERER_GENERAL_CLUSTER_SERVERCERTIFICATE", "cluster/server.crt",
        "ORDERER_GENERAL_CLUSTER_SERVERPRIVATEKEY", "cluster/server.key",
        "ORDERER_GENERAL_CLUSTER_ROOTCAS", "[cluster/ca.crt]"));

    ClusterSettings cluster = OrdererSettings.from(loaded, dir).cluster();

    assertThat(cluster.listenPort()).isEqualTo(7152);
    assertThat(cluster.tls().clientCertificate()).as("General.TLS's pair, as in Fabric").isEqualTo(server.certificate());
    assertThat(cluster.storageDir()).as("Fabric's sample layout under FileLedger.Location")
        .isEqualTo(Path.of("/var/ledger/etcdraft/wal"));
  }

  @Test
  void withoutAClusterListenerTheNodeHasNoClusterSettings() throws Exception {
    Path file = write("General:\n    ListenPort: 7050\n");
    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());

    assertThat(OrdererSettings.from(loaded, dir).cluster()).isNull();
  }

  @Test
  void aKeyThatIsNotTheCertificatesStopsTheStart() throws Exception {
    Path file = write(String.join("\n", "General:", "    Cluster:", "        ListenAddress: 127.0.0.1",
        "        ListenPort: 7151", "        ServerCertificate: cluster/server.crt",
        "        ServerPrivateKey: cluster/client.key", "        ClientCertificate: cluster/client.crt",
        "        ClientPrivateKey: cluster/client.key", ""));
    LoadedConfig loaded = OrdererYaml.load(Optional.of(file), Map.of());

    assertThatThrownBy(() -> OrdererSettings.from(loaded, dir))
        .hasMessageContaining("cluster/client.key is not the private key of ")
        .hasMessageContaining("cluster/server.crt");
  }

  @Test
  void theListenerKeysAreSetTogetherAndTheClientPairIsNeeded() throws Exception {
    Path file = write("""
        General:
            Cluster:
                ListenPort: 7151
                ServerCertificate: cluster/server.crt
                ClientCertificate: cluster/client.crt
        Consensus:
            TickIntervalOverride: soon
            BroadcastLeaderWait: 0s
        """);
    assertThatThrownBy(() -> OrdererYaml.load(Optional.of(file), Map.of()))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems()).containsExactly(
            "General.Cluster.ListenAddress, General.Cluster.ServerPrivateKey: required with the other General.Cluster"
                + " listener keys (ListenPort, ListenAddress, ServerCertificate and ServerPrivateKey are set together"
                + " or not at all)",
            "General.Cluster.ClientCertificate and General.Cluster.ClientPrivateKey: set both or neither",
            "Consensus.TickIntervalOverride: expected a Go duration such as 100ms, got 'soon'",
            "Consensus.BroadcastLeaderWait: expected a positive Go duration such as 15s, got '0s'"));
  }
}
