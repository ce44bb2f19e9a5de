package org.jorderer.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer bench broadcast}: the broadcast run of {@code jorderer broadcast} with its own
 * benchmark shape (8 streams of 20,000 1 KB envelopes unless told otherwise) and a Deliver stream
 * watching the channel. It reports tx/s and two latencies per envelope, both from the moment it was
 * handed to its stream: to its SUCCESS, and to the arrival of the block that carries it. Both are
 * measured from the send because a block can reach the watcher before the SUCCESS that answered one
 * of its envelopes reaches the sender (the orderer answers once the envelope is queued for ordering,
 * and the answer and the block travel on different streams), so "SUCCESS to delivery" can be negative.
 */
@Command(name = "broadcast", mixinStandardHelpOptions = true,
    description = "Broadcast throughput, and per-envelope latency from send to SUCCESS and to delivery"
        + " (" + BenchBroadcastCommand.DEFAULT_STREAMS + " streams, " + BenchBroadcastCommand.DEFAULT_COUNT
        + " envelopes of 1 KB in all, unless given).")
final class BenchBroadcastCommand implements Callable<Integer> {
  static final int DEFAULT_STREAMS = 8;
  static final int DEFAULT_COUNT = 20_000;

  @Mixin ClientOptions client;
  @Spec CommandSpec spec;

  @Option(names = "--channel", paramLabel = "ID", defaultValue = "demo", description = "Channel (default: ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "--count", paramLabel = "N", defaultValue = "" + DEFAULT_COUNT,
      description = "Envelopes (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1024", description = "Data bytes per envelope (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--streams", paramLabel = "K", defaultValue = "" + DEFAULT_STREAMS,
      description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
  int streams;

  @Override
  public Integer call() throws Exception {
    BroadcastCommand broadcast = new BroadcastCommand();
    broadcast.client = client;
    broadcast.channel = channel;
    broadcast.count = count;
    broadcast.size = size;
    broadcast.streams = streams;
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Long> sent = new ConcurrentHashMap<>();
    Map<String, Long> succeeded = new ConcurrentHashMap<>();
    Map<String, Long> delivered = new ConcurrentHashMap<>();
    ManagedChannel connection = client.connect();
    try {
      SignedEnvelopes seeks = client.envelopes();
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
      watcher.onNext(seeks.seek(channel, SeekPositions.seek(SeekPositions.NEXT_COMMIT, SeekPositions.specified(-1L)), Instant.now()));
      BroadcastCommand.Result result = broadcast.run(spec.commandLine().getErr(), new BroadcastCommand.ResponseListener() {
        @Override
        public void sent(String txId, long nanoTime) {
          sent.put(txId, nanoTime);
        }

        @Override
        public void answered(String txId, String status, long nanoTime) {
          if (status.equals("SUCCESS")) {
            succeeded.put(txId, nanoTime);
          }
        }
      });
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!delivered.keySet().containsAll(succeeded.keySet()) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Latencies latencies = Latencies.of(sent, succeeded, delivered);
      out.printf("broadcast: %d envelopes of %d bytes over %d streams: %.0f tx/s (%.2f s); statuses %s%n",
          result.sent(), size, streams, result.txPerSecond(), result.seconds(), result.statuses());
      if (!latencies.toSuccess().isEmpty()) {
        out.printf("send to SUCCESS: %s%n", summary(latencies.toSuccess()));
      }
      if (!latencies.toDelivery().isEmpty()) {
        out.printf("send to delivery: %s (%d of %d delivered)%n", summary(latencies.toDelivery()),
            latencies.toDelivery().size(), succeeded.size());
      }
      out.flush();
      watcher.onCompleted();
      return latencies.toDelivery().size() == succeeded.size() ? 0 : 1;
    } finally {
      connection.shutdownNow();
    }
  }

  /**
   * Per-envelope latencies in nanoseconds, sorted, each measured from the envelope's send: none
   * can be negative, since neither its answer nor its block can arrive before it was sent.
   */
  record Latencies(List<Long> toSuccess, List<Long> toDelivery) {
    static Latencies of(Map<String, Long> sent, Map<String, Long> succeeded, Map<String, Long> delivered) {
      List<Long> toSuccess = new ArrayList<>();
      List<Long> toDelivery = new ArrayList<>();
      for (Map.Entry<String, Long> e : succeeded.entrySet()) {
        Long from = sent.get(e.getKey());
        if (from == null) {
          continue;
        }
        toSuccess.add(e.getValue() - from);
        Long at = delivered.get(e.getKey());
        if (at != null) {
          toDelivery.add(at - from);
        }
      }
      Collections.sort(toSuccess);
      Collections.sort(toDelivery);
      return new Latencies(toSuccess, toDelivery);
    }
  }

  private static String summary(List<Long> sorted) {
    return String.format("p50 %.0f ms, p99 %.0f ms, max %.0f ms", percentile(sorted, 0.50), percentile(sorted, 0.99),
        sorted.get(sorted.size() - 1) / 1e6);
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
