package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.jorderer.server.support.RaftLedgerBlocks.raftMetadata;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.ClusterTls;
import org.jorderer.consensus.raft.EtcdRaftProfile;
import org.jorderer.server.support.ClusterChannel;
import org.jorderer.server.support.FreePort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consenters added and removed through config updates on full orderer nodes (gRPC, participation
 * API, Ratis over mutual TLS, all on loopback): a node that is not a consenter follows the channel;
 * a config update naming it makes it a consenter that orders; one removing a consenter turns that
 * node into a follower while the rest keep ordering; an update changing two consenters at once is
 * refused with Fabric's text; the participation API reports each node's relation and status
 * throughout.
 */
class RaftMembershipTest {
  private static final String CHANNEL = "raftmembers";
  private static final String MSP_ID = "RaftOrg";
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Orderer> nodes = new ArrayList<>();
  private final List<ManagedChannel> connections = new ArrayList<>();
  private final List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
  private final List<ClusterSettings> clusters = new ArrayList<>();
  private final List<Integer> clientPorts = new ArrayList<>();
  private LocalSigner admin;
  private ClusterChannel traffic;
  private Path orgMsp;

  @AfterEach
  void tearDown() {
    connections.forEach(ManagedChannel::shutdownNow);
    nodes.forEach(Orderer::close);
  }

  @Test
  void followerAddedBecomesConsenterRemovedConsenterFollowsAndTwoChangesAreRefused() throws Exception {
    threeConsentersAndAFollower();
    assertThat(info(0)).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\"");

    traffic.broadcast(0, 3);
    traffic.awaitEnvelopes(List.of(0, 1, 2, 3));

    // Two consenters removed at once: Fabric's ComputeMembershipChanges refuses it, as Broadcast's answer.
    BroadcastResponse two = traffic.broadcast(1, traffic.consenterUpdate(1, List.of(consenters.get(0))));
    assertThat(two.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(two.getInfo()).isEqualTo("error applying config update to existing channel '" + CHANNEL
        + "': consensus metadata update for channel config update is invalid: update of more than one consenter at a "
        + "time is not supported, requested changes: add 0 node(s), remove 2 node(s)");

    // Node 3 added: the follower sees the config block, becomes a consenter, and orders.
    BroadcastResponse added = traffic.broadcast(1, traffic.consenterUpdate(1, consenters.subList(0, 4)));
    assertThat(added.getStatus()).as(added.getInfo()).isEqualTo(Status.SUCCESS);
    await().atMost(WAIT).until(() -> info(3).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\""));
    Block addBlock = traffic.lastConfigBlock(1);
    assertThat(raftMetadata(addBlock).getConsenterIdsList()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(raftMetadata(addBlock).getNextConsenterId()).isEqualTo(5);
    traffic.broadcast(3, 3);
    traffic.awaitEnvelopes(List.of(0, 1, 2, 3));
    // Four voters now: with node 0 and node 1 stopped the other two could not order; instead check
    // that node 3 takes part by ordering through it alone.
    assertThat(raftMetadata(lastBlock(3)).getConsenterIdsList()).containsExactly(1L, 2L, 3L, 4L);

    // Node 0 removed: it halts, becomes a follower, and the others keep ordering.
    BroadcastResponse removed = traffic.broadcast(1, traffic.consenterUpdate(1, consenters.subList(1, 4)));
    assertThat(removed.getStatus()).as(removed.getInfo()).isEqualTo(Status.SUCCESS);
    await().atMost(WAIT).until(() -> info(0).contains("\"consensusRelation\":\"follower\",\"status\":\"active\""));
    Block removeBlock = traffic.lastConfigBlock(2);
    assertThat(raftMetadata(removeBlock).getConsenterIdsList()).containsExactly(2L, 3L, 4L);
    assertThat(raftMetadata(removeBlock).getNextConsenterId()).isEqualTo(5);
    traffic.broadcast(2, 3);
    // Node 0 still receives the blocks, pulled as a follower.
    traffic.awaitEnvelopes(List.of(0, 1, 2, 3));
    assertThat(nodes.get(0).channels().channel(CHANNEL)).isEmpty();
    assertThat(info(2)).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\"");

    // The Raft group is now nodes 1, 2, 3: with node 1 stopped, 2 and 3 are a quorum only if node 0
    // left the group and node 3 votes in it.
    connections.get(1).shutdownNow();
    nodes.get(1).close();
    traffic.broadcast(2, 3);
    traffic.awaitEnvelopes(List.of(0, 2, 3));

