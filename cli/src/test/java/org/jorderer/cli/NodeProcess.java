package org.jorderer.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jorderer start} as a real child process on loopback, its log (stderr) kept in a file for
 * the assertions. Closing it kills the process if it is still running, so a failed test leaves no
 * node behind.
 */
final class NodeProcess implements AutoCloseable {
  final Process process;
  final Path log;
  final int port;
  final BufferedReader stdout;

  private NodeProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  static NodeProcess start(Path data, Path log) throws IOException {
    return start(data, log, List.of());
  }

  /** As {@link #start(Path, Path)}, with options for the node's JVM (a heap size, a system property). */
  static NodeProcess start(Path data, Path log, List<String> jvmOptions) throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    // The node logs as it does in production (cli's logback.xml, not the tests' quieter one), and
    // logback's own status lines, which it prints to stdout when it finds a configuration twice on
    // a reactor class path, stay off the node's stdout.
    List<String> command = new java.util.ArrayList<>(List.of(java));
    command.addAll(jvmOptions);
    command.addAll(List.of("-Dlogback.configurationFile=logback.xml",
        "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
        "-cp", System.getProperty("java.class.path"), Jorderer.class.getName(),
        "start", "--data", data.toString(), "--listen", "127.0.0.1:" + port, "--admin-listen", "127.0.0.1:0",
        "--operations-listen", "127.0.0.1:0"));
    Process process = new ProcessBuilder(command)
        .redirectError(log.toFile())
        .start();
    return new NodeProcess(process, log, port);
  }

  /** The first line the node prints: "jorderer is serving ..." once it listens; null if it exited first. */
  String firstLine() throws IOException {
    return stdout.readLine();
  }

  void signal(String name) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
  }

  /** The exit code, waiting up to a minute for the process to end. */
  int awaitExit() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("the node did not exit within 60 s");
    }
    return process.exitValue();
  }

  List<String> logLines() throws IOException {
    return Files.readAllLines(log, StandardCharsets.UTF_8);
  }

  /** The last lines of the log, for failure messages. */
  String logTail() throws IOException {
    List<String> lines = logLines();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
