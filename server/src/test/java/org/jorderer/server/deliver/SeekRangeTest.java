package org.jorderer.server.deliver;

import static org.assertj.core.api.Assertions.assertThat;

import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.SeekNewest;
import org.hyperledger.fabric.protos.orderer.SeekNextCommit;
import org.hyperledger.fabric.protos.orderer.SeekOldest;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.hyperledger.fabric.protos.orderer.SeekSpecified;
import org.junit.jupiter.api.Test;

/** docs/deliver.md "Start and stop positions", including the unsigned and quirky corners. */
class SeekRangeTest {
  private static final SeekPosition OLDEST = SeekPosition.newBuilder().setOldest(SeekOldest.getDefaultInstance()).build();
  private static final SeekPosition NEWEST = SeekPosition.newBuilder().setNewest(SeekNewest.getDefaultInstance()).build();
  private static final SeekPosition NEXT = SeekPosition.newBuilder().setNextCommit(SeekNextCommit.getDefaultInstance()).build();
  private static final SeekPosition UNSET = SeekPosition.getDefaultInstance();

  private static SeekPosition at(long n) {
    return SeekPosition.newBuilder().setSpecified(SeekSpecified.newBuilder().setNumber(n)).build();
  }

  private static SeekRange range(SeekPosition start, SeekPosition stop, long height) {
    SeekRange.Resolution r = SeekRange.resolve(start, stop, () -> height);
    assertThat(r).isInstanceOf(SeekRange.Resolved.class);
    return ((SeekRange.Resolved) r).range();
  }

  @Test
  void startPositions() {
    assertThat(range(OLDEST, at(5), 10)).isEqualTo(new SeekRange(0, false, 5));
    assertThat(range(NEWEST, at(9), 10)).isEqualTo(new SeekRange(9, false, 9));
    assertThat(range(at(10), at(10), 10)).isEqualTo(new SeekRange(10, false, 10));
    assertThat(range(at(11), at(11), 10)).isEqualTo(new SeekRange(0, true, 11));
    assertThat(range(NEXT, at(10), 10)).isEqualTo(new SeekRange(10, false, 10));
    assertThat(range(UNSET, at(3), 10)).isEqualTo(new SeekRange(0, true, 3));
  }

  @Test
  void stopPositions() {
    assertThat(range(at(4), OLDEST, 10).stop()).isEqualTo(4);
    assertThat(range(NEWEST, NEWEST, 10).stop()).isEqualTo(9);
    assertThat(range(at(3), NEWEST, 10).stop()).isEqualTo(9);
    assertThat(range(at(3), NEXT, 10).stop()).isZero();
    assertThat(range(at(3), UNSET, 10).stop()).isZero();
    // docs/deliver.md: stop newest with start at the height gives a stop below the start, no error.
    assertThat(range(NEXT, NEWEST, 10)).isEqualTo(new SeekRange(10, false, 9));
  }

  @Test
  void numbersAreUnsigned() {
    SeekRange forever = range(OLDEST, at(-1L), 10); // MaxUint64
    assertThat(Long.toUnsignedString(forever.stop())).isEqualTo("18446744073709551615");
    assertThat(range(at(-1L), at(-1L), 10).notFound()).isTrue();
  }

  @Test
  void aStopBeforeTheStartIsBadRequest() {
    SeekRange.Resolution r = SeekRange.resolve(NEWEST, at(8), () -> 10);
    assertThat(r).isInstanceOfSatisfying(SeekRange.Refused.class,
        refused -> assertThat(refused.status()).isEqualTo(Status.BAD_REQUEST));
  }
}
