package org.jorderer.cli;

import java.io.PrintWriter;

/**
 * Progress of a long run. On a terminal it is a one-line bar redrawn in place; written to a pipe
 * or a log file, where each redraw would be one more carriage-return frame in the file, it says
 * nothing until the end and then prints one plain summary line.
 */
final class Progress {
  private static final int WIDTH = 40;
  private final PrintWriter out;
  private final long total;
  private final boolean redraw;
  private final long started = System.nanoTime();
  private long last;

  /** A bar drawn only when this process runs on a terminal ({@link System#console()} is there). */
  static Progress on(PrintWriter out, long total) {
    return new Progress(out, total, System.console() != null);
  }

  Progress(PrintWriter out, long total, boolean redraw) {
    this.out = out;
    this.total = Math.max(1, total);
    this.redraw = redraw;
  }

  void show(long done) {
    last = done;
    if (!redraw) {
      return;
    }
    int filled = (int) (WIDTH * Math.min(done, total) / total);
    out.printf("\r[%s%s] %d/%d  %.0f/s", "#".repeat(filled), " ".repeat(WIDTH - filled), done, total, rate(done));
    out.flush();
  }

  void finish() {
    if (redraw) {
      out.println();
    } else {
      out.printf("%d/%d done in %.2f s, %.0f/s%n", last, total, seconds(), rate(last));
    }
    out.flush();
  }

  private double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  private double rate(long done) {
    double seconds = seconds();
    return seconds > 0 ? done / seconds : 0.0;
  }
}
