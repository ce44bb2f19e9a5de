package org.jorderer.cli;

import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer channel config}: the channel's current config as configtxlator's JSON — what
 * {@code peer channel fetch config} + {@code configtxlator proto_decode --type common.Block} +
 * {@code jq .data.data[0].payload.data.config} give, in one step.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = {"Fetch a channel's latest config block over Deliver and print its config (common.Config) as "
        + "JSON, like configtxlator proto_decode; the starting point of a config update.", ""},
    footer = {"", "Examples:",
        "  jorderer channel config -c mychannel > config.json",
        "  jorderer channel config -c mychannel --block config.block --output config.json --address orderer:7050"})
final class ChannelConfigCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-c", "--channelID"}, paramLabel = "ID", required = true, description = "The channel.")
  String channelId;

  @Option(names = "--output", paramLabel = "FILE", description = "Write the JSON here instead of to standard output.")
  Path output;

  @Option(names = "--block", paramLabel = "FILE", description = "Also save the config block itself here.")
  Path blockFile;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Block block;
    ManagedChannel connection = client.connect();
    try {
      block = FetchCommand.fetchConfig(connection, client.envelopes(), channelId, err, client.address.toString());
    } finally {
      connection.shutdownNow();
    }
    if (block == null) {
      return 1;
    }
    Config config = ConfigEnvelope.parseFrom(
        Payload.parseFrom(Envelope.parseFrom(block.getData().getData(0)).getPayload()).getData()).getConfig();
    if (blockFile != null) {
      Files.write(blockFile, block.toByteArray());
    }
    String json = new Protolator().render(config).print();
    if (output != null) {
      Files.writeString(output, json, StandardCharsets.UTF_8);
    } else {
      PrintWriter out = spec.commandLine().getOut();
      out.print(json);
      out.flush();
    }
    return 0;
  }
}
