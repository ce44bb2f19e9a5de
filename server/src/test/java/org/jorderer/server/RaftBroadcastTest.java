package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.channel.msp.TlsCa;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.ClusterTls;
import org.jorderer.consensus.raft.EtcdRaftProfile;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.FreePort;
import org.jorderer.server.support.RaftLedgerBlocks;
import org.jorderer.server.support.SeekRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three orderer nodes with cluster settings (mutual TLS between them) serve one etcdraft channel: Broadcast to any node is
 * answered SUCCESS once replicated, and Deliver from every node serves the same headers and data.
 */
class RaftBroadcastTest {
  private static final String CHANNEL = "raftchannel";
  private static final String MSP_ID = "RaftOrg";

  @TempDir
  Path dir;

  @Test
  void broadcastToEachNodeAndDeliverIdenticalBlocksFromEach() throws Exception {
    Duration validity = Duration.ofDays(3650);
    Path orgMsp = dir.resolve("org/orderer");
    MspGenerator.generate(orgMsp, dir.resolve("org/admin"), "raftorg.example", "orderer.raftorg.example", validity);
    LocalSigner admin = LocalSigner.load(dir.resolve("org/admin"), MSP_ID);
    List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
    List<ClusterSettings> clusters = new ArrayList<>();
    // The organization's TLS CA goes into its MSP's tlscacerts/, so the channel config names it.
    TlsCa tlsCa = TlsCa.generate("raftorg.example", validity);
    Files.createDirectories(orgMsp.resolve("tlscacerts"));
    Files.writeString(orgMsp.resolve("tlscacerts/ca.pem"), tlsCa.certificatePem());
    for (int i = 0; i < 3; i++) {
      Path tls = dir.resolve("tls" + i);
      tlsCa.issue("orderer" + i + ".raftorg.example", List.of("127.0.0.1"), validity).write(tls, "server");
      byte[] cert = Files.readAllBytes(tls.resolve("server.crt"));
      int port = FreePort.pick();
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", port, cert, cert));
      clusters.add(ClusterSettings.defaults("127.0.0.1", port, cert, dir.resolve("node" + i + "/raft"))
          .withElectionTimeout(Duration.ofMillis(500), Duration.ofMillis(1000))
          // Broadcast starts as soon as the channels exist: hold it through a slow first election.
          .withLeaderWait(Duration.ofSeconds(20))
          .withTls(ClusterTls.read(tls.resolve("server.crt"), tls.resolve("server.key"))));
    }
    SoloChannelProfile profile = new SoloChannelProfile(MSP_ID, MspFolder.readMspConfig(orgMsp, MSP_ID),
        List.of("127.0.0.1:7050"), 4, 10 << 20, 2 << 20, Duration.ofMillis(200));
    Block genesis = GenesisBlock.of(CHANNEL,
        EtcdRaftProfile.withEtcdRaft(profile.config(), EtcdRaftProfile.metadata(consenters)), Instant.now());

    List<Orderer> nodes = new ArrayList<>();
    List<ManagedChannel> connections = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        OrdererSettings settings = OrdererSettings.embeddedDefault(dir.resolve("node" + i))
            .withListen(new InetSocketAddress("127.0.0.1", 0))
            .withAdminListen(null)
            .withOperationsListen(null)
            .withMsp(orgMsp, MSP_ID, false)
            .withCluster(clusters.get(i));
        Orderer node = Orderer.start(settings);
        nodes.add(node);
        node.channels().create(genesis);
        connections.add(NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext().build());
      }

      SignedEnvelopes client = new SignedEnvelopes(admin);
      List<ByteString> sent = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        try (BroadcastClient broadcast = new BroadcastClient(connections.get(i))) {
          for (int n = 0; n < 5; n++) {
            var envelope = client.message(CHANNEL, ByteString.copyFromUtf8("node " + i + " tx " + n), Instant.now())
                .envelope();
            sent.add(envelope.toByteString());
            broadcast.send(envelope);
          }
          for (int n = 0; n < 5; n++) {
            BroadcastResponse response = broadcast.next(30);
            assertThat(response.getStatus()).as(response.getInfo()).isEqualTo(Status.SUCCESS);
          }
        }
      }

      // At most 4 per block; a batch that stays short is cut by the leader's replicated batch timeout.
      for (Orderer node : nodes) {
        await().atMost(Duration.ofSeconds(30)).until(() -> envelopesIn(node) == sent.size());
      }
      long height = nodes.get(0).channels().channel(CHANNEL).orElseThrow().ledger().height();
      List<List<Block>> delivered = new ArrayList<>();
      SeekRequests seeks = new SeekRequests(admin);
      for (ManagedChannel connection : connections) {
        try (DeliverClient deliver = new DeliverClient(connection)) {
          deliver.send(seeks.envelope(CHANNEL,
              SeekRequests.seek(SeekRequests.oldest(), SeekRequests.specified(height - 1)), Instant.now()));
          List<Block> blocks = new ArrayList<>();
          for (DeliverResponse response : deliver.untilStatus(30)) {
            if (response.hasBlock()) {
              blocks.add(response.getBlock());
            } else {
              assertThat(response.getStatus()).isEqualTo(Status.SUCCESS);
            }
          }
          delivered.add(blocks);
        }
      }
      List<ByteString> ordered = new ArrayList<>();
      for (Block block : delivered.get(0).subList(1, (int) height)) {
        assertThat(block.getData().getDataCount()).isBetween(1, 4);
        ordered.addAll(block.getData().getDataList());
      }
      assertThat(ordered).containsExactlyInAnyOrderElementsOf(sent);
      for (List<Block> blocks : delivered) {
        assertThat(blocks).hasSize((int) height);
        for (int n = 0; n < height; n++) {
          assertThat(blocks.get(n).getHeader()).isEqualTo(delivered.get(0).get(n).getHeader());
          assertThat(blocks.get(n).getData()).isEqualTo(delivered.get(0).get(n).getData());
        }
      }
    } finally {
      connections.forEach(ManagedChannel::shutdownNow);
      nodes.forEach(Orderer::close);
    }
  }

  private static int envelopesIn(Orderer node) {
    return RaftLedgerBlocks.envelopesAfterGenesis(node.channels().channel(CHANNEL).orElseThrow().ledger());
  }
}
