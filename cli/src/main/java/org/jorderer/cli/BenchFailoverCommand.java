package org.jorderer.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer bench failover}: what a client sees while a cluster loses a node. It streams
 * envelopes to one orderer for a fixed time, each stream with a bounded number unanswered (so an
 * answer's time is close to its envelope's send), and timestamps every answer. It reports the
 * longest time between two SUCCESS answers (wall clock, so a script can set it against the moment
 * it killed a node) and every other status with its info text. Then it reads the channel over
 * Deliver from each {@code --check} orderer and counts the envelopes answered SUCCESS that are not
 * in its ledger, and those that are there twice. {@code broadcast_msg} prints only totals, which
 * cannot show either. Used by {@code bench/raft-cluster}.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
    description = {"Streams envelopes to one orderer for a while, timestamping every answer: the longest gap between",
        "SUCCESS answers, other statuses with their texts; then counts the acknowledged envelopes missing from",
        "(or repeated in) the ledgers of the --check orderers, read over Deliver."})
final class BenchFailoverCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;

  @Option(names = "--channel", paramLabel = "ID", defaultValue = "demo", description = "Channel (default: ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "30",
      description = "How long to send, from the first SUCCESS (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--streams", paramLabel = "K", defaultValue = "4", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
  int streams;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1024", description = "Data bytes per envelope (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--window", paramLabel = "N", defaultValue = "100",
      description = "Envelopes a stream leaves unanswered at most (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--check", paramLabel = "HOST:PORT", converter = HostPort.class, split = ",",
      description = "Orderers whose ledgers must hold every acknowledged envelope (default: --address).")
  List<InetSocketAddress> check = new ArrayList<>();

  /** Answers of every stream, in arrival order per stream: {epoch millis, status, info}. */
  private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
  private final Map<String, Long> firstInfo = new ConcurrentHashMap<>();
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final List<Long> successTimes = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile boolean streaming;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    SignedEnvelopes envelopes = client.envelopes();
    ManagedChannel connection = client.connect();
    long startHeight;
    try {
      startHeight = DeliverScan.newest(connection, envelopes, channel) + 1;
      List<Stream> running = new ArrayList<>();
      for (int s = 0; s < streams; s++) {
        running.add(new Stream(connection, envelopes));
      }
      long firstDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!streaming && System.nanoTime() < firstDeadline) {
        Thread.sleep(10);
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < end) {
        Thread.sleep(100);
        for (int s = 0; s < running.size(); s++) {
          if (running.get(s).ended()) { // a client opens a new stream when one breaks
            running.set(s, new Stream(connection, envelopes));
          }
        }
      }
      running.forEach(Stream::stop);
      for (Stream stream : running) {
        stream.awaitAnswers();
      }
    } finally {
      connection.shutdownNow();
    }
    List<Long> times;
    synchronized (successTimes) {
      times = new ArrayList<>(successTimes);
    }
    java.util.Collections.sort(times);
    long gap = 0;
    long gapFrom = 0;
    long gapTo = 0;
    for (int i = 1; i < times.size(); i++) {
      if (times.get(i) - times.get(i - 1) > gap) {
        gap = times.get(i) - times.get(i - 1);
        gapFrom = times.get(i - 1);
        gapTo = times.get(i);
      }
    }
    out.printf("failover: %d envelopes answered over %d streams in %d s; statuses %s%n",
        statuses.values().stream().mapToInt(Integer::intValue).sum(), streams, seconds, new TreeMap<>(statuses));
    out.printf("longest_gap_ms=%d gap_from_epoch_ms=%d gap_to_epoch_ms=%d first_success_epoch_ms=%d"
        + " last_success_epoch_ms=%d%n", gap, gapFrom, gapTo, times.isEmpty() ? 0 : times.get(0),
        times.isEmpty() ? 0 : times.get(times.size() - 1));
    new TreeMap<>(firstInfo).forEach((what, at) -> out.printf("answer %s first_at_epoch_ms=%d%n", what, at));
    out.flush();

    boolean whole = true;
    for (InetSocketAddress address : check.isEmpty() ? List.of(client.address) : check) {
      Map<String, Integer> counts = ledgerTxIds(address, envelopes, startHeight);
      long missing = acknowledged.stream().filter(tx -> !counts.containsKey(tx)).count();
      long repeated = counts.values().stream().filter(c -> c > 1).count();
      out.printf("ledger %s:%d acknowledged=%d missing=%d repeated=%d%n", address.getHostString(), address.getPort(),
          acknowledged.size(), missing, repeated);
      out.flush();
      whole &= missing == 0 && repeated == 0;
    }
    return whole ? 0 : 1;
  }

  /**
   * The tx ids in the orderer's blocks from {@code from} to its newest, read again until they
   * hold every acknowledged envelope or 30 s passed (the last block is cut by BatchTimeout).
   */
  private Map<String, Integer> ledgerTxIds(InetSocketAddress address, SignedEnvelopes envelopes, long from)
      throws Exception {
    ManagedChannel connection = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
        .usePlaintext().maxInboundMessageSize(Integer.MAX_VALUE).build();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        long newest = DeliverScan.newest(connection, envelopes, channel);
        Map<String, Integer> counts = newest < from ? Map.of() : DeliverScan.txIdCounts(DeliverScan.blocks(connection,
            envelopes.seek(channel, SeekPositions.seek(SeekPositions.specified(from), SeekPositions.specified(newest)),
                Instant.now())));
        if (counts.keySet().containsAll(acknowledged) || System.nanoTime() > deadline) {
          return counts;
        }
        Thread.sleep(500);
      }
    } finally {
      connection.shutdownNow();
    }
  }

  /** One Broadcast stream, sending as flow control and the window allow until stopped. */
  private final class Stream implements ClientResponseObserver<Envelope, BroadcastResponse> {
    private final SignedEnvelopes envelopes;
    private final Random random = new Random();
    private final ArrayDeque<String> unanswered = new ArrayDeque<>();
    private ClientCallStreamObserver<Envelope> requests;
    private boolean ended;
    private boolean stopped;

    Stream(ManagedChannel connection, SignedEnvelopes envelopes) {
      this.envelopes = envelopes;
      AtomicBroadcastGrpc.newStub(connection).broadcast(this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Envelope> stream) {
      requests = stream;
      stream.setOnReadyHandler(this::feed);
    }

    private synchronized void feed() {
      byte[] data = new byte[size];
      while (!ended && !stopped && requests.isReady() && unanswered.size() < window) {
        random.nextBytes(data);
        SignedEnvelopes.SignedEnvelope e = envelopes.message(channel, ByteString.copyFrom(data), Instant.now());
        unanswered.add(e.txId());
        requests.onNext(e.envelope());
      }
    }

    @Override
    public synchronized void onNext(BroadcastResponse response) {
      long at = System.currentTimeMillis();
      String txId = unanswered.poll();
      String status = response.getStatus().name();
      statuses.merge(status, 1, Integer::sum);
      if (response.getStatus() == Status.SUCCESS) {
        acknowledged.add(txId);
        successTimes.add(at);
        if (!streaming) {
          streaming = true; // tells a script that the load flows: now is the time to kill a node
          PrintWriter out = spec.commandLine().getOut();
          out.printf("streaming: first SUCCESS at epoch ms %d%n", at);
          out.flush();
        }
      } else {
        firstInfo.putIfAbsent(status + " \"" + response.getInfo() + "\"", at);
      }
      feed();
      notifyAll();
    }

    synchronized boolean ended() {
      return ended;
    }

    synchronized void stop() {
      stopped = true;
    }

    synchronized void awaitAnswers() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!ended && !unanswered.isEmpty() && System.nanoTime() < deadline) {
        wait(100);
      }
      if (!ended) {
        ended = true;
        requests.onCompleted();
      }
      if (!unanswered.isEmpty()) {
        statuses.merge("UNANSWERED", unanswered.size(), Integer::sum);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      if (!ended) {
        long at = System.currentTimeMillis();
        statuses.merge("RPC " + io.grpc.Status.fromThrowable(t).getCode(), unanswered.size(), Integer::sum);
        firstInfo.putIfAbsent("stream ended: " + io.grpc.Status.fromThrowable(t), at);
        unanswered.clear();
      }
      ended = true;
      notifyAll();
    }

    @Override
    public synchronized void onCompleted() {
      ended = true;
      notifyAll();
    }
  }
}
