package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hyperledger.fabric.protos.common.Status;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jorderer broadcast}, every {@code jorderer bench} mode and the Deliver probe they share,
 * against a node on the embedded default: exit codes and the numbers in their summaries (the
 * wording around them is not pinned).
 */
class ClientCommandsSmokeTest {
  @TempDir Path dir;

  /** What a command printed on standard output (the commands print their summaries there). */
  private record Run(int exitCode, String out) {}

  private static synchronized Run run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int code = Jorderer.commandLine().execute(args);
      System.out.flush();
      return new Run(code, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(original);
    }
  }

  private static long number(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("%s in %s", regex, text).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Waits for a condition to become true; fails after {@code seconds}. */
  private static void awaitTrue(java.util.function.BooleanSupplier condition, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within %d s", seconds).isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void benchFillThenBroadcastBenchesAndTheProbeAgainstOneNode() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      // creates the data folder, its MSP and channel demo, then stops
    }

    Run fill = run("bench", "fill", "--data", data.toString(), "--blocks", "5", "--size", "2000");
    assertThat(fill.exitCode()).as(fill.out()).isZero();
    assertThat(number(fill.out(), "appended (\\d+) blocks")).isEqualTo(5);
    assertThat(number(fill.out(), "height (\\d+)")).isEqualTo(6);
    try (LedgerDirectory ledgers = LedgerDirectory.open(data.resolve("ledger"), LedgerOptions.defaults())) {
      assertThat(ledgers.find("demo").orElseThrow().height()).isEqualTo(6);
    }

    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      String address = "127.0.0.1:" + node.orderer().port();
      String msp = data.resolve("admin-msp").toString();
      BlockStore demo = node.orderer().channels().channel("demo").orElseThrow().ledger();

      Run broadcast = run("broadcast", "--address", address, "--msp-dir", msp, "--count", "30", "--streams", "3",
          "--size", "100");
      assertThat(broadcast.exitCode()).as(broadcast.out()).isZero();
      assertThat(number(broadcast.out(), "(\\d+) envelopes")).isEqualTo(30);
      assertThat(broadcast.out()).contains("SUCCESS=30");

      Run benchBroadcast = run("bench", "broadcast", "--address", address, "--msp-dir", msp, "--count", "40",
          "--streams", "2", "--size", "100");
      assertThat(benchBroadcast.exitCode()).as(benchBroadcast.out()).isZero();
      assertThat(benchBroadcast.out()).contains("SUCCESS=40");
      assertThat(number(benchBroadcast.out(), "\\((\\d+) of 40 delivered\\)")).isEqualTo(40);

      // Everything is cut by now (bench broadcast waited for delivery): catch-up reads the whole chain.
      long height = demo.height();
      Run catchup = run("bench", "deliver", "--mode", "catchup", "--streams", "1,2", "--address", address,
          "--msp-dir", msp);
      assertThat(catchup.exitCode()).as(catchup.out()).isZero();
      assertThat(number(catchup.out(), "1 stream\\(s\\) read (\\d+) blocks")).isEqualTo(height);
      assertThat(number(catchup.out(), "2 stream\\(s\\) read (\\d+) blocks")).isEqualTo(2 * height);

      CompletableFuture<Run> waiting = CompletableFuture.supplyAsync(() -> run("bench", "deliver", "--mode", "wait",
          "--streams", "3", "--hold", "3", "--address", address, "--msp-dir", msp));
      awaitTrue(() -> demo.waitingCursors() == 3, 30);
      Run waited = waiting.get(60, TimeUnit.SECONDS);
      assertThat(waited.exitCode()).as(waited.out()).isZero();
      assertThat(number(waited.out(), "(\\d+) streams waiting")).isEqualTo(3);
      awaitTrue(() -> demo.waitingCursors() == 0, 30);

      long before = demo.height();
      Run spread = run("bench", "deliver", "--mode", "spread", "--streams", "3", "--rounds", "2", "--address",
          address, "--msp-dir", msp);
      assertThat(spread.exitCode()).as(spread.out()).isZero();
      assertThat(number(spread.out(), "round 2: all (\\d+) streams got the block")).isEqualTo(3);
      assertThat(demo.height()).isEqualTo(before + 2);

      // The probe itself: block sizes as they arrive, then Fabric's status.
      ManagedChannel connection = NettyChannelBuilder.forAddress("127.0.0.1", node.orderer().port())
          .usePlaintext().maxInboundMessageSize(Integer.MAX_VALUE).build();
      try {
        SignedEnvelopes requests = new SignedEnvelopes(LocalSigner.load(data.resolve("admin-msp"), "JordererMSP"));
        AtomicLong blocks = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        DeliverProbe.Stream stream = new DeliverProbe.Stream(connection, requests.seek("demo",
            SeekPositions.seek(SeekPositions.specified(1), SeekPositions.specified(5)), Instant.now()), n -> {
              blocks.incrementAndGet();
              bytes.addAndGet(n);
            });
        assertThat(stream.status.get(30, TimeUnit.SECONDS)).isEqualTo(Status.SUCCESS_VALUE);
        assertThat(blocks.get()).isEqualTo(5);
        long expected = 0;
        for (long n = 1; n <= 5; n++) {
          expected += demo.readBlock(n).getSerializedSize();
        }
        // A DeliverResponse{block} frame: the block plus its 1-byte tag and length prefix.
        assertThat(bytes.get()).isBetween(expected, expected + 5 * 6);

        DeliverProbe.Stream missing = new DeliverProbe.Stream(connection, requests.seek("nochannel",
            SeekPositions.seek(SeekPositions.OLDEST, SeekPositions.OLDEST), Instant.now()), n -> {});
        assertThat(missing.status.get(30, TimeUnit.SECONDS)).isEqualTo(Status.NOT_FOUND_VALUE);
      } finally {
        connection.shutdownNow();
      }
    }
  }

  @Test
  void benchDeliverFanoutRunsItsOwnNode() {
    Run fanout = run("bench", "deliver", "--mode", "fanout", "--streams", "4", "--rounds", "2");
    assertThat(fanout.exitCode()).as(fanout.out()).isZero();
    assertThat(number(fanout.out(), "(\\d+) streams waiting")).isEqualTo(4);
    assertThat(fanout.out()).contains("round 1").contains("round 2");
  }

  @Test
  void broadcastToAnUnknownChannelExitsNonZero() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      Run refused = run("broadcast", "--address", "127.0.0.1:" + node.orderer().port(), "--msp-dir",
          data.resolve("admin-msp").toString(), "--channel", "nochannel", "--count", "3");
      assertThat(refused.exitCode()).isOne();
      assertThat(refused.out()).contains("BAD_REQUEST=").doesNotContain("SUCCESS=");
    }
  }
}
