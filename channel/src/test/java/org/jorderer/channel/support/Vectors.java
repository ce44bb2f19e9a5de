package org.jorderer.channel.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;

/** The Fabric v2.4.9 vectors in {@code testdata/fabric}, located by the {@code jorderer.vectors} property. */
public final class Vectors {
  private Vectors() {}

  public static Path root() {
    String dir = System.getProperty("jorderer.vectors");
    if (dir == null) {
      throw new IllegalStateException("system property jorderer.vectors is not set (surefire sets it)");
    }
    return Path.of(dir);
  }

  public static Path msp() {
    return root().resolve("msp");
  }

  public static Block block(String name) {
    try {
      return Block.parseFrom(Files.readAllBytes(root().resolve("blocks").resolve(name)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Envelope envelope(String name) {
    try {
      return Envelope.parseFrom(Files.readAllBytes(root().resolve("envelopes").resolve(name)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
