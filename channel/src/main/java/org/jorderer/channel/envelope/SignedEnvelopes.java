package org.jorderer.channel.envelope;

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
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.jorderer.channel.msp.LocalSigner;

/**
 * Client envelopes signed as Fabric's {@code protoutil.CreateSignedEnvelope} makes them: a channel
 * header, a signature header naming the signer with a fresh 24-byte nonce, the payload signed by
 * the signer. What a peer, an SDK or {@code peer channel fetch} sends to an orderer.
 */
public final class SignedEnvelopes {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final LocalSigner signer;

  public SignedEnvelopes(LocalSigner signer) {
    this.signer = signer;
  }

  /** An envelope and the transaction ID in its channel header. */
  public record SignedEnvelope(String txId, Envelope envelope) {}

  /** A Deliver request for {@code seek} on {@code channelId}, timestamped {@code now}. */
  public Envelope seek(String channelId, SeekInfo seek, Instant now) {
    return sign(header(HeaderType.DELIVER_SEEK_INFO_VALUE, channelId, now).build(), seek.toByteString());
  }

  /** A MESSAGE transaction carrying {@code data}, with the tx ID Fabric derives from nonce and creator. */
  public SignedEnvelope message(String channelId, ByteString data, Instant now) {
    byte[] nonce = nonce();
    String txId = txId(nonce, signer.serializedIdentity());
    ChannelHeader header = header(HeaderType.MESSAGE_VALUE, channelId, now).setTxId(txId).build();
    return new SignedEnvelope(txId, signPayload(payload(header.toByteString(), nonce, data)));
  }

  /** An envelope with exactly this channel header and data. */
  public Envelope sign(ChannelHeader header, ByteString data) {
    return signWithChannelHeaderBytes(header.toByteString(), data);
  }

  /** An envelope whose channel header is these bytes, a ChannelHeader or not (for tests of refusals). */
  public Envelope signWithChannelHeaderBytes(ByteString channelHeader, ByteString data) {
    return signPayload(payload(channelHeader, nonce(), data));
  }

  /** Signs raw payload bytes as they are, well-formed or not. */
  public Envelope signPayload(ByteString payload) {
    return Envelope.newBuilder()
        .setPayload(payload)
        .setSignature(ByteString.copyFrom(signer.sign(payload.toByteArray())))
        .build();
  }

  private ByteString payload(ByteString channelHeader, byte[] nonce, ByteString data) {
    SignatureHeader signatureHeader = SignatureHeader.newBuilder()
        .setCreator(signer.serializedIdentity())
        .setNonce(ByteString.copyFrom(nonce))
        .build();
    return Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(channelHeader).setSignatureHeader(signatureHeader.toByteString()))
        .setData(data)
        .build()
        .toByteString();
  }

  private static ChannelHeader.Builder header(int type, String channelId, Instant now) {
    return ChannelHeader.newBuilder()
        .setType(type)
        .setChannelId(channelId)
        .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
  }

  private static byte[] nonce() {
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  /** Fabric's {@code ComputeTxID}: hex(SHA-256(nonce || creator)). */
  public static String txId(byte[] nonce, ByteString creator) {
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
