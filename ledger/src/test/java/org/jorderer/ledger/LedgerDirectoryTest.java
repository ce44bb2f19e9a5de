package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerDirectoryTest {
  @TempDir Path root;

  @Test
  void channelsComeBackAfterReopen() {
    try (LedgerDirectory ledgers = LedgerDirectory.open(root, LedgerOptions.defaults())) {
      BlockStore vectors = ledgers.openOrCreate("vectors");
      vectors.append(Vectors.blockBytes("vectors-0.block"));
      vectors.append(Vectors.blockBytes("vectors-1.block"));
      ledgers.openOrCreate("sampleorg").append(Vectors.blockBytes("sampleorg-solo-genesis.block"));
      assertThat(ledgers.openOrCreate("vectors")).isSameAs(vectors);
    }
    try (LedgerDirectory ledgers = LedgerDirectory.open(root, LedgerOptions.defaults())) {
      assertThat(ledgers.channelIds()).containsExactly("sampleorg", "vectors");
      assertThat(ledgers.find("vectors")).get().extracting(BlockStore::height).isEqualTo(2L);
      assertThat(ledgers.find("nochannel")).isEmpty();
      assertThat(ledgers.find("../etc")).isEmpty();
    }
    assertThat(root.resolve("chains/vectors")).isDirectory();
  }

  @Test
  void removingAChannelEndsItsCursorsAndDeletesItsFiles() {
    try (LedgerDirectory ledgers = LedgerDirectory.open(root, LedgerOptions.defaults())) {
      BlockStore store = ledgers.openOrCreate("vectors");
      store.append(Vectors.blockBytes("vectors-0.block"));
      CompletableFuture<StoredBlock> waiting = store.cursor(1).next();
      assertThat(ledgers.remove("vectors")).isTrue();
      assertThatThrownBy(waiting::get)
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(LedgerClosedException.class);
      assertThat(root.resolve("chains/vectors")).doesNotExist();
      assertThat(ledgers.channelIds()).isEmpty();
      assertThat(ledgers.remove("vectors")).isFalse();
      // The name can be used again, from scratch.
      assertThat(ledgers.openOrCreate("vectors").height()).isZero();
    }
  }

  @Test
  void anInterruptedRemovalIsFinishedOnOpen() throws Exception {
    Path half = root.resolve("chains/gone.removing");
    Files.createDirectories(half);
    Files.write(half.resolve("00000000000000000000.blocks"), new byte[100]);
    try (LedgerDirectory ledgers = LedgerDirectory.open(root, LedgerOptions.defaults())) {
      assertThat(half).doesNotExist();
      assertThat(ledgers.channelIds()).isEmpty();
    }
  }

  @Test
  void refusesInvalidChannelIds() {
    try (LedgerDirectory ledgers = LedgerDirectory.open(root, LedgerOptions.defaults())) {
      for (String bad : new String[] {"", "Upper", "../x", "a/b", "9start", "a".repeat(250)}) {
        assertThatThrownBy(() -> ledgers.openOrCreate(bad))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("invalid channel ID");
      }
      assertThat(ledgers.openOrCreate("a.b-c9").height()).isZero();
    }
  }

  @Test
  void aSecondOpenOfTheSameDirectoryIsRefused() throws Exception {
    try (LedgerDirectory ledgers = LedgerDirectory.open(root, LedgerOptions.defaults())) {
      assertThatThrownBy(() -> LedgerDirectory.open(root, LedgerOptions.defaults()))
          .isInstanceOf(LedgerException.class)
          .hasMessage("ledger directory " + root + " is already open in this process");
    }
    LedgerDirectory.open(root, LedgerOptions.defaults()).close();
  }

  @Test
  void aDirectoryOpenInAnotherProcessIsRefusedUntilThatProcessLetsGo() throws Exception {
    String javaCommand = ProcessHandle.current().info().command().orElse("java");
    Process holder = new ProcessBuilder(javaCommand, "-Xmx64m", CrashTest.LOGGING, "-cp", System.getProperty("java.class.path"),
        LedgerLockHolder.class.getName(), root.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    try {
      java.io.BufferedReader out = new java.io.BufferedReader(
          new java.io.InputStreamReader(holder.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      // Bounded, so that a child that never starts fails the test instead of hanging it.
      String first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).get(120, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(first).isEqualTo("OPEN");
      assertThatThrownBy(() -> LedgerDirectory.open(root, LedgerOptions.defaults()))
          .isInstanceOf(LedgerException.class)
          .hasMessage("ledger directory " + root + " is in use by another process");
    } finally {
      holder.getOutputStream().close(); // the holder closes its directory and exits
      if (!holder.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        holder.destroyForcibly();
        throw new AssertionError("the lock holder did not exit");
      }
    }
    assertThat(holder.exitValue()).isZero();
    LedgerDirectory.open(root, LedgerOptions.defaults()).close();
  }
}
