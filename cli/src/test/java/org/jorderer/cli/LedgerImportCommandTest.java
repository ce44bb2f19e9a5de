package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerImportCommandTest {
  @TempDir Path dir;
  private final CommandRun cli = new CommandRun();

  private int run(String... args) {
    return cli.run(args);
  }

  private String block(int n) {
    return Vectors.block("vectors-" + n + ".block").toString();
  }

  @Test
  void importsFabricBlocksByteForByte() throws Exception {
    Path data = dir.resolve("data");
    assertThat(run("ledger", "import", "--data", data.toString(), "--channel", "vectors", block(0), block(1), block(2)))
        .as(cli.err()).isZero();
    assertThat(cli.out()).contains("channel vectors now holds 3 blocks (3 imported)");
    try (LedgerDirectory ledgers = LedgerDirectory.open(data.resolve("ledger"), LedgerOptions.defaults())) {
      BlockStore store = ledgers.find("vectors").orElseThrow();
      for (int i = 0; i < 3; i++) {
        assertThat(store.read(i).toByteArray()).isEqualTo(Vectors.blockBytes("vectors-" + i + ".block"));
      }
    }
  }

  @Test
  void refusesAGapAndKeepsWhatCameBefore() {
    Path data = dir.resolve("data");
    assertThat(run("ledger", "import", "--data", data.toString(), "--channel", "vectors", block(0), block(2))).isOne();
    assertThat(cli.err()).contains(block(2) + " refused: expected block number 1 but got 2; the 1 blocks before it were imported");
    assertThat(run("ledger", "import", "--data", data.toString(), "--channel", "vectors", block(1), block(2))).isZero();
  }

  @Test
  void aNewChannelMustStartWithItsOwnGenesisBlock() {
    Path data = dir.resolve("data");
    assertThat(run("ledger", "import", "--data", data.toString(), "--channel", "vectors", block(1))).isOne();
    assertThat(cli.err()).contains("the first file must be its block 0, not block 1");
    assertThat(run("ledger", "import", "--data", data.toString(), "--channel", "other", block(0))).isOne();
    assertThat(cli.err()).contains("block 0 is the genesis block of channel vectors, not other");
    assertThat(data.resolve("ledger/chains/other")).doesNotExist();
  }

  @Test
  void refusesABlockWhoseDataWasTamperedWith() throws Exception {
    Block b1 = Vectors.parseBlock("vectors-1.block");
    Block tampered = b1.toBuilder().setData(b1.getData().toBuilder().setData(0, com.google.protobuf.ByteString.copyFromUtf8("x"))).build();
    Path file = dir.resolve("tampered.block");
    Files.write(file, tampered.toByteArray());
    Path data = dir.resolve("data");
    assertThat(run("ledger", "import", "--data", data.toString(), "--channel", "vectors", block(0), file.toString())).isOne();
    assertThat(cli.err()).contains("block 1's data hash does not match its data");
  }

  @Test
  void refusesFilesThatAreNotBlocks() throws Exception {
    Path file = dir.resolve("garbage.block");
    Files.write(file, new byte[] {(byte) 0xff, 0x00, 0x13});
    assertThat(run("ledger", "import", "--data", dir.resolve("data").toString(), "--channel", "vectors", file.toString()))
        .isOne();
    assertThat(cli.err()).contains("not a common.Block file");
  }
}
