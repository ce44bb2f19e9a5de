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
        new RaftEntry.CutMarker(42));
    for (RaftEntry entry : entries) {
      assertThat(RaftEntry.decode(entry.encode())).isEqualTo(entry);
    }
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
