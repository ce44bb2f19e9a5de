package org.jorderer.server.deliver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopWakeUpsTest {
  /** An event loop run by hand: tasks queue up until the test runs them, in order. */
  private final ArrayDeque<Runnable> loop = new ArrayDeque<>();
  private final LoopWakeUps wakeUps = new LoopWakeUps(loop::add);
  private final List<Integer> ran = new ArrayList<>();

  @Test
  void wakeUpsRunInOrderABatchPerTaskWithOtherTasksBetweenBatches() {
    for (int i = 0; i < 150; i++) {
      int n = i;
      wakeUps.add(() -> {
        ran.add(n);
        if (n % LoopWakeUps.BATCH == 0) {
          loop.add(() -> ran.add(-1)); // what a batch's first write schedules: the connection's flush
        }
      });
    }
    assertThat(loop).hasSize(1); // one task for all of them, not one per stream
    while (!loop.isEmpty()) {
      loop.poll().run();
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      expected.add(i);
      if (i == 63 || i == 127 || i == 149) {
        expected.add(-1); // the flush queued by the batch runs before the next batch
      }
    }
    assertThat(ran).isEqualTo(expected);
  }

  @Test
  void aWakeUpAddedAfterTheQueueDrainedIsScheduledAgain() {
    wakeUps.add(() -> ran.add(1));
    loop.poll().run();
    assertThat(loop).isEmpty();
    wakeUps.add(() -> ran.add(2));
    assertThat(loop).hasSize(1);
    loop.poll().run();
    assertThat(ran).containsExactly(1, 2);
  }

  @Test
  void aFailingWakeUpDoesNotStopTheOthers() {
    wakeUps.add(() -> {
      throw new IllegalStateException("boom");
    });
    wakeUps.add(() -> ran.add(7));
    loop.poll().run();
    assertThat(ran).containsExactly(7);
  }
}
