package org.jorderer.consensus.solo;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.processor.ConfigResult;
import org.jorderer.channel.processor.NormalResult;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.consensus.ChainStalledException;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.ErrorSignal;
import org.jorderer.consensus.LedgerStall;
import org.jorderer.consensus.OrderingQueue;
import org.jorderer.consensus.Submission;
import org.jorderer.consensus.cutter.BlockCutter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fabric's solo consenter for one channel ({@code orderer/consensus/solo/consensus.go}): a single
 * ordering thread takes accepted messages from the {@link OrderingQueue} in order, re-processes
 * those checked against an older config with the channel's message processor, runs normal ones
 * through the {@link BlockCutter} and writes each cut batch through the support's block writer. A
 * config message cuts the pending batch first and is written alone in its block, which switches the
 * channel's config. A batch timer (BatchTimeout, read when the timer starts) cuts a batch that
 * stays pending.
 *
 * <p>Lifecycle: {@link #start} continues from the ledger's last block; {@link #halt} stops at once
 * (queued and pending envelopes are not written, as Fabric's Halt); {@link #close} stops accepting,
 * orders everything accepted, writes the pending batch and then halts. A failure in the loop (a
 * ledger append error, a config block that does not validate) halts the chain. Any halt fires
 * {@link #errored()} and fails later {@code order} calls with {@code ChainHaltedException("Exiting")}.
 *
 * <p>A full disk is not a failure: while the ledger undoes appends the chain keeps the block,
 * refuses new envelopes (SERVICE_UNAVAILABLE, nothing acknowledged is at stake), retries with
 * back-off and resumes by itself once a write succeeds (Fabric's solo panics instead). Deliver keeps
 * serving what is stored meanwhile.
 */
public final class SoloChain implements Chain, LedgerStall {
  private static final Logger log = LoggerFactory.getLogger(SoloChain.class);

  /** Fabric's error text for Order/Configure on a halted solo chain (Broadcast's {@code info}). */
  public static final String EXITING = "Exiting";

  // Longer timeouts are clamped so that nanoTime arithmetic cannot overflow; ~100 years is "never".
  private static final long MAX_TIMER_NANOS = Duration.ofDays(36_500).toNanos();

  /** An accepted message: a normal envelope or a CONFIG envelope, with the sequence it was checked at. */
  private record Message(Envelope envelope, long configSequence, boolean config) {}

  private enum State {
    NEW,
    RUNNING,
    HALTED
  }

  private final String channelId;
  private final ConsenterSupport support;
  private final OrderingQueue<Message> queue;
  private final ErrorSignal errored = new ErrorSignal();

  private final Object lifecycle = new Object();
  private State state = State.NEW; // guarded by lifecycle
  private volatile boolean halted; // lets the loop stop between messages
  // Why the loop cannot write its ledger now (an undone append: a full disk), while it retries; else null.
  private volatile String stalled;
  private volatile Thread loop;

  // Owned by the ordering thread once started.
  private boolean timerRunning;
  private long timerDeadlineNanos;

  public SoloChain(ConsenterSupport support, SoloOptions options) {
    this.support = Objects.requireNonNull(support, "support");
    this.channelId = support.channelId();
    Objects.requireNonNull(options, "options");
    this.queue = new OrderingQueue<>(options.queueCapacity(), options.queueBytes(),
        message -> message.envelope().getSerializedSize(), options.handOffExecutor(),
        () -> new ChainHaltedException(EXITING));
    support.retryUndoneAppends(this);
  }

  public String channelId() {
    return channelId;
  }

  @Override
  public Role role() {
    return Role.ORDERS;
  }

  @Override
  public ErrorSignal errored() {
    return errored;
  }

  /**
   * Accepts the envelope into the queue (the future is complete on return) or, when the queue is
   * full, returns a pending future that completes once the loop has made room. Envelopes handed over
   * before {@link #start} are queued and ordered once the chain starts.
   */
  @Override
  public Submission submit(Envelope envelope, long configSequence) {
    Objects.requireNonNull(envelope, "envelope");
    return Submission.settledWhenTaken(queue.offer(new Message(envelope, configSequence, false)));
  }

  @Override
  public Submission submitConfig(Envelope configEnvelope, long configSequence) {
    Objects.requireNonNull(configEnvelope, "configEnvelope");
    return Submission.settledWhenTaken(queue.offer(new Message(configEnvelope, configSequence, true)));
  }

  /**
   * Starts the ordering thread, continuing after the ledger's last block.
   *
   * @throws IllegalStateException when the chain was started or halted before, or the ledger is empty
   */
  @Override
  public void start() {
    synchronized (lifecycle) {
      if (state != State.NEW) {
        throw new IllegalStateException("solo chain for channel " + channelId + " cannot start: it is "
            + state.name().toLowerCase());
      }
      long height = support.height();
      if (height == 0) {
        throw new IllegalStateException("solo chain for channel " + channelId
            + " cannot start: the ledger is empty (the genesis block must be stored first)");
      }
      support.metrics().height(height);
      state = State.RUNNING;
      Thread thread = new Thread(this::run, "solo-" + channelId);
      // A daemon, so a forgotten close cannot keep the JVM alive; appends are fsynced, and a clean
      // shutdown goes through close().
      thread.setDaemon(true);
      loop = thread;
      thread.start();
      log.info("Solo chain for channel {} started at height {}", channelId, height);
    }
  }

  /**
   * Stops at once and waits for the ordering thread to end (at most the block being appended is
   * finished). Queued envelopes and the pending batch are not written; waiting hand-offs fail with
   * {@code ChainHaltedException("Exiting")}.
   */
  @Override
  public void halt() {
    stop("halted");
    awaitLoopEnd();
  }

  /**
   * Refuses new envelopes and waiting hand-offs (never acknowledged), orders every accepted
   * envelope, writes the pending batch, then halts. Returns when the ordering thread has ended.
   */
  @Override
  public void close() {
    boolean neverStarted;
    synchronized (lifecycle) {
      neverStarted = state == State.NEW;
    }
    if (neverStarted) {
      if (queue.queued() == 0) {
        halt();
        return;
      }
      // Envelopes were acknowledged before start: order them rather than lose them.
      try {
        start();
      } catch (RuntimeException e) {
        halt();
        throw e;
      }
    }
    queue.close();
    synchronized (lifecycle) {
      lifecycle.notifyAll(); // a retry's wait ends, for one last attempt
    }
    awaitLoopEnd();
  }

  @Override
  public Optional<String> stalled() {
    return Optional.ofNullable(stalled);
  }

  /** Called by the block writer on the ordering thread after an append the ledger undid. */
  @Override
  public boolean awaitRetry(String why, long number, long backoffMillis) {
    // Closing gets one more attempt (this wait's caller's next try); a halt gets none.
    if (halted || !queue.isOpen()) {
      return false;
    }
    if (stalled == null) {
      String reason = "cannot order now: the ledger of channel " + channelId + " cannot be written (" + why + "); retrying";
      // The queue refuses before stalled() says so: whoever sees the stall (health checks, tests)
      // must find offers already refused, not accepted in the gap.
      queue.stall(new ChainStalledException(reason));
      stalled = reason;
      log.error("[channel: {}] Cannot write block {}: {}; refusing new envelopes and retrying until it can",
          channelId, number, why);
    }
    long deadline = System.nanoTime() + backoffMillis * 1_000_000L;
    synchronized (lifecycle) {
      long left;
      while (!halted && queue.isOpen() && (left = deadline - System.nanoTime()) > 0) {
        try {
          lifecycle.wait(Math.max(1, left / 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return !halted;
  }

  @Override
  public void resumed(long number) {
    queue.unstall(); // before stalled() says so, as in awaitRetry
    stalled = null;
    log.info("[channel: {}] Block {} written; the ledger takes writes again and ordering resumes", channelId, number);
  }

  /** Envelopes accepted and not yet taken by the ordering loop. */
  public int queued() {
    return queue.queued();
  }

  /** Envelopes waiting for room in the queue (their futures are pending). */
  public int waitingHandOffs() {
    return queue.waitingHandOffs();
  }

  // ------------------------------------------------------------------ ordering thread

  private void run() {
    List<Message> taken = new ArrayList<>();
    try {
      while (true) {
        OrderingQueue.Taken what = queue.take(taken, timerRunning, timerDeadlineNanos);
        switch (what) {
          case HALTED:
            return;
          case DRAINED:
            // Closing, and everything acknowledged has gone through the cutter.
            timerRunning = false;
            writeBatch(support.blockCutter().cut());
            stop("closed");
            return;
          case DEADLINE:
          case ITEMS:
          default:
            break;
        }
        for (Message message : taken) {
          if (halted) {
            return;
          }
          // A Go select would see an expired timer between two messages; so do we.
          if (timerExpired()) {
            onBatchTimeout();
          }
          if (message.config()) {
            orderConfig(message);
          } else {
            orderNormal(message);
          }
        }
        taken.clear();
        if (!halted && timerExpired()) {
          onBatchTimeout();
        }
      }
    } catch (InterruptedException e) {
      log.error("Solo chain for channel {} interrupted; halting", channelId);
      stop("interrupted");
    } catch (RuntimeException | Error e) {
      log.error("Solo chain for channel {} failed; halting: {}", channelId, e.toString(), e);
      stop("failed");
    }
  }

  private void orderNormal(Message message) {
    if (message.configSequence() < support.sequence()) {
      // The config changed since Broadcast processed this envelope; the client already has SUCCESS.
      NormalResult result = support.processor().processNormal(message.envelope());
      if (!result.accepted()) {
        log.warn("[channel: {}] Discarding bad normal message: {}", channelId, result.verdict().info());
        return;
      }
    }
    BlockCutter.Ordered ordered = support.blockCutter().ordered(message.envelope());
    for (List<Envelope> batch : ordered.batches()) {
      writeBatch(batch);
    }
    if (timerRunning && !ordered.pending()) {
      timerRunning = false;
    } else if (!timerRunning && ordered.pending()) {
      startTimer();
    }
  }

  private void orderConfig(Message message) {
    Envelope configEnvelope = message.envelope();
    if (message.configSequence() < support.sequence()) {
      // Another config was written since this one was made from its update: make it again.
      ConfigResult result = support.processor().processConfig(configEnvelope);
      if (!result.accepted()) {
        log.warn("[channel: {}] Discarding bad config message: {}", channelId, result.verdict().info());
        return;
      }
      configEnvelope = result.config().orElseThrow();
    }
    writeBatch(support.blockCutter().cut());
    support.writeConfigBlock(support.createNextBlock(List.of(configEnvelope)), ByteString.EMPTY);
    timerRunning = false;
  }

  private void onBatchTimeout() {
    timerRunning = false;
    List<Envelope> batch = support.blockCutter().cut();
    if (batch.isEmpty()) {
      log.warn("Batch timer expired on channel {} with no pending requests, this might indicate a bug", channelId);
      return;
    }
    log.debug("Batch timer expired on channel {}, creating block", channelId);
    writeBatch(batch);
  }

  private void startTimer() {
    Duration timeout = support.config().orderer()
        .orElseThrow(() -> new IllegalStateException("channel " + channelId + " has no orderer config (/Channel/Orderer)"))
        .batchTimeout()
        .duration();
    long nanos = timeout.compareTo(Duration.ofNanos(MAX_TIMER_NANOS)) > 0 ? MAX_TIMER_NANOS : timeout.toNanos();
    timerDeadlineNanos = System.nanoTime() + nanos;
    timerRunning = true;
  }

  private boolean timerExpired() {
    return timerRunning && System.nanoTime() - timerDeadlineNanos >= 0;
  }

  private void writeBatch(List<Envelope> batch) {
    if (!batch.isEmpty()) {
      support.writeBlock(support.createNextBlock(batch), ByteString.EMPTY);
    }
  }

  // ------------------------------------------------------------------ stopping

  /** Moves to HALTED once: drops the queue, fails waiting hand-offs, fires errored. */
  private void stop(String why) {
    synchronized (lifecycle) {
      if (state == State.HALTED) {
        return;
      }
      state = State.HALTED;
      halted = true;
      lifecycle.notifyAll(); // ends a retry's wait
    }
    int dropped = queue.halt();
    if (dropped > 0) {
      log.warn("Solo chain for channel {} {} with {} queued envelopes not ordered", channelId, why, dropped);
    } else {
      log.info("Solo chain for channel {} {}", channelId, why);
    }
    errored.fire();
  }

  private void awaitLoopEnd() {
    Thread thread = loop;
    if (thread == null || thread == Thread.currentThread()) {
      return;
    }
    // The loop is never interrupted: an interrupt would close the ledger's FileChannel mid-append.
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
