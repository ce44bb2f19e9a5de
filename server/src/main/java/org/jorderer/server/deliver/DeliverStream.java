package org.jorderer.server.deliver;

import org.jorderer.consensus.ErrorSignal;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ServerCall;
import io.grpc.SynchronizationContext;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLSession;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.ledger.BlockCursor;
import org.jorderer.ledger.BlockNotFoundException;
import org.jorderer.ledger.BlockReadBuffer;
import org.jorderer.ledger.LedgerClosedException;
import org.jorderer.ledger.StoredBlock;
import org.jorderer.server.EnvelopeMarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Deliver RPC, as an event-driven state machine (Fabric's {@code common/deliver/deliver.go}
 * Handle/deliverBlocks, with {@code acl.go} SessionAccessControl; see docs/deliver.md). Nothing
 * here blocks: a request waiting for a block not yet cut is a pending cursor future, a client that
 * is not reading parks the stream until gRPC reports it ready again, and every event (request,
 * block, readiness, cancellation, consensus failure) is run through one
 * {@link SynchronizationContext}, so the state below needs no locks.
 *
 * <p>Inbound flow control is manual: the next request is read only after the current one ended
 * with SUCCESS, as Fabric's loop does.
 */
final class DeliverStream extends ServerCall.Listener<Envelope> {
  private static final Logger log = LoggerFactory.getLogger(DeliverStream.class);
  static final int READY_THRESHOLD_BYTES = 512 * 1024;
  /**
   * The largest block read into a thread's reused array; a larger one gets an array of its own.
   * Enough for the demo channel's 2 MB preferred and most blocks of a 10 MB absolute maximum.
   */
  static final int REUSED_READ_BYTES = 4 * 1024 * 1024;

  /**
   * Each thread that runs streams reads stored blocks into one array of its own, reused from block
   * to block: a block read for sending is copied into gRPC's buffers before the same thread reads
   * another (pump sends it at once, and gRPC's framer drains the frame within sendMessage), so a
   * catch-up allocates and zeroes no array per block and makes no garbage of it. A block that
   * cannot be sent at once (the transport turned not ready in between) is copied out first.
   */
  private static final ThreadLocal<BlockReadBuffer> READ_BUFFER =
      ThreadLocal.withInitial(() -> new BlockReadBuffer(REUSED_READ_BYTES));
  private static volatile boolean borrowReadBuffers = true;

  private final DeliverHandler handler;
  private final DeliverCall out;
  private final SSLSession ssl;
  private final String client; // the remote address, for log lines as Fabric writes them
  private final SynchronizationContext serial;

  private Request current;
  private boolean halfClosed;
  private boolean ended;

  /** The state of the request being served. */
  private final class Request {
    final String channelId;
    final DeliverableChannel channel;
    final SessionAccess access;
    final boolean failIfNotReady;
    final boolean headersOnly;
    BlockCursor cursor;
    SeekRange range;
    long number;
    StoredBlock pending; // read, checked, waiting for the transport to be ready
    boolean pendingBorrowed; // pending is a view of this thread's READ_BUFFER, to send before the next read
    boolean waitingForBlock;
    boolean heldByTransport; // counted in DeliverHandler.streamsHeldByTransport
    Runnable unsubscribeErrored = () -> {};

    void holdByTransport(boolean held) {
      if (heldByTransport != held) {
        heldByTransport = held;
        handler.streamsHeldByTransport.addAndGet(held ? 1 : -1);
      }
    }

    Request(String channelId, DeliverableChannel channel, SessionAccess access, SeekInfo seek) {
      this.channelId = channelId;
      this.channel = channel;
      this.access = access;
      this.failIfNotReady = seek.getBehaviorValue() == SeekInfo.SeekBehavior.FAIL_IF_NOT_READY_VALUE;
      this.headersOnly = seek.getContentTypeValue() == SeekInfo.SeekContentType.HEADER_WITH_SIG_VALUE;
    }

    void release() {
      holdByTransport(false);
      unsubscribeErrored.run();
      if (cursor != null) {
        cursor.close();
      }
    }
  }

  DeliverStream(DeliverHandler handler, DeliverCall out, SSLSession ssl, String client) {
    this.handler = handler;
    this.out = out;
    this.ssl = ssl;
    this.client = client;
    this.serial = new SynchronizationContext((thread, error) -> {
      // Fabric recovers a panicking handler and ends the RPC with OK; so do we, and log it.
      log.error("Deliver stream failed unexpectedly; closing it", error);
      abandon();
    });
    // Ready while less than this is queued: enough that the socket still has bytes to write while
    // the next block is copied in (so the transport does not idle between blocks), and little
    // enough that a client that stops reading holds at most this plus one block in native memory.
    out.setOnReadyThreshold(READY_THRESHOLD_BYTES);
    handler.metrics.streamOpened();
    out.request(1);
  }

