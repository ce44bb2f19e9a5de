package org.jorderer.server.support;

import com.google.protobuf.ByteString;
import java.time.Instant;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;

/** Deliver requests for the tests, well-formed or deliberately not, signed by one identity. */
public final class SeekRequests {
  private final SignedEnvelopes envelopes;

  public SeekRequests(LocalSigner signer) {
    this.envelopes = new SignedEnvelopes(signer);
  }

  public static SeekPosition oldest() {
    return SeekPositions.OLDEST;
  }

  public static SeekPosition newest() {
    return SeekPositions.NEWEST;
  }

  public static SeekPosition nextCommit() {
    return SeekPositions.NEXT_COMMIT;
  }

  public static SeekPosition specified(long number) {
    return SeekPositions.specified(number);
  }

  public static SeekInfo seek(SeekPosition start, SeekPosition stop) {
    return SeekPositions.seek(start, stop);
  }

  /** A request stamped at {@link TestClock#SAMPLE_ORG_ERA}, the time the tests' orderers run at. */
  public Envelope envelope(String channelId, SeekInfo seek) {
    return envelopes.seek(channelId, seek, TestClock.SAMPLE_ORG_ERA);
  }

  public Envelope envelope(String channelId, SeekInfo seek, Instant timestamp) {
    return envelopes.seek(channelId, seek, timestamp);
  }

  /** A request whose payload data is these bytes (a SeekInfo or not). */
  public Envelope envelope(String channelId, ByteString seekData, Instant timestamp) {
    return envelopes.sign(org.hyperledger.fabric.protos.common.ChannelHeader.newBuilder()
        .setType(org.hyperledger.fabric.protos.common.HeaderType.DELIVER_SEEK_INFO_VALUE)
        .setChannelId(channelId)
        .setTimestamp(com.google.protobuf.Timestamp.newBuilder()
            .setSeconds(timestamp.getEpochSecond()).setNanos(timestamp.getNano()))
        .build(), seekData);
  }

  /** An envelope with this channel header (possibly malformed) and payload data, signed. */
  public Envelope envelope(ByteString channelHeader, ByteString seekData) {
    return envelopes.signWithChannelHeaderBytes(channelHeader, seekData);
  }

  public Envelope signed(ByteString payload) {
    return envelopes.signPayload(payload);
  }
}
