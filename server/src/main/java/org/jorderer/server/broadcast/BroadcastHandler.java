package org.jorderer.server.broadcast;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.server.EnvelopeMarshaller;

/**
 * The orderer's Broadcast service (Fabric's {@code orderer/common/broadcast.Handler}): one per
 * process, each RPC served by a {@link BroadcastStream}.
 */
public final class BroadcastHandler {
  final Function<String, Optional<BroadcastableChannel>> channels;
  final BroadcastMetrics metrics;
  final Executor executor;
  final InFlightBytes inFlight;

  /**
   * @param channels the channels this node orders for, by ID; each judges envelopes with its own
   *     message processor (clock and expiry checks are the processor's)
   * @param executor where a stream continues once its chain accepted an envelope
   */
  public BroadcastHandler(Function<String, Optional<BroadcastableChannel>> channels, BroadcastMetrics metrics,
      Executor executor) {
    this(channels, metrics, executor, InFlightBytes.forThisProcess());
  }

  /** As above, with {@code inFlight} the node-wide budget of envelope bytes read and not answered. */
  public BroadcastHandler(Function<String, Optional<BroadcastableChannel>> channels, BroadcastMetrics metrics,
      Executor executor, InFlightBytes inFlight) {
    this.channels = channels;
    this.metrics = metrics;
    this.executor = executor;
    this.inFlight = inFlight;
  }

  /** The node-wide budget of Broadcast bytes in flight. */
  public InFlightBytes inFlight() {
    return inFlight;
  }

  /**
   * Where gRPC runs each call's callbacks: Broadcast's on the transport thread that read the
   * message (the connection's event loop), every other method's on the server's executor.
   *
   * <p>A Broadcast message's work is CPU only and never waits (its chain answers at once or with a
   * future), and under Fabric's {@code broadcast_msg} load the hops cost more than a quarter of the
   * server's CPU on the executor: waking an executor thread for each message, then the event loop
   * for each answer, flushed on its own. On the event loop an answer is queued without a wake-up,
   * and the answers queued in one pass of the loop leave in one flush. Fairness between streams
   * is {@link BroadcastStream}'s: after {@code BroadcastStream.TURN} envelopes in a row it asks
   * for its next message in a task of its own at the end of the loop's queue, so streams take
   * turns (docs/performance.md, "Broadcast on the event loop, fairly").
   */
  public ServerCallExecutorSupplier callExecutors() {
    return new ServerCallExecutorSupplier() {
      @Override
      public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
        return BROADCAST.equals(call.getMethodDescriptor().getFullMethodName()) ? SAME_THREAD : null;
      }
    };
  }

  private static final String BROADCAST = AtomicBroadcastGrpc.getBroadcastMethod().getFullMethodName();
  private static final Executor SAME_THREAD = Runnable::run;

  /** {@code /orderer.AtomicBroadcast/Broadcast}, ready to add to a service definition. */
  public ServerMethodDefinition<Envelope, BroadcastResponse> methodDefinition() {
    return ServerMethodDefinition.create(
        AtomicBroadcastGrpc.getBroadcastMethod().toBuilder(new EnvelopeMarshaller(),
            io.grpc.protobuf.ProtoUtils.marshaller(BroadcastResponse.getDefaultInstance())).build(),
        (call, headers) -> {
          String client = String.valueOf(call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
          return ServerCalls.<Envelope, BroadcastResponse>asyncBidiStreamingCall(
                  responses -> new BroadcastStream(this, (ServerCallStreamObserver<BroadcastResponse>) responses, client))
              .startCall(call, headers);
        });
  }
}
