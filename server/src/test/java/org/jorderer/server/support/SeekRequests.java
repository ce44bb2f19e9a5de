package org.jorderer.server.support;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import java.security.SecureRandom;
import java.time.Instant;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.hyperledger.fabric.protos.orderer.SeekNewest;
import org.hyperledger.fabric.protos.orderer.SeekNextCommit;
import org.hyperledger.fabric.protos.orderer.SeekOldest;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.hyperledger.fabric.protos.orderer.SeekSpecified;
import org.jorderer.channel.msp.LocalSigner;

/** Signed Deliver requests, built the way Fabric's {@code protoutil} builds them. */
public final class SeekRequests {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final LocalSigner signer;

  public SeekRequests(LocalSigner signer) {
    this.signer = signer;
  }

  public static SeekPosition oldest() {
    return SeekPosition.newBuilder().setOldest(SeekOldest.getDefaultInstance()).build();
  }

  public static SeekPosition newest() {
    return SeekPosition.newBuilder().setNewest(SeekNewest.getDefaultInstance()).build();
  }

  public static SeekPosition nextCommit() {
    return SeekPosition.newBuilder().setNextCommit(SeekNextCommit.getDefaultInstance()).build();
  }

  public static SeekPosition specified(long number) {
    return SeekPosition.newBuilder().setSpecified(SeekSpecified.newBuilder().setNumber(number)).build();
  }

  public static SeekInfo seek(SeekPosition start, SeekPosition stop) {
    return SeekInfo.newBuilder().setStart(start).setStop(stop).build();
  }

  public Envelope envelope(String channelId, SeekInfo seek) {
    return envelope(channelId, seek.toByteString(), Instant.now());
  }

  public Envelope envelope(String channelId, SeekInfo seek, Instant timestamp) {
    return envelope(channelId, seek.toByteString(), timestamp);
  }

  public Envelope envelope(String channelId, ByteString seekData, Instant timestamp) {
    ChannelHeader channelHeader = ChannelHeader.newBuilder()
        .setType(HeaderType.DELIVER_SEEK_INFO_VALUE)
        .setChannelId(channelId)
        .setTimestamp(Timestamp.newBuilder().setSeconds(timestamp.getEpochSecond()).setNanos(timestamp.getNano()))
        .build();
    return envelope(channelHeader.toByteString(), seekData);
  }

  /** An envelope with this channel header (possibly malformed) and payload data, signed. */
  public Envelope envelope(ByteString channelHeader, ByteString seekData) {
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    SignatureHeader signatureHeader = SignatureHeader.newBuilder()
        .setCreator(signer.serializedIdentity())
        .setNonce(ByteString.copyFrom(nonce))
        .build();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(channelHeader).setSignatureHeader(signatureHeader.toByteString()))
        .setData(seekData)
        .build();
    return signed(payload.toByteString());
  }

  public Envelope signed(ByteString payload) {
    return Envelope.newBuilder()
        .setPayload(payload)
        .setSignature(ByteString.copyFrom(signer.sign(payload.toByteArray())))
        .build();
  }
}
