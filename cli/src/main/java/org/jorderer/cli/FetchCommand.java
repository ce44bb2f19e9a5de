package org.jorderer.cli;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer fetch}: one block over Deliver, written to a file as {@code peer channel fetch}
 * writes it. {@code config} finds the newest block's last-config index and fetches that block.
 */
@Command(name = "fetch", mixinStandardHelpOptions = true,
    description = "Fetch a block (oldest, newest, config or a number) over Deliver into a file, like peer channel fetch.")
final class FetchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "oldest|newest|config|N", description = "Which block.")
  String which;

  @Option(names = {"-c", "--channel"}, paramLabel = "ID", defaultValue = "demo", description = "Channel (default: ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "-o", paramLabel = "FILE", description = "Output file (default: <channel>_<which>.block).")
  Path output;

  @Mixin ClientOptions client;



  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    SignedEnvelopes envelopes = client.envelopes();
    ManagedChannel connection = client.connect();
    try {
      SeekPosition position = switch (which) {
        case "oldest" -> SeekPositions.OLDEST;
        case "newest", "config" -> SeekPositions.NEWEST;
        default -> {
          try {
            yield SeekPositions.specified(Long.parseUnsignedLong(which));
          } catch (NumberFormatException e) {
            err.println("expected oldest, newest, config or a block number, got '" + which + "'");
            yield null;
          }
        }
      };
      if (position == null) {
        return 2;
      }
      Block block = fetch(connection, envelopes, channel, position, err, client.address.toString());
      if (block != null && which.equals("config")) {
        block = fetch(connection, envelopes, channel, SeekPositions.specified(BlockMetadataReader.lastConfigIndex(block)),
            err, client.address.toString());
      }
      if (block == null) {
        return 1;
      }
      Path file = output != null ? output : Path.of(channel + "_" + which + ".block");
      Files.write(file, block.toByteArray());
      spec.commandLine().getOut().printf("Received block: %d%n", block.getHeader().getNumber());
      return 0;
    } finally {
      connection.shutdownNow();
    }
  }

  /** The newest config block of {@code channel}: the newest block's LAST_CONFIG index, fetched. */
  static Block fetchConfig(ManagedChannel connection, SignedEnvelopes envelopes, String channel, PrintWriter err,
      String where) throws InterruptedException {
    Block newest = fetch(connection, envelopes, channel, SeekPositions.NEWEST, err, where);
    if (newest == null) {
      return null;
    }
    return fetch(connection, envelopes, channel, SeekPositions.specified(BlockMetadataReader.lastConfigIndex(newest)),
        err, where);
  }

  /** One block over Deliver; null (with the reason on {@code err}) when the orderer refuses or is silent. */
  static Block fetch(ManagedChannel connection, SignedEnvelopes envelopes, String channel, SeekPosition position,
      PrintWriter err, String where) throws InterruptedException {
    QueuedResponses<DeliverResponse> responses = new QueuedResponses<>();
    StreamObserver<Envelope> requests = AtomicBroadcastGrpc.newStub(connection).deliver(responses);
    SeekInfo seek = SeekPositions.seek(position, position).toBuilder()
        .setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY).build();
    requests.onNext(envelopes.seek(channel, seek, Instant.now()));
    Block block = null;
    while (true) {
      Object next = responses.poll(30);
      if (next == null) {
        err.println("no answer from " + where + " within 30 s");
        return null;
      }
      if (next instanceof Throwable t) {
        err.println("deliver failed: " + io.grpc.Status.fromThrowable(t));
        return null;
      }
      DeliverResponse response = (DeliverResponse) next;
      if (response.hasBlock()) {
        block = response.getBlock();
      } else {
        requests.onCompleted();
        if (response.getStatus() != Status.SUCCESS) {
          err.println("can't read the block: " + response.getStatus());
          return null;
        }
        return block;
      }
    }
  }
}
