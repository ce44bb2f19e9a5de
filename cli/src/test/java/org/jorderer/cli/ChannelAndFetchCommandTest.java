package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jorderer channel} (osnadmin's calls) and {@code jorderer fetch} against a running node. */
class ChannelAndFetchCommandTest {
  @TempDir Path dir;
  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    CommandLine cmd = Jorderer.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void joinListFetchAndRemoveAChannel() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      String admin = "127.0.0.1:" + node.orderer().adminPort();
      String grpc = "127.0.0.1:" + node.orderer().port();
      String adminMsp = data.resolve("admin-msp").toString();

      assertThat(run("channel", "join", "-o", admin, "-b",
          Vectors.block("appchannel-insecure-solo-genesis.block").toString())).as(out.toString()).isZero();
      assertThat(out.toString()).startsWith("Status: 201\n").contains("\"name\":\"appchannel\"");

      assertThat(run("channel", "list", "-o", admin)).isZero();
      assertThat(out.toString()).contains("\"name\":\"appchannel\"").contains("\"name\":\"demo\"");

      assertThat(run("channel", "join", "-o", admin, "-b",
          Vectors.block("appchannel-insecure-solo-genesis.block").toString())).isOne();
      assertThat(out.toString()).isEqualTo("Status: 405\n{\"error\":\"cannot join: channel already exists\"}\n");

      Path config = dir.resolve("demo-config.block");
      assertThat(run("fetch", "config", "-c", "demo", "-o", config.toString(), "--address", grpc,
          "--msp-dir", adminMsp)).as(err.toString()).isZero();
      assertThat(out.toString()).isEqualTo("Received block: 0\n");
      assertThat(ChannelConfig.fromConfigBlock(Block.parseFrom(Files.readAllBytes(config))).channelId()).isEqualTo("demo");

      assertThat(run("fetch", "7", "-c", "demo", "--address", grpc, "--msp-dir", adminMsp)).isOne();
      assertThat(err.toString()).contains("NOT_FOUND");

      assertThat(run("channel", "remove", "-o", admin, "-c", "appchannel")).isZero();
      assertThat(out.toString()).isEqualTo("Status: 204\n");
      assertThat(run("channel", "list", "-o", admin, "-c", "appchannel")).isOne();
      assertThat(out.toString()).startsWith("Status: 404\n");
    }
  }
}
