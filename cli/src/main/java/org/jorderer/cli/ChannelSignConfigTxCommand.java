package org.jorderer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.envelope.ConfigUpdateEnvelopes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer channel signconfigtx}: Fabric's {@code peer channel signconfigtx} — adds this
 * MSP's ConfigSignature to a CONFIG_UPDATE envelope file and rewrites the file with the update
 * re-wrapped into a new envelope signed by this MSP.
 */
@Command(name = "signconfigtx", mixinStandardHelpOptions = true,
    description = {"Sign a config update envelope file in place, like peer channel signconfigtx: adds one "
        + "ConfigSignature by this MSP and re-wraps the update into a new envelope signed by it.", ""},
    footer = {"", "Examples:",
        "  jorderer channel signconfigtx -f update.pb --msp-dir org1-admin/msp --msp-id Org1MSP",
        "  jorderer channel signconfigtx -f update.pb --msp-dir org2-admin/msp --msp-id Org2MSP",
        "  jorderer channel update -c mychannel -f update.pb"})
final class ChannelSignConfigTxCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", required = true,
      description = "The CONFIG_UPDATE envelope (common.Envelope) to sign; rewritten in place.")
  Path file;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws IOException {
    Envelope envelope;
    try {
      envelope = Envelope.parseFrom(Files.readAllBytes(file));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      spec.commandLine().getErr().println("Error: " + file + " is not a common.Envelope: " + e.getMessage());
      return 1;
    }
    Envelope signed;
    try {
      signed = ConfigUpdateEnvelopes.signConfigTx(envelope, client.signer(), Instant.now());
    } catch (ConfigUpdateEnvelopes.InvalidConfigTxException e) {
      spec.commandLine().getErr().println("Error: " + e.getMessage());
      return 1;
    }
    Files.write(file, signed.toByteArray());
    return 0;
  }
}
