package org.jorderer.server.support;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.testing.Vectors;

/**
 * Fabric v2.4.9's config-update vectors ({@code testdata/fabric/config-updates}): the channel
 * {@code cfgchan}, the envelopes submitted to it, the answers Fabric gave and the config blocks it
 * wrote, plus the cryptogen identities of Org2MSP.
 */
public final class ConfigUpdateVectors {
  /** Inside every certificate's validity (SampleOrg's expires 2027-11-10; cryptogen's from 2026-12-01). */
  public static final Instant NOW = Instant.parse("2026-12-01T20:30:00Z");
  public static final String CHANNEL = "cfgchan";

  private ConfigUpdateVectors() {}

  /** One row of {@code answers.json}. */
  public record Answer(int order, String file, String orderer, Status status, String info) {}

  public static Path dir() {
    return Vectors.root().resolve("config-updates");
  }

  public static List<Answer> answers() {
    try {
      ListValue.Builder list = ListValue.newBuilder();
      JsonFormat.parser().merge(Files.readString(dir().resolve("answers.json"), StandardCharsets.UTF_8), list);
      List<Answer> out = new ArrayList<>();
      for (Value value : list.getValuesList()) {
        Struct s = value.getStructValue();
        out.add(new Answer((int) s.getFieldsOrThrow("order").getNumberValue(),
            s.getFieldsOrThrow("file").getStringValue(), s.getFieldsOrThrow("orderer").getStringValue(),
            Status.valueOf(s.getFieldsOrThrow("status").getStringValue()), s.getFieldsOrThrow("info").getStringValue()));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Answer answer(int order) {
    return answers().stream().filter(a -> a.order() == order).findFirst().orElseThrow();
  }

  public static Envelope envelope(String file) {
    try {
      return Envelope.parseFrom(Files.readAllBytes(dir().resolve(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code cfgchan-N.block}. */
  public static Block block(int n) {
    try {
      return Block.parseFrom(Files.readAllBytes(dir().resolve("cfgchan-" + n + ".block")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The one envelope of a config block. */
  public static Envelope onlyEnvelope(Block block) {
    try {
      return Envelope.parseFrom(block.getData().getData(0));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static ChannelHeader channelHeader(Envelope envelope) {
    try {
      return ChannelHeader.parseFrom(Payload.parseFrom(envelope.getPayload()).getHeader().getChannelHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code ConfigEnvelope.config} of a config block. */
  public static Config config(Block block) {
    return configEnvelope(block).getConfig();
  }

  public static ConfigEnvelope configEnvelope(Block block) {
    try {
      return ConfigEnvelope.parseFrom(Payload.parseFrom(onlyEnvelope(block).getPayload()).getData());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A cryptogen user of Org2MSP ({@code Admin} or {@code User1}). */
  public static LocalSigner org2(String user) {
    Path msp = dir().resolve("setup/crypto/peerOrganizations/org2.example.com/users/" + user + "@org2.example.com/msp");
    try {
      return LocalSigner.load(msp, "Org2MSP");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
