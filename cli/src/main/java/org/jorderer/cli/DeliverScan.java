package org.jorderer.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;

/**
 * Blocks read over Deliver, one RPC a seek, as a checker of an orderer's ledger reads them
 * (bench-failover, and the tests that run orderers as processes): every block up to the SUCCESS
 * status that ends the range; anything else is a failure.
 */
final class DeliverScan {
  private static final long ANSWER_SECONDS = 60;

  private DeliverScan() {}

  /**
   * The blocks {@code seek} (a signed SeekInfo envelope with a bounded stop) asks for.
   *
   * @throws IllegalStateException when the stream fails, is silent for 60 s, or ends with a status
   *     other than SUCCESS
   */
  static List<Block> blocks(ManagedChannel connection, Envelope seek) throws InterruptedException {
    QueuedResponses<DeliverResponse> responses = new QueuedResponses<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(connection).deliver(responses);
    requests.onNext(seek);
    List<Block> blocks = new ArrayList<>();
    while (true) {
      Object next = responses.poll(ANSWER_SECONDS);
      if (!(next instanceof DeliverResponse response)) {
        throw new IllegalStateException("Deliver failed: " + next);
      }
      if (response.hasBlock()) {
        blocks.add(response.getBlock());
      } else if (response.getStatus() == Status.SUCCESS) {
        requests.onCompleted();
        return blocks;
      } else {
        throw new IllegalStateException("Deliver answered " + response.getStatus());
      }
    }
  }

  /** The number of the channel's newest block. */
  static long newest(ManagedChannel connection, SignedEnvelopes envelopes, String channel)
      throws InterruptedException {
    return blocks(connection, envelopes.seek(channel, SeekPositions.seek(SeekPositions.NEWEST, SeekPositions.NEWEST),
        Instant.now())).get(0).getHeader().getNumber();
  }

  /** The tx ids of the envelopes in {@code blocks}, with how often each occurs. */
  static Map<String, Integer> txIdCounts(List<Block> blocks) throws InvalidProtocolBufferException {
    Map<String, Integer> counts = new HashMap<>();
    for (Block block : blocks) {
      for (ByteString entry : block.getData().getDataList()) {
        Payload payload = Payload.parseFrom(Envelope.parseFrom(entry).getPayload());
        counts.merge(ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getTxId(), 1, Integer::sum);
      }
    }
    return counts;
  }
}
