package org.jorderer.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockHashes;
import org.jorderer.channel.config.ConfigException;
import org.jorderer.ledger.BlockRejectedException;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerException;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.server.OrdererSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer ledger import}: appends raw {@code common.Block} files (what {@code peer channel
 * fetch} writes) to a channel's ledger, checking each block's data hash and its link to the chain.
 * A new channel must start with its genesis config block, whose channel ID must match.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = "Append block files to a channel's ledger, verifying the chain. The node must be stopped.")
final class LedgerImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", required = true, description = "The node's data directory.")
  Path data;

  @Option(names = "--channel", paramLabel = "ID", required = true, description = "The channel to append to.")
  String channel;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Block files, in chain order.")
  List<Path> files;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path ledgerDir = OrdererSettings.embeddedDefault(data).ledgerDir();
    try (LedgerDirectory ledgers = LedgerDirectory.open(ledgerDir, LedgerOptions.defaults())) {
      boolean existed = ledgers.channelIds().contains(channel);
      BlockStore store = null;
      int imported = 0;
      for (Path file : files) {
        byte[] bytes = Files.readAllBytes(file);
        Block block = Block.parseFrom(bytes);
        long number = block.getHeader().getNumber();
        if (!MessageDigest.isEqual(BlockHashes.dataHash(block.getData()), block.getHeader().getDataHash().toByteArray())) {
          err.printf("%s: block %d's data hash does not match its data; nothing more imported%n", file, number);
          return 1;
        }
        if (store == null) {
          if (!existed) {
            String problem = genesisProblem(block);
            if (problem != null) {
              err.printf("%s: %s%n", file, problem);
              return 1;
            }
          }
          store = ledgers.openOrCreate(channel);
        }
        try {
          store.append(bytes);
        } catch (BlockRejectedException e) {
          err.printf("%s refused: %s; the %d blocks before it were imported%n", file, e.getMessage(), imported);
          return 1;
        }
        imported++;
        out.printf("imported block %d (%d bytes) from %s%n", number, bytes.length, file);
      }
      out.printf("channel %s now holds %d blocks (%d imported)%n", channel, store.height(), imported);
      return 0;
    } catch (InvalidProtocolBufferException e) {
      err.println("not a common.Block file: " + e.getMessage());
      return 1;
    } catch (IOException | LedgerException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
  }

  /** Why {@code block} cannot start channel {@code channel}, or null if it can. */
  private String genesisProblem(Block block) {
    if (block.getHeader().getNumber() != 0) {
      return "channel " + channel + " has no ledger yet, so the first file must be its block 0, not block "
          + block.getHeader().getNumber();
    }
    try {
      ChannelConfig config = ChannelConfig.fromConfigBlock(block);
      if (!config.channelId().equals(channel)) {
        return "block 0 is the genesis block of channel " + config.channelId() + ", not " + channel;
      }
      return null;
    } catch (ConfigException | IllegalArgumentException e) {
      return "block 0 is not a valid config block: " + e.getMessage();
    }
  }
}
