package org.jorderer.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jorderer.server.support.ByteSearch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The orderer.yaml loader on arbitrary files and {@code ORDERER_*} variables: it returns a
 * configuration or throws {@link ConfigurationException} listing each problem, never anything
 * else. A configuration it accepts prints as YAML that loads back to the same printed text
 * ({@code --print-config} round-trips). Input: the file's bytes; after a line {@code #env}, one
 * {@code NAME=value} per line for the environment. Seeds: Fabric's sample orderer.yaml, the test
 * suite's every-key file and a few environment overrides. See docs/robustness.md.
 */
class OrdererYamlFuzzTest {
  private static final byte[] ENV_MARKER = "\n#env\n".getBytes(StandardCharsets.US_ASCII);
  private static Path dir;
  private static Path file;

  @BeforeAll
  static void folder() throws IOException {
    dir = Files.createTempDirectory("yaml-fuzz");
    file = dir.resolve("orderer.yaml");
  }

  @AfterAll
  static void clean() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }

  @FuzzTest(maxDuration = "10s")
  void aFileAndEnvironmentLoadOrAreRefusedWithProblems(byte[] input) {
    int marker = ByteSearch.indexOf(input, ENV_MARKER);
    byte[] yaml = marker < 0 ? input : java.util.Arrays.copyOfRange(input, 0, marker);
    Map<String, String> env = new HashMap<>();
    if (marker >= 0) {
      String lines = new String(input, marker + ENV_MARKER.length, input.length - marker - ENV_MARKER.length,
          StandardCharsets.UTF_8);
      for (String line : lines.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          env.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
    }
    write(file, yaml);

    LoadedConfig loaded;
    try {
      loaded = OrdererYaml.load(Optional.of(file), env);
    } catch (ConfigurationException refused) {
      assertThat(refused.problems()).as("a refusal lists its problems").isNotEmpty()
          .allSatisfy(p -> assertThat(p).isNotBlank());
      return;
    }
    assertThat(loaded.config()).isNotNull();

    String printed = OrdererYaml.print(loaded.config());
    Path again = dir.resolve("printed.yaml");
    write(again, printed.getBytes(StandardCharsets.UTF_8));
    LoadedConfig reloaded;
    try {
      reloaded = OrdererYaml.load(Optional.of(again), Map.of());
    } catch (ConfigurationException e) {
      throw new AssertionError("the printed configuration does not load again: " + e.getMessage() + "\n" + printed, e);
    }
    assertThat(OrdererYaml.print(reloaded.config())).as("print, load, print").isEqualTo(printed);
  }

  private static void write(Path path, byte[] bytes) {
    try {
      Files.write(path, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
