package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
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
    Map<String, Integer> counts = new HashMap<>();
    for (Block block : blocks.subList(1, blocks.size())) {
      for (ByteString data : block.getData().getDataList()) {
        Payload payload = Payload.parseFrom(Envelope.parseFrom(data).getPayload());
        counts.merge(ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getTxId(), 1, Integer::sum);
      }
    }
    return counts;
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
    List<Block> newest = deliver(connection, client.seek(channel,
        SeekPositions.seek(SeekPositions.NEWEST, SeekPositions.NEWEST), Instant.now()));
    long last = newest.get(0).getHeader().getNumber();
    List<Block> blocks = deliver(connection, client.seek(channel,
        SeekPositions.seek(SeekPositions.OLDEST, SeekPositions.specified(last)), Instant.now()));
    return blocks;
  }

  static List<Block> deliver(ManagedChannel connection, Envelope seek) throws Exception {
    LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(connection).deliver(new StreamObserver<>() {
      @Override
      public void onNext(DeliverResponse response) {
        responses.add(response);
      }

      @Override
      public void onError(Throwable t) {
        responses.add(t);
      }

      @Override
      public void onCompleted() {}
    });
    requests.onNext(seek);
    List<Block> blocks = new ArrayList<>();
    while (true) {
      Object next = responses.poll(30, TimeUnit.SECONDS);
      assertThat(next).as("Deliver answers").isNotNull().isInstanceOf(DeliverResponse.class);
      DeliverResponse response = (DeliverResponse) next;
      if (response.hasBlock()) {
        blocks.add(response.getBlock());
      } else {
        assertThat(response.getStatus()).isEqualTo(Status.SUCCESS);
        requests.onCompleted();
        return blocks;
      }
    }
  }

  static List<BroadcastResponse> broadcast(ManagedChannel connection, List<SignedEnvelopes.SignedEnvelope> batch)
      throws Exception {
    LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(connection).broadcast(new StreamObserver<>() {
      @Override
      public void onNext(BroadcastResponse response) {
        responses.add(response);
      }

      @Override
      public void onError(Throwable t) {
        responses.add(t);
      }

      @Override
      public void onCompleted() {}
    });
    batch.forEach(e -> requests.onNext(e.envelope()));
    List<BroadcastResponse> answers = new ArrayList<>();
    for (int n = 0; n < batch.size(); n++) {
      Object next = responses.poll(60, TimeUnit.SECONDS);
      assertThat(next).as("Broadcast answers").isNotNull().isInstanceOf(BroadcastResponse.class);
      answers.add((BroadcastResponse) next);
    }
    requests.onCompleted();
    return answers;
  }
}
