package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;

/** Broadcast and Deliver calls the tests of Raft nodes run as processes make, with their answers checked. */
final class OrdererCalls {
  private OrdererCalls() {}

  /**
   * Waits until every node in {@code nodes} serves, over Deliver, every acknowledged envelope, then
   * checks that they serve the same headers and data and hold each acknowledged envelope exactly
   * once. Returns each node's blocks with metadata cleared (signatures differ per node).
   */
  static List<List<Block>> awaitIdenticalLedgers(List<ManagedChannel> connections, String channel,
      SignedEnvelopes client, List<Integer> nodes, Set<String> acknowledged) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<List<Block>> ledgers = new ArrayList<>();
    while (true) {
      ledgers.clear();
      boolean complete = true;
      for (int i : nodes) {
        List<Block> blocks = deliverAll(connections.get(i), client, channel);
        ledgers.add(blocks);
        Map<String, Integer> counts = txCounts(blocks);
        complete &= counts.keySet().containsAll(acknowledged);
      }
      int height = ledgers.get(0).size();
      complete &= ledgers.stream().allMatch(l -> l.size() == height);
      if (complete || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(200);
    }
    for (int k = 0; k < nodes.size(); k++) {
      Map<String, Integer> counts = txCounts(ledgers.get(k));
      assertThat(counts.keySet()).as("node %d holds every acknowledged envelope", nodes.get(k))
          .containsAll(acknowledged);
      assertThat(counts.values()).as("node %d holds each envelope once", nodes.get(k)).allMatch(c -> c == 1);
      assertThat(ledgers.get(k)).as("node %d serves the same headers and data as node %d", nodes.get(k), nodes.get(0))
          .isEqualTo(ledgers.get(0));
    }
    return ledgers;
  }

  /** The tx ids in the blocks after the genesis block, with how often each occurs. */
  static Map<String, Integer> txCounts(List<Block> blocks) throws Exception {
    return DeliverScan.txIdCounts(blocks.subList(1, blocks.size()));
  }

  /** Blocks 0 to the newest, headers and data only (each node signs its own copy). */
  static List<Block> deliverAll(ManagedChannel connection, SignedEnvelopes client, String channel)
      throws Exception {
    List<Block> stripped = new ArrayList<>();
    for (Block block : deliverAllWithMetadata(connection, client, channel)) {
      stripped.add(block.toBuilder().clearMetadata().build());
    }
    return stripped;
  }

  /** Blocks 0 to the newest as the node serves them, its signatures included. */
  static List<Block> deliverAllWithMetadata(ManagedChannel connection, SignedEnvelopes client, String channel)
      throws Exception {
    long last = DeliverScan.newest(connection, client, channel);
    return DeliverScan.blocks(connection, client.seek(channel,
        SeekPositions.seek(SeekPositions.OLDEST, SeekPositions.specified(last)), Instant.now()));
  }

  static List<BroadcastResponse> broadcast(ManagedChannel connection, List<SignedEnvelopes.SignedEnvelope> batch)
      throws Exception {
    QueuedResponses<BroadcastResponse> responses = new QueuedResponses<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(connection).broadcast(responses);
    batch.forEach(e -> requests.onNext(e.envelope()));
    List<BroadcastResponse> answers = new ArrayList<>();
    for (int n = 0; n < batch.size(); n++) {
      Object next = responses.poll(60);
      assertThat(next).as("Broadcast answers").isNotNull().isInstanceOf(BroadcastResponse.class);
      answers.add((BroadcastResponse) next);
    }
    requests.onCompleted();
    return answers;
  }
}
