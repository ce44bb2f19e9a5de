package org.jorderer.server.broadcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The budget's own accounting; how streams use it is in {@link BroadcastBackPressureTest}. */
class InFlightBytesTest {

  @Test
  void roomWhileLessThanTheLimitIsHeld() {
    InFlightBytes budget = new InFlightBytes(100);
    assertThat(budget.hasRoom()).isTrue();
    budget.charge(60);
    assertThat(budget.hasRoom()).isTrue();
    budget.charge(40);
    assertThat(budget.used()).isEqualTo(100);
    assertThat(budget.hasRoom()).as("exactly the limit held").isFalse();
    budget.release(1);
    assertThat(budget.hasRoom()).isTrue();
    budget.release(99);
    assertThat(budget.used()).isZero();
  }

  @Test
  void oneMessageLargerThanTheWholeBudgetGetsInWhenNothingElseIsHeld() {
    InFlightBytes budget = new InFlightBytes(10);
    assertThat(budget.hasRoom()).as("an empty budget always has room").isTrue();
    budget.charge(1_000); // it arrived: counted whole
    assertThat(budget.hasRoom()).isFalse();
    budget.release(1_000);
    assertThat(budget.hasRoom()).isTrue();
  }

  @Test
  void aReservationIsGrantedWhileLessThanTheLimitIsHeldAndCorrectedWhenTheMessageArrives() {
    InFlightBytes budget = new InFlightBytes(100);
    assertThat(budget.tryReserve(60)).isTrue();
    assertThat(budget.tryReserve(60)).as("40 left, but less than the limit is held").isTrue();
    assertThat(budget.used()).isEqualTo(120);
    assertThat(budget.tryReserve(1)).isFalse();
    assertThat(budget.tryReserve(0)).as("not even a first message's empty reservation").isFalse();
    assertThat(budget.used()).as("a refused reservation holds nothing").isEqualTo(120);
    budget.charge(10 - 60); // the first one came with 10 bytes
    assertThat(budget.used()).isEqualTo(70);
    budget.charge(75 - 60); // the second with 75
    assertThat(budget.used()).isEqualTo(85);
    budget.release(10);
    budget.release(75);
    assertThat(budget.used()).isZero();
  }

  @Test
  void waitersGetInOneAtATimeInTheOrderTheyCameEachWithItsReservationMadeBeforeItIsWoken() {
    InFlightBytes budget = new InFlightBytes(100);
    budget.charge(150);
    List<String> woken = new ArrayList<>();
    budget.whenRoom(30, () -> woken.add("first"));
    budget.whenRoom(30, () -> woken.add("second"));
    budget.whenRoom(30, () -> woken.add("third"));
    assertThat(woken).isEmpty();
    assertThat(budget.waiting()).isEqualTo(3);
    budget.release(50); // 100 held: still no room
    assertThat(woken).isEmpty();
    budget.release(21); // 79 held: room for one reservation (it takes 30: 109 held)
    assertThat(woken).containsExactly("first");
    assertThat(budget.used()).isEqualTo(109);
    budget.release(40); // 69 held: the second gets in (99), then the third (129)
    assertThat(woken).containsExactly("first", "second", "third");
    assertThat(budget.waiting()).isZero();
    assertThat(budget.used()).isEqualTo(129);
    budget.release(129);
    assertThat(woken).as("each waiter runs once").hasSize(3);
  }

  @Test
  void aWaiterJoiningWhileThereIsRoomRunsAtOnce() {
    InFlightBytes budget = new InFlightBytes(100);
    AtomicInteger woken = new AtomicInteger();
    budget.whenRoom(500, woken::incrementAndGet);
    assertThat(woken).hasValue(1);
    assertThat(budget.waiting()).isZero();
    assertThat(budget.used()).isEqualTo(500);
  }

  @Test
  void sizesAreReadInBinaryUnitsAsTheJvmsHeapFlags() {
    assertThat(InFlightBytes.parseBytes("268435456")).isEqualTo(268_435_456L);
    assertThat(InFlightBytes.parseBytes("256m")).isEqualTo(256L << 20);
    assertThat(InFlightBytes.parseBytes("256MiB")).isEqualTo(256L << 20);
    assertThat(InFlightBytes.parseBytes("64K")).isEqualTo(64L << 10);
    assertThat(InFlightBytes.parseBytes(" 2g ")).isEqualTo(2L << 30);
    assertThat(InFlightBytes.parseBytes("512b")).isEqualTo(512L);
    for (String bad : new String[] {"", "m", "-1m", "0", "lots", "9999999999999g"}) {
      assertThatThrownBy(() -> InFlightBytes.parseBytes(bad)).as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(InFlightBytes.PROPERTY);
    }
  }
}
