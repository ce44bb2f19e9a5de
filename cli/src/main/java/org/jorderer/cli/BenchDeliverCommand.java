package org.jorderer.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockStore;
import org.jorderer.server.Orderer;
import org.jorderer.server.OrdererSettings;
import org.jorderer.server.channels.ServedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jorderer bench deliver}: catch-up throughput of K concurrent streams against a running
 * node ({@code --mode catchup}); K streams left waiting for a block, held open so the node's memory
 * can be measured ({@code --mode wait}); and fan-out, the time from one append to the last of K
 * waiting streams receiving it, on a node started inside this process ({@code --mode fanout}); and
 * the same against a running node, triggered by one Broadcast and measured as Fabric's figure is,
 * from the first stream's receipt to the last's ({@code --mode spread}).
 */
@Command(name = "deliver", mixinStandardHelpOptions = true, description = "Measure Deliver.")
final class BenchDeliverCommand implements Callable<Integer> {
  enum Mode { catchup, wait, fanout, spread }

  @Option(names = "--mode", defaultValue = "catchup", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Mode mode;

  @Mixin ClientOptions client;

  @Option(names = "--channel", paramLabel = "ID", defaultValue = "demo", description = "Channel (default: ${DEFAULT-VALUE}).")
  String channel;



  @Option(names = "--streams", paramLabel = "K", split = ",", defaultValue = "1",
      description = "Concurrent streams; a list runs one measurement each (default: ${DEFAULT-VALUE}).")
  int[] streams;

  @Option(names = "--connections", paramLabel = "N", defaultValue = "8",
      description = "HTTP/2 connections the streams share (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--window", paramLabel = "BYTES", defaultValue = "1048576",
      description = "The client's HTTP/2 flow-control window per stream (default: ${DEFAULT-VALUE}, gRPC's).")
  int flowControlWindow;

  @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "20",
      description = "How long wait mode holds its streams (default: ${DEFAULT-VALUE}).")
  int holdSeconds;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "Fan-out rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() throws Exception {
    return switch (mode) {
      case catchup -> catchup();
      case wait -> holdWaiting();
      case fanout -> fanout();
      case spread -> spread();
    };
  }

  private List<ManagedChannel> connect(InetSocketAddress target, int count) {
    List<ManagedChannel> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(NettyChannelBuilder.forAddress(target.getHostString(), target.getPort())
          .usePlaintext()
          .flowControlWindow(flowControlWindow)
          .maxInboundMessageSize(Integer.MAX_VALUE)
          .build());
    }
    return out;
  }

  private int catchup() throws Exception {
    SignedEnvelopes requests = client.envelopes();
    for (int k : streams) {
      List<ManagedChannel> channels = connect(client.address, Math.min(k, connections));
      AtomicLong bytes = new AtomicLong();
      AtomicLong blocks = new AtomicLong();
      long started = System.nanoTime();
      List<CompletableFuture<Integer>> done = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        Envelope request = requests.seek(channel, SeekPositions.seek(SeekPositions.OLDEST, SeekPositions.NEWEST), Instant.now());
        DeliverProbe.Stream s = new DeliverProbe.Stream(channels.get(i % channels.size()), request, n -> {
          bytes.addAndGet(n);
          blocks.incrementAndGet();
        });
        done.add(s.status);
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("catch-up: %d stream(s) read %d blocks, %.1f MB in %.2f s: %.0f MB/s aggregate, %.0f MB/s per stream%n",
          k, blocks.get(), bytes.get() / 1e6, seconds, bytes.get() / 1e6 / seconds, bytes.get() / 1e6 / seconds / k);
      channels.forEach(ManagedChannel::shutdownNow);
    }
    return 0;
  }

  private int holdWaiting() throws Exception {
    SignedEnvelopes requests = client.envelopes();
    int k = streams[0];
    List<ManagedChannel> channels = connect(client.address, connections);
    List<DeliverProbe.Stream> running = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      Envelope request = requests.seek(channel, SeekPositions.seek(SeekPositions.NEXT_COMMIT, SeekPositions.specified(-1L)), Instant.now());
      running.add(new DeliverProbe.Stream(channels.get(i % channels.size()), request, n -> {}));
    }
    System.out.printf("%d streams waiting on %s; holding them %d s%n", k, channel, holdSeconds);
    System.out.flush();
    Thread.sleep(TimeUnit.SECONDS.toMillis(holdSeconds));
    running.forEach(DeliverProbe.Stream::cancel);
    channels.forEach(ManagedChannel::shutdownNow);
    return 0;
  }

  private int fanout() throws Exception {
    Path data = Files.createTempDirectory("jorderer-fanout");
    // Every listener on a free port: a busy 9443 or 8443 (another node) must not stop the benchmark.
    OrdererSettings settings = OrdererSettings.embeddedDefault(data).withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0))
        .withOperationsListen(new InetSocketAddress("127.0.0.1", 0));
    try (Orderer orderer = Orderer.start(settings)) {
      ServedChannel served = orderer.channels().channel(OrdererSettings.DEMO_CHANNEL).orElseThrow();
      SignedEnvelopes requests = new SignedEnvelopes(LocalSigner.load(settings.adminMspDir(), settings.mspId()));
      BlockStore store = served.ledger();
      BlockBuilder builder = new BlockBuilder(store.readBlock(store.height() - 1), 0, orderer.signer());
      int k = streams[0];
      List<ManagedChannel> channels = connect(new InetSocketAddress("127.0.0.1", orderer.port()), connections);
      AtomicLongArray arrival = new AtomicLongArray(k);
      List<DeliverProbe.Stream> running = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        int index = i;
        Envelope request = requests.seek(OrdererSettings.DEMO_CHANNEL, SeekPositions.seek(SeekPositions.NEXT_COMMIT, SeekPositions.specified(-1L)), Instant.now());
        running.add(new DeliverProbe.Stream(channels.get(i % channels.size()), request,
            n -> arrival.set(index, System.nanoTime())));
      }
      waitUntil(() -> store.waitingCursors() == k, 120);
      System.out.printf("fan-out: %d streams waiting%n", k);
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < k; i++) {
          arrival.set(i, 0);
        }
        Block block = builder.commit(builder.createNextBlock(List.of(Envelope.newBuilder()
            .setPayload(ByteString.copyFrom(new byte[1024])).build())), 0, ByteString.EMPTY);
        long appended = System.nanoTime();
        store.append(block);
        waitUntil(() -> allSet(arrival), 60);
        long[] latency = new long[k];
        for (int i = 0; i < k; i++) {
          latency[i] = arrival.get(i) - appended;
        }
        Arrays.sort(latency);
        System.out.printf("fan-out round %d: append to first stream %.1f ms, p50 %.1f ms, p99 %.1f ms, last %.1f ms%n",
            round + 1, latency[0] / 1e6, latency[k / 2] / 1e6, latency[(int) (k * 0.99)] / 1e6, latency[k - 1] / 1e6);
        waitUntil(() -> store.waitingCursors() == k, 60);
      }
      running.forEach(DeliverProbe.Stream::cancel);
      channels.forEach(ManagedChannel::shutdownNow);
    }
    return 0;
  }

  private int spread() throws Exception {
    SignedEnvelopes requests = client.envelopes();
    int k = streams[0];
    List<ManagedChannel> channels = connect(client.address, connections);
    AtomicLongArray arrival = new AtomicLongArray(k);
    java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
    List<DeliverProbe.Stream> running = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int index = i;
      Envelope request = requests.seek(channel, SeekPositions.seek(SeekPositions.NEXT_COMMIT, SeekPositions.specified(-1L)), Instant.now());
      running.add(new DeliverProbe.Stream(channels.get(i % channels.size()), request, n -> {
        if (arrival.compareAndSet(index, 0, System.nanoTime())) {
          received.incrementAndGet();
        }
      }));
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(2, k / 2_000))); // let every request reach its wait
    System.out.printf("spread: %d streams waiting on %s%n", k, channel);
    for (int round = 1; round <= rounds; round++) {
      for (int i = 0; i < k; i++) {
        arrival.set(i, 0);
      }
      received.set(0);
      var broadcast = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          channels.get(0).newCall(org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc.getBroadcastMethod(),
              io.grpc.CallOptions.DEFAULT),
          new io.grpc.stub.StreamObserver<org.hyperledger.fabric.protos.orderer.BroadcastResponse>() {
            @Override
            public void onNext(org.hyperledger.fabric.protos.orderer.BroadcastResponse value) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      broadcast.onNext(requests.message(channel, com.google.protobuf.ByteString.copyFrom(new byte[1024]), Instant.now())
          .envelope());
      broadcast.onCompleted();
      waitUntil(() -> received.get() == k, 120);
      long[] times = new long[k];
      for (int i = 0; i < k; i++) {
        times[i] = arrival.get(i);
      }
      Arrays.sort(times);
      System.out.printf("spread round %d: all %d streams got the block within %.1f ms of the first"
              + " (p50 %.1f ms, p99 %.1f ms)%n", round, k, (times[k - 1] - times[0]) / 1e6,
          (times[k / 2] - times[0]) / 1e6, (times[(int) (k * 0.99)] - times[0]) / 1e6);
    }
    running.forEach(DeliverProbe.Stream::cancel);
    channels.forEach(ManagedChannel::shutdownNow);
    return 0;
  }

  private static boolean allSet(AtomicLongArray a) {
    for (int i = 0; i < a.length(); i++) {
      if (a.get(i) == 0) {
        return false;
      }
    }
    return true;
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out");
      }
      Thread.sleep(1);
    }
  }
}
