package org.jorderer.channel.envelope;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import java.security.SecureRandom;
import java.time.Instant;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.ConfigSignature;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.msp.LocalSigner;

/**
 * CONFIG_UPDATE envelopes as Fabric's peer CLI makes and signs them: one {@code ConfigSignature}
 * per signer over {@code signature_header || config_update}, and the whole re-wrapped into a new
 * envelope signed by the last signer ({@code peer channel signconfigtx}, {@code
 * internal/peer/channel/create.go sanityCheckAndSignConfigTx}).
 */
public final class ConfigUpdateEnvelopes {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ConfigUpdateEnvelopes() {}

  /** A CONFIG_UPDATE envelope refused by {@link #signConfigTx}; the message is peer's text. */
  public static final class InvalidConfigTxException extends Exception {
    public InvalidConfigTxException(String reason) {
      super("Invalid channel create transaction : " + reason, null, false, false);
    }
  }

  /** The signer's ConfigSignature over a serialized {@code ConfigUpdate}. */
  public static ConfigSignature configSignature(LocalSigner signer, ByteString configUpdate) {
    ByteString header = SignatureHeader.newBuilder()
        .setCreator(signer.serializedIdentity())
        .setNonce(nonce())
        .build()
        .toByteString();
    byte[] signature = signer.sign(header.concat(configUpdate).toByteArray());
    return ConfigSignature.newBuilder().setSignatureHeader(header).setSignature(ByteString.copyFrom(signature)).build();
  }

  /**
   * A CONFIG_UPDATE envelope carrying {@code update} (with {@code signatures}), its channel header
   * as Fabric's {@code CreateSignedEnvelope} makes it (whole-second timestamp, empty tx ID, epoch
   * 0), signed by {@code signer}.
   */
  public static Envelope wrap(ConfigUpdateEnvelope update, String channelId, LocalSigner signer, Instant now) {
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(HeaderType.CONFIG_UPDATE_VALUE)
        .setChannelId(channelId)
        .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
        .build();
    return new SignedEnvelopes(signer).sign(header, update.toByteString());
  }

  /** An update signed by each signer in turn, as running {@code peer channel signconfigtx} once per signer. */
  public static Envelope signedUpdate(ConfigUpdate update, Instant now, LocalSigner... signers) {
    ConfigUpdateEnvelope.Builder envelope = ConfigUpdateEnvelope.newBuilder().setConfigUpdate(update.toByteString());
    for (LocalSigner signer : signers) {
      envelope.addSignatures(configSignature(signer, envelope.getConfigUpdate()));
    }
    return wrap(envelope.build(), update.getChannelId(), signers[signers.length - 1], now);
  }

  /**
   * {@code peer channel signconfigtx}: appends this signer's ConfigSignature to the envelope's
   * ConfigUpdateEnvelope and re-wraps it into a new envelope with a fresh channel header, signed by
   * this signer.
   *
   * @throws InvalidConfigTxException when the envelope is not a CONFIG_UPDATE, with peer's texts
   */
  public static Envelope signConfigTx(Envelope envelope, LocalSigner signer, Instant now) throws InvalidConfigTxException {
    Payload payload;
    try {
      payload = Payload.parseFrom(envelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidConfigTxException("bad payload");
    }
    if (!payload.hasHeader() || payload.getHeader().getChannelHeader().isEmpty()) {
      throw new InvalidConfigTxException("bad header");
    }
    ChannelHeader header;
    try {
      header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidConfigTxException("could not unmarshall channel header");
    }
    if (header.getType() != HeaderType.CONFIG_UPDATE_VALUE) {
      throw new InvalidConfigTxException("bad type");
    }
    if (header.getChannelId().isEmpty()) {
      throw new InvalidConfigTxException("empty channel id");
    }
    ConfigUpdateEnvelope update;
    try {
      update = ConfigUpdateEnvelope.parseFrom(payload.getData());
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidConfigTxException("Bad config update env");
    }
    ConfigUpdateEnvelope signed = update.toBuilder()
        .addSignatures(configSignature(signer, update.getConfigUpdate()))
        .build();
    return wrap(signed, header.getChannelId(), signer, now);
  }

  private static ByteString nonce() {
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    return ByteString.copyFrom(nonce);
  }
}
