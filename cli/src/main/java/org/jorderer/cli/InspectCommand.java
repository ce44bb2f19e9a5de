package org.jorderer.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer inspect FILE}: prints a serialized block or envelope as JSON, with the messages
 * Fabric nests inside bytes fields decoded (channel and signature headers, creators, the config
 * tree, seek info, block metadata), like {@code configtxlator proto_decode --type common.Block}.
 * See {@link Protolator} for the shape and where it differs from configtxlator.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
        "Print a block or envelope file as JSON with its nested messages decoded, like configtxlator proto_decode.",
        "Field names are the proto names (channel_header, max_message_count); 64-bit numbers are strings; "
            + "bytes that hold no known message are base64; certificates are PEM text."})
final class InspectCommand implements Callable<Integer> {
  /** The message types a file can be read as; {@link #AUTO} tries a block, then an envelope. */
  enum Kind {
    AUTO("auto"),
    BLOCK("block"),
    ENVELOPE("envelope"),
    CONFIG("config"),
    CONFIG_ENVELOPE("config-envelope"),
    CONFIG_UPDATE("config-update"),
    CONFIG_UPDATE_ENVELOPE("config-update-envelope");

    final String flag;

    Kind(String flag) {
      this.flag = flag;
    }

    @Override
    public String toString() {
      return flag;
    }
  }

  /** Picocli matches enum constants by name; the flags are the hyphenated lower-case forms. */
  static final class KindConverter implements ITypeConverter<Kind> {
    @Override
    public Kind convert(String value) {
      for (Kind k : Kind.values()) {
        if (k.flag.equals(value.toLowerCase(Locale.ROOT))) {
          return k;
        }
      }
      throw new IllegalArgumentException("expected one of auto, block, envelope, config, config-envelope, "
          + "config-update, config-update-envelope, not " + value);
    }
  }

  @Spec CommandSpec spec;

  @Option(names = "--type", paramLabel = "TYPE", converter = KindConverter.class, defaultValue = "auto",
      description = "What FILE holds: auto (a block, else an envelope), block, envelope, config, "
          + "config-envelope, config-update, config-update-envelope. Default: ${DEFAULT-VALUE}.")
  Kind kind;

  @Option(names = "--output", paramLabel = "FILE", description = "Write the JSON here instead of to standard output.")
  Path output;

  @Parameters(index = "0", paramLabel = "FILE", description = "A serialized common.Block or common.Envelope.")
  Path file;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      err.printf("%s: cannot read: %s%n", file, e.getMessage());
      return 1;
    }
    Message message;
    try {
      message = kind == Kind.AUTO ? guess(bytes) : parse(kind, bytes);
    } catch (InvalidProtocolBufferException e) {
      err.printf("%s: not a %s: %s%n", file, typeName(kind), e.getMessage());
      return 1;
    }
    if (message == null) {
      err.printf("%s: neither a common.Block nor a common.Envelope (use --type to say what it holds)%n", file);
      return 1;
    }
    String json;
    try {
      json = new Protolator().render(message).print();
    } catch (RuntimeException e) {
      // A bug here, not a bad file (undecodable nested bytes are shown as base64): say so plainly.
      err.printf("%s: cannot render as JSON: %s%n", file, e);
      return 1;
    }
    if (output == null) {
      PrintWriter out = spec.commandLine().getOut();
      out.print(json);
      out.flush();
      return 0;
    }
    try {
      Files.writeString(output, json, StandardCharsets.UTF_8);
      return 0;
    } catch (IOException e) {
      err.printf("%s: cannot write: %s%n", output, e.getMessage());
      return 1;
    }
  }

  /**
   * A block if it parses as one with a header, data and metadata (Fabric writes all three even
   * when empty); otherwise an envelope if its payload carries a channel header; otherwise null.
   * Protobuf parses many byte strings as some message, so the check is on what is present.
   */
  static Message guess(byte[] bytes) {
    try {
      Block block = Block.parseFrom(bytes);
      if (block.hasHeader() && block.hasData() && block.hasMetadata()) {
        return block;
      }
    } catch (InvalidProtocolBufferException e) {
      // Not a block; try an envelope.
    }
    try {
      Envelope envelope = Envelope.parseFrom(bytes);
      Payload payload = Payload.parseFrom(envelope.getPayload());
      if (payload.hasHeader() && !payload.getHeader().getChannelHeader().isEmpty()) {
        ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
        return envelope;
      }
    } catch (InvalidProtocolBufferException e) {
      // Neither.
    }
    return null;
  }

  private static Message parse(Kind kind, byte[] bytes) throws InvalidProtocolBufferException {
    return switch (kind) {
      case AUTO, BLOCK -> Block.parseFrom(bytes);
      case ENVELOPE -> Envelope.parseFrom(bytes);
      case CONFIG -> Config.parseFrom(bytes);
      case CONFIG_ENVELOPE -> ConfigEnvelope.parseFrom(bytes);
      case CONFIG_UPDATE -> ConfigUpdate.parseFrom(bytes);
      case CONFIG_UPDATE_ENVELOPE -> ConfigUpdateEnvelope.parseFrom(bytes);
    };
  }

  private static String typeName(Kind kind) {
    return switch (kind) {
      case AUTO, BLOCK -> "common.Block";
      case ENVELOPE -> "common.Envelope";
      case CONFIG -> "common.Config";
      case CONFIG_ENVELOPE -> "common.ConfigEnvelope";
      case CONFIG_UPDATE -> "common.ConfigUpdate";
      case CONFIG_UPDATE_ENVELOPE -> "common.ConfigUpdateEnvelope";
    };
  }
}
