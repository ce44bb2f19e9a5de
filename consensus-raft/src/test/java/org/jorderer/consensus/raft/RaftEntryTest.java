package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.List;
import org.hyperledger.fabric.protos.common.Envelope;
import org.junit.jupiter.api.Test;

class RaftEntryTest {
  private static Envelope envelope(String payload) {
    return Envelope.newBuilder().setPayload(ByteString.copyFromUtf8(payload))
        .setSignature(ByteString.copyFromUtf8("sig " + payload)).build();
  }

  @Test
  void everyKindSurvivesEncoding() {
    List<RaftEntry> entries = List.of(
        new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(envelope("a"), 0), new RaftEntry.Ordered(envelope("b"), 7))),
        new RaftEntry.Envelopes(List.of()),
        new RaftEntry.ConfigMessage(envelope("config"), 3),
        new RaftEntry.CutMarker(42),
        new RaftEntry.Stamped(java.time.Instant.ofEpochSecond(1_800_000_000L, 123_456_789),
            new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(envelope("c"), 2)))));
    for (RaftEntry entry : entries) {
      assertThat(RaftEntry.decode(entry.encode())).isEqualTo(entry);
    }
  }

  @Test
  void theLeadersStampWrapsTheProposedBytesAsAStampedEntry() {
    RaftEntry proposed = new RaftEntry.ConfigMessage(envelope("config"), 5);
    java.time.Instant time = java.time.Instant.parse("2031-04-05T06:07:08.009Z");
    var stamped = RaftEntry.Stamped.stamp(
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(proposed.encode()), time);
    assertThat(RaftEntry.decode(stamped.toByteArray())).isEqualTo(new RaftEntry.Stamped(time, proposed));
    assertThat(stamped.toByteArray()).isEqualTo(new RaftEntry.Stamped(time, proposed).encode());
    // Stamped once only: a proposer cannot choose the time by sending a stamped entry itself.
    assertThatThrownBy(() -> RaftEntry.decode(RaftEntry.Stamped.stamp(stamped, time).toByteArray()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Raft entry stamped twice");
  }

  @Test
  void anEntryItCannotReadIsRefusedNotSkipped() {
    byte[] good = new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(envelope("a"), 0))).encode();
    assertThatThrownBy(() -> RaftEntry.decode(Arrays.copyOf(good, good.length - 3)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RaftEntry.decode(new byte[] {9}))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown Raft entry kind 9");
  }
}
