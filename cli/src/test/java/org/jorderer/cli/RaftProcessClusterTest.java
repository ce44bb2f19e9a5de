package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import org.jorderer.channel.msp.LocalSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code jorderer start --config orderer.yaml} processes (the files {@code jorderer
 * dev-cluster} makes: one orderer org with a TLS CA, distinct server and client TLS pairs per node,
 * a cluster listener per node) joined to an etcdraft channel through the channel participation
 * API, as an operator does with osnadmin. Broadcast goes to every node and Deliver from every node
 * serves identical headers and data. Then the leader is killed with SIGKILL under Broadcast load to
 * all three: Broadcast through a survivor succeeds again within 2 s (the channel's ticks are 50 ms
 * × ElectionTick 10), every envelope answered SUCCESS before or after the kill is in the survivors'
 * ledgers exactly once, with the same blocks on both; the killed node restarts on its data and
 * catches up to identical blocks.
 *
 * <p>It prints when each phase ended, and how long after the kill a survivor logged the new leader
 * and Broadcast through a survivor succeeded again; {@code -Draft.process.logs=true} also prints
 * the tail of each node's log.
 */
class RaftProcessClusterTest {
  private static final Pattern LEADER = Pattern.compile("Raft leader of group \\S+ is now (\\S+)( \\(this node\\))?");

  @TempDir Path dir;

  private final List<Process> processes = new ArrayList<>();
  private final List<ManagedChannel> connections = new ArrayList<>();

  private LocalCluster cluster;
  private final long started = System.nanoTime();

