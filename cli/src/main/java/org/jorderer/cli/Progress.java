package org.jorderer.cli;

import java.io.PrintStream;

/** A one-line progress bar on a terminal stream, redrawn in place. */
final class Progress {
  private static final int WIDTH = 40;
  private final PrintStream out;
  private final long total;
  private final long started = System.nanoTime();

  Progress(PrintStream out, long total) {
    this.out = out;
    this.total = Math.max(1, total);
  }

  void show(long done) {
    int filled = (int) (WIDTH * Math.min(done, total) / total);
    double seconds = (System.nanoTime() - started) / 1e9;
    out.printf("\r[%s%s] %d/%d  %.0f/s", "#".repeat(filled), " ".repeat(WIDTH - filled), done, total,
        seconds > 0 ? done / seconds : 0.0);
    out.flush();
  }

  void finish() {
    out.println();
  }
}