  @Override
  public void onMessage(Envelope envelope) {
    if (envelope == EnvelopeMarshaller.MALFORMED) {
      serial.execute(this::malformed);
      return;
    }
    serial.execute(() -> startRequest(envelope));
  }

  /** Fabric's Send fails on a message over MaxSendMsgSize: the RPC ends with that error, no status. */
  private void tooLarge(Request r, StoredBlock block, int bytes) {
    log.warn("[channel: {}] Block {} is {} bytes, over the {} bytes this orderer may send; ending the deliver stream"
        + " for {}", r.channelId, block.number(), bytes, handler.settings.maxSendMessageBytes(), client);
    endWithError(io.grpc.Status.RESOURCE_EXHAUSTED.withDescription("trying to send message larger than max ("
        + bytes + " vs. " + handler.settings.maxSendMessageBytes() + ")"));
  }

  /** Not an Envelope: Fabric's Recv fails and the RPC ends with that error, no status sent. */
  private void malformed() {
    endWithError(io.grpc.Status.INTERNAL.withDescription(EnvelopeMarshaller.UNMARSHAL_FAILED));
  }

  /** Ends the RPC with a gRPC error, as Fabric's handler returns a failed Recv or Send: no Fabric status. */
  private void endWithError(io.grpc.Status status) {
    if (ended) {
      return;
    }
    releaseCurrent();
    ended = true;
    handler.metrics.streamClosed();
    out.fail(status);
  }

  /** Ends the current request, if any, as not successful. */
  private void releaseCurrent() {
    if (current != null) {
      Request r = current;
      current = null;
      r.release();
      handler.metrics.requestCompleted(r.channelId, false);
    }
  }

  @Override
  public void onReady() {
    serial.execute(this::pump);
  }

  @Override
  public void onCancel() {
    serial.execute(this::cancelled);
  }

  @Override
  public void onHalfClose() {
    serial.execute(() -> {
      halfClosed = true;
      if (current == null) {
        end();
      }
    });
  }

  // ---- one request (deliver.go deliverBlocks; checks in docs/deliver.md's order) ----

  private void startRequest(Envelope envelope) {
    if (ended) {
      return;
    }
    Payload payload;
    ChannelHeader channelHeader;
    SignatureHeader signatureHeader;
    try {
      payload = Payload.parseFrom(envelope.getPayload());
      if (!payload.hasHeader()) {
        reject(Status.BAD_REQUEST, "?", "envelope has no header");
        return;
      }
      channelHeader = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
      signatureHeader = SignatureHeader.parseFrom(payload.getHeader().getSignatureHeader());
    } catch (InvalidProtocolBufferException e) {
      reject(Status.BAD_REQUEST, "?", "malformed envelope: " + e.getMessage());
      return;
    }
    String channelId = channelHeader.getChannelId();
    if (!channelHeader.hasTimestamp()) {
      reject(Status.BAD_REQUEST, channelId, "channel header has no timestamp");
      return;
    }
    Optional<String> outsideWindow = checkTimeWindow(channelHeader);
    if (outsideWindow.isPresent()) {
      reject(Status.BAD_REQUEST, channelId, outsideWindow.get());
      return;
    }
    Optional<String> unbound = handler.binding.inspect(channelHeader, ssl);
    if (unbound.isPresent()) {
      reject(Status.BAD_REQUEST, channelId, "TLS binding failed: " + unbound.get());
      return;
    }
    Optional<DeliverableChannel> found = channelId.isEmpty() ? Optional.empty() : handler.channels.find(channelId);
    if (found.isEmpty()) {
      // Debug only: SDKs poll for a channel to appear.
      log.debug("Rejecting deliver request for {}: channel {} not found", client, channelId);
      sendStatusAndEnd(Status.NOT_FOUND);
      return;
    }
    DeliverableChannel channel = found.get();
    handler.metrics.requestReceived(channelId);

    SeekInfo seek;
    try {
      seek = SeekInfo.parseFrom(payload.getData());
    } catch (InvalidProtocolBufferException e) {
      completeRejected(channelId, Status.BAD_REQUEST, "malformed seekInfo payload: " + e.getMessage());
      return;
    }
    boolean bestEffort = seek.getErrorResponseValue() == SeekInfo.SeekErrorResponse.BEST_EFFORT_VALUE;
    ErrorSignal errored = channel.errored();
    if (!bestEffort && errored.fired()) {
      completeRejected(channelId, Status.SERVICE_UNAVAILABLE, "consensus is in an errored state");
      return;
    }
    Optional<Instant> sessionEnd = handler.settings.expirationChecks()
        ? EnvelopeChecks.creatorNotAfter(signatureHeader.getCreator())
        : Optional.empty();
    SessionAccess access = new SessionAccess(envelope, channel, sessionEnd, handler.clock);
    Optional<String> denied = access.evaluate();
    if (denied.isPresent()) {
      completeRejected(channelId, Status.FORBIDDEN, "access denied: " + denied.get());
      return;
    }
    if (!seek.hasStart() || !seek.hasStop()) {
      completeRejected(channelId, Status.BAD_REQUEST, "seekInfo missing start or stop");
      return;
    }

    Request request = new Request(channelId, channel, access, seek);
    SeekRange.Resolution resolution = SeekRange.resolve(seek.getStart(), seek.getStop(), channel.ledger()::height);
    if (resolution instanceof SeekRange.Refused refused) {
      completeRejected(channelId, refused.status(), refused.reason());
      return;
    }
    request.range = ((SeekRange.Resolved) resolution).range();
    request.number = request.range.start();
    if (!request.range.notFound()) {
      request.cursor = channel.ledger().cursor(request.range.start());
    }
    current = request;
    if (!bestEffort) {
      request.unsubscribeErrored = errored.subscribe(() -> serial.execute(() -> {
        if (current == request) {
          // The chain logs why it halted, once; thousands of streams need not repeat it.
          log.debug("[channel: {}] Chain halted while serving a deliver request", channelId);
          finish(Status.SERVICE_UNAVAILABLE);
        }
      }));
    }
    pump();
  }

