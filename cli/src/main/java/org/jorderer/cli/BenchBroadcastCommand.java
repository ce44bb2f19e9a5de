package org.jorderer.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer bench broadcast}: the broadcast run of {@code jorderer broadcast} (8 streams of
 * 1 KB envelopes unless told otherwise) with a Deliver stream watching the channel, to report
 * tx/s and the latency from each SUCCESS to the block that carries the envelope being delivered.
 */
@Command(name = "broadcast", mixinStandardHelpOptions = true,
    description = "Broadcast throughput, and latency from SUCCESS to delivery (8 streams of 20000 1 KB envelopes unless given).")
final class BenchBroadcastCommand implements Callable<Integer> {
  @Mixin BroadcastCommand broadcast;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // The benchmark's shape (spec: 8 streams) unless the caller chose otherwise.
    if (!spec.commandLine().getParseResult().hasMatchedOption("--streams")) {
      broadcast.streams = 8;
    }
    if (!spec.commandLine().getParseResult().hasMatchedOption("--count")) {
      broadcast.count = 20_000;
    }
    Map<String, Long> succeeded = new ConcurrentHashMap<>();
    Map<String, Long> delivered = new ConcurrentHashMap<>();
    ManagedChannel connection = broadcast.client.connect();
    try {
      SignedEnvelopes seeks = broadcast.client.envelopes();
      StreamObserver<Envelope> watcher = AtomicBroadcastGrpc.newStub(connection).deliver(new StreamObserver<>() {
        @Override
        public void onNext(DeliverResponse response) {
          if (response.hasBlock()) {
            long at = System.nanoTime();
            for (String txId : txIds(response.getBlock())) {
              delivered.put(txId, at);
            }
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
      watcher.onNext(seeks.seek(broadcast.channel, SeekPositions.seek(SeekPositions.NEXT_COMMIT, SeekPositions.specified(-1L)), Instant.now()));
      BroadcastCommand.Result result = broadcast.run(System.err, (txId, status, at) -> {
        if (status.equals("SUCCESS")) {
          succeeded.put(txId, at);
        }
      });
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (delivered.keySet().containsAll(succeeded.keySet()) == false && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      List<Long> latencies = new ArrayList<>();
      for (Map.Entry<String, Long> e : succeeded.entrySet()) {
        Long at = delivered.get(e.getKey());
        if (at != null) {
          latencies.add(at - e.getValue());
        }
      }
      Collections.sort(latencies);
      System.out.printf("broadcast: %d envelopes of %d bytes over %d streams: %.0f tx/s (%.2f s); statuses %s%n",
          result.sent(), broadcast.size, broadcast.streams, result.txPerSecond(), result.seconds(), result.statuses());
      if (!latencies.isEmpty()) {
        System.out.printf("SUCCESS to delivery: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d of %d delivered)%n",
            percentile(latencies, 0.50), percentile(latencies, 0.99), latencies.get(latencies.size() - 1) / 1e6,
            latencies.size(), succeeded.size());
      }
      watcher.onCompleted();
      return latencies.size() == succeeded.size() ? 0 : 1;
    } finally {
      connection.shutdownNow();
    }
  }

  private static double percentile(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * p))) / 1e6;
  }

  private static List<String> txIds(Block block) {
    List<String> ids = new ArrayList<>(block.getData().getDataCount());
    for (var entry : block.getData().getDataList()) {
      try {
        Payload payload = Payload.parseFrom(Envelope.parseFrom(entry).getPayload());
        ids.add(ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getTxId());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        // not one of ours
      }
    }
    return ids;
  }
}
