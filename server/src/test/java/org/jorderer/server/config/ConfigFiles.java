package org.jorderer.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Configuration files for the tests, written into a test's own folder. */
final class ConfigFiles {
  private ConfigFiles() {}

  /** The test resource {@code config/orderer-full.yaml}: every key jorderer reads, off its default. */
  static String fullText() {
    try (InputStream in = ConfigFiles.class.getResourceAsStream("/config/orderer-full.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path dir, String name, String text) {
    try {
      Files.createDirectories(dir);
      return Files.writeString(dir.resolve(name), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
