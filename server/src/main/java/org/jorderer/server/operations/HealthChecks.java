package org.jorderer.server.operations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The health checks registered by component name, as Fabric's {@code healthz.HealthHandler} keeps
 * them. Components come and go at run time (a channel joined or removed), so registration is
 * thread-safe and allowed while the server runs.
 *
 * <p>Checks run concurrently, each bounded by a timeout: a disk that hangs must make {@code
 * /healthz} answer "unhealthy" promptly, not hang the probe. A check still running from an
 * earlier request is waited on again rather than started a second time, so a stuck check costs
 * one thread, not one per probe.
 */
public final class HealthChecks implements AutoCloseable {
  private final Map<String, Registered> checks = new ConcurrentHashMap<>();
  private final ExecutorService runner;

  public HealthChecks() {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "operations-healthcheck-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    runner = Executors.newCachedThreadPool(threads);
  }

  /**
   * Adds a component's check.
   *
   * @throws IllegalStateException if the component is already registered (Fabric's message)
   */
  public void register(String component, HealthCheck check) {
    if (component == null || component.isEmpty()) {
      throw new IllegalArgumentException("a health check needs a component name");
    }
    if (checks.putIfAbsent(component, new Registered(check)) != null) {
      throw new IllegalStateException("'" + component + "' is already registered");
    }
  }

  /** Removes a component's check; nothing happens if it was not registered. */
  public void deregister(String component) {
    checks.remove(component);
  }

  /** Runs every check and returns the failures, sorted by component. */
  public List<FailedCheck> run(Duration timeout) {
    Map<String, CompletableFuture<Optional<String>>> running = new TreeMap<>();
    checks.forEach((component, registered) -> running.put(component, registered.start(runner)));
    long deadline = System.nanoTime() + timeout.toNanos();
    List<FailedCheck> failed = new ArrayList<>();
    running.forEach((component, future) -> {
      Optional<String> reason;
      try {
        reason = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        reason = Optional.of("health check did not answer within " + timeout.toMillis() + " ms");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        reason = Optional.of("health check failed: "
            + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reason = Optional.of("health check interrupted");
      }
      reason.ifPresent(r -> failed.add(new FailedCheck(component, r)));
    });
    return failed;
  }

  @Override
  public void close() {
    runner.shutdownNow();
  }

  /** A check and its run in progress, if any. */
  private static final class Registered {
    private final HealthCheck check;
    private CompletableFuture<Optional<String>> inFlight;

    Registered(HealthCheck check) {
      this.check = check;
    }

    synchronized CompletableFuture<Optional<String>> start(ExecutorService runner) {
      if (inFlight == null || inFlight.isDone()) {
        CompletableFuture<Optional<String>> next = new CompletableFuture<>();
        runner.execute(() -> {
          try {
            Optional<String> result = check.check();
            next.complete(result == null ? Optional.empty() : result);
          } catch (Throwable t) {
            next.completeExceptionally(t);
          }
        });
        inFlight = next;
      }
      return inFlight;
    }
  }
}
