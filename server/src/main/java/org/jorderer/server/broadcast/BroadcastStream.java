package org.jorderer.server.broadcast;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.SynchronizationContext;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.server.EnvelopeMarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Broadcast RPC (spec D.2, D.3): one response per envelope, in order; the stream ends after
 * the first rejection. The next envelope is read only once the chain has accepted the previous
 * one, so a full ordering queue stops this client's reads (HTTP/2 flow control) instead of
 * growing the heap.
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

  private final BroadcastHandler handler;
  private final ServerCallStreamObserver<BroadcastResponse> out;
  private final String client; // the remote address, for log lines as Fabric writes them
  private final SynchronizationContext serial;
  // Envelopes read but not answered yet, in arrival order. At most READ_AHEAD: the window of
  // messages requested from gRPC, which stops reading from the client once it is used up.
  private final ArrayDeque<Envelope> backlog = new ArrayDeque<>(READ_AHEAD);
  private boolean processing; // an envelope is with the chain, waiting to be accepted
  private boolean halfClosed;
  private boolean ended;

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
    this.serial = new SynchronizationContext((thread, error) -> {
      log.error("Broadcast stream failed unexpectedly; closing it", error);
      end();
    });
    out.disableAutoRequest();
    out.setOnCancelHandler(() -> serial.execute(() -> ended = true));
    out.request(READ_AHEAD);
  }

  @Override
  public void onNext(Envelope envelope) {
    if (envelope == EnvelopeMarshaller.MALFORMED) {
      serial.execute(() -> {
        if (!ended) {
          ended = true;
          out.onError(io.grpc.Status.INTERNAL.withDescription(EnvelopeMarshaller.UNMARSHAL_FAILED).asRuntimeException());
        }
      });
      return;
    }
    serial.execute(() -> {
      backlog.add(envelope);
      drain();
    });
  }

  /** Processes the backlog in order until it is empty or an envelope waits for the chain. */
  private void drain() {
    while (!processing && !ended && !backlog.isEmpty()) {
      process(backlog.poll());
    }
    if (halfClosed && !processing && backlog.isEmpty()) {
      end();
    }
  }

  @Override
  public void onError(Throwable t) {
    serial.execute(() -> ended = true);
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
    processing = true;
    Tracker tracker = new Tracker();
    ChannelHeader header;
    try {
      header = channelHeader(envelope);
    } catch (RejectedEnvelope e) {
      respond(tracker, Status.BAD_REQUEST, e.getMessage());
      return;
    }
    // Labels are set only once the channel exists: Fabric returns no header for an unknown one.
    Optional<BroadcastableChannel> found = handler.channels.apply(header.getChannelId());
    if (found.isEmpty()) {
      respond(tracker, Status.BAD_REQUEST,
          "channel creation request not allowed because the orderer system channel is not defined");
      return;
    }
    tracker.channel = header.getChannelId();
    tracker.type = typeName(header.getType());
    BroadcastableChannel channel = found.get();
    int type = header.getType();
    if (type == HeaderType.CONFIG_VALUE || type == HeaderType.ORDERER_TRANSACTION_VALUE) {
      respond(tracker, Status.BAD_REQUEST, "message is of type that cannot be processed directly");
      return;
    }
    if (type == HeaderType.CONFIG_UPDATE_VALUE) {
      respond(tracker, Status.BAD_REQUEST,
          "config updates (CONFIG_UPDATE) are not supported by this orderer yet; the channel config was not changed");
      return;
    }

    ChannelConfig config = channel.config();
    OrdererConfig orderer = config.orderer().orElseThrow();
    if (orderer.capabilities().ordererConsensusTypeMigration()
        && orderer.consensusType().state() != ConsensusType.State.NORMAL) {
      respond(tracker, Status.SERVICE_UNAVAILABLE, "normal transactions are rejected: maintenance mode");
      return;
    }
    long configSequence = config.sequence();
    EnvelopeChecks.Verdict verdict = handler.expirationChecks
        ? EnvelopeChecks.broadcast(config, envelope, handler.clock.instant())
        : withoutExpiry(config, envelope);
    if (!verdict.accepted()) {
      Status status = verdict.outcome() == EnvelopeChecks.Outcome.FORBIDDEN ? Status.FORBIDDEN : Status.BAD_REQUEST;
      log.warn("[channel: {}] Rejecting broadcast of {} message from {}: {}", tracker.channel, tracker.type, client,
          verdict.message());
      respond(tracker, status, verdict.message());
      return;
    }
    tracker.validated = System.nanoTime();
    CompletableFuture<Void> accepted = channel.order(envelope, configSequence);
    if (accepted.isDone()) {
      accepted(tracker, accepted); // room in the queue: answer without another hop
    } else {
      accepted.whenCompleteAsync((ignored, error) -> serial.execute(() -> {
        accepted(tracker, accepted);
        drain();
      }), handler.executor);
    }
  }

  private void accepted(Tracker tracker, CompletableFuture<Void> accepted) {
    try {
      accepted.join();
      respond(tracker, Status.SUCCESS, "");
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      log.warn("[channel: {}] Rejecting broadcast from {}: the chain did not accept it: {}", tracker.channel, client,
          cause.getMessage());
      respond(tracker, Status.SERVICE_UNAVAILABLE, String.valueOf(cause.getMessage()));
    }
  }

  /** Broadcast's filters without the expiry check ({@code NoExpirationChecks}). */
  private static EnvelopeChecks.Verdict withoutExpiry(ChannelConfig config, Envelope envelope) {
    EnvelopeChecks.Verdict size = EnvelopeChecks.size(config, envelope);
    if (!size.accepted()) {
      return size;
    }
    return EnvelopeChecks.signatureFilter(config, envelope, "/Channel/Writers", "/Channel/Orderer/Writers");
  }

  private void respond(Tracker tracker, Status status, String info) {
    long now = System.nanoTime();
    double validateSeconds = ((tracker.validated < 0 ? now : tracker.validated) - tracker.started) / 1e9;
    double enqueueSeconds = tracker.validated < 0 ? -1 : (now - tracker.validated) / 1e9;
    handler.metrics.processed(tracker.channel, tracker.type, status.name(), validateSeconds, enqueueSeconds);
    processing = false;
    if (ended) {
      return;
    }
    out.onNext(BroadcastResponse.newBuilder().setStatus(status).setInfo(info).build());
    if (status != Status.SUCCESS) {
      end(); // Fabric closes the stream after the first refusal; envelopes read ahead go unanswered
    } else {
      out.request(1);
    }
  }

  private void end() {
    if (!ended) {
      ended = true;
      out.onCompleted();
    }
  }

  /** Fabric's channel-header extraction with its error texts (spec D.4). */
  private static ChannelHeader channelHeader(Envelope envelope) throws RejectedEnvelope {
    String prefix = "could not determine channel ID: ";
    Payload payload;
    try {
      payload = Payload.parseFrom(envelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new RejectedEnvelope(prefix + "error unmarshalling Payload: " + e.getMessage());
    }
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
