package org.jorderer.consensus.support;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.ledger.testing.Vectors;

/** The {@code cfgchan} config-update vectors of Fabric v2.4.9 ({@code testdata/fabric/config-updates}). */
public final class ConfigVectors {
  private ConfigVectors() {}

  public static Path file(String name) {
    return Vectors.root().resolve("config-updates").resolve(name);
  }

  public static byte[] bytes(String name) {
    return Vectors.bytes(file(name));
  }

  /** {@code cfgchan-N.block}. */
  public static Block block(int n) {
    try {
      return Block.parseFrom(bytes("cfgchan-" + n + ".block"));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Envelope envelope(String name) {
    try {
      return Envelope.parseFrom(bytes(name));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The CONFIG envelope of a config block. */
  public static Envelope configEnvelope(Block block) {
    try {
      return Envelope.parseFrom(block.getData().getData(0));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code ConfigEnvelope.config} of a config block. */
  public static Config config(Block block) {
    try {
      Payload payload = Payload.parseFrom(configEnvelope(block).getPayload());
      return ConfigEnvelope.parseFrom(payload.getData()).getConfig();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static ChannelConfig channelConfig(int n) {
    return ChannelConfig.fromConfigBlock(block(n), CryptoProvider.preferred());
  }
}
