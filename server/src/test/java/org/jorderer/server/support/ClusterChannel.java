package org.jorderer.server.support;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.consensus.raft.EtcdRaftProfile;
import org.jorderer.ledger.BlockStore;
import org.jorderer.server.Orderer;

/**
 * One channel of a cluster of full orderer nodes, as a Raft cluster test drives it: Broadcast to
 * node {@code i} (over {@code connections.get(i)}), consenter changes, and the ledgers read back.
 * It counts the normal envelopes it sent, so a test can wait until a node's ledger holds them all.
 * The lists are read as they are at each call: a test may restart nodes in place.
 */
public final class ClusterChannel {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final String channelId;
  private final LocalSigner admin;
  private final SignedEnvelopes client;
  private final List<Orderer> nodes;
  private final List<ManagedChannel> connections;
  private int sent;

  public ClusterChannel(String channelId, LocalSigner admin, List<Orderer> nodes, List<ManagedChannel> connections) {
    this.channelId = channelId;
    this.admin = admin;
    this.client = new SignedEnvelopes(admin);
    this.nodes = nodes;
    this.connections = connections;
  }

  /**
   * A config update (as configtxlator compute_update makes it) from the channel config node
   * {@code from} holds to the consenters {@code members}, signed by the admin.
   */
  public Envelope consenterUpdate(int from, List<EtcdRaftProfile.ConsenterAddress> members) {
    Config config = nodes.get(from).channels().channel(channelId).orElseThrow().config().config();
    return ConsenterChange.signed(channelId, config, members, admin);
  }

  /** Broadcasts {@code envelope} to node {@code node}; its answer. */
  public BroadcastResponse broadcast(int node, Envelope envelope) throws InterruptedException {
    return BroadcastClient.answer(connections.get(node), envelope);
  }

  /** Broadcasts {@code count} new normal envelopes to node {@code node} on one stream; every answer is SUCCESS. */
  public void broadcast(int node, int count) throws InterruptedException {
    List<Envelope> envelopes = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      envelopes.add(client.message(channelId, ByteString.copyFromUtf8("tx " + sent++), Instant.now()).envelope());
    }
    BroadcastClient.sendAllAccepted(connections.get(node), envelopes);
  }

  /** Waits (up to 60 s each) until each node in {@code which} holds every normal envelope sent so far. */
  public void awaitEnvelopes(List<Integer> which) {
    for (int i : which) {
      await().atMost(WAIT).until(() -> RaftLedgerBlocks.normalEnvelopes(ledger(i)) == sent);
    }
  }

  /** Node {@code i}'s newest config block above the genesis block. */
  public Block lastConfigBlock(int i) {
    return RaftLedgerBlocks.lastConfigBlock(ledger(i));
  }

  /** Node {@code i}'s ledger of the channel. */
  public BlockStore ledger(int i) {
    return nodes.get(i).ledgers().find(channelId).orElseThrow();
  }
}
