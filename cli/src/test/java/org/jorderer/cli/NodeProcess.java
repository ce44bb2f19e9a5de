package org.jorderer.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code jorderer start} as a real child process on loopback, its log kept in a file for the
 * assertions: started either on a data folder ({@code --data}, stderr to the log, stdout read by
 * the test) or as a node of a {@link LocalCluster} ({@code --config}, the way {@code jorderer
 * dev-cluster} starts it, all output appended to the node's log). Closing it kills the process if
 * it is still running, so a failed test leaves no node behind. Shared by the cli tests that run
 * nodes as processes.
 */
final class NodeProcess implements AutoCloseable {
  /** A node's log line saying who leads a Raft group (ChannelStateMachine); group 2 is set on the leader itself. */
  static final Pattern LEADER = Pattern.compile("Raft leader of group \\S+ is now (\\S+)( \\(this node\\))?");
  private static final Pattern SERVING_PORT = Pattern.compile("serving on 127\\.0\\.0\\.1:(\\d+) ");

  final Process process;
  final Path log;
  final int port;
  final BufferedReader stdout;
  /** The cluster node this process runs, or null for a node started on a data folder. */
  private final LocalCluster.Node node;
  /** The log's length when the process started: a restarted cluster node appends to its log. */
  private final long logFrom;

  private NodeProcess(Process process, Path log, int port, LocalCluster.Node node, long logFrom) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.node = node;
    this.logFrom = logFrom;
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
    return start(data, log, jvmOptions, port);
  }

  /**
   * As {@link #start(Path, Path)} on port 0: the node binds a free port itself (no probe-then-close
   * race with other tests) and says which one in its first line; read it with {@link #servingPort}.
   * {@link #port} is 0.
   */
  static NodeProcess startOnAnyPort(Path data, Path log) throws IOException {
    return start(data, log, List.of(), 0);
  }

  private static NodeProcess start(Path data, Path log, List<String> jvmOptions, int port) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    // The node logs as it does in production (cli's logback.xml, not the tests' quieter one), and
    // logback's own status lines, which it prints to stdout when it finds a configuration twice on
    // a reactor class path, stay off the node's stdout.
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(jvmOptions);
    command.addAll(List.of("-Dlogback.configurationFile=logback.xml",
        "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
        "-cp", System.getProperty("java.class.path"), Jorderer.class.getName(),
        "start", "--data", data.toString(), "--listen", "127.0.0.1:" + port, "--admin-listen", "127.0.0.1:0",
        "--operations-listen", "127.0.0.1:0"));
    Process process = new ProcessBuilder(command)
        .redirectError(log.toFile())
        .start();
    return new NodeProcess(process, log, port, null, 0);
  }

  /**
   * {@code jorderer start --config} for a node of a local cluster, as {@code jorderer dev-cluster}
   * starts it ({@link DevClusterCommand#start}): its output is appended to the node's log.
   */
  static NodeProcess start(LocalCluster.Node node) throws IOException {
    long from = DevClusterCommand.logLength(node);
    return new NodeProcess(DevClusterCommand.start(node), node.log(), node.port(), node, from);
  }

  /** The first line the node prints: "jorderer is serving ..." once it listens; null if it exited first. */
  String firstLine() throws IOException {
    return stdout.readLine();
  }

  /** The port named in the node's "jorderer is serving" line, skipping lines printed before it. */
  int servingPort() throws IOException {
    String serving = stdout.readLine();
    while (serving != null && !serving.startsWith("jorderer is serving")) {
      serving = stdout.readLine();
    }
    if (serving == null) {
      throw new AssertionError("the node exited before serving; its log:\n" + logTail());
    }
    Matcher bound = SERVING_PORT.matcher(serving);
    if (!bound.find()) {
      throw new AssertionError("no port in: " + serving);
    }
    return Integer.parseInt(bound.group(1));
  }

  /** Waits until the cluster node logged, since this process started, that it serves. */
  void awaitServing(Duration timeout) throws Exception {
    DevClusterCommand.awaitServing(node, process, logFrom, timeout);
  }

  void signal(String name) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
  }

  /** SIGKILL, as a crash: returns the exit code once the process ended (137). */
  int kill() throws IOException, InterruptedException {
    signal("KILL");
    return awaitExit();
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

  /** What the process wrote to the log (a cluster node's log also holds its earlier runs). */
  String logSinceStart() throws IOException {
    byte[] bytes = Files.readAllBytes(log);
    int from = (int) Math.min(logFrom, bytes.length);
    return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
  }

  /** The last lines of the log, for failure messages. */
  String logTail() throws IOException {
    return logTail(30);
  }

  String logTail(int lines) throws IOException {
    List<String> all = logLines();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * When the cluster node first logged a leader at or after {@code sinceMillis}, by the log line's
   * timestamp (same machine, same clock).
   */
  static long firstLeaderLineAfter(LocalCluster.Node node, long sinceMillis) throws IOException {
    DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    for (String line : Files.readAllLines(node.log(), StandardCharsets.UTF_8)) {
      if (line.length() > 23 && LEADER.matcher(line).find()) {
        long at = LocalDateTime.parse(line.substring(0, 23), format).atZone(ZoneId.systemDefault()).toInstant()
            .toEpochMilli();
        if (at >= sinceMillis) {
          return at;
        }
      }
    }
    throw new AssertionError("node " + node.index() + " logged no leader after " + sinceMillis);
  }

  /** The node whose log says it became the leader last, once the others' logs name it too. */
  static int awaitLeader(LocalCluster cluster) throws Exception {
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
      if (self >= 0 && Arrays.stream(last).allMatch(l -> l != null && l.equals(last[0]))) {
        return self;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no node logged that it leads the channel");
  }
}
