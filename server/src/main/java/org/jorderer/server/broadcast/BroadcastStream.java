package org.jorderer.server.broadcast;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.SynchronizationContext;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import io.grpc.netty.shaded.io.netty.util.internal.ThreadExecutorMap;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.processor.ConfigResult;
import org.jorderer.channel.processor.MessageClass;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.channel.processor.NormalResult;
import org.jorderer.channel.processor.Verdict;
import org.jorderer.consensus.Submission;
import org.jorderer.server.EnvelopeMarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Broadcast RPC (Fabric's {@code broadcast.Handler.Handle} and {@code ProcessMessage}): one
 * response per envelope, in order; the stream ends after the first rejection. Every envelope is
 * judged by its channel's {@link MessageProcessor} (the same rule the chain re-applies at ordering):
 * a normal one is ordered, a CONFIG_UPDATE becomes a CONFIG envelope handed to the chain's
 * {@code configure}. The next envelope is processed only once the chain has taken the previous one
 * into its queue, so a full ordering queue stops this client's reads (HTTP/2 flow control) instead
 * of growing the heap.
 *
 * <p>Taking and answering are apart ({@link org.jorderer.consensus.Submission}): a Raft chain answers
 * once the envelope is committed by a quorum, and meanwhile this stream hands over its next
 * envelopes, up to {@link #MAX_UNANSWERED}; answers still leave in the order the envelopes came,
 * each when it and every one before it is settled. Without this a stream had one envelope in
 * replication at a time, and a 3-node cluster ordered about 90 tx/s for 8 streams.
 *
 * <p>Reading ahead is bounded twice: at most {@link #READ_AHEAD} envelopes per stream, and the
 * node-wide {@link InFlightBytes} budget over all streams. gRPC is asked for one message at a
 * time, once room for it is reserved in the budget (as much as this stream's last envelope); a
 * stream that finds none waits for a release, without failing (docs/broadcast.md, "Memory and
 * back-pressure").
 */
final class BroadcastStream implements StreamObserver<Envelope> {
  private static final Logger log = LoggerFactory.getLogger(BroadcastStream.class);
  private static final String UNKNOWN = "unknown";
  /**
   * Envelopes a stream may have read ahead of its answers. Reading ahead lets gRPC deliver the
   * next envelope while this one is checked, instead of one network round of request and delivery
   * per envelope; answers and ordering stay in arrival order.
   */
  static final int READ_AHEAD = 16;
  /**
   * Envelopes a stream may take, one after another, in one turn on the event loop before the
   * loop's other streams get theirs. More than one, so that the answers to envelopes a read
   * brought in together leave in one flush; bounded, so that one client's backlog cannot hold the
   * loop (about TURN signature checks, under a millisecond).
   */
  static final int TURN = 16;
  /**
   * Envelopes a stream may have handed to its chain and not answered yet. Memory is bounded by the
   * node-wide {@link InFlightBytes} budget (an envelope's bytes are released when it is answered)
   * and by the chain's queue; this bounds the bookkeeping per stream.
   */
  static final int MAX_UNANSWERED = 1024;

  private final BroadcastHandler handler;
  private final ServerCallStreamObserver<BroadcastResponse> out;
  private final String client; // the remote address, for log lines as Fabric writes them
  private final SynchronizationContext serial;
  // Envelopes read but not answered yet, in arrival order. At most READ_AHEAD: the window of
  // messages requested from gRPC, which stops reading from the client once it is used up.
  private final ArrayDeque<Envelope> backlog = new ArrayDeque<>(READ_AHEAD);
  private boolean processing; // an envelope is with the chain, waiting to be taken into its queue
  // Envelopes judged and not answered yet, in arrival order: each waits for its own outcome and for
  // every one before it. Each holds its bytes in the budget until it is answered.
  private final ArrayDeque<Unanswered> unanswered = new ArrayDeque<>();
  private final Executor home; // where completions from the chain come back to: this stream's event loop
  private boolean requested; // one message asked of gRPC and not arrived yet
  private long reserved; // the budget reserved for it
  private long lastSize; // this stream's last envelope: what the next one is expected to be
  private boolean waitingForRoom; // registered with the budget, to ask for a message once there is room
  private boolean halfClosed;
  private int turn; // messages asked for in this stream's current turn on the event loop
  private boolean ended;

  /**
   * An envelope waiting for its answer: either a verdict known at once ({@code status} set), or the
   * chain's {@code settled} future.
   */
  private static final class Unanswered {
    final Tracker tracker;
    final long bytes;
    final CompletableFuture<Void> settled;
    final Status status;
    final String info;

    Unanswered(Tracker tracker, long bytes, CompletableFuture<Void> settled, Status status, String info) {
      this.tracker = tracker;
      this.bytes = bytes;
      this.settled = settled;
      this.status = status;
      this.info = info;
    }

    boolean ready() {
      return settled == null || settled.isDone();
    }
  }

  /** The metric labels and timings of the envelope being processed (Fabric's tracker). */
  private static final class Tracker {
    String channel = UNKNOWN;
    String type = UNKNOWN;
    final long started = System.nanoTime();
    long validated = -1;
  }

  BroadcastStream(BroadcastHandler handler, ServerCallStreamObserver<BroadcastResponse> out, String client) {
    this.handler = handler;
    this.out = out;
    this.client = client;
    Executor loop = ThreadExecutorMap.currentExecutor();
    this.home = loop != null ? loop : handler.executor;
    this.serial = new SynchronizationContext((thread, error) -> {
      log.error("Broadcast stream failed unexpectedly; closing it", error);
      end();
    });
    out.disableAutoRequest();
    out.setOnCancelHandler(() -> serial.execute(this::markEnded));
    serial.execute(this::requestMore);
  }

  @Override
  public void onNext(Envelope envelope) {
    if (envelope == EnvelopeMarshaller.MALFORMED) {
      serial.execute(() -> {
        requested = false;
        if (!ended) {
          markEnded();
          out.onError(io.grpc.Status.INTERNAL.withDescription(EnvelopeMarshaller.UNMARSHAL_FAILED).asRuntimeException());
        }
      });
      return;
    }
    serial.execute(() -> {
      requested = false;
      if (ended) {
        return; // never counted: dropped as it came (its reservation went when the stream ended)
      }
      int size = envelope.getSerializedSize();
      handler.inFlight.charge(size - reserved);
      reserved = 0;
      lastSize = size;
      backlog.add(envelope);
      requestMore(); // before processing, so that gRPC reads the next one meanwhile
      drain();
    });
  }

  /**
   * Asks gRPC for the next message when this stream has fewer than {@link #READ_AHEAD} envelopes
   * read and unanswered and none asked for, and the node's budget grants room for it; without room,
   * asks once a release makes some.
   */
  private void requestMore() {
    if (ended || requested || waitingForRoom || backlog.size() + (processing ? 1 : 0) >= READ_AHEAD
        || unanswered.size() >= MAX_UNANSWERED) {
      return;
    }
    long reserve = lastSize;
    if (handler.inFlight.tryReserve(reserve)) {
      request(reserve);
    } else {
      waitingForRoom = true;
      handler.inFlight.whenRoom(reserve, () -> serial.execute(() -> {
        waitingForRoom = false;
        if (ended) {
          handler.inFlight.release(reserve);
        } else {
          request(reserve);
        }
      }));
    }
  }

  private void request(long reserve) {
    requested = true;
    reserved = reserve;
    Executor loop = ThreadExecutorMap.currentExecutor();
    if (loop == null) {
      out.request(1); // off the transport thread: gRPC hands the request to the event loop itself
    } else if (turn < TURN) {
      turn++;
      out.request(1); // a message already buffered comes next in this same pass of the loop
    } else {
      // On the event loop (BroadcastHandler.callExecutors) a request made here hands over a
      // message already buffered at once, in this same pass: a stream whose client filled its
      // HTTP/2 window would be drained in one go while the loop's other streams wait. After TURN
      // envelopes the request goes in a task of its own at the end of the loop's queue, so the
      // stream's next envelope comes after every other stream's turn (no wake-up: the loop is the
      // current thread).
      loop.execute(() -> serial.execute(() -> {
        turn = 0;
        if (!ended) {
          out.request(1);
        }
      }));
    }
  }

  /**
   * Processes the backlog in order until it is empty, an envelope waits for the chain's queue, or
   * a refusal waits to be answered (nothing after a refusal is processed: Fabric ends the stream
   * there).
   */
  private void drain() {
    while (!processing && !ended && !backlog.isEmpty() && !refusalPending()
        && unanswered.size() < MAX_UNANSWERED) {
      process(backlog.poll());
    }
    if (halfClosed && !processing && backlog.isEmpty() && unanswered.isEmpty()) {
      end();
    }
  }

  private boolean refusalPending() {
    Unanswered last = unanswered.peekLast();
    return last != null && last.status != null && last.status != Status.SUCCESS;
  }

  @Override
  public void onError(Throwable t) {
    serial.execute(this::markEnded);
  }

  @Override
  public void onCompleted() {
    serial.execute(() -> {
      halfClosed = true;
      drain();
    });
  }

  private void process(Envelope envelope) {
    if (ended) {
      return;
    }
    long bytes = envelope.getSerializedSize();
    Tracker tracker = new Tracker();
    Payload payload;
    ChannelHeader header;
    try {
      payload = payload(envelope);
      header = channelHeader(payload);
    } catch (RejectedEnvelope e) {
      answer(tracker, bytes, Status.BAD_REQUEST, e.getMessage());
      return;
    }
    // Labels are set only once the channel exists: Fabric returns no header for an unknown one.
    Optional<BroadcastableChannel> found = handler.channels.apply(header.getChannelId());
    if (found.isEmpty()) {
      answer(tracker, bytes, Status.BAD_REQUEST,
          "channel creation request not allowed because the orderer system channel is not defined");
      return;
    }
    tracker.channel = header.getChannelId();
    tracker.type = typeName(header.getType());
    BroadcastableChannel channel = found.get();
    MessageClass messageClass = MessageProcessor.classify(header);
    if (messageClass == MessageClass.CONFIG) {
      // Fabric's registrar refuses these before any processing ("Could not get message processor").
      log.warn("[channel: {}] Could not get message processor for serving {}: {}", tracker.channel, client,
          Verdict.CANNOT_PROCESS_DIRECTLY.info());
      answer(tracker, bytes, Verdict.CANNOT_PROCESS_DIRECTLY.status(), Verdict.CANNOT_PROCESS_DIRECTLY.info());
      return;
    }
    Optional<MessageProcessor> processor = channel.processor();
    if (processor.isEmpty()) {
      answer(tracker, bytes, Status.SERVICE_UNAVAILABLE, "channel " + tracker.channel + " is served for Deliver only");
      return;
    }
    Submission submitted;
    if (messageClass == MessageClass.CONFIG_UPDATE) {
      log.debug("[channel: {}] Broadcast is processing config update message from {}", tracker.channel, client);
      ConfigResult result = processor.get().processConfigUpdate(envelope);
      if (!result.accepted()) {
        refuse(tracker, bytes, "config", result.verdict());
        return;
      }
      tracker.validated = System.nanoTime();
      submitted = channel.configure(result.config().orElseThrow(), result.configSequence());
    } else {
      NormalResult result = processor.get().processNormal(envelope, payload); // parsed once, here
      if (!result.accepted()) {
        refuse(tracker, bytes, "normal", result.verdict());
        return;
      }
      tracker.validated = System.nanoTime();
      submitted = channel.order(envelope, result.configSequence());
    }
    if (submitted.taken().isDone()) {
      taken(tracker, bytes, submitted.settled()); // room in the queue: go on without a hop
    } else {
      processing = true;
      submitted.taken().whenCompleteAsync((ignored, error) -> serial.execute(() -> {
        processing = false;
        taken(tracker, bytes, submitted.settled());
        drain();
        requestMore();
      }), home);
    }
  }

  /**
   * The chain holds the envelope (or refused it, and {@code settled} says why): it waits for its
   * answer, which leaves once it and every envelope before it are settled.
   */
  private void taken(Tracker tracker, long bytes, CompletableFuture<Void> settled) {
    if (ended) {
      handler.inFlight.release(bytes); // the stream ended while the chain's queue was full
      return;
    }
    if (unanswered.isEmpty() && settled.isDone()) {
      respond(tracker, bytes, settled); // solo's path: nothing to keep
      return;
    }
    unanswered.add(new Unanswered(tracker, bytes, settled, null, null));
    if (!settled.isDone()) {
      // Back on this stream's event loop: answers settled together leave in one pass and one flush.
      settled.whenCompleteAsync((ignored, error) -> serial.execute(this::answerReady), home);
    }
    // Otherwise an envelope before it is not settled yet; its completion answers both.
  }

  /** A verdict known at once; it leaves after the answers of the envelopes before it. */
  private void answer(Tracker tracker, long bytes, Status status, String info) {
    if (unanswered.isEmpty()) {
      respond(tracker, bytes, status, info);
    } else {
      unanswered.add(new Unanswered(tracker, bytes, null, status, info));
    }
  }

  /** Sends the answers at the head of the line that are settled, in order, then goes on reading. */
  private void answerReady() {
    while (!ended && !unanswered.isEmpty() && unanswered.peek().ready()) {
      Unanswered next = unanswered.poll();
      if (next.settled == null) {
        respond(next.tracker, next.bytes, next.status, next.info);
      } else {
        respond(next.tracker, next.bytes, next.settled);
      }
    }
    drain();
  }

  /** SUCCESS for a settled future that completed normally, else SERVICE_UNAVAILABLE with the chain's reason. */
  private void respond(Tracker tracker, long bytes, CompletableFuture<Void> settled) {
    if (!settled.isCompletedExceptionally()) {
      respond(tracker, bytes, Status.SUCCESS, "");
      return;
    }
    Throwable cause;
    try {
      settled.join();
      throw new IllegalStateException("a settled future completed exceptionally without a failure");
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      cause = e.getCause() != null ? e.getCause() : e;
    }
    log.warn("[channel: {}] Rejecting broadcast from {}: the chain did not accept it: {}", tracker.channel, client,
        cause.getMessage());
    respond(tracker, bytes, Status.SERVICE_UNAVAILABLE, String.valueOf(cause.getMessage()));
  }

  /** Fabric's broadcast {@code ProcessMessage}: the processor's status and text, logged as a warning. */
  private void refuse(Tracker tracker, long bytes, String kind, Verdict verdict) {
    log.warn("[channel: {}] Rejecting broadcast of {} message from {} because of error: {}", tracker.channel, kind,
        client, verdict.info());
    answer(tracker, bytes, verdict.status(), verdict.info());
  }

  private void respond(Tracker tracker, long bytes, Status status, String info) {
    long now = System.nanoTime();
    double validateSeconds = ((tracker.validated < 0 ? now : tracker.validated) - tracker.started) / 1e9;
    double enqueueSeconds = tracker.validated < 0 ? -1 : (now - tracker.validated) / 1e9;
    handler.metrics.processed(tracker.channel, tracker.type, status.name(), validateSeconds, enqueueSeconds);
    handler.inFlight.release(bytes);
    if (ended) {
      return;
    }
    out.onNext(BroadcastResponse.newBuilder().setStatus(status).setInfo(info).build());
    if (status != Status.SUCCESS) {
      end(); // Fabric closes the stream after the first refusal; envelopes read ahead go unanswered
    } else {
      requestMore();
    }
  }

  private void end() {
    if (!ended) {
      markEnded();
      out.onCompleted();
    }
  }

  /** No more answers: envelopes read ahead are dropped unanswered, and their bytes released. */
  private void markEnded() {
    if (ended) {
      return;
    }
    ended = true;
    long held = reserved; // for a message asked for and not arrived: it is not counted if it comes
    reserved = 0;
    for (Envelope envelope : backlog) {
      held += envelope.getSerializedSize();
    }
    backlog.clear();
    for (Unanswered u : unanswered) {
      held += u.bytes; // the chain may still order them; they are answered no more
    }
    unanswered.clear();
    handler.inFlight.release(held);
  }

  private static final String CHANNEL_UNKNOWN = "could not determine channel ID: ";

  /**
   * Fabric's channel-header extraction with its error texts ({@code multichannel/registrar.go}
   * BroadcastChannelSupport).
   */
  private static Payload payload(Envelope envelope) throws RejectedEnvelope {
    try {
      // Aliased: the payload's fields are views of the envelope's bytes, not a second copy.
      return Payload.parseFrom(EnvelopeMarshaller.aliasedInput(envelope.getPayload()));
    } catch (java.io.IOException e) { // only InvalidProtocolBufferException: the input is in memory
      throw new RejectedEnvelope(CHANNEL_UNKNOWN + "error unmarshalling Payload: " + e.getMessage());
    }
  }

  private static ChannelHeader channelHeader(Payload payload) throws RejectedEnvelope {
    String prefix = CHANNEL_UNKNOWN;
    if (!payload.hasHeader()) {
      throw new RejectedEnvelope(prefix + "header not set");
    }
    if (payload.getHeader().getChannelHeader().isEmpty()) {
      throw new RejectedEnvelope(prefix + "channel header not set");
    }
    try {
      return ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new RejectedEnvelope(
          prefix + "error unmarshalling channel header: error unmarshalling ChannelHeader: " + e.getMessage());
    }
  }

  /** The HeaderType name, or the number for values the enum does not know (as Go prints them). */
  static String typeName(int type) {
    HeaderType known = HeaderType.forNumber(type);
    return known == null ? Integer.toString(type) : known.name();
  }

  private static final class RejectedEnvelope extends Exception {
    RejectedEnvelope(String message) {
      super(message, null, false, false);
    }
  }
}
