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

/** Slow and numerous consumers: what a stalled peer costs, and what ten thousand idle ones cost. */
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
}