  private Optional<String> checkTimeWindow(ChannelHeader header) {
    Instant now = handler.clock.instant();
    long windowNanos = handler.settings.timeWindow().toNanos();
    try {
      Instant sent = Instant.ofEpochSecond(header.getTimestamp().getSeconds(), header.getTimestamp().getNanos());
      long skew = Math.abs(Duration.between(now, sent).toNanos());
      if (skew <= windowNanos) {
        return Optional.empty();
      }
    } catch (ArithmeticException | java.time.DateTimeException e) {
      // beyond what nanosecond arithmetic holds: far outside any window, as in Go
    }
    return Optional.of("envelope timestamp " + header.getTimestamp().getSeconds() + "s is more than "
        + handler.settings.timeWindow() + " from the orderer's clock " + now);
  }

  // ---- the delivery loop (deliver.go deliverBlocks' block loop) ----

  /** Moves the current request as far as it can go without waiting. */
  private void pump() {
    while (current != null && !ended) {
      Request r = current;
      if (r.pending == null) {
        if (r.waitingForBlock) {
          return;
        }
        if (r.failIfNotReady && Long.compareUnsigned(r.number, r.channel.ledger().height() - 1) > 0) {
          finish(Status.NOT_FOUND);
          return;
        }
        if (r.cursor == null) {
          finish(Status.NOT_FOUND); // start past the height: Fabric's "not found" iterator
          return;
        }
        if (!out.isReady()) {
          // Read no block for a client that is not reading: a stalled stream then holds no block
          // on the heap, only what the transport has queued for it (docs/deliver.md, "What a stream costs").
          r.holdByTransport(true);
          return;
        }
        boolean borrow = borrowReadBuffers;
        CompletableFuture<StoredBlock> next = r.cursor.next(borrow ? READ_BUFFER.get() : null);
        if (!next.isDone()) {
          r.waitingForBlock = true;
          // The headers go now, while nothing else is happening, not with the block: when one block
          // wakes thousands of waiting streams, each then has only the block to send.
          out.sendHeadersNow();
          next.whenCompleteAsync((block, error) -> serial.execute(() -> blockArrived(r, block, error)), handler.executor);
          return;
        }
        StoredBlock block;
        try {
          block = next.join();
        } catch (CompletionException e) {
          finish(statusFor(r, e.getCause()));
          return;
        }
        if (!accept(r, block)) {
          return;
        }
        r.pendingBorrowed = borrow;
      }
      if (!out.isReady()) {
        if (r.pendingBorrowed) {
          // Kept past this call: the thread's read buffer will hold other blocks by then.
          r.pending = new StoredBlock(r.pending.number(), ByteBuffer.wrap(r.pending.toByteArray()));
          r.pendingBorrowed = false;
        }
        r.holdByTransport(true);
        return; // the onReady handler resumes here
      }
      r.holdByTransport(false);
      StoredBlock block = r.pending;
      boolean borrowed = r.pendingBorrowed;
      r.pending = null;
      r.pendingBorrowed = false;
      DeliverFrame frame = frameFor(r, block);
      if (frame.size() > handler.settings.maxSendMessageBytes()) {
        tooLarge(r, block, frame.size());
        return;
      }
      boolean sent = out.send(frame);
      if (borrowed && sent && !frame.drained()) {
        // gRPC's framer (MessageFramer.writePayload) consumes a message within sendMessage, which
        // is what lets a block live in a reused buffer. A transport that kept the stream to read
        // later would read another block's bytes: read into new arrays from then on. (A message
        // dropped because the call was cancelled at that moment lands here too, harmlessly.)
        if (borrowReadBuffers) {
          borrowReadBuffers = false;
          log.warn("The gRPC transport did not consume a Deliver response when it was sent; blocks are read into new arrays from now on");
        }
      }
      handler.metrics.blockSent(r.channelId);
      if (block.number() == r.range.stop()) {
        finish(Status.SUCCESS);
        return;
      }
    }
  }

