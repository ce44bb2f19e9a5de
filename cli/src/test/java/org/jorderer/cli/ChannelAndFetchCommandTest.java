package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jorderer channel} (osnadmin's calls) and {@code jorderer fetch} against a running node. */
class ChannelAndFetchCommandTest {
  @TempDir Path dir;
  private final CommandRun cli = new CommandRun();

  private int run(String... args) {
    return cli.run(args);
  }

  @Test
  void joinListFetchAndRemoveAChannel() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      String admin = "127.0.0.1:" + node.orderer().adminPort();
      String grpc = "127.0.0.1:" + node.orderer().port();
      String adminMsp = data.resolve("admin-msp").toString();

      assertThat(run("channel", "join", "-o", admin, "-b",
          Vectors.block("appchannel-insecure-solo-genesis.block").toString())).as(cli.out()).isZero();
      assertThat(cli.out()).startsWith("Status: 201\n").contains("\"name\":\"appchannel\"");

      assertThat(run("channel", "list", "-o", admin)).isZero();
      assertThat(cli.out()).contains("\"name\":\"appchannel\"").contains("\"name\":\"demo\"");

      assertThat(run("channel", "join", "-o", admin, "-b",
          Vectors.block("appchannel-insecure-solo-genesis.block").toString())).isOne();
      assertThat(cli.out()).isEqualTo("Status: 405\n{\"error\":\"cannot join: channel already exists\"}\n");

      Path config = dir.resolve("demo-config.block");
      assertThat(run("fetch", "config", "-c", "demo", "-o", config.toString(), "--address", grpc,
          "--msp-dir", adminMsp)).as(cli.err()).isZero();
      assertThat(cli.out()).isEqualTo("Received block: 0\n");
      assertThat(ChannelConfig.fromConfigBlock(Block.parseFrom(Files.readAllBytes(config))).channelId()).isEqualTo("demo");

      assertThat(run("fetch", "7", "-c", "demo", "--address", grpc, "--msp-dir", adminMsp)).isOne();
      assertThat(cli.err()).contains("NOT_FOUND");

      assertThat(run("channel", "remove", "-o", admin, "-c", "appchannel")).isZero();
      assertThat(cli.out()).isEqualTo("Status: 204\n");
      assertThat(run("channel", "list", "-o", admin, "-c", "appchannel")).isOne();
      assertThat(cli.out()).startsWith("Status: 404\n");
    }
  }
}