    // Restarted, the removed node stays a follower: the ledger's config does not name it.
    restart(0);
    await().atMost(WAIT).until(() -> info(0).contains("\"consensusRelation\":\"follower\",\"status\":\"active\""));
    traffic.broadcast(2, 2);
    traffic.awaitEnvelopes(List.of(0, 2, 3));
  }

  @Test
  void nodeJoinedLateAtTheConfigBlockThatAddsItOnboardsThenOrders() throws Exception {
    Block genesis = fourNodesThreeConsenting();
    traffic.broadcast(0, 4);
    BroadcastResponse added = traffic.broadcast(1, traffic.consenterUpdate(1, consenters.subList(0, 4)));
    assertThat(added.getStatus()).as(added.getInfo()).isEqualTo(Status.SUCCESS);
    traffic.broadcast(2, 4);
    traffic.awaitEnvelopes(List.of(0, 1, 2));

    // Joined at the config block that names it: a consenter onboarding until it holds that block.
    Block joinBlock = traffic.lastConfigBlock(1);
    var joined = nodes.get(3).channels().join(joinBlock);
    assertThat(joined.consensusRelation()).isEqualTo("consenter");
    assertThat(joined.status()).isEqualTo("onboarding");
    await().atMost(WAIT).until(() -> info(3).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\"")
        && nodes.get(3).channels().channel(CHANNEL).isPresent());
    traffic.broadcast(3, 4);
    traffic.awaitEnvelopes(List.of(0, 1, 2, 3));

    // Four voters: with node 0 stopped, 1, 2 and 3 are a quorum only if node 3 votes.
    connections.get(0).shutdownNow();
    nodes.get(0).close();
    traffic.broadcast(1, 4);
    traffic.awaitEnvelopes(List.of(1, 2, 3));
    assertSameBlocks(1, 3);

    // Restarted, the late joiner comes back as a consenter from its own Raft log and orders again.
    restart(3);
    assertThat(info(3)).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\"");
    traffic.broadcast(3, 4);
    traffic.awaitEnvelopes(List.of(1, 2, 3));
    assertSameBlocks(1, 3);
  }

  /**
   * A consenter whose chain cannot start when a config names it (its cluster port is taken, a real
   * bind failure) stays a listed channel, answers Broadcast SERVICE_UNAVAILABLE with the reason,
   * tries again, and orders once the port is free; the participation API knows the channel at every
   * moment of the switch from follower to consenter.
   */
  @Test
  void anAddedConsenterWhoseChainCannotStartTriesAgainAndOrders() throws Exception {
    threeConsentersAndAFollower();
    traffic.broadcast(0, 2);
    traffic.awaitEnvelopes(List.of(0, 1, 2, 3));

    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        try {
          seen.add(info(3));
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          seen.add("request failed: " + e);
        }
      }
    });
    try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
      // Node 3's Raft server has not started (it only followed): its cluster port is free to take.
      taken.bind(new InetSocketAddress("127.0.0.1", consenters.get(3).port()));
      sampler.start();
      BroadcastResponse added = traffic.broadcast(1, traffic.consenterUpdate(1, consenters.subList(0, 4)));
      assertThat(added.getStatus()).as(added.getInfo()).isEqualTo(Status.SUCCESS);
      await().atMost(WAIT).until(() -> info(3).contains("\"consensusRelation\":\"consenter\",\"status\":\"onboarding\""));
      org.jorderer.channel.envelope.SignedEnvelopes client = new org.jorderer.channel.envelope.SignedEnvelopes(admin);
      await().atMost(WAIT).untilAsserted(() -> {
        BroadcastResponse refused = traffic.broadcast(3, client.message(CHANNEL, com.google.protobuf.ByteString.copyFromUtf8("refused"), Instant.now())
            .envelope());
        assertThat(refused.getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
        assertThat(refused.getInfo()).startsWith("channel " + CHANNEL + " has no chain: its chain could not start (")
            .contains("trying again");
      });
    }
    // The port is free again: the next attempt starts the chain, and node 3 orders.
    await().atMost(WAIT).until(() -> info(3).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\""));
    traffic.broadcast(3, 3);
    traffic.awaitEnvelopes(List.of(0, 1, 2, 3));
    assertThat(raftMetadata(lastBlock(3)).getConsenterIdsList()).containsExactly(1L, 2L, 3L, 4L);
    sampling.set(false);
    sampler.join();
    // Known at every sample: a follower (active), then a consenter starting its chain (onboarding),
    // then a consenter that orders (active).
    assertThat(seen).isNotEmpty().allSatisfy(body -> assertThat(body).contains("\"name\":\"" + CHANNEL + "\""));
    assertThat(seen).anySatisfy(body -> assertThat(body).contains("\"consensusRelation\":\"follower\",\"status\":\"active\""));
    assertThat(seen).anySatisfy(body -> assertThat(body).contains("\"consensusRelation\":\"consenter\",\"status\":\"onboarding\""));
    assertThat(seen).anySatisfy(body -> assertThat(body).contains("\"consensusRelation\":\"consenter\",\"status\":\"active\""));
  }

  private void assertSameBlocks(int reference, int other) {
    var referenceLedger = nodes.get(reference).ledgers().find(CHANNEL).orElseThrow();
    var otherLedger = nodes.get(other).ledgers().find(CHANNEL).orElseThrow();
    assertThat(otherLedger.height()).isEqualTo(referenceLedger.height());
    for (long n = 0; n < referenceLedger.height(); n++) {
      assertThat(otherLedger.readBlock(n).getHeader()).isEqualTo(referenceLedger.readBlock(n).getHeader());
      assertThat(otherLedger.readBlock(n).getData()).isEqualTo(referenceLedger.readBlock(n).getData());
    }
  }

  // ------------------------------------------------------------------ cluster

  private void prepare(int count) throws Exception {
    orgMsp = dir.resolve("org/orderer");
    MspGenerator.generate(orgMsp, dir.resolve("org/admin"), "raftorg.example", "orderer.raftorg.example", VALIDITY);
    admin = LocalSigner.load(dir.resolve("org/admin"), MSP_ID);
    traffic = new ClusterChannel(CHANNEL, admin, nodes, connections);
    for (int i = 0; i < count; i++) {
      Path tls = dir.resolve("tls" + i);
      MspGenerator.generate(tls.resolve("node"), tls.resolve("unused"), "tls" + i + ".example", "orderer" + i, VALIDITY);
      // The organization's TLS root CAs issue its consenters' certificates (Fabric checks that).
      Files.createDirectories(orgMsp.resolve("tlscacerts"));
      Files.copy(tls.resolve("node/cacerts/ca.pem"), orgMsp.resolve("tlscacerts/tlsca" + i + ".pem"));
      byte[] cert = Files.readAllBytes(tls.resolve("node/signcerts/cert.pem"));
      int port = FreePort.pick();
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", port, cert, cert));
      clusters.add(ClusterSettings.defaults("127.0.0.1", port, cert, dir.resolve("node" + i + "/raft"))
          .withElectionTimeout(Duration.ofMillis(500), Duration.ofMillis(1000))
          // Not a test of elections: a first election on a loaded machine may outlast the default wait.
          .withLeaderWait(Duration.ofSeconds(20))
          .withTls(ClusterTls.read(tls.resolve("node/signcerts/cert.pem"), tls.resolve("node/keystore/priv_sk"))));
      clientPorts.add(FreePort.pick());
    }
  }

  private Block genesis(List<EtcdRaftProfile.ConsenterAddress> members) throws Exception {
    List<String> endpoints = clientPorts.stream().map(p -> "127.0.0.1:" + p).toList();
    SoloChannelProfile profile = new SoloChannelProfile(MSP_ID, MspFolder.readMspConfig(orgMsp, MSP_ID), endpoints, 2,
        10 << 20, 2 << 20, Duration.ofMillis(200));
    return GenesisBlock.of(CHANNEL, EtcdRaftProfile.withEtcdRaft(profile.config(), EtcdRaftProfile.metadata(members)),
        Instant.now());
  }

  private void start(int i) {
    OrdererSettings settings = OrdererSettings.embeddedDefault(dir.resolve("node" + i))
        .withListen(new InetSocketAddress("127.0.0.1", clientPorts.get(i)))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0))
        .withOperationsListen(null)
        .withMsp(orgMsp, MSP_ID, false)
        .withCluster(clusters.get(i));
    Orderer node = Orderer.start(settings);
    nodes.add(node);
    connections.add(NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext().build());
  }

  private void restart(int i) {
    connections.get(i).shutdownNow();
    nodes.get(i).close();
    nodes.remove(i);
    connections.remove(i);
    start(i);
    // start appends: move the new node back to its index
    nodes.add(i, nodes.remove(nodes.size() - 1));
    connections.add(i, connections.remove(connections.size() - 1));
  }

  /** Four nodes started, 0-2 on the channel as its genesis block's consenters; returns that block. */
  private Block fourNodesThreeConsenting() throws Exception {
    prepare(4);
    Block genesis = genesis(consenters.subList(0, 3));
    for (int i = 0; i < 4; i++) {
      start(i);
    }
    for (int i = 0; i < 3; i++) {
      nodes.get(i).channels().create(genesis);
    }
    return genesis;
  }

  /**
   * Four nodes: 0-2 the genesis block's consenters, 3 joined with the same block but not in its
   * consenter set, so it follows the channel (Fabric's registrar); returns once it does.
   */
  private void threeConsentersAndAFollower() throws Exception {
    Block genesis = fourNodesThreeConsenting();
    nodes.get(3).channels().join(genesis);
    await().atMost(WAIT).until(() -> info(3).contains("\"consensusRelation\":\"follower\",\"status\":\"active\""));
  }

  private Block lastBlock(int i) {
    var ledger = traffic.ledger(i);
    return ledger.readBlock(ledger.height() - 1);
  }

  private String info(int i) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + nodes.get(i).adminPort() + "/participation/v1/channels/" + CHANNEL))
        .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
    return response.body();
  }
}
