package org.jorderer.cli;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.server.OrdererSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jorderer bench fill}: appends signed blocks of a chosen size to a stopped node's channel,
 * as the node itself would have cut them, so that Deliver can be measured on a ledger of that shape.
 */
@Command(name = "fill", mixinStandardHelpOptions = true,
    description = "Append signed blocks of one envelope each to a stopped node's channel.")
final class BenchFillCommand implements Callable<Integer> {
  @Option(names = "--data", paramLabel = "DIR", defaultValue = "data", description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--channel", paramLabel = "ID", defaultValue = "demo", description = "Channel (default: ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "--blocks", paramLabel = "N", required = true, description = "How many blocks to append.")
  int blocks;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1048576",
      description = "Envelope payload bytes per block (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--msp-id", paramLabel = "ID", defaultValue = OrdererSettings.DEFAULT_MSP_ID,
      description = "The node's MSP ID (default: ${DEFAULT-VALUE}); its MSP is DATA/msp.")
  String mspId;

  @Override
  public Integer call() throws Exception {
    OrdererSettings settings = OrdererSettings.embeddedDefault(data);
    LocalSigner signer = LocalSigner.load(settings.mspDir(), mspId);
    try (LedgerDirectory ledgers = LedgerDirectory.open(settings.ledgerDir(), LedgerOptions.defaults())) {
      BlockStore store = ledgers.find(channel).orElseThrow(
          () -> new IllegalArgumentException("channel " + channel + " has no ledger in " + settings.ledgerDir()));
      Block last = store.readBlock(store.height() - 1);
      BlockBuilder builder = new BlockBuilder(last, 0, signer);
      byte[] payload = new byte[size];
      new Random(7).nextBytes(payload);
      long started = System.nanoTime();
      for (int i = 0; i < blocks; i++) {
        payload[0] = (byte) i;
        Envelope envelope = Envelope.newBuilder().setPayload(ByteString.copyFrom(payload)).build();
        store.append(builder.commit(builder.createNextBlock(List.of(envelope)), 0, ByteString.EMPTY));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("appended %d blocks of %d bytes to %s in %.1f s; height %d%n",
          blocks, size, channel, seconds, store.height());
    }
    return 0;
  }
}
