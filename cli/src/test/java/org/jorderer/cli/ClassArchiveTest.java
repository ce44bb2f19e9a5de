package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/jorderer's application class-data archive (docs/performance.md, "Raft catch-up after a
 * restart"): made by a `start` that served, kept only when a trial JVM maps it, used while it
 * matches the jar, and never in the way when it is missing, stale, cut short or turned off. The
 * script runs for real (bash, the JVM's archive dump and mapping) on a copy of the distribution's
 * layout whose jar holds one small main class standing in for jorderer's: `start serve` writes the
 * marker as StartCommand does once it serves, `start fail` exits before that.
 */
class ClassArchiveTest {
  @TempDir
  Path dir;

  /** The stand-in for jorderer's main class in the test's jar (JDK classes only). */
  public static final class StandIn {
    public static void main(String[] args) throws IOException {
      if (args.length >= 2 && args[0].equals("start")) {
        if (args[1].equals("fail")) {
          System.exit(3);
        }
        String marker = System.getProperty("jorderer.classArchive.servedMarker");
        if (marker != null) {
          Files.write(Path.of(marker), new byte[0]);
        }
      }
      System.out.println("stand-in ran " + String.join(" ", args));
    }
  }

  private record Run(int code, String output) {
    /** Whether the JVM mapped the stand-in from the archive (the -Xlog:class+load line says so). */
    boolean fromArchive() {
      return output.lines().anyMatch(l -> l.contains(StandIn.class.getName() + " source: shared objects file"));
    }
  }

  private Path jar() {
    return dir.resolve("cli/target/jorderer.jar");
  }

  private Path archive() {
    return dir.resolve("cli/target/jorderer.jsa");
  }

  private void layout() throws IOException {
    Files.createDirectories(dir.resolve("bin"));
    Path script = dir.resolve("bin/jorderer");
    Files.copy(Path.of("..", "bin", "jorderer"), script);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(jar().getParent());
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, StandIn.class.getName());
    String entry = StandIn.class.getName().replace('.', '/') + ".class";
    try (OutputStream file = Files.newOutputStream(jar());
        JarOutputStream out = new JarOutputStream(file, manifest);
        InputStream in = StandIn.class.getClassLoader().getResourceAsStream(entry)) {
      out.putNextEntry(new JarEntry(entry));
      in.transferTo(out);
      out.closeEntry();
    }
  }

  private Run run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(dir.resolve("bin/jorderer").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().remove("JORDERER_OPTS");
    builder.environment().remove("JORDERER_CDS");
    builder.environment().remove("JORDERER_CDS_ARCHIVE");
    builder.environment().put("JAVA_OPTS", "-Xlog:class+load=info");
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    // A bound on liveness, not a speed check.
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private Run run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  /** The files beside the jar that belong to the archive, by name. */
  private List<String> archiveFiles() throws IOException {
    try (Stream<Path> files = Files.list(jar().getParent())) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("jorderer.jsa")).sorted()
          .map(n -> n.replaceAll("\\.\\d+\\.", ".PID.")).toList();
    }
  }

  @Test
  void aServingStartMakesTheArchiveALaterRunMapsAndAStaleOneIsLeftAsideUntilRemade() throws Exception {
    layout();
    Run first = run("start", "serve");
    assertThat(first.code()).isZero();
    assertThat(first.output()).contains("stand-in ran start serve");
    assertThat(first.fromArchive()).isFalse();
    // Dumped at the JVM's exit, kept aside under its PID with the marker and the stamp.
    assertThat(archiveFiles()).containsExactly("jorderer.jsa.PID.new", "jorderer.jsa.PID.served",
        "jorderer.jsa.PID.stamp");

    Run second = run("--version");
    assertThat(second.code()).isZero();
    assertThat(second.output()).contains("stand-in ran --version");
    assertThat(second.fromArchive()).isTrue();
    assertThat(archiveFiles()).containsExactly("jorderer.jsa", "jorderer.jsa.stamp");
    // A start with a usable archive maps it and dumps no other.
    Run mapped = run("start", "serve");
    assertThat(mapped.fromArchive()).isTrue();
    assertThat(archiveFiles()).containsExactly("jorderer.jsa", "jorderer.jsa.stamp");

    // A rebuilt jar: the archive no longer matches it and is not used; the program runs as before.
    Files.setLastModifiedTime(jar(), FileTime.fromMillis(Files.getLastModifiedTime(jar()).toMillis() + 10_000));
    Run stale = run("--version");
    assertThat(stale.code()).isZero();
    assertThat(stale.output()).contains("stand-in ran --version");
    assertThat(stale.fromArchive()).isFalse();
    assertThat(stale.output()).doesNotContain("[warning]");
    // The next start makes a new one, which replaces it.
    assertThat(run("start", "serve").code()).isZero();
    assertThat(run("--version").fromArchive()).isTrue();
    assertThat(archiveFiles()).containsExactly("jorderer.jsa", "jorderer.jsa.stamp");
  }

  @Test
  void anArchiveCutShortOrFromAStartThatNeverServedIsDroppedAndTheRunGoesOn() throws Exception {
    layout();
    assertThat(run("start", "fail").code()).isEqualTo(3);
    assertThat(archiveFiles()).containsExactly("jorderer.jsa.PID.new", "jorderer.jsa.PID.stamp");
    Run after = run("--version");
    assertThat(after.code()).isZero();
    assertThat(after.fromArchive()).isFalse();
    assertThat(archiveFiles()).isEmpty();

    // A dump cut short (the node killed while the JVM wrote it): the trial JVM cannot map it.
    assertThat(run("start", "serve").code()).isZero();
    Path made;
    try (Stream<Path> files = Files.list(jar().getParent())) {
      made = files.filter(p -> p.getFileName().toString().endsWith(".new")).findFirst().orElseThrow();
    }
    made.toFile().setWritable(true);
    try (var channel = java.nio.channels.FileChannel.open(made, java.nio.file.StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() / 2);
    }
    Run cut = run("--version");
    assertThat(cut.code()).isZero();
    assertThat(cut.output()).contains("stand-in ran --version");
    assertThat(cut.fromArchive()).isFalse();
    assertThat(archiveFiles()).isEmpty();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
    }
  }

  @Test
  void offMeansNoArchiveIsMadeOrMapped() throws Exception {
    layout();
    Run off = run(Map.of("JORDERER_CDS", "off"), "start", "serve");
    assertThat(off.code()).isZero();
    assertThat(off.fromArchive()).isFalse();
    assertThat(archiveFiles()).isEmpty();
  }

  @Test
  void startMarksItsArchiveOnlyOnceItServes() throws Exception {
    Path marker = dir.resolve("served");
    System.setProperty("jorderer.classArchive.servedMarker", marker.toString());
    try {
      CommandRun failing = new CommandRun();
      assertThat(failing.run("start", "--config", dir.resolve("missing.yaml").toString())).isNotZero();
      assertThat(marker).doesNotExist();
      try (StartCommandTest.Running node = StartCommandTest.Running.start(dir.resolve("data"))) {
        assertThat(marker).exists();
      }
    } finally {
      System.clearProperty("jorderer.classArchive.servedMarker");
    }
  }
}
