package org.jorderer.cli;

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
import org.hyperledger.fabric.protos.orderer.SeekNextCommit;
import org.hyperledger.fabric.protos.orderer.SeekOldest;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.hyperledger.fabric.protos.orderer.SeekSpecified;
import org.jorderer.channel.msp.LocalSigner;

/** Signed Deliver requests as a Fabric client builds them ({@code protoutil.CreateSignedEnvelope}). */
final class SeekRequests {
  static final SeekPosition OLDEST = SeekPosition.newBuilder().setOldest(SeekOldest.getDefaultInstance()).build();
  static final SeekPosition NEWEST =
      SeekPosition.newBuilder().setNewest(org.hyperledger.fabric.protos.orderer.SeekNewest.getDefaultInstance()).build();
  static final SeekPosition NEXT_COMMIT =
      SeekPosition.newBuilder().setNextCommit(SeekNextCommit.getDefaultInstance()).build();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final LocalSigner signer;

  SeekRequests(LocalSigner signer) {
    this.signer = signer;
  }

  static SeekPosition specified(long number) {
    return SeekPosition.newBuilder().setSpecified(SeekSpecified.newBuilder().setNumber(number)).build();
  }

  Envelope seek(String channelId, SeekPosition start, SeekPosition stop) {
    SeekInfo seek = SeekInfo.newBuilder().setStart(start).setStop(stop).build();
    Instant now = Instant.now();
    byte[] nonce = new byte[24];
    RANDOM.nextBytes(nonce);
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setChannelHeader(ChannelHeader.newBuilder()
                .setType(HeaderType.DELIVER_SEEK_INFO_VALUE)
                .setChannelId(channelId)
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build()
                .toByteString())
            .setSignatureHeader(SignatureHeader.newBuilder()
                .setCreator(signer.serializedIdentity())
                .setNonce(ByteString.copyFrom(nonce))
                .build()
                .toByteString()))
        .setData(seek.toByteString())
        .build();
    return Envelope.newBuilder()
        .setPayload(payload.toByteString())
        .setSignature(ByteString.copyFrom(signer.sign(payload.toByteArray())))
        .build();
  }
}