  private void phase(String what) {
    System.out.printf("RaftProcessClusterTest +%d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        what);
  }

  @AfterEach
  void stopEverything() throws Exception {
    if (cluster != null && Boolean.getBoolean("raft.process.logs")) {
      for (LocalCluster.Node node : cluster.nodes()) {
        List<String> lines = Files.readAllLines(node.log());
        System.out.println("---- node " + node.index() + " log tail");
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
      }
    }
    connections.forEach(ManagedChannel::shutdownNow);
    for (Process process : processes) {
      if (process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void threeProcessesOrderIdenticalBlocksAndSurviveSigkillOfTheLeaderUnderLoad() throws Exception {
    cluster = LocalCluster.create(dir.resolve("cluster"), 3, "mychannel", Duration.ofMillis(50), 100,
        Duration.ofMillis(200));
    for (LocalCluster.Node node : cluster.nodes()) {
      processes.add(DevClusterCommand.start(node));
    }
    for (LocalCluster.Node node : cluster.nodes()) {
      DevClusterCommand.awaitServing(node, processes.get(node.index()), 0, Duration.ofSeconds(90));
      assertThat(DevClusterCommand.joinIfNeeded(node, cluster.channel(), cluster.genesisBlock()))
          .startsWith("joined mychannel");
      connections.add(NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext()
          .maxInboundMessageSize(Integer.MAX_VALUE).build());
    }
    SignedEnvelopes client = new SignedEnvelopes(LocalSigner.load(cluster.adminMsp(), cluster.mspId()));
    phase("three nodes joined");

    // Broadcast to each node; every envelope answered SUCCESS; Deliver from each serves the same blocks.
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 3; i++) {
      List<SignedEnvelopes.SignedEnvelope> batch = new ArrayList<>();
      for (int n = 0; n < 20; n++) {
        batch.add(client.message(cluster.channel(), ByteString.copyFromUtf8("node " + i + " tx " + n), Instant.now()));
      }
      for (BroadcastResponse response : broadcast(connections.get(i), batch)) {
        assertThat(response.getStatus()).as("node %d: %s", i, response.getInfo()).isEqualTo(Status.SUCCESS);
      }
      batch.forEach(e -> acknowledged.add(e.txId()));
    }
    List<List<Block>> first = awaitIdenticalLedgers(cluster, client, List.of(0, 1, 2), acknowledged);
    assertThat(first.get(0).size()).isGreaterThan(1);

    phase("identical ledgers after Broadcast to each");
    // SIGKILL of the leader under load to all three nodes.
    int leader = awaitLeader(cluster);
    phase("leader is node " + leader);
    AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    List<Load> loads = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      loads.add(new Load(connections.get(i), client, cluster.channel(), acknowledged, killedAt));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (acknowledged.size() < 60 + 300 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(acknowledged.size()).as("load flows before the kill").isGreaterThanOrEqualTo(360);
    phase(acknowledged.size() + " acknowledged; killing the leader");
    Process leaderProcess = processes.get(leader);
    long killedAtMillis = System.currentTimeMillis();
    killedAt.set(System.nanoTime());
    new ProcessBuilder("kill", "-KILL", Long.toString(leaderProcess.pid())).start().waitFor();
    assertThat(leaderProcess.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(leaderProcess.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);

    List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2));
    survivors.remove(Integer.valueOf(leader));
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline
        && survivors.stream().anyMatch(s -> loads.get(s).firstSuccessAfterKill.get() == 0
            || loads.get(s).successesAfterKill.get() < 50)) {
      Thread.sleep(10);
    }
    phase("after the kill: " + loads.stream().map(l -> l.successesAfterKill.get() + "").toList());
    for (int s : survivors) {
      System.out.printf("RaftProcessClusterTest: node %d's stream: longest time between two SUCCESS answers across the"
          + " kill %d ms; refused %s%n", s, TimeUnit.NANOSECONDS.toMillis(loads.get(s).longestGapAfterKill.get()),
          loads.get(s).refusals);
    }
    long resumedAfter = Long.MAX_VALUE;
    for (int s : survivors) {
      assertThat(loads.get(s).successesAfterKill.get()).as("node %d orders after the kill", s)
          .isGreaterThanOrEqualTo(50);
      resumedAfter = Math.min(resumedAfter, loads.get(s).firstSuccessAfterKill.get() - killedAt.get());
    }
    loads.forEach(Load::stop);
    long electedAfter = Long.MAX_VALUE;
    for (int s : survivors) {
      electedAfter = Math.min(electedAfter, firstLeaderLineAfter(cluster.nodes().get(s), killedAtMillis) - killedAtMillis);
    }
    System.out.printf("RaftProcessClusterTest: leader node %d killed; a survivor logged the new leader after %d ms;"
        + " Broadcast through a survivor succeeded again after %d ms; %d envelopes acknowledged in all%n", leader,
        electedAfter, TimeUnit.NANOSECONDS.toMillis(resumedAfter), acknowledged.size());
    // The channel's ticks are 50 ms x ElectionTick 10: a follower stands after 0.5-1 s without a leader.
    assertThat(Duration.ofMillis(electedAfter)).as("a new leader within 2 s of the kill")
        .isLessThan(Duration.ofSeconds(2));
    for (Load load : loads) {
      load.awaitAnswers();
    }

    List<List<Block>> afterKill = awaitIdenticalLedgers(cluster, client, survivors, acknowledged);
    assertThat(afterKill.get(0).subList(0, first.get(0).size())).as("no block lost or forked").isEqualTo(first.get(0));

    phase("survivors identical");
    // The killed node restarts on its data and catches up to the same blocks.
    LocalCluster.Node killed = cluster.nodes().get(leader);
    long logged = Files.size(killed.log());
    Process restarted = DevClusterCommand.start(killed);
    processes.set(leader, restarted);
    DevClusterCommand.awaitServing(killed, restarted, logged, Duration.ofSeconds(90));
    assertThat(new String(Files.readAllBytes(killed.log()), StandardCharsets.UTF_8).substring((int) logged))
        .contains("channels: mychannel (height");
    List<List<Block>> all = awaitIdenticalLedgers(cluster, client, List.of(0, 1, 2), acknowledged);
    assertThat(all.get(0).subList(0, afterKill.get(0).size())).as("the same blocks as before the restart")
        .isEqualTo(afterKill.get(0));
  }

  /**
   * Waits until every node in {@code nodes} serves, over Deliver, every acknowledged envelope, then
   * checks that they serve the same headers and data and hold each acknowledged envelope exactly
   * once. Returns each node's blocks with metadata cleared (signatures differ per node).
   */
  private List<List<Block>> awaitIdenticalLedgers(LocalCluster cluster, SignedEnvelopes client, List<Integer> nodes,
      Set<String> acknowledged) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<List<Block>> ledgers = new ArrayList<>();
    while (true) {
      ledgers.clear();
      boolean complete = true;
      for (int i : nodes) {
        List<Block> blocks = deliverAll(connections.get(i), client, cluster.channel());
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

  private static Map<String, Integer> txCounts(List<Block> blocks) throws Exception {
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
  private static List<Block> deliverAll(ManagedChannel connection, SignedEnvelopes client, String channel)
      throws Exception {
    List<Block> newest = deliver(connection, client.seek(channel,
        SeekPositions.seek(SeekPositions.NEWEST, SeekPositions.NEWEST), Instant.now()));
    long last = newest.get(0).getHeader().getNumber();
    List<Block> blocks = deliver(connection, client.seek(channel,
        SeekPositions.seek(SeekPositions.OLDEST, SeekPositions.specified(last)), Instant.now()));
    List<Block> stripped = new ArrayList<>();
    for (Block block : blocks) {
      stripped.add(block.toBuilder().clearMetadata().build());
    }
    return stripped;
  }

  private static List<Block> deliver(ManagedChannel connection, Envelope seek) throws Exception {
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

  private static List<BroadcastResponse> broadcast(ManagedChannel connection, List<SignedEnvelopes.SignedEnvelope> batch)
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

  /**
   * When the node first logged a leader (Fabric's "Raft leader changed") at or after
   * {@code sinceMillis}, by the log line's timestamp (same machine, same clock).
   */
  private static long firstLeaderLineAfter(LocalCluster.Node node, long sinceMillis) throws Exception {
    java.time.format.DateTimeFormatter format = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    for (String line : Files.readAllLines(node.log(), StandardCharsets.UTF_8)) {
      if (line.length() > 23 && LEADER.matcher(line).find()) {
        long at = java.time.LocalDateTime.parse(line.substring(0, 23), format).atZone(java.time.ZoneId.systemDefault())
            .toInstant().toEpochMilli();
        if (at >= sinceMillis) {
          return at;
        }
      }
    }
    throw new AssertionError("node " + node.index() + " logged no leader after the kill");
  }

  /** The node whose log says it became the leader last, once the others' logs name it too. */
  private static int awaitLeader(LocalCluster cluster) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      String[] last = new String[cluster.nodes().size()];
      int self = -1;
      for (LocalCluster.Node node : cluster.nodes()) {
        Matcher m = LEADER.matcher(Files.readString(node.log(), StandardCharsets.UTF_8));
        boolean leads = false;
        while (m.find()) {
          last[node.index()] = m.group(1);
          leads = m.group(2) != null; // the node's latest line decides
        }
        if (leads) {
          self = node.index();
        }
      }
      if (self >= 0 && java.util.Arrays.stream(last).allMatch(l -> l != null && l.equals(last[0]))) {
        return self;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no node logged that it leads the channel");
  }

  /** One Broadcast stream sending as fast as flow control allows; records SUCCESS answers and timing after the kill. */
  private static final class Load implements ClientResponseObserver<Envelope, BroadcastResponse> {
    private final SignedEnvelopes envelopes;
    private final String channel;
    private final Set<String> acknowledged;
    private final AtomicLong killedAt;
    private final ArrayDeque<String[]> unanswered = new ArrayDeque<>(); // {txId, sentNanos}
    final AtomicLong firstSuccessAfterKill = new AtomicLong();
    final AtomicLong successesAfterKill = new AtomicLong();
    /** The longest time between two SUCCESS answers on this stream, the kill in between or after it. */
    final AtomicLong longestGapAfterKill = new AtomicLong();
    final Map<String, Integer> refusals = new ConcurrentHashMap<>();
    private long lastSuccess;
    private ClientCallStreamObserver<Envelope> requests;
    private boolean ended;
    private boolean stopped;

    Load(ManagedChannel connection, SignedEnvelopes envelopes, String channel, Set<String> acknowledged,
        AtomicLong killedAt) {
      this.envelopes = envelopes;
      this.channel = channel;
      this.acknowledged = acknowledged;
      this.killedAt = killedAt;
      AtomicBroadcastGrpc.newStub(connection).broadcast(this);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Envelope> stream) {
      requests = stream;
      stream.setOnReadyHandler(this::feed);
    }

    private synchronized void feed() {
      // A bounded window: an envelope's send time is close to when the node takes it.
      while (!ended && !stopped && requests.isReady() && unanswered.size() < 200) {
        SignedEnvelopes.SignedEnvelope e = envelopes.message(channel, ByteString.copyFrom(new byte[256]), Instant.now());
        unanswered.add(new String[] {e.txId(), Long.toString(System.nanoTime())});
        requests.onNext(e.envelope());
      }
    }

    @Override
    public synchronized void onNext(BroadcastResponse response) {
      String[] sent = unanswered.poll();
      if (response.getStatus() == Status.SUCCESS) {
        long now = System.nanoTime();
        if (now > killedAt.get() && lastSuccess != 0) {
          longestGapAfterKill.accumulateAndGet(now - lastSuccess, Math::max);
        }
        lastSuccess = now;
        acknowledged.add(sent[0]);
        if (Long.parseLong(sent[1]) > killedAt.get()) {
          firstSuccessAfterKill.compareAndSet(0, System.nanoTime());
          successesAfterKill.incrementAndGet();
        }
      } else {
        refusals.merge(response.getStatus() + " " + response.getInfo(), 1, Integer::sum);
      }
      feed();
      notifyAll();
    }

    synchronized void stop() {
      stopped = true;
    }

    /** Waits until every envelope sent was answered (or the stream ended). */
    synchronized void awaitAnswers() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!ended && !unanswered.isEmpty() && System.nanoTime() < deadline) {
        wait(100);
      }
      if (!ended) {
        requests.onCompleted();
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
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
