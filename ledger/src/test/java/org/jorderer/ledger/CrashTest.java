package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM appends blocks and is killed with SIGKILL at random moments, again and again on the
 * same store. After each kill every acknowledged block must be there, intact, and the chain whole.
 */
class CrashTest {
  private static final int KILLS = 50;
  private static final long SEGMENT_BYTES = 1024 * 1024; // small, so kills also land on segment rolls

  @TempDir Path dir;

  @Test
  void everyAcknowledgedBlockSurvivesSigkill() throws Exception {
    // Printed so a failure can be replayed: -Djorderer.crash.seed=<seed>
    long seed = Long.getLong("jorderer.crash.seed", System.nanoTime());
    System.out.println("CrashTest seed: " + seed + " (reproduce with -Djorderer.crash.seed=" + seed + ")");
    Random random = new Random(seed);
    Map<Long, String> acked = new HashMap<>();
    long verifiedUpTo = 0; // blocks below this were checked link by link already
    byte[] lastVerifiedHash = new byte[0];
    long totalHeight = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      Process child = startWriter(random.nextLong());
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String ready = out.readLine();
      assertThat(ready).as("child output (kill %d)", kill).startsWith("READY");
      // Kill it somewhere between its first few appends and a few hundred milliseconds later.
      long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(250));
      String line;
      while ((line = out.readLine()) != null) {
        record(acked, line);
        if (System.nanoTime() >= killAt) {
          break;
        }
      }
      // Process.destroyForcibly would also close our end of its stdout, losing the ACKs still in
      // the pipe; a plain SIGKILL leaves them to be read.
      new ProcessBuilder("kill", "-KILL", Long.toString(child.pid())).inheritIO().start().waitFor();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
      while ((line = out.readLine()) != null) {
        record(acked, line); // acknowledged before the kill landed
      }

      try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults().withSegmentBytes(SEGMENT_BYTES))) {
        long maxAcked = acked.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
        assertThat(store.height()).as("height after kill %d", kill).isGreaterThan(maxAcked);
        for (Map.Entry<Long, String> e : acked.entrySet()) {
          assertThat(sha256(store.read(e.getKey()).toByteArray()))
              .as("block %d after kill %d", e.getKey(), kill)
              .isEqualTo(e.getValue());
        }
        byte[] previousHash = lastVerifiedHash;
        for (long n = verifiedUpTo; n < store.height(); n++) {
          Block block = store.readBlock(n);
          assertThat(block.getHeader().getNumber()).isEqualTo(n);
          assertThat(block.getHeader().getPreviousHash().toByteArray()).as("link to block %d", n).isEqualTo(previousHash);
          previousHash = BlockHeaderHash.of(block.getHeader());
        }
        // Blocks appended but not acknowledged before the kill may be replaced by the next writer
        // only if they were not durable; re-verify from the last acknowledged block on.
        verifiedUpTo = maxAcked + 1;
        lastVerifiedHash = maxAcked < 0 ? new byte[0] : BlockHeaderHash.of(store.readBlock(maxAcked).getHeader());
        acked.keySet().removeIf(n -> n < maxAcked - 5); // keep the check per round cheap
        totalHeight = store.height();
      }
    }
    assertThat(totalHeight).as("blocks appended across %d kills", KILLS).isGreaterThan(KILLS);
  }

  /** The tests' logging for the child too (its stdout carries the protocol, so no log lines there). */
  static final String LOGGING = "-Dlogback.configurationFile=logback-ledger-test.xml";

  private Process startWriter(long seed) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = List.of(
        java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", LOGGING,
        "-cp", System.getProperty("java.class.path"),
        CrashWriter.class.getName(), dir.toString(), Long.toString(seed), Long.toString(SEGMENT_BYTES));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static void record(Map<Long, String> acked, String line) {
    if (line.startsWith("ACK ")) {
      String[] parts = line.split(" ");
      acked.put(Long.parseLong(parts[1]), parts[2]);
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
