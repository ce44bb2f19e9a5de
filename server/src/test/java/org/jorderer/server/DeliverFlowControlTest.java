package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.newest;
import static org.jorderer.server.support.SeekRequests.oldest;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and numerous consumers: what a stalled peer costs, what ten thousand idle ones cost, and one
 * new block reaching many streams that wait for it (docs/deliver.md, "No thread per stream"):
 * streams that share a connection, a stalled stream among them, streams cancelled while the block
 * goes out.
 */
class DeliverFlowControlTest {
  private static final String CH = "sampleorg";

  @TempDir Path data;
  private TestOrderer orderer;
  private ServedChannel channel;
  private final SeekRequests requests = new SeekRequests(TestOrderer.SIGNER);

  @BeforeEach
  void start() {
    orderer = new TestOrderer(data);
    channel = orderer.withSampleOrgChannel(1);
  }

  @AfterEach
  void stop() {
    orderer.close();
  }

  private double blocksSent() {
    return orderer.counter("deliver_blocks_sent", "channel", CH, "filtered", "false", "data_type", "block");
  }

  @Test
  void aStalledClientIsSentOnlyWhatItsTransportTakesWhileAnotherReadsEverything() throws Exception {
    int blocks = 60;
    orderer.appendBlocks(channel, blocks, 512 * 1024); // 30 MiB after the genesis block
    long height = channel.ledger().height();

    DeliverClient stalled = new DeliverClient(orderer.connect(), 1);
    stalled.send(requests.envelope(CH, seek(oldest(), newest())));
    assertThat(stalled.next(10).hasBlock()).isTrue();
    // The stalled stream ends up holding a block the transport will not take: it waits for onReady,
    // not for time. A server that ignored flow control would send all 61 blocks and never get here.
    org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
        .until(() -> orderer.deliverHandler.streamsHeldByTransport() == 1);

    try (DeliverClient fast = orderer.deliver()) {
      fast.send(requests.envelope(CH, seek(oldest(), newest())));
      List<DeliverResponse> got = fast.untilStatus(30);
      assertThat(got).hasSize((int) height + 1);
      assertThat(got.get(got.size() - 1).getStatus()).isEqualTo(Status.SUCCESS);
    }

    org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
        .until(() -> orderer.deliverHandler.streamsHeldByTransport() == 1); // still held, not finished
    double toStalled = blocksSent() - height;
    // What a stalled stream may hold: the client's HTTP/2 window (1 MiB), the server's ready
    // threshold (512 KiB) and the block being written; everything else waits in the ledger, not in
    // the heap.
    long blockBytes = 512 * 1024;
    long bound = (1024 * 1024 + 512 * 1024) / blockBytes + 2;
    assertThat(toStalled).as("blocks handed to the stalled stream").isLessThanOrEqualTo(bound);
    stalled.close();
  }

