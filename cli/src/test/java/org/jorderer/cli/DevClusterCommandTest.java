package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jorderer dev-cluster} as a newcomer runs it (one node here, to keep the suite light; the
 * three-node behaviour is {@link RaftProcessClusterTest}'s): it makes the files, starts the node
 * process, joins it, prints where everything is and who leads; what it prints works; Ctrl-C (here
 * the stop latch) stops the node; a second run reuses the folder and the node's data.
 */
class DevClusterCommandTest {
  @TempDir Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aOneNodeClusterStartsJoinsLeadsOrdersAndRestartsOnItsData() throws Exception {
    Path clusterDir = dir.resolve("dev");
    String first = runUntilLeader(clusterDir, true);
    LocalCluster cluster = LocalCluster.read(clusterDir);
    LocalCluster.Node node = cluster.nodes().get(0);
    assertThat(first).contains("Made a 1-node cluster in " + clusterDir.toAbsolutePath())
        .contains("node 0: joined mychannel")
        .contains("127.0.0.1:" + node.port()).contains("127.0.0.1:" + node.adminPort())
        .contains("127.0.0.1:" + node.clusterPort())
        .contains("bin/jorderer broadcast --address 127.0.0.1:" + node.port() + " --channel mychannel --msp-dir "
            + cluster.adminMsp() + " --msp-id OrdererMSP")
        .contains("bin/jorderer start --config " + node.config())
        .contains("node 0 (pid ");

    String second = runUntilLeader(clusterDir, false);
    assertThat(second).contains("Reusing the cluster in " + clusterDir.toAbsolutePath())
        .contains("node 0: has channel mychannel already");
  }

  /**
   * Runs the command until it reports a leader; on the first run, sends through the printed
   * broadcast command meanwhile. Returns what it printed; the node is stopped when this returns.
   */
  private static String runUntilLeader(Path clusterDir, boolean broadcast) throws Exception {
    CommandLine cmd = Jorderer.commandLine();
    StringWriter out = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    DevClusterCommand command = (DevClusterCommand) cmd.getSubcommands().get("dev-cluster").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cmd.execute("dev-cluster", "--nodes", "1",
        "--dir", clusterDir.toString(), "--tick-interval", "50ms"));
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!out.toString().contains("is the leader of mychannel") && !exit.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(out.toString()).as("what dev-cluster printed").contains("is the leader of mychannel");
      if (broadcast) {
        LocalCluster cluster = LocalCluster.read(clusterDir);
        CommandRun client = new CommandRun();
        int code = client.run("broadcast", "--address", "127.0.0.1:" + cluster.nodes().get(0).port(), "--channel",
            "mychannel", "--msp-dir", cluster.adminMsp().toString(), "--msp-id", "OrdererMSP", "--count", "20");
        assertThat(code).as("broadcast printed: %s %s", client.out(), client.err()).isZero();
        assertThat(client.out()).contains("SUCCESS");
      }
    } finally {
      command.stop.countDown();
    }
    assertThat(exit.get(2, TimeUnit.MINUTES)).isZero();
    return out.toString();
  }
}
