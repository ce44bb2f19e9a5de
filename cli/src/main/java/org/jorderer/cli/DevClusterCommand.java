package org.jorderer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer dev-cluster}: a local Raft cluster in one command, for trying failover. It makes
 * (or reuses) the files of {@link LocalCluster}, starts each node as its own {@code jorderer start}
 * process (so one can be killed with SIGKILL like a crashed server, without taking the others
 * along), joins each to the channel through its channel participation API as osnadmin would,
 * prints where everything is and what to try, then reports leader changes and node exits until
 * Ctrl-C, which stops every node it started.
 */
@Command(
    name = "dev-cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Starts a local etcdraft cluster: credentials, a genesis block, one folder and orderer.yaml per node,",
      "each node its own process on free loopback ports, joined to the channel. Prints ports, folders and",
      "what to try (send, fetch, kill the leader, restart it). Ctrl-C stops the nodes; running it again",
      "on the same --dir restarts them on their data."
    })
final class DevClusterCommand implements Callable<Integer> {
  private static final Pattern LEADER = Pattern.compile("Raft leader of group \\S+ is now (\\S+) \\(this node\\)");

  @Spec CommandSpec spec;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "3",
      description = "Consenters (default: ${DEFAULT-VALUE}; 3 tolerate one crash, 5 two).")
  int size;

  @Option(names = "--dir", paramLabel = "DIR", defaultValue = "dev-cluster",
      description = "Where the cluster's files live (default: ${DEFAULT-VALUE}); reused when it holds one.")
  Path dir;

  @Option(names = "--channel", paramLabel = "ID", defaultValue = "mychannel",
      description = "The etcdraft channel (default: ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "--tick-interval", paramLabel = "DURATION", defaultValue = "100ms",
      description = "The channel's Raft TickInterval; elections after 10 to 20 ticks without a leader "
          + "(default: ${DEFAULT-VALUE}; Fabric's sample: 500ms).")
  String tickInterval;

  /** Set by tests to stop the command; null from the command line. */
  CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (size < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--nodes must be at least 1");
    }
    LocalCluster cluster;
    if (LocalCluster.exists(dir)) {
      cluster = LocalCluster.read(dir);
      out.printf("Reusing the cluster in %s (%d nodes, channel %s)%n", cluster.dir(), cluster.nodes().size(),
          cluster.channel());
    } else {
      Duration tick = org.jorderer.channel.config.GoDuration.parse(tickInterval);
      cluster = LocalCluster.create(dir, size, channel, tick, 500, Duration.ofSeconds(2));
      out.printf("Made a %d-node cluster in %s: credentials, %s, an orderer.yaml per node%n", size, cluster.dir(),
          cluster.genesisBlock().getFileName());
    }
    out.flush();
    List<Process> processes = new ArrayList<>();
    Thread hook = new Thread(() -> stopAll(processes), "dev-cluster-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Map<Integer, Long> read = new HashMap<>();
      for (LocalCluster.Node node : cluster.nodes()) {
        read.put(node.index(), logLength(node));
        synchronized (processes) {
          processes.add(start(node));
        }
      }
      for (LocalCluster.Node node : cluster.nodes()) {
        awaitServing(node, processes.get(node.index()), read.get(node.index()), Duration.ofSeconds(90));
      }
      for (LocalCluster.Node node : cluster.nodes()) {
        String joined = joinIfNeeded(node, cluster.channel(), cluster.genesisBlock());
        out.printf("node %d: %s%n", node.index(), joined);
      }
      printGuide(out, cluster, processes);
      watch(out, cluster, processes, read);
    } finally {
      stopAll(processes);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook stops the nodes
      }
    }
    return 0;
  }

  /**
   * Starts {@code jorderer start --config} for the node as a child process with this JVM's memory
   * flags, its stdout and stderr appended to the node's log.
   */
  static Process start(LocalCluster.Node node) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // A class archive this JVM maps is shared; one it dumps at exit is its own (bin/jorderer).
      if (arg.startsWith("-X") && !arg.startsWith("-Xrunjdwp") && !arg.startsWith("-Xdebug")
          && !arg.startsWith("-XX:ArchiveClassesAtExit")) {
        command.add(arg);
      }
    }
    // The node logs with the distribution's logback.xml (a test class path may carry another).
    command.addAll(List.of("-Dlogback.configurationFile=logback.xml",
        "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
        "-cp", System.getProperty("java.class.path"), Jorderer.class.getName(),
        "start", "--config", node.config().toString()));
    Files.createDirectories(node.dir());
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()))
        .start();
  }

  /** The length of the node's log now: a restarted node appends, and only what follows counts. */
  static long logLength(LocalCluster.Node node) throws IOException {
    return Files.exists(node.log()) ? Files.size(node.log()) : 0;
  }

  /** Waits for the node's "jorderer is serving" line in its log after {@code from}. */
  static void awaitServing(LocalCluster.Node node, Process process, long from, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(node.log())) {
        byte[] bytes = Files.readAllBytes(node.log());
        String text = new String(bytes, (int) Math.min(from, bytes.length), (int) Math.max(0, bytes.length - from),
            StandardCharsets.UTF_8);
        if (text.contains("jorderer is serving")) {
          return;
        }
      }
      if (!process.isAlive()) {
        throw new IOException("node " + node.index() + " exited with code " + process.exitValue() + "; see "
            + node.log());
      }
      Thread.sleep(100);
    }
    throw new IOException("node " + node.index() + " did not start within " + timeout.toSeconds() + " s; see "
        + node.log());
  }

  /** Joins the node to the channel through its admin API unless it has the channel already. */
  static String joinIfNeeded(LocalCluster.Node node, String channel, Path block) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    URI channels = URI.create("http://127.0.0.1:" + node.adminPort() + "/participation/v1/channels");
    HttpResponse<String> existing = http.send(HttpRequest.newBuilder(URI.create(channels + "/" + channel)).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    if (existing.statusCode() == 200) {
      return "has channel " + channel + " already: " + existing.body().trim();
    }
    String boundary = "jorderer-" + UUID.randomUUID();
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"config-block\"; filename=\""
        + block.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(Files.readAllBytes(block));
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> joined = http.send(HttpRequest.newBuilder(channels)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    if (joined.statusCode() != 201) {
      throw new IOException("node " + node.index() + " refused to join " + channel + ": HTTP " + joined.statusCode()
          + " " + joined.body().trim());
    }
    return "joined " + channel + ": " + joined.body().trim();
  }

  private void printGuide(PrintWriter out, LocalCluster cluster, List<Process> processes) {
    String jorderer = "bin/jorderer";
    String client = " --msp-dir " + cluster.adminMsp() + " --msp-id " + cluster.mspId();
    out.println();
    out.printf("Channel %s is ordered by %d Raft nodes (etcdraft on Apache Ratis):%n", cluster.channel(),
        cluster.nodes().size());
    out.printf("  %-5s %-8s %-17s %-17s %-17s %-17s %s%n", "node", "pid", "gRPC (clients)", "admin (osnadmin)",
        "Raft cluster", "operations", "folder");
    for (LocalCluster.Node node : cluster.nodes()) {
      out.printf("  %-5d %-8d %-17s %-17s %-17s %-17s %s%n", node.index(), processes.get(node.index()).pid(),
          "127.0.0.1:" + node.port(), "127.0.0.1:" + node.adminPort(), "127.0.0.1:" + node.clusterPort(),
          "127.0.0.1:" + node.operationsPort(), node.dir());
    }
    LocalCluster.Node first = cluster.nodes().get(0);
    LocalCluster.Node last = cluster.nodes().get(cluster.nodes().size() - 1);
    out.println();
    out.println("Try (from the repository root, in another terminal):");
    out.printf("  send:     %s broadcast --address 127.0.0.1:%d --channel %s%s --count 1000%n", jorderer, first.port(),
        cluster.channel(), client);
    out.printf("  fetch:    %s fetch newest --address 127.0.0.1:%d -c %s%s -o newest.block%n", jorderer, last.port(),
        cluster.channel(), client);
    out.printf("  list:     %s channel list -o 127.0.0.1:%d   (or: osnadmin channel list -o 127.0.0.1:%d)%n", jorderer,
        first.adminPort(), first.adminPort());
    out.println("  failover: kill -9 <pid of the leader, shown below>; then send to another node: it is ordered");
    out.println("            once the survivors elected a new leader (within about 2 s with these ticks)");
    out.printf("  restart:  %s start --config %s   (it catches up from the others)%n", jorderer,
        last.config());
    out.printf("  logs:     %s/nodeN/node.log; metrics: http://127.0.0.1:%d/metrics%n", cluster.dir(),
        first.operationsPort());
    out.println("Ctrl-C stops every node started here; run the same command again to restart them on their data.");
    out.println();
    out.flush();
  }

  /** Reports leader changes (from the nodes' logs) and node exits until stopped. */
  private void watch(PrintWriter out, LocalCluster cluster, List<Process> processes, Map<Integer, Long> read)
      throws Exception {
    boolean[] exited = new boolean[processes.size()];
    while (!stop.await(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      for (LocalCluster.Node node : cluster.nodes()) {
        Process process = processes.get(node.index());
        if (!exited[node.index()] && !process.isAlive()) {
          exited[node.index()] = true;
          out.printf("node %d (pid %d) exited with code %d%n", node.index(), process.pid(), process.exitValue());
        }
        long offset = read.getOrDefault(node.index(), 0L);
        if (!Files.exists(node.log())) {
          continue;
        }
        long length = Files.size(node.log());
        if (length <= offset) {
          continue;
        }
        try (var channel = java.nio.channels.FileChannel.open(node.log())) {
          java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) Math.min(length - offset, 1 << 20));
          channel.read(buffer, offset);
          String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
          int end = text.lastIndexOf('\n');
          if (end < 0) {
            continue;
          }
          read.put(node.index(), offset + text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length);
          Matcher m = LEADER.matcher(text.substring(0, end + 1));
          while (m.find()) {
            out.printf("%tT node %d (pid %d) is the leader of %s%n", System.currentTimeMillis(), node.index(),
                process.pid(), cluster.channel());
          }
        }
      }
      out.flush();
    }
  }

  private static void stopAll(List<Process> processes) {
    synchronized (processes) {
      for (Process process : processes) {
        if (process.isAlive()) {
          process.destroy(); // SIGTERM: the node closes cleanly
        }
      }
      for (Process process : processes) {
        try {
          if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
