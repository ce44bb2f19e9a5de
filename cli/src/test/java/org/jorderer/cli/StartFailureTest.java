package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code jorderer start} that cannot start: exit code 1, one line saying why (and a hint where one
 * helps), and no stack trace, neither printed nor logged, unless asked for with --debug.
 */
class StartFailureTest {
  @TempDir Path dir;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void captureLogs() {
    logged.start();
    root.addAppender(logged);
  }

  @AfterEach
  void releaseLogs() {
    root.detachAppender(logged);
  }

  private record Outcome(int code, String err) {}

  /** The command in this JVM, as main runs it, with the given arguments after "start". */
  private Outcome start(String... args) {
    List<String> all = new ArrayList<>(List.of("start", "--data", dir.resolve("data").toString(),
        "--admin-listen", "127.0.0.1:0", "--operations-listen", "127.0.0.1:0"));
    if (!List.of(args).contains("--listen")) {
      all.addAll(List.of("--listen", "127.0.0.1:0"));
    }
    all.addAll(List.of(args));
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = Jorderer.commandLine();
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(all.toArray(String[]::new));
    return new Outcome(code, err.toString());
  }

  private void assertOneClearLine(Outcome outcome, String... expected) {
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(1);
    String[] lines = outcome.err().split("\n");
    assertThat(lines[0]).startsWith("Error: ");
    for (String part : expected) {
      assertThat(lines[0]).contains(part);
    }
    assertThat(outcome.err()).doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(lines.length).as(outcome.err()).isLessThanOrEqualTo(2);
    assertThat(logged.list).as("no stack trace logged")
        .allSatisfy(e -> assertThat(e.getThrowableProxy()).as(e.getFormattedMessage()).isNull());
  }

  private Path file(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  @Test
  void malformedYaml() throws Exception {
    assertOneClearLine(start("--config", file("bad.yaml", "General: [\n").toString()), "bad.yaml: not valid YAML");
  }

  @Test
  void aBinaryFileAsOrdererYaml() throws Exception {
    Path f = dir.resolve("orderer.yaml");
    Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0x80, (byte) 0xc3, 0x28});
    Outcome outcome = start("--config", f.toString());
    assertOneClearLine(outcome, "orderer.yaml: is not UTF-8 text");
    assertThat(outcome.err()).doesNotContain("Input length");
  }

  @Test
  void badPortAndBadDurationInTheFile() throws Exception {
    Path f = file("orderer.yaml", "General:\n  ListenPort: abc\n  Keepalive:\n    ServerTimeout: 20\n");
    Outcome outcome = start("--config", f.toString());
    assertThat(outcome.code()).isEqualTo(1);
    // Both problems are reported, one line each, under the first line.
    assertThat(outcome.err()).contains("General.ListenPort: expected an integer from 0 to 65535, got 'abc'")
        .contains("General.Keepalive.ServerTimeout: expected a Go duration such as 20s or 2h, got '20'")
        .doesNotContain("\tat ");
  }

  @Test
  void missingConfigFile() {
    assertOneClearLine(start("--config", dir.resolve("nowhere.yaml").toString()), "nowhere.yaml: no such configuration file");
    Outcome debug = start("--debug", "--config", dir.resolve("nowhere.yaml").toString());
    assertThat(debug.code()).isEqualTo(1);
    assertThat(debug.err()).startsWith("Error: ").contains("\tat org.jorderer.");
  }

  @Test
  void unresolvableListenAddress() {
    Outcome outcome = start("--listen", "no-such-host.invalid:7050");
    assertOneClearLine(outcome, "no-such-host.invalid:7050", "does not resolve");
  }

  @Test
  void portInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Outcome outcome = start("--listen", "127.0.0.1:" + taken.getLocalPort());
      assertOneClearLine(outcome, "cannot listen on 127.0.0.1:" + taken.getLocalPort(), "Address already in use");
      assertThat(outcome.err()).contains("Hint: another process");
    }
  }

  @Test
  void missingAndEmptyMspFolders() throws Exception {
    assertOneClearLine(start("--msp-dir", dir.resolve("no-msp").toString(), "--msp-id", "OrdererMSP"),
        "local MSP folder", "no-msp", "does not exist");
    Files.createDirectories(dir.resolve("empty-msp"));
    assertOneClearLine(start("--msp-dir", dir.resolve("empty-msp").toString(), "--msp-id", "OrdererMSP"),
        "cannot load the local MSP", "no signing certificate");
  }

  @Test
  void missingTlsFiles() throws Exception {
    StartCommandTest.Running.start(dir.resolve("data")).close(); // an MSP to get as far as TLS
    Path f = file("orderer.yaml", "FileLedger:\n  Location: " + dir.resolve("data/ledger") + "\n"
        + "General:\n  LocalMSPDir: " + dir.resolve("data/msp") + "\n  LocalMSPID: JordererMSP\n"
        + "  TLS:\n    Enabled: true\n    PrivateKey: " + dir.resolve("tls/key.pem") + "\n    Certificate: "
        + dir.resolve("tls/cert.pem") + "\n    RootCAs: []\n");
    logged.list.clear();
    assertOneClearLine(start("--config", f.toString()), "TLS", "no such file: " + dir.resolve("tls"));
  }

  @Test
  void corruptedLedger() throws Exception {
    StartCommandTest.Running.start(dir.resolve("data")).close();
    Path segment = dir.resolve("data/ledger/chains/demo/00000000000000000000.blocks");
    try (var ch = java.nio.channels.FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap("XXXX".getBytes(StandardCharsets.US_ASCII)), 0);
    }
    logged.list.clear();
    Outcome outcome = start();
    assertOneClearLine(outcome, "00000000000000000000.blocks", "bad segment header");
    assertThat(outcome.err()).contains("Hint: ");
  }

  @Test
  void aRealProcessWithABadEnvironmentValueExitsNonZeroWithOneLineAndTheTraceOnlyWhenAsked() throws Exception {
    ProcessResult plain = run(Map.of("ORDERER_GENERAL_LISTENPORT", "abc"));
    assertThat(plain.code()).isEqualTo(1);
    assertThat(plain.err()).contains(
        "Error: invalid orderer configuration: General.ListenPort (from ORDERER_GENERAL_LISTENPORT): expected an"
            + " integer from 0 to 65535, got 'abc'").doesNotContain("\tat ");
    ProcessResult debug = run(Map.of("ORDERER_GENERAL_LISTENPORT", "abc", "JORDERER_DEBUG", "1"));
    assertThat(debug.code()).isEqualTo(1);
    assertThat(debug.err()).contains("General.ListenPort (from ORDERER_GENERAL_LISTENPORT)").contains("\tat ");
  }

  private record ProcessResult(int code, String err) {}

  private ProcessResult run(Map<String, String> env) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Jorderer.class.getName(),
        "start", "--data", dir.resolve("data").toString(), "--listen", "127.0.0.1:0");
    pb.environment().remove("JORDERER_DEBUG");
    pb.environment().putAll(env);
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new ProcessResult(p.exitValue(), err);
  }
}
