package org.jorderer.ledger.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;

/**
 * The Fabric-made ground truth in the repository's {@code testdata/fabric} (see its README), found
 * from any module's tests.
 */
public final class Vectors {
  private Vectors() {}

  public static Path root() {
    String configured = System.getProperty("jorderer.vectors");
    if (configured != null && Files.isDirectory(Paths.get(configured))) {
      return Paths.get(configured);
    }
    // Outside Maven (an IDE run): walk up to the repository root that holds testdata/.
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("testdata/fabric");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("testdata/fabric not found; set -Djorderer.vectors=PATH");
  }

  public static Path block(String name) {
    return root().resolve("blocks").resolve(name);
  }

  public static Path envelope(String name) {
    return root().resolve("envelopes").resolve(name);
  }

  public static Path msp() {
    return root().resolve("msp");
  }

  public static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] blockBytes(String name) {
    return bytes(block(name));
  }

  public static Block parseBlock(String name) {
    try {
      return Block.parseFrom(blockBytes(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Envelope parseEnvelope(String name) {
    try {
      return Envelope.parseFrom(bytes(envelope(name)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
