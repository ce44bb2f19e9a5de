package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What many clients cost a running node ({@code jorderer start} in its own JVM), read from the
 * outside as an operator would: heap after a full GC ({@code jcmd GC.run}, then the operations
 * endpoint's {@code jvm_memory_used_bytes{area="heap"}}), threads ({@code jvm_threads_current}) and
 * Fabric's connection and Deliver counters. The bounds are generous multiples of what a stream
 * needs (docs/deliver.md, docs/robustness.md); what they catch is cost that grows with traffic
 * (a leak per connection, a buffer of blocks per slow stream, a thread per stream).
 */
class NodeResourceBoundsTest {
  private static final String CHANNEL = "demo";
  private static final Pattern SERVING = Pattern.compile("operations on port (\\d+)");
  private static final long MIB = 1024 * 1024;

  @TempDir Path dir;
  private NodeProcess node;
  private int operationsPort;
  private SignedEnvelopes envelopes;
  private final List<ManagedChannel> connections = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  private void startNode() throws Exception {
    Path data = dir.resolve("data");
    node = NodeProcess.start(data, dir.resolve("node.log"));
    String serving = node.firstLine();
    assertThat(serving).as("log:%n%s", node.logTail()).startsWith("jorderer is serving");
    Matcher m = SERVING.matcher(serving);
    assertThat(m.find()).isTrue();
    operationsPort = Integer.parseInt(m.group(1));
    envelopes = new SignedEnvelopes(LocalSigner.load(data.resolve("admin-msp"), "JordererMSP"));
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : connections) {
      c.shutdownNow();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aThousandConnectionChurnsAndThousandsOfIdleStreamsKeepHeapAndThreadsBounded() throws Exception {
    startNode();
    long height = deliverOnce(connect(), SeekPositions.OLDEST, SeekPositions.NEWEST).size() - 1; // blocks, then status
    Baseline base = measure();

    // 1,000 connections, each opened, used for one Deliver request and closed, four at a time.
    int churns = 1_000;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<List<DeliverResponse>>> done = new ArrayList<>();
    for (int i = 0; i < churns; i++) {
      done.add(pool.submit(() -> {
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", node.port).usePlaintext().build();
        try {
          return deliverOnce(c, SeekPositions.OLDEST, SeekPositions.OLDEST);
        } finally {
          c.shutdownNow();
          c.awaitTermination(10, TimeUnit.SECONDS);
        }
      }));
    }
    for (Future<List<DeliverResponse>> f : done) {
      List<DeliverResponse> got = f.get(120, TimeUnit.SECONDS);
      assertThat(got).hasSize(2);
      assertThat(got.get(1).getStatus()).isEqualTo(Status.SUCCESS);
    }
    pool.shutdown();
    Awaitility.await().atMost(30, TimeUnit.SECONDS).until(
        () -> metric("grpc_comm_conn_opened", "") - metric("grpc_comm_conn_closed", "") == connections.size());
    Baseline afterChurn = measure();
    System.out.printf("1,000 churned connections: heap %d -> %d MiB after GC, threads %d -> %d%n",
        base.heap / MIB, afterChurn.heap / MIB, base.threads, afterChurn.threads);
    assertThat(afterChurn.heap - base.heap).as("heap kept after 1,000 closed connections").isLessThan(32 * MIB);
    assertThat(afterChurn.threads - base.threads).as("threads kept after 1,000 closed connections").isLessThan(16);

    // 5,000 Deliver streams over 10 connections, all waiting for the next block.
    int streams = 5_000;
    List<ManagedChannel> shared = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      shared.add(connect());
    }
    double requestsBefore = metric("deliver_requests_received", "channel=\"" + CHANNEL + "\"");
    AtomicInteger gotNext = new AtomicInteger();
    List<StreamObserver<Envelope>> open = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(shared.get(i % shared.size()))
          .deliver(new StreamObserver<>() {
            @Override
            public void onNext(DeliverResponse r) {
              if (r.hasBlock() && r.getBlock().getHeader().getNumber() == height) {
                gotNext.incrementAndGet();
              }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      requests.onNext(envelopes.seek(CHANNEL,
          SeekPositions.seek(SeekPositions.specified(height), SeekPositions.specified(Long.MAX_VALUE)), Instant.now()));
      open.add(requests);
    }
    Awaitility.await().atMost(120, TimeUnit.SECONDS).until(
        () -> metric("deliver_requests_received", "channel=\"" + CHANNEL + "\"") - requestsBefore >= streams);
    Baseline idle = measure();
    long perStream = (idle.heap - afterChurn.heap) / streams;
    System.out.printf("%,d idle Deliver streams: heap %d -> %d MiB after GC (%d bytes a stream), threads %d -> %d%n",
        streams, afterChurn.heap / MIB, idle.heap / MIB, perStream, afterChurn.threads, idle.threads);
    assertThat(idle.heap - afterChurn.heap).as("heap for %d idle streams", streams).isLessThan(streams * 32L * 1024);
    assertThat(idle.threads - afterChurn.threads).as("no thread per stream").isLessThan(32);

    // They are alive: one envelope, cut into a block by the batch timeout, reaches every one of them.
    broadcastOne(shared.get(0));
    Awaitility.await().atMost(120, TimeUnit.SECONDS).until(() -> gotNext.get() == streams);
    for (StreamObserver<Envelope> requests : open) {
      requests.onError(io.grpc.Status.CANCELLED.asRuntimeException());
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void readersThatNeverReadHoldOnlyTheirWindowAndOthersGetEveryBlock() throws Exception {
    startNode();
    // About 30 MB in blocks of about 2 MB (the demo channel's PreferredMaxBytes).
    int envelopeCount = 60;
    int exit = Jorderer.commandLine().execute("broadcast", "--address", "127.0.0.1:" + node.port,
        "--msp-dir", dir.resolve("data/admin-msp").toString(), "--count", Integer.toString(envelopeCount),
        "--size", "500000");
    assertThat(exit).isZero();
    ManagedChannel reader = connect();
    Awaitility.await().pollInterval(1, TimeUnit.SECONDS).atMost(60, TimeUnit.SECONDS)
        .until(() -> totalData(deliverOnce(reader, SeekPositions.OLDEST, SeekPositions.NEWEST)) >= envelopeCount);
    long height = deliverOnce(reader, SeekPositions.OLDEST, SeekPositions.NEWEST).size() - 1;
    Baseline base = measure();
    double sentBefore = blocksSent();

    // Ten readers, each on its own connection, ask for everything and then never read.
    int stalledCount = 10;
    List<ClientCall<Envelope, DeliverResponse>> stalled = new ArrayList<>();
    for (int i = 0; i < stalledCount; i++) {
      ClientCall<Envelope, DeliverResponse> call = connect().newCall(AtomicBroadcastGrpc.getDeliverMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {}, new Metadata());
      call.request(1); // one response, then nothing: the HTTP/2 windows fill and stay full
      call.sendMessage(envelopes.seek(CHANNEL, SeekPositions.seek(SeekPositions.OLDEST,
          SeekPositions.specified(Long.MAX_VALUE)), Instant.now()));
      stalled.add(call);
    }

    // Meanwhile another reader gets every block and SUCCESS.
    List<DeliverResponse> all = deliverOnce(connect(), SeekPositions.OLDEST, SeekPositions.NEWEST);
    assertThat(all).hasSize((int) height + 1);
    assertThat(all.get(all.size() - 1).getStatus()).isEqualTo(Status.SUCCESS);

    // The stalled streams settle: what was sent to them stops growing well short of the ledger.
    Awaitility.await().pollDelay(1, TimeUnit.SECONDS).atMost(60, TimeUnit.SECONDS).until(new java.util.concurrent.Callable<>() {
      double last = -1;

      @Override
      public Boolean call() throws Exception {
        double now = blocksSent();
        boolean settled = now == last;
        last = now;
        return settled;
      }
    });
    double toStalled = blocksSent() - sentBefore - height;
    Baseline held = measure();
    System.out.printf("%d stalled readers on a %d-block ledger: %.0f blocks handed to them in all; heap %d -> %d MiB"
        + " after GC%n", stalledCount, height, toStalled, base.heap / MIB, held.heap / MIB);
    // Each may hold its client's window (1 MiB), the server's ready threshold (2 MiB) and the block
    // being written: about 3 blocks of 2 MB. Without flow control each would take the whole ledger.
    assertThat(toStalled).as("blocks handed to %d stalled streams", stalledCount).isLessThanOrEqualTo(stalledCount * 4);
    assertThat(toStalled).as("the ledger is much larger than what they hold").isLessThan(stalledCount * (height - 1) / 2.0);
    assertThat(held.heap - base.heap).as("heap held for %d stalled streams", stalledCount)
        .isLessThan(stalledCount * 8 * MIB);
    for (ClientCall<Envelope, DeliverResponse> call : stalled) {
      call.cancel("done", null);
    }
  }

  private record Baseline(long heap, long threads) {}

  /** Heap after a full GC and live threads, from the node's operations endpoint. */
  private Baseline measure() throws Exception {
    Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
    Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(node.process.pid()), "GC.run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertThat(gc.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Baseline((long) metric("jvm_memory_used_bytes", "area=\"heap\""), (long) metric("jvm_threads_current", ""));
  }

  private double blocksSent() throws Exception {
    return metric("deliver_blocks_sent", "channel=\"" + CHANNEL + "\"");
  }

  /** A sample of the node's /metrics: the sum over the series of {@code name} whose labels contain {@code labels}. */
  private double metric(String name, String labels) throws Exception {
    String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operationsPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    double sum = 0;
    boolean found = false;
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || (line.startsWith(name + "{") && line.contains(labels))) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    assertThat(found).as("metric %s{%s} on /metrics", name, labels).isTrue();
    return sum;
  }

  private ManagedChannel connect() {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", node.port).usePlaintext()
        .maxInboundMessageSize(100 * 1024 * 1024).build();
    synchronized (connections) {
      connections.add(c);
    }
    return c;
  }

  /** One Deliver request on its own stream: every response up to and including the status. */
  private List<DeliverResponse> deliverOnce(ManagedChannel c, org.hyperledger.fabric.protos.orderer.SeekPosition start,
      org.hyperledger.fabric.protos.orderer.SeekPosition stop) throws Exception {
    return DeliverUntilStatus.deliver(c, envelopes.seek(CHANNEL, SeekPositions.seek(start, stop), Instant.now()));
  }

  private static long totalData(List<DeliverResponse> responses) {
    return responses.stream().filter(DeliverResponse::hasBlock).filter(r -> r.getBlock().getHeader().getNumber() > 0)
        .mapToLong(r -> r.getBlock().getData().getDataCount()).sum();
  }

  private void broadcastOne(ManagedChannel c) throws Exception {
    BroadcastResponse answer = OrdererCalls.broadcast(c,
        List.of(envelopes.message(CHANNEL, ByteString.copyFromUtf8("wake up"), Instant.now()))).get(0);
    assertThat(answer.getStatus()).isEqualTo(Status.SUCCESS);
  }
}
