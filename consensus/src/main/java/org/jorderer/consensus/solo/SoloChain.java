package org.jorderer.consensus.solo;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks.Verdict;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.ErrorSignal;
import org.jorderer.consensus.NormalMessageCheck;
import org.jorderer.consensus.cutter.BlockCutter;
import org.jorderer.consensus.ChainStalledException;
import org.jorderer.ledger.AppendUndoneException;
import org.jorderer.ledger.BlockStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fabric's solo consenter for one channel (spec E.4): a single ordering thread takes accepted
 * envelopes in order, re-validates those checked against an older config, runs them through the
 * {@link BlockCutter}, and builds, signs and appends each cut batch to the channel's ledger, where
 * waiting Deliver cursors wake. A batch timer (BatchTimeout, read when the timer starts) cuts a
 * batch that stays pending.
 *
 * <p>Back-pressure: Fabric hands envelopes to solo synchronously over an unbuffered Go channel; here
 * {@link #order} never blocks. Up to {@link SoloOptions#queueCapacity} envelopes are accepted at once
 * (the future is already complete). Beyond that the envelope waits as a hand-off whose future
 * completes when the loop makes room, so memory is the bounded queue plus one hand-off per caller
 * that waits for its future before sending more. A hand-off whose future the caller cancelled is
 * dropped, never ordered.
 *
 * <p>Lifecycle: {@link #start} continues from the ledger's last block; {@link #halt} stops at once
 * (queued and pending envelopes are not written, as Fabric's Halt); {@link #close} stops accepting,
 * orders everything accepted, writes the pending batch and then halts. A failure in the loop (a
 * ledger append error, a config without an orderer section) halts the chain. Any halt fires
 * {@link #errored()} and fails later {@code order} calls with {@code ChainHaltedException("Exiting")}.
 */
public final class SoloChain implements Chain {
  private static final Logger log = LoggerFactory.getLogger(SoloChain.class);

  /** Fabric's error text for Order/Configure on a halted solo chain (Broadcast's {@code info}). */
  public static final String EXITING = "Exiting";

  // Longer timeouts are clamped so that nanoTime arithmetic cannot overflow; ~100 years is "never".
  private static final long MAX_TIMER_NANOS = Duration.ofDays(36_500).toNanos();
  // Back-off between attempts to write a block the ledger could not take (a full disk).
  private static final long FIRST_RETRY_MILLIS = 50;
  private static final long LAST_RETRY_MILLIS = 2_000;

  private enum State {
    NEW,
    RUNNING,
    CLOSING,
    HALTED
  }

  /** An acknowledged envelope waiting for the loop. */
  private record Accepted(Envelope envelope, long configSequence) {}

  /** An envelope not acknowledged yet: the queue was full when it came. */
  private record HandOff(Envelope envelope, long configSequence, CompletableFuture<Void> accepted) {}

  private final String channelId;
  private final BlockStore ledger;
  private final Supplier<ChannelConfig> config;
  private final LocalSigner signer;
  private final ConsensusMetrics.ChannelMetrics metrics;
  private final SoloOptions options;
  private final BlockCutter cutter;
  private final ErrorSignal errored = new ErrorSignal();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final ArrayDeque<Accepted> queue; // guarded by lock; never more than queueCapacity
  private final ArrayDeque<HandOff> waiting = new ArrayDeque<>(); // guarded by lock
  private State state = State.NEW; // guarded by lock
  private volatile boolean halted; // lets the loop stop between envelopes without taking the lock
  // Why the loop cannot write its ledger now (an undone append: a full disk), while it retries; else null.
  private volatile String stalled;
  private volatile Thread loop;

  // Owned by the ordering thread once started.
  private BlockBuilder blocks;
  private boolean timerRunning;
  private long timerDeadlineNanos;

  /**
   * @param ledger the channel's block store; it must hold at least the genesis block
   * @param config the channel's current config, read whenever a value is needed (sequence,
   *     BatchSize, BatchTimeout); its channel ID names the chain
   * @param signer the orderer's identity, signing every block
   * @param metrics {@code blockcutter_block_fill_duration}, {@code ledger_blockchain_height},
   *     {@code ledger_blockstorage_commit_time} are recorded there under this channel's label
   */
  public SoloChain(BlockStore ledger, Supplier<ChannelConfig> config, LocalSigner signer,
      ConsensusMetrics metrics, SoloOptions options) {
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.config = Objects.requireNonNull(config, "config");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.options = Objects.requireNonNull(options, "options");
    ChannelConfig initial = Objects.requireNonNull(config.get(), "config.get() returned no channel config");
    this.channelId = initial.channelId();
    this.metrics = Objects.requireNonNull(metrics, "metrics").forChannel(channelId);
    this.cutter = new BlockCutter(config, this.metrics::blockFilled);
    this.queue = new ArrayDeque<>(Math.min(options.queueCapacity(), 65_536));
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
  public CompletableFuture<Void> order(Envelope envelope, long configSequence) {
    Objects.requireNonNull(envelope, "envelope");
    lock.lock();
    try {
      if (state == State.CLOSING || state == State.HALTED) {
        return CompletableFuture.failedFuture(new ChainHaltedException(EXITING));
      }
      String why = stalled;
      if (why != null) {
        // Not acknowledged, so nothing is at stake: the client retries once the disk has room.
        return CompletableFuture.failedFuture(new ChainStalledException(why));
      }
      if (waiting.isEmpty() && queue.size() < options.queueCapacity()) {
        queue.add(new Accepted(envelope, configSequence));
        if (queue.size() == 1) {
          // The loop only ever sleeps on an empty queue, so only the first arrival needs to wake it.
          wake.signal();
        }
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> accepted = new CompletableFuture<>();
      waiting.add(new HandOff(envelope, configSequence, accepted));
      return accepted;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts the ordering thread, continuing after the ledger's last block.
   *
   * @throws IllegalStateException when the chain was started or halted before, or the ledger is empty
   */
  @Override
  public void start() {
    lock.lock();
    try {
      if (state != State.NEW) {
        throw new IllegalStateException("solo chain for channel " + channelId + " cannot start: it is "
            + state.name().toLowerCase());
      }
      long height = ledger.height();
      if (height == 0) {
        throw new IllegalStateException("solo chain for channel " + channelId
            + " cannot start: the ledger is empty (the genesis block must be stored first)");
      }
      Block last = ledger.readBlock(height - 1);
      blocks = new BlockBuilder(last, config.get().sequence(), signer);
      metrics.height(height);
      state = State.RUNNING;
      Thread thread = new Thread(this::run, "solo-" + channelId);
      // A daemon, so a forgotten close cannot keep the JVM alive; appends are fsynced, and a clean
      // shutdown goes through close().
      thread.setDaemon(true);
      loop = thread;
      thread.start();
      log.info("Solo chain for channel {} started at height {}", channelId, height);
    } finally {
      lock.unlock();
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
    boolean nothingQueued;
    lock.lock();
    try {
      neverStarted = state == State.NEW;
      nothingQueued = queue.isEmpty();
    } finally {
      lock.unlock();
    }
    if (neverStarted) {
      if (nothingQueued) {
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
    List<HandOff> refused;
    lock.lock();
    try {
      if (state != State.RUNNING) {
        refused = List.of();
      } else {
        state = State.CLOSING;
        refused = new ArrayList<>(waiting);
        waiting.clear();
        wake.signalAll();
      }
    } finally {
      lock.unlock();
    }
    refused.forEach(h -> h.accepted().completeExceptionally(new ChainHaltedException(EXITING)));
    awaitLoopEnd();
  }

  @Override
  public java.util.Optional<String> stalled() {
    return java.util.Optional.ofNullable(stalled);
  }

  /** Envelopes accepted and not yet taken by the ordering loop. */
  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Envelopes waiting for room in the queue (their futures are pending). */
  public int waitingHandOffs() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ ordering thread

  private void run() {
    List<Accepted> taken = new ArrayList<>();
    List<CompletableFuture<Void>> nowAccepted = new ArrayList<>();
    try {
      while (true) {
        boolean finishing;
        lock.lock();
        try {
          while (queue.isEmpty() && state == State.RUNNING && !timerExpired()) {
            if (timerRunning) {
              wake.awaitNanos(timerDeadlineNanos - System.nanoTime());
            } else {
              wake.await();
            }
          }
          if (state == State.HALTED) {
            return;
          }
          // Take everything at once (one lock round per wake-up, not per envelope), then let waiting
          // hand-offs into the room this made.
          taken.addAll(queue);
          queue.clear();
          admitWaiting(nowAccepted);
          finishing = state == State.CLOSING && taken.isEmpty();
        } finally {
          lock.unlock();
        }
        completeAccepted(nowAccepted);

        if (finishing) {
          // Closing, and everything acknowledged has gone through the cutter.
          timerRunning = false;
          writeBlock(cutter.cut());
          stop("closed");
          return;
        }
        for (Accepted accepted : taken) {
          if (halted) {
            return;
          }
          // A Go select would see an expired timer between two messages; so do we.
          if (timerExpired()) {
            onBatchTimeout();
          }
          orderOne(accepted);
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

  private void orderOne(Accepted accepted) {
    ChannelConfig current = config.get();
    if (accepted.configSequence() < current.sequence()) {
      // The config changed since Broadcast validated this envelope; the client already has SUCCESS.
      Verdict verdict = NormalMessageCheck.check(current, accepted.envelope(), Instant.now());
      if (!verdict.accepted()) {
        log.warn("Discarding bad normal message on channel {}: {}", channelId, verdict.message());
        return;
      }
    }
    BlockCutter.Ordered ordered = cutter.ordered(accepted.envelope());
    for (List<Envelope> batch : ordered.batches()) {
      writeBlock(batch);
    }
    if (timerRunning && !ordered.pending()) {
      timerRunning = false;
    } else if (!timerRunning && ordered.pending()) {
      startTimer();
    }
  }

  private void onBatchTimeout() {
    timerRunning = false;
    List<Envelope> batch = cutter.cut();
    if (batch.isEmpty()) {
      log.warn("Batch timer expired on channel {} with no pending requests, this might indicate a bug", channelId);
      return;
    }
    log.debug("Batch timer expired on channel {}, creating block", channelId);
    writeBlock(batch);
  }

  private void startTimer() {
    Duration timeout = config.get().orderer()
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

  private void writeBlock(List<Envelope> batch) {
    if (batch.isEmpty()) {
      return;
    }
    Block block = blocks.commit(blocks.createNextBlock(batch), config.get().sequence(), ByteString.EMPTY);
    long startNanos = System.nanoTime();
    appendRetrying(block);
    metrics.blockCommitted((System.nanoTime() - startNanos) / 1e9);
    metrics.height(ledger.height());
    log.debug("Wrote block {} with {} envelopes on channel {}", block.getHeader().getNumber(), batch.size(), channelId);
  }

  /**
   * Appends the block, retrying with back-off while the ledger undoes failed appends (a full disk):
   * the block and every acknowledged envelope stay in memory, new envelopes are refused with
   * SERVICE_UNAVAILABLE, and ordering resumes by itself once a write succeeds. Fabric's solo panics
   * here instead (the process exits); a node that waits for room loses nothing it acknowledged.
   * A close or halt during the wait ends the retries: a last attempt is made, then the chain fails.
   */
  private void appendRetrying(Block block) {
    long backoffMillis = FIRST_RETRY_MILLIS;
    while (true) {
      try {
        ledger.append(block);
        break;
      } catch (AppendUndoneException e) {
        if (halted || !awaitRetry(e, block.getHeader().getNumber(), backoffMillis)) {
          log.error("[channel: {}] Stopping with block {} ({} acknowledged envelopes) not written: {}", channelId,
              block.getHeader().getNumber(), block.getData().getDataCount(), rootMessage(e));
          throw e;
        }
        backoffMillis = Math.min(backoffMillis * 2, LAST_RETRY_MILLIS);
      }
    }
    if (stalled != null) {
      stalled = null;
      log.info("[channel: {}] Block {} written; the ledger takes writes again and ordering resumes", channelId,
          block.getHeader().getNumber());
    }
  }

  /** Waits before the next attempt; false when the chain is closing or halted and should give up. */
  private boolean awaitRetry(AppendUndoneException e, long number, long backoffMillis) {
    List<HandOff> refused = List.of();
    lock.lock();
    try {
      if (state != State.RUNNING) {
        return false;
      }
      if (stalled == null) {
        stalled = "cannot order now: the ledger of channel " + channelId + " cannot be written ("
            + rootMessage(e) + "); retrying";
        log.error("[channel: {}] Cannot write block {}: {}; refusing new envelopes and retrying until it can",
            channelId, number, rootMessage(e));
        // Hand-offs were never acknowledged: tell their clients now rather than keep them waiting.
        refused = new ArrayList<>(waiting);
        waiting.clear();
      }
    } finally {
      lock.unlock();
    }
    String why = stalled;
    refused.forEach(h -> h.accepted().completeExceptionally(new ChainStalledException(why)));
    lock.lock();
    try {
      long deadline = System.nanoTime() + backoffMillis * 1_000_000L;
      long left;
      while (state == State.RUNNING && (left = deadline - System.nanoTime()) > 0) {
        wake.awaitNanos(left);
      }
      // Closing: one more attempt (the caller's next try) before giving up; halted: none.
      return state != State.HALTED;
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }

  /** Moves waiting hand-offs into the queue while there is room; caller holds the lock. */
  private void admitWaiting(List<CompletableFuture<Void>> nowAccepted) {
    while (queue.size() < options.queueCapacity() && !waiting.isEmpty()) {
      HandOff handOff = waiting.poll();
      if (handOff.accepted().isDone()) {
        continue; // the caller gave up (cancelled): it was never acknowledged, so it is not ordered
      }
      queue.add(new Accepted(handOff.envelope(), handOff.configSequence()));
      nowAccepted.add(handOff.accepted());
    }
  }

  private void completeAccepted(List<CompletableFuture<Void>> nowAccepted) {
    for (CompletableFuture<Void> future : nowAccepted) {
      try {
        options.handOffExecutor().execute(() -> future.complete(null));
      } catch (RejectedExecutionException e) {
        future.complete(null);
      }
    }
    nowAccepted.clear();
  }

  // ------------------------------------------------------------------ stopping

  /** Moves to HALTED once: drops the queue, fails waiting hand-offs, fires errored. */
  private void stop(String why) {
    List<HandOff> abandoned;
    int dropped;
    lock.lock();
    try {
      if (state == State.HALTED) {
        return;
      }
      state = State.HALTED;
      halted = true;
      dropped = queue.size();
      queue.clear();
      abandoned = new ArrayList<>(waiting);
      waiting.clear();
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    abandoned.forEach(h -> h.accepted().completeExceptionally(new ChainHaltedException(EXITING)));
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
