package org.jorderer.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.orderer.etcdraft.Options;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.channel.msp.TlsCa;
import org.jorderer.consensus.raft.EtcdRaftProfile;

/**
 * The files of a local Raft cluster, as a newcomer would otherwise make them with cryptogen,
 * configtxgen and an editor: one orderer organization (its MSP with a TLS CA in
 * {@code tlscacerts/}, an admin identity for clients), per node a TLS server and a distinct TLS
 * client key pair issued by that CA, an {@code orderer.yaml} with its own gRPC, admin, Raft and
 * operations ports, and the genesis block of one etcdraft channel naming every node as consenter.
 * Written once into a folder ({@link #create}) and read back on later runs ({@link #read}).
 *
 * <pre>
 * DIR/cluster.properties          ports and names, for later runs
 * DIR/org/msp, DIR/org/admin-msp   the orderer org (nodes sign blocks with msp; clients use admin-msp)
 * DIR/org/tlsca                    the TLS CA (ca.crt, ca.key)
 * DIR/CHANNEL.block                the channel's genesis block
 * DIR/nodeN/orderer.yaml           node N's configuration; its ledger, Raft log and log file beside it
 * DIR/nodeN/tls                    server.crt/key (cluster listener), client.crt/key (dialing)
 * </pre>
 */
record LocalCluster(Path dir, String channel, String mspId, List<Node> nodes) {
  static final String MSP_ID = "OrdererMSP";
  static final Duration VALIDITY = Duration.ofDays(3650);

  /** One node: its folder and ports (all on 127.0.0.1). */
  record Node(int index, Path dir, int port, int adminPort, int clusterPort, int operationsPort) {
    Path config() {
      return dir.resolve("orderer.yaml");
    }

    Path log() {
      return dir.resolve("node.log");
    }
  }

  Path genesisBlock() {
    return dir.resolve(channel + ".block");
  }

  Path adminMsp() {
    return dir.resolve("org/admin-msp");
  }

