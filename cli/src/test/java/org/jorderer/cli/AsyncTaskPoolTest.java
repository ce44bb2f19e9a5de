package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Jorderer#poolAsyncTasks}: in a JVM that sees one CPU (as under {@code taskset} or a
 * one-CPU container), executor-less {@code CompletableFuture} tasks run on pooled threads, not on a
 * new thread each; an operator's own parallelism is kept.
 */
class AsyncTaskPoolTest {

  /** Run in a child JVM: applies the setting as {@code main} does, then reports where tasks ran. */
  public static void main(String[] args) throws Exception {
    Jorderer.poolAsyncTasks();
    int pooled = 0;
    for (int i = 0; i < 20; i++) {
      Thread ran = CompletableFuture.supplyAsync(Thread::currentThread).get(10, TimeUnit.SECONDS);
      if (ran instanceof ForkJoinWorkerThread) {
        pooled++;
      }
    }
    System.out.println("parallelism=" + ForkJoinPool.getCommonPoolParallelism() + " pooled=" + pooled + "/20");
  }

  private static String child(String... jvmOptions) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), AsyncTaskPoolTest.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void oneCpuRunsAsyncTasksOnPooledThreads() throws Exception {
    assertThat(child("-XX:ActiveProcessorCount=1")).isEqualTo("parallelism=2 pooled=20/20");
  }

  @Test
  void anOperatorsParallelismIsKept() throws Exception {
    // parallelism 1 is the JDK's thread-per-task case, kept because the operator asked for it
    assertThat(child("-XX:ActiveProcessorCount=1", "-D" + Jorderer.COMMON_POOL_PARALLELISM + "=1"))
        .isEqualTo("parallelism=1 pooled=0/20");
  }

  @Test
  void largerMachinesKeepTheJdkDefault() throws Exception {
    assertThat(child("-XX:ActiveProcessorCount=8")).isEqualTo("parallelism=7 pooled=20/20");
  }
}
