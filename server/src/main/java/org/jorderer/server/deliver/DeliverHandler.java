package org.jorderer.server.deliver;

import io.grpc.Grpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLSession;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.jorderer.server.EnvelopeMarshaller;

/**
 * The orderer's Deliver service (Fabric's {@code common/deliver.Handler}): one per process, over
 * narrow interfaces (channel lookup, ledger, policy check), serving each RPC with a
 * {@link DeliverStream}.
 *
 * <p>Deliver is registered with a response marshaller of our own ({@link DeliverFrameMarshaller})
 * under Fabric's method name and wire format, so stored block bytes go out without being parsed.
 */
public final class DeliverHandler {
  /**
   * @param timeWindow how far a request's timestamp may be from the orderer's clock
   *     ({@code General.Authentication.TimeWindow}, 15 minutes by default)
   * @param mutualTls whether clients authenticate with TLS certificates, which turns on the TLS
   *     binding check
   * @param expirationChecks whether identity expiry ends sessions
   *     ({@code !General.Authentication.NoExpirationChecks})
   * @param maxSendMessageBytes {@code General.MaxSendMsgSize}: a block response larger than this
   *     cannot be sent, and ends the RPC with RESOURCE_EXHAUSTED as the Go server's failed Send does
   */
  public record Settings(Duration timeWindow, boolean mutualTls, boolean expirationChecks, int maxSendMessageBytes) {
    public static final int DEFAULT_MAX_SEND_MESSAGE_BYTES = 100 * 1024 * 1024;

    public Settings(Duration timeWindow, boolean mutualTls, boolean expirationChecks) {
      this(timeWindow, mutualTls, expirationChecks, DEFAULT_MAX_SEND_MESSAGE_BYTES);
    }

    public static Settings defaults() {
      return new Settings(Duration.ofMinutes(15), false, true);
    }
  }

  final ChannelLookup channels;
  final Settings settings;
  final DeliverMetrics metrics;
  final Executor executor;
  final Clock clock;
  final TlsBinding binding;
  final java.util.concurrent.atomic.AtomicInteger streamsHeldByTransport = new java.util.concurrent.atomic.AtomicInteger();

  /**
   * @param executor where a stream continues after a block it waited for is appended; the
   *     appending thread only hands the block over
   */
  public DeliverHandler(ChannelLookup channels, Settings settings, DeliverMetrics metrics, Executor executor, Clock clock) {
    this.channels = channels;
    this.settings = settings;
    this.metrics = metrics;
    this.executor = executor;
    this.clock = clock;
    this.binding = new TlsBinding(settings.mutualTls());
  }

  /**
   * Requests holding a block that the transport is not ready to take (the client is not reading):
   * they resume only on the transport's onReady. Observable so tests can tell "held back by flow
   * control" from "not got there yet".
   */
  public int streamsHeldByTransport() {
    return streamsHeldByTransport.get();
  }

  /** {@code /orderer.AtomicBroadcast/Deliver}, ready to add to a service definition. */
  public ServerMethodDefinition<Envelope, ?> methodDefinition() {
    MethodDescriptor<Envelope, DeliverFrame> method = AtomicBroadcastGrpc.getDeliverMethod()
        .toBuilder(new EnvelopeMarshaller(), new DeliverFrameMarshaller())
        .build();
    ServerCallHandler<Envelope, DeliverFrame> handler = (call, headers) -> {
      SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      String client = String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
      return new DeliverStream(this, new DeliverCall(call), ssl, client);
    };
    return ServerMethodDefinition.create(method, handler);
  }
}