  static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve("cluster.properties"));
  }

  /**
   * Makes the files of a cluster of {@code size} nodes in {@code dir} (which must not hold one
   * yet), on free loopback ports, with the channel's Raft ticks {@code tickInterval} ×
   * ElectionTick 10 × HeartbeatTick 1.
   */
  static LocalCluster create(Path dir, int size, String channel, Duration tickInterval, int maxMessageCount,
      Duration batchTimeout) throws IOException {
    if (exists(dir)) {
      throw new IOException(dir + " already holds a cluster");
    }
    Path org = dir.resolve("org");
    MspGenerator.generate(org.resolve("msp"), org.resolve("admin-msp"), "example.com", "orderer.example.com", VALIDITY);
    TlsCa tlsCa = TlsCa.generate("example.com", VALIDITY);
    tlsCa.write(org.resolve("tlsca"));
    // In tlscacerts/ the CA becomes the org's tls_root_certs in the channel config: the nodes
    // accept each other's cluster certificates only if they chain to it.
    Files.createDirectories(org.resolve("msp/tlscacerts"));
    Files.writeString(org.resolve("msp/tlscacerts/ca.pem"), tlsCa.certificatePem(), StandardCharsets.US_ASCII);

    List<Node> nodes = new ArrayList<>();
    java.util.Set<Integer> taken = new java.util.HashSet<>();
    List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
    List<String> endpoints = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      Node node = new Node(i, dir.resolve("node" + i), freePort(taken), freePort(taken), freePort(taken),
          freePort(taken));
      nodes.add(node);
      Path tls = node.dir().resolve("tls");
      String host = "orderer" + i + ".example.com";
      TlsCa.Issued server = tlsCa.issue(host, List.of("127.0.0.1", "localhost", host), VALIDITY);
      server.write(tls, "server");
      TlsCa.Issued client = tlsCa.issue("client." + host, List.of("127.0.0.1", "localhost"), VALIDITY);
      client.write(tls, "client");
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", node.clusterPort(),
          client.certificatePem().getBytes(StandardCharsets.US_ASCII),
          server.certificatePem().getBytes(StandardCharsets.US_ASCII)));
      endpoints.add("127.0.0.1:" + node.port());
      Files.writeString(node.config(), ordererYaml(node), StandardCharsets.UTF_8);
    }
    Options options = EtcdRaftProfile.defaultOptions().toBuilder()
        .setTickInterval(tickInterval.toMillis() + "ms").build();
    SoloChannelProfile defaults = SoloChannelProfile.withDefaults(MSP_ID,
        MspFolder.readMspConfig(org.resolve("msp"), MSP_ID), endpoints);
    SoloChannelProfile profile = new SoloChannelProfile(defaults.mspId(), defaults.msp(), endpoints, maxMessageCount,
        defaults.absoluteMaxBytes(), defaults.preferredMaxBytes(), batchTimeout);
    Block genesis = GenesisBlock.of(channel,
        EtcdRaftProfile.withEtcdRaft(profile.config(), EtcdRaftProfile.metadata(consenters, options)), Instant.now());
    LocalCluster cluster = new LocalCluster(dir.toAbsolutePath(), channel, MSP_ID, List.copyOf(nodes));
    Files.write(cluster.genesisBlock(), genesis.toByteArray());
    Properties properties = new Properties();
    properties.setProperty("channel", channel);
    properties.setProperty("nodes", Integer.toString(size));
    for (Node node : nodes) {
      properties.setProperty("node" + node.index() + ".ports", node.port() + "," + node.adminPort() + ","
          + node.clusterPort() + "," + node.operationsPort());
    }
    try (OutputStream out = Files.newOutputStream(dir.resolve("cluster.properties"))) {
      properties.store(out, "jorderer dev-cluster: gRPC, admin, Raft cluster and operations port of each node");
    }
    return read(dir);
  }

  static LocalCluster read(Path dir) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(dir.resolve("cluster.properties"))) {
      properties.load(in);
    }
    int size = Integer.parseInt(properties.getProperty("nodes"));
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String[] ports = properties.getProperty("node" + i + ".ports").split(",");
      nodes.add(new Node(i, dir.toAbsolutePath().resolve("node" + i), Integer.parseInt(ports[0]),
          Integer.parseInt(ports[1]), Integer.parseInt(ports[2]), Integer.parseInt(ports[3])));
    }
    return new LocalCluster(dir.toAbsolutePath(), properties.getProperty("channel"), MSP_ID, List.copyOf(nodes));
  }

  /** A Fabric orderer.yaml for the node; relative paths are taken from its folder. */
  static String ordererYaml(Node node) {
    return """
        # jorderer dev-cluster node %d. Fabric's orderer.yaml layout; see docs/raft.md for every key.
        General:
            ListenAddress: 127.0.0.1
            ListenPort: %d
            BootstrapMethod: none
            LocalMSPDir: ../org/msp
            LocalMSPID: %s
            Cluster:
                ListenAddress: 127.0.0.1
                ListenPort: %d
                ServerCertificate: tls/server.crt
                ServerPrivateKey: tls/server.key
                ClientCertificate: tls/client.crt
                ClientPrivateKey: tls/client.key
        FileLedger:
            Location: ledger
        Operations:
            ListenAddress: 127.0.0.1:%d
        Metrics:
            Provider: prometheus
        Admin:
            ListenAddress: 127.0.0.1:%d
        ChannelParticipation:
            Enabled: true
        Consensus:
            WALDir: etcdraft/wal
            SnapDir: etcdraft/snapshot
        """.formatted(node.index(), node.port(), MSP_ID, node.clusterPort(), node.operationsPort(), node.adminPort());
  }

  /** A port free now and not handed out before in this layout. */
  private static int freePort(java.util.Set<Integer> taken) throws IOException {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        if (taken.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      }
    }
  }
}