  private void blockArrived(Request r, StoredBlock block, Throwable error) {
    if (current != r || ended) {
      return; // the request ended while the cursor waited
    }
    r.waitingForBlock = false;
    if (error != null) {
      finish(statusFor(r, error instanceof CompletionException ? error.getCause() : error));
      return;
    }
    if (accept(r, block)) {
      pump();
    }
  }

  /** Fabric's steps after Next returned: count the block, re-check access, hold it for sending. */
  private boolean accept(Request r, StoredBlock block) {
    r.number++;
    Optional<String> denied = r.access.evaluate();
    if (denied.isPresent()) {
      log.warn("[channel: {}] Client authorization revoked for deliver request from {}: {}", r.channelId, client,
          denied.get());
      finish(Status.FORBIDDEN);
      return false;
    }
    r.pending = block;
    return true;
  }

  private Status statusFor(Request r, Throwable error) {
    if (error instanceof BlockNotFoundException) {
      return Status.NOT_FOUND;
    }
    if (!(error instanceof LedgerClosedException)) {
      log.error("[channel: {}] Error reading from channel: {}", r.channelId, error.toString());
    }
    return Status.SERVICE_UNAVAILABLE;
  }

  /**
   * The block as the client asked for it: the stored bytes, or (HEADER_WITH_SIG, Fabric v3) the
   * header and metadata without the data, except for config blocks, which go whole.
   */
  private static DeliverFrame frameFor(Request r, StoredBlock block) {
    if (!r.headersOnly) {
      return DeliverFrame.block(block.bytes());
    }
    Block parsed = block.parse();
    if (isConfigBlock(parsed)) {
      return DeliverFrame.block(block.bytes());
    }
    Block headerOnly = Block.newBuilder().setHeader(parsed.getHeader()).setMetadata(parsed.getMetadata()).build();
    return DeliverFrame.block(ByteBuffer.wrap(headerOnly.toByteArray()));
  }

  /** Fabric main's {@code protoutil.IsConfigBlock}: exactly one envelope, of type CONFIG. */
  static boolean isConfigBlock(Block block) {
    if (block.getData().getDataCount() != 1) {
      return false;
    }
    try {
      Envelope envelope = Envelope.parseFrom(block.getData().getData(0));
      Payload payload = Payload.parseFrom(envelope.getPayload());
      if (!payload.hasHeader()) {
        return false;
      }
      return ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getType() == HeaderType.CONFIG_VALUE;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  // ---- endings ----

  /** A request refused before it was counted (the first checks in docs/deliver.md). */
  private void reject(Status status, String channelId, String reason) {
    log.warn("[channel: {}] Rejecting deliver request for {}: {}", channelId, client, reason);
    sendStatusAndEnd(status);
  }

  /** A counted request refused before any block. */
  private void completeRejected(String channelId, Status status, String reason) {
    log.warn("[channel: {}] Rejecting deliver request for {}: {}", channelId, client, reason);
    handler.metrics.requestCompleted(channelId, false);
    sendStatusAndEnd(status);
  }

  /** Ends the current request with {@code status}; SUCCESS keeps the stream for the next one. */
  private void finish(Status status) {
    Request r = current;
    current = null;
    r.release();
    handler.metrics.requestCompleted(r.channelId, status == Status.SUCCESS);
    if (status == Status.SUCCESS) {
      out.send(DeliverFrame.status(status));
      if (halfClosed) {
        end();
      } else {
        out.request(1);
      }
    } else {
      sendStatusAndEnd(status);
    }
  }

  private void sendStatusAndEnd(Status status) {
    out.send(DeliverFrame.status(status));
    end();
  }

  private void end() {
    if (ended) {
      return;
    }
    ended = true;
    // Counted before the client can see the end, so that what it observes is already counted.
    handler.metrics.streamClosed();
    out.complete();
  }

  /** The client cancelled or went away: nothing can be sent any more. */
  private void cancelled() {
    if (ended) {
      return;
    }
    ended = true;
    releaseCurrent();
    handler.metrics.streamClosed();
  }

  /** After an unexpected failure: release everything and end the RPC quietly, as Fabric does. */
  private void abandon() {
    releaseCurrent();
    if (!ended) {
      ended = true;
      try {
        out.complete();
      } catch (RuntimeException e) {
        log.debug("Could not end the deliver stream", e);
      }
      handler.metrics.streamClosed();
    }
  }
}
