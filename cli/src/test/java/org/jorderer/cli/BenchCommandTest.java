package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jorderer bench} and {@code jorderer broadcast}: help texts, output to a pipe, latencies. */
class BenchCommandTest {
  @TempDir Path dir;
  private final CommandRun cli = new CommandRun();

  private int run(String... args) {
    return cli.run(args);
  }

  private static CommandLine.Model.CommandSpec spec(String... path) {
    CommandLine cmd = Jorderer.commandLine();
    for (String name : path) {
      cmd = cmd.getSubcommands().get(name);
    }
    return cmd.getCommandSpec();
  }

  @Test
  void benchBroadcastHelpStatesTheDefaultsItRunsWith() {
    assertThat(run("bench", "broadcast", "--help")).isZero();
    String help = cli.out();
    Matcher shape = Pattern.compile("(\\d+) streams, (\\d+) envelopes").matcher(help);
    assertThat(shape.find()).as(help).isTrue();

    CommandLine.Model.CommandSpec spec = spec("bench", "broadcast");
    assertThat(spec.findOption("--streams").defaultValue()).isEqualTo(shape.group(1));
    assertThat(spec.findOption("--count").defaultValue()).isEqualTo(shape.group(2));
    assertThat(help).contains("Concurrent streams (default: " + shape.group(1) + ")")
        .contains("Envelopes (default: " + shape.group(2) + ")");

    // What a run without options uses is what the help said.
    CommandLine cmd = Jorderer.commandLine();
    cmd.parseArgs("bench", "broadcast");
    BenchBroadcastCommand parsed = cmd.getSubcommands().get("bench").getSubcommands().get("broadcast").getCommand();
    assertThat(parsed.streams).isEqualTo(Integer.parseInt(shape.group(1)));
    assertThat(parsed.count).isEqualTo(Integer.parseInt(shape.group(2)));
  }

  @Test
  void benchDeliverHelpNamesEveryMode() {
    assertThat(run("bench", "deliver", "--help")).isZero();
    for (BenchDeliverCommand.Mode mode : BenchDeliverCommand.Mode.values()) {
      assertThat(cli.out()).contains(mode.name());
    }
    assertThat(cli.out()).contains("catchup, wait, fanout, spread");
  }

  @Test
  void latenciesAreMeasuredFromTheSendSoNoneIsNegative() {
    // tx "a": its block reached the watcher 5 ms before its SUCCESS reached the sender.
    Map<String, Long> sent = Map.of("a", 1_000_000L, "b", 2_000_000L);
    Map<String, Long> succeeded = Map.of("a", 30_000_000L, "b", 4_000_000L);
    Map<String, Long> delivered = Map.of("a", 25_000_000L, "b", 25_000_000L);
    BenchBroadcastCommand.Latencies latencies = BenchBroadcastCommand.Latencies.of(sent, succeeded, delivered);
    assertThat(latencies.toSuccess()).containsExactly(2_000_000L, 29_000_000L);
    assertThat(latencies.toDelivery()).containsExactly(23_000_000L, 24_000_000L);
  }

  @Test
  void broadcastAndBenchBroadcastWriteNoCarriageReturnsToAPipeAndNoNegativeLatency() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      String address = "127.0.0.1:" + node.orderer().port();
      String adminMsp = data.resolve("admin-msp").toString();

      assertThat(run("broadcast", "--count", "30", "--streams", "3", "--size", "64", "--address", address,
          "--msp-dir", adminMsp)).as(cli.err()).isZero();
      assertThat(cli.out()).contains("30 envelopes of 64 bytes over 3 stream(s)").doesNotContain("\r");
      assertThat(cli.err()).doesNotContain("\r").contains("30/30 done in ");

      assertThat(run("bench", "broadcast", "--count", "40", "--streams", "2", "--size", "64", "--address", address,
          "--msp-dir", adminMsp)).as(cli.out() + "\n" + cli.err()).isZero();
      assertThat(cli.out() + cli.err()).doesNotContain("\r");
      assertThat(cli.err()).contains("40/40 done in ");
      Matcher toSuccess = Pattern.compile("send to SUCCESS: p50 (-?\\d+) ms").matcher(cli.out());
      Matcher toDelivery = Pattern.compile("send to delivery: p50 (-?\\d+) ms, p99 (-?\\d+) ms, max (-?\\d+) ms \\(40 of 40 delivered\\)")
          .matcher(cli.out());
      assertThat(toSuccess.find()).as(cli.out()).isTrue();
      assertThat(toDelivery.find()).as(cli.out()).isTrue();
      assertThat(Integer.parseInt(toSuccess.group(1))).isNotNegative();
      assertThat(Integer.parseInt(toDelivery.group(1))).isNotNegative();
      assertThat(Integer.parseInt(toDelivery.group(3))).isGreaterThanOrEqualTo(Integer.parseInt(toDelivery.group(1)));
    }
  }

  @Test
  void benchFailoverReportsTheLongestGapAndFindsEveryAcknowledgedEnvelopeInTheLedger() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      String address = "127.0.0.1:" + node.orderer().port();
      assertThat(run("bench", "failover", "--seconds", "2", "--streams", "2", "--window", "10", "--size", "64",
          "--address", address, "--check", address, "--msp-dir", data.resolve("admin-msp").toString()))
          .as(cli.out() + "\n" + cli.err()).isZero();
      String out = cli.out();
      assertThat(out).startsWith("streaming: first SUCCESS at epoch ms ");
      Matcher answered = Pattern.compile("failover: (\\d+) envelopes answered over 2 streams in 2 s; statuses \\{SUCCESS=(\\d+)\\}")
          .matcher(out);
      assertThat(answered.find()).as(out).isTrue();
      assertThat(answered.group(2)).isEqualTo(answered.group(1));
      Matcher gap = Pattern.compile("longest_gap_ms=(\\d+) gap_from_epoch_ms=(\\d+) gap_to_epoch_ms=(\\d+)").matcher(out);
      assertThat(gap.find()).as(out).isTrue();
      assertThat(Long.parseLong(gap.group(3)) - Long.parseLong(gap.group(2))).isEqualTo(Long.parseLong(gap.group(1)));
      assertThat(out).contains("ledger " + address + " acknowledged=" + answered.group(2) + " missing=0 repeated=0");
    }
  }
}
