package org.jorderer.consensus.support;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Instant;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.testing.Vectors;

/**
 * The {@code sampleorg} channel of the Fabric vectors (solo, SampleOrg) with the batch parameters a
 * test needs: configs are the genesis config with BatchSize, BatchTimeout and sequence replaced.
 */
public final class TestChannel {
  public static final String GENESIS = "sampleorg-solo-genesis.block";
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestChannel() {}

  public static Block genesis() {
    return Vectors.parseBlock(GENESIS);
  }

  public static byte[] genesisBytes() {
    return Vectors.blockBytes(GENESIS);
  }

  private static final Config GENESIS_CONFIG = ChannelConfig.fromConfigBlock(genesis()).config();

  public static LocalSigner signer() {
    try {
      return LocalSigner.load(Vectors.msp(), "SampleOrg");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The genesis config of {@code sampleorg} itself. */
  public static ChannelConfig genesisConfig() {
    return ChannelConfig.fromConfig("sampleorg", GENESIS_CONFIG, CryptoProvider.preferred());
  }

  /** The {@code sampleorg} config with these batch parameters and config sequence. */
  public static ChannelConfig config(String channelId, long maxMessageCount, long absoluteMaxBytes,
      long preferredMaxBytes, String batchTimeout, long sequence) {
    ConfigGroup channel = GENESIS_CONFIG.getChannelGroup();
    ConfigGroup orderer = channel.getGroupsOrThrow("Orderer");
    ConfigGroup changed = orderer.toBuilder()
        .putValues("BatchSize", orderer.getValuesOrThrow("BatchSize").toBuilder()
            .setValue(BatchSize.newBuilder()
                .setMaxMessageCount((int) maxMessageCount)
                .setAbsoluteMaxBytes((int) absoluteMaxBytes)
                .setPreferredMaxBytes((int) preferredMaxBytes)
                .build().toByteString())
            .build())
        .putValues("BatchTimeout", orderer.getValuesOrThrow("BatchTimeout").toBuilder()
            .setValue(BatchTimeout.newBuilder().setTimeout(batchTimeout).build().toByteString())
            .build())
        .build();
    Config config = GENESIS_CONFIG.toBuilder()
        .setSequence(sequence)
        .setChannelGroup(channel.toBuilder().putGroups("Orderer", changed))
        .build();
    return ChannelConfig.fromConfig(channelId, config, CryptoProvider.preferred());
  }

  public static ChannelConfig config(long maxMessageCount, long preferredMaxBytes, String batchTimeout) {
    return config("sampleorg", maxMessageCount, 10 * 1024 * 1024, preferredMaxBytes, batchTimeout, 0);
  }

  /** A config without {@code /Channel/Orderer}: what a peer-only channel looks like. */
  public static ChannelConfig configWithoutOrderer(String channelId) {
    ConfigGroup channel = GENESIS_CONFIG.getChannelGroup().toBuilder().removeGroups("Orderer").build();
    return ChannelConfig.fromConfig(channelId, GENESIS_CONFIG.toBuilder().setChannelGroup(channel).build(),
        CryptoProvider.preferred());
  }

  /** An unsigned envelope of exactly this payload and signature size (cutting only counts bytes). */
  public static Envelope sized(int payloadBytes, int signatureBytes, int tag) {
    byte[] payload = new byte[payloadBytes];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (tag + i);
    }
    if (payloadBytes >= 4) {
      payload[0] = (byte) (tag >>> 24);
      payload[1] = (byte) (tag >>> 16);
      payload[2] = (byte) (tag >>> 8);
      payload[3] = (byte) tag;
    }
    return Envelope.newBuilder()
        .setPayload(ByteString.copyFrom(payload))
        .setSignature(ByteString.copyFrom(new byte[signatureBytes]))
        .build();
  }

  /** A 40-byte envelope (20 + 20), as Fabric's block cutter tests use. */
  public static Envelope small(int tag) {
    return sized(20, 20, tag);
  }

  /** A properly signed ENDORSER_TRANSACTION envelope for {@code channelId}, accepted by /Channel/Writers. */
  public static Envelope signedTransaction(LocalSigner signer, String channelId, String data) {
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    Instant now = Instant.now();
    ChannelHeader channelHeader = ChannelHeader.newBuilder()
        .setType(HeaderType.ENDORSER_TRANSACTION_VALUE)
        .setChannelId(channelId)
        .setTxId("tx-" + data)
        .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .build();
    SignatureHeader signatureHeader = SignatureHeader.newBuilder()
        .setCreator(signer.serializedIdentity())
        .setNonce(ByteString.copyFrom(nonce))
        .build();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setChannelHeader(channelHeader.toByteString())
            .setSignatureHeader(signatureHeader.toByteString()))
        .setData(ByteString.copyFromUtf8(data))
        .build();
    ByteString bytes = payload.toByteString();
    return Envelope.newBuilder()
        .setPayload(bytes)
        .setSignature(ByteString.copyFrom(signer.sign(bytes.toByteArray())))
        .build();
  }
}
