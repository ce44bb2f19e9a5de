package org.jorderer.ledger.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, small tmpfs for disk-full tests: writes past its size fail with ENOSPC as on a full disk.
 * Mounting needs root (CI runs as root); elsewhere the test is skipped with a message saying so.
 */
public final class SmallTmpfs implements AutoCloseable {
  private final Path path;

  private SmallTmpfs(Path path) {
    this.path = path;
  }

  /** Mounts a tmpfs of {@code size} (mount's syntax, e.g. "4m") at {@code parent/tmpfs}. */
  public static SmallTmpfs mount(Path parent, String size) throws IOException, InterruptedException {
    Path mount = Files.createDirectories(parent.resolve("tmpfs"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(mounted, "this test needs to mount a small tmpfs (run as root, as CI does): " + out);
    return new SmallTmpfs(mount);
  }

  public Path path() {
    return path;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    new ProcessBuilder("umount", "-l", path.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
  }
}