  @Test
  void tenThousandWaitingStreamsEachGetTheNextBlockAndCloseCleanly() throws Exception {
    int streams = 10_000;
    List<ManagedChannel> connections = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      connections.add(orderer.connect());
    }
    long next = channel.ledger().height();
    // Warm the transport (event loops, executor) so that the count below measures the streams.
    try (DeliverClient warm = new DeliverClient(connections.get(0))) {
      warm.send(requests.envelope(CH, seek(oldest(), oldest())));
      warm.untilStatus(10);
    }
    int threadsBefore = Thread.activeCount();
    List<DeliverClient> clients = new ArrayList<>(streams);
    for (int i = 0; i < streams; i++) {
      DeliverClient client = new DeliverClient(connections.get(i % connections.size()));
      client.send(requests.envelope(CH, seek(specified(next), specified(next + 1))));
      clients.add(client);
    }
    org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS)
        .until(() -> channel.ledger().waitingCursors() == streams);
    // Waiting costs memory only: a thread per stream would add 10,000. What does start is pool
    // threads, mostly the in-process clients' callback executor.
    assertThat(Thread.activeCount() - threadsBefore).as("threads added by 10,000 waiting streams").isLessThan(64);

    orderer.appendBlocks(channel, 1, 100);
    for (DeliverClient client : clients) {
      assertThat(client.next(30).getBlock().getHeader().getNumber()).isEqualTo(next);
    }
    for (DeliverClient client : clients) {
      client.cancel();
    }
    org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS)
        .until(() -> orderer.counter("deliver_streams_closed") == streams + 1); // + the warm-up stream
    assertThat(channel.ledger().waitingCursors()).isZero();
    assertThat(orderer.counter("deliver_requests_completed", "channel", CH, "filtered", "false",
        "data_type", "block", "success", "false")).isEqualTo(streams);
    assertThat(channel.errored().fired()).isFalse();
  }

  /** {@code streams} streams on {@code connection}, each waiting for block {@code number} only. */
  private List<DeliverClient> waitingFor(ManagedChannel connection, long number, int streams) {
    List<DeliverClient> clients = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      DeliverClient client = new DeliverClient(connection);
      client.send(requests.envelope(CH, seek(specified(number), specified(number))));
      clients.add(client);
    }
    return clients;
  }

  private void awaitWaiting(int cursors) {
    org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS)
        .until(() -> channel.ledger().waitingCursors() == cursors);
  }

  @Test
  void everyStreamOnOneConnectionGetsTheStoredBlockBytesThenSuccessAndCanAskAgain() throws Exception {
    ManagedChannel connection = orderer.connect();
    long next = channel.ledger().height();
    List<DeliverClient> clients = waitingFor(connection, next, 500);
    awaitWaiting(500);

    orderer.appendBlocks(channel, 1, 20_000);
    byte[] stored = channel.ledger().readBlock(next).toByteArray();
    for (DeliverClient client : clients) {
      List<DeliverResponse> got = client.untilStatus(30);
      assertThat(got).hasSize(2);
      assertThat(got.get(0).getBlock().toByteArray()).isEqualTo(stored);
      assertThat(got.get(1).getStatus()).isEqualTo(Status.SUCCESS);
    }
    // Each stream is still open and serves its next request, again woken by a new block.
    for (DeliverClient client : clients) {
      client.send(requests.envelope(CH, seek(specified(next + 1), specified(next + 1))));
    }
    awaitWaiting(500);
    orderer.appendBlocks(channel, 1, 100);
    byte[] second = channel.ledger().readBlock(next + 1).toByteArray();
    for (DeliverClient client : clients) {
      assertThat(client.next(30).getBlock().toByteArray()).isEqualTo(second);
      assertThat(client.next(30).getStatus()).isEqualTo(Status.SUCCESS);
    }
    assertThat(orderer.counter("deliver_requests_completed", "channel", CH, "filtered", "false",
        "data_type", "block", "success", "true")).isEqualTo(1000);
  }

  @Test
  void aStalledStreamOnTheSameConnectionHoldsBackOnlyItselfWhileTheOthersGetEveryBlock() throws Exception {
    // A window that cannot grow: auto-tuning may grow it up to 8 MiB, past the 6 MiB sent below,
    // and the stalled stream would then never be held (a CI run under load saw it never held).
    ManagedChannel connection = orderer.connectWithFixedWindow(1 << 20);
    long next = channel.ledger().height();
    int blocks = 12;
    long last = next + blocks - 1;
    // Reads one response, then stops reading: its share of the connection's window fills up.
    DeliverClient stalled = new DeliverClient(connection, 1);
    stalled.send(requests.envelope(CH, seek(specified(next), specified(last))));
    List<DeliverClient> readers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      DeliverClient reader = new DeliverClient(connection);
      reader.send(requests.envelope(CH, seek(specified(next), specified(last))));
      readers.add(reader);
    }
    awaitWaiting(21);

    orderer.appendBlocks(channel, blocks, 512 * 1024); // 6 MiB, far past one stream's 1 MiB window
    for (DeliverClient reader : readers) {
      List<DeliverResponse> got = reader.untilStatus(60);
      assertThat(got).hasSize(blocks + 1);
      for (int i = 0; i < blocks; i++) {
        assertThat(got.get(i).getBlock().getHeader().getNumber()).isEqualTo(next + i);
      }
      assertThat(got.get(blocks).getStatus()).isEqualTo(Status.SUCCESS);
    }
    // The stalled stream got its first block and is now held by flow control, not finished.
    assertThat(stalled.next(10).getBlock().getHeader().getNumber()).isEqualTo(next);
    org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
        .until(() -> orderer.deliverHandler.streamsHeldByTransport() == 1);
    assertThat(stalled.isClosed()).isFalse();
    stalled.cancel();
    org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
        .until(() -> orderer.deliverHandler.streamsHeldByTransport() == 0);
  }

  @Test
  void streamsCancelledWhileTheBlockGoesOutEndCleanlyAndTheOthersGetIt() throws Exception {
    List<ManagedChannel> connections = List.of(orderer.connect(), orderer.connect());
    long next = channel.ledger().height();
    List<DeliverClient> kept = new ArrayList<>();
    List<DeliverClient> cancelled = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      DeliverClient client = waitingFor(connections.get(i % 2), next, 1).get(0);
      (i % 2 == 0 ? kept : cancelled).add(client);
    }
    awaitWaiting(1000);

    Thread canceller = new Thread(() -> cancelled.forEach(DeliverClient::cancel));
    canceller.start(); // races the fan-out: each stream is cancelled before, during or after its send
    orderer.appendBlocks(channel, 1, 50_000);
    canceller.join();
    byte[] stored = channel.ledger().readBlock(next).toByteArray();
    for (DeliverClient client : kept) {
      assertThat(client.next(30).getBlock().toByteArray()).isEqualTo(stored);
      assertThat(client.next(30).getStatus()).isEqualTo(Status.SUCCESS);
    }
    for (DeliverClient client : cancelled) {
      assertThat(client.awaitClose(30).getCode()).isEqualTo(io.grpc.Status.Code.CANCELLED);
    }
    kept.forEach(DeliverClient::cancel);
    org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS)
        .until(() -> orderer.counter("deliver_streams_closed") == 1000);
    assertThat(channel.ledger().waitingCursors()).isZero();
    assertThat(orderer.deliverHandler.streamsHeldByTransport()).isZero();
    assertThat(orderer.counter("deliver_requests_completed", "channel", CH, "filtered", "false",
        "data_type", "block", "success", "true")
        + orderer.counter("deliver_requests_completed", "channel", CH, "filtered", "false",
        "data_type", "block", "success", "false")).isEqualTo(1000);
  }
}
