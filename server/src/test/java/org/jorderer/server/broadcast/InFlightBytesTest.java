package org.jorderer.server.broadcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  void waitersAreWokenOnceByTheReleaseThatMakesRoomAndNotBefore() {
    InFlightBytes budget = new InFlightBytes(100);
    budget.charge(150);
    AtomicInteger woken = new AtomicInteger();
    budget.whenRoom(woken::incrementAndGet);
    budget.whenRoom(woken::incrementAndGet);
    assertThat(woken).hasValue(0);
    assertThat(budget.waiting()).isEqualTo(2);
    budget.release(50); // 100 held: still no room
    assertThat(woken).hasValue(0);
    budget.release(1);
    assertThat(woken).as("both woken by the release that made room").hasValue(2);
    assertThat(budget.waiting()).isZero();
    budget.release(99);
    assertThat(woken).as("each waiter runs once").hasValue(2);
  }

  @Test
  void aWaiterJoiningWhileThereIsRoomRunsAtOnce() {
    InFlightBytes budget = new InFlightBytes(100);
    AtomicInteger woken = new AtomicInteger();
    budget.whenRoom(woken::incrementAndGet);
    assertThat(woken).hasValue(1);
    assertThat(budget.waiting()).isZero();
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
