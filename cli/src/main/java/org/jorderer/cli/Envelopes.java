package org.jorderer.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.msp.LocalSigner;

/**
 * Signed transaction envelopes as a Fabric client builds them: a channel header with a fresh
 * nonce-derived tx ID, the signer as creator, the payload signed. Type MESSAGE, as Fabric's own
 * {@code broadcast} sample client sends.
 */
final class Envelopes {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final LocalSigner signer;
  private final String channelId;

  Envelopes(LocalSigner signer, String channelId) {
    this.signer = signer;
    this.channelId = channelId;
  }

  /** A signed MESSAGE envelope carrying {@code data}; returns it with its tx ID. */
  Signed message(byte[] data) {
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    ByteString creator = signer.serializedIdentity();
    String txId = txId(nonce, creator);
    Instant now = Instant.now();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setChannelHeader(ChannelHeader.newBuilder()
                .setType(HeaderType.MESSAGE_VALUE)
                .setChannelId(channelId)
                .setTxId(txId)
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build()
                .toByteString())
            .setSignatureHeader(SignatureHeader.newBuilder().setCreator(creator).setNonce(ByteString.copyFrom(nonce))
                .build()
                .toByteString()))
        .setData(ByteString.copyFrom(data))
        .build();
    Envelope envelope = Envelope.newBuilder()
        .setPayload(payload.toByteString())
        .setSignature(ByteString.copyFrom(signer.sign(payload.toByteArray())))
        .build();
    return new Signed(txId, envelope);
  }

  record Signed(String txId, Envelope envelope) {}

  /** Fabric's ComputeTxID: hex(SHA-256(nonce || creator)). */
  private static String txId(byte[] nonce, ByteString creator) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(nonce);
      sha.update(creator.toByteArray());
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
