package org.jorderer.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.ConfigUpdateEnvelopes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer channel update}: Fabric's {@code peer channel update} — signs a CONFIG_UPDATE
 * envelope file as {@code signconfigtx} does (unless {@code --as-is}), sends it over Broadcast and
 * prints the orderer's answer; exits 0 only on SUCCESS.
 */
@Command(name = "update", mixinStandardHelpOptions = true,
    description = {"Submit a config update to a channel over Broadcast, like peer channel update, and print the "
        + "orderer's answer (status and info). Exits 0 only on SUCCESS.", ""},
    footer = {"", "Examples:",
        "  jorderer channel update -c mychannel -f update.pb --msp-dir org1-admin/msp --msp-id Org1MSP",
        "  jorderer channel update -c mychannel -f signed-by-all.pb --as-is --address orderer:7050",
        "", "Output: 'Status: SUCCESS (200)', or e.g.",
        "  Status: BAD_REQUEST (400)",
        "  Info: error applying config update to existing channel 'mychannel': error authorizing update: ..."})
final class ChannelUpdateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-c", "--channelID"}, paramLabel = "ID", required = true, description = "The channel to update.")
  String channelId;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", required = true,
      description = "The CONFIG_UPDATE envelope (common.Envelope), e.g. after signconfigtx by the other admins.")
  Path file;

  @Option(names = "--as-is", description = "Send the file's bytes unchanged (peer always adds the submitter's signature).")
  boolean asIs;

  @Mixin ClientOptions client;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Envelope envelope = Envelope.parseFrom(Files.readAllBytes(file));
    String inFile;
    try {
      inFile = ChannelHeader.parseFrom(Payload.parseFrom(envelope.getPayload()).getHeader().getChannelHeader())
          .getChannelId();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      err.println("Error: " + file + " holds no readable channel header: " + e.getMessage());
      return 1;
    }
    if (!inFile.equals(channelId)) {
      // peer's sanityCheckAndSignConfigTx refuses the same way
      err.println("Error: Invalid channel create transaction : mismatched channel ID " + inFile + " != " + channelId);
      return 1;
    }
    if (!asIs) {
      try {
        envelope = ConfigUpdateEnvelopes.signConfigTx(envelope, client.signer(), Instant.now());
      } catch (ConfigUpdateEnvelopes.InvalidConfigTxException e) {
        err.println("Error: " + e.getMessage());
        return 1;
      }
    }
    BroadcastResponse response;
    ManagedChannel connection = client.connect();
    try {
      Object answer = broadcastOne(connection, envelope);
      if (answer == null) {
        err.println("Error: no answer from " + client.address + " within 30 s");
        return 1;
      }
      if (answer instanceof Throwable t) {
        err.println("Error: broadcast failed: " + io.grpc.Status.fromThrowable(t));
        return 1;
      }
      response = (BroadcastResponse) answer;
    } finally {
      connection.shutdownNow();
    }
    out.println("Status: " + response.getStatus().name() + " (" + response.getStatusValue() + ")");
    if (!response.getInfo().isEmpty()) {
      out.println("Info: " + response.getInfo());
    }
    out.flush();
    return response.getStatus() == Status.SUCCESS ? 0 : 1;
  }

  /** The first answer of a Broadcast stream carrying one envelope: a response, a Throwable, or null on timeout. */
  private static Object broadcastOne(ManagedChannel connection, Envelope envelope) throws InterruptedException {
    QueuedResponses<BroadcastResponse> answers = new QueuedResponses<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(connection).broadcast(answers);
    requests.onNext(envelope);
    requests.onCompleted();
    return answers.poll(30);
  }
}
