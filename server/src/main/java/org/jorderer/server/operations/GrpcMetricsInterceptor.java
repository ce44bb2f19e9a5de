package org.jorderer.server.operations;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fabric's gRPC server metrics ({@code common/grpcmetrics}) for every RPC of the server
 * it is installed on: requests received and completed, their duration by status code and, for
 * streams, messages received and sent. Names, help texts and labels are Fabric's; durations use
 * the default buckets as Fabric's do.
 *
 * <p>Install it with {@code ServerBuilder.intercept(new GrpcMetricsInterceptor(registry))}; one
 * instance per registry, since the names can be registered only once.
 */
public final class GrpcMetricsInterceptor implements ServerInterceptor {
  private final Counter unaryReceived;
  private final Counter unaryCompleted;
  private final Histogram unaryDuration;
  private final Counter streamReceived;
  private final Counter streamCompleted;
  private final Histogram streamDuration;
  private final Counter messagesReceived;
  private final Counter messagesSent;

  public GrpcMetricsInterceptor(PrometheusRegistry registry) {
    unaryDuration = histogram(registry, "grpc_server_unary_request_duration",
        "The time to complete a unary request.");
    unaryReceived = counter(registry, "grpc_server_unary_requests_received",
        "The number of unary requests received.", "service", "method");
    unaryCompleted = counter(registry, "grpc_server_unary_requests_completed",
        "The number of unary requests completed.", "service", "method", "code");
    streamDuration = histogram(registry, "grpc_server_stream_request_duration",
        "The time to complete a stream request.");
    streamReceived = counter(registry, "grpc_server_stream_requests_received",
        "The number of stream requests received.", "service", "method");
    streamCompleted = counter(registry, "grpc_server_stream_requests_completed",
        "The number of stream requests completed.", "service", "method", "code");
    messagesReceived = counter(registry, "grpc_server_stream_messages_received",
        "The number of stream messages received.", "service", "method");
    messagesSent = counter(registry, "grpc_server_stream_messages_sent",
        "The number of stream messages sent.", "service", "method");
  }

  private static Counter counter(PrometheusRegistry registry, String name, String help,
      String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).register(registry);
  }

  private static Histogram histogram(PrometheusRegistry registry, String name, String help) {
    return Histogram.builder().name(name).help(help).labelNames("service", "method", "code")
        .classicOnly().register(registry);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String[] serviceMethod = serviceMethod(call.getMethodDescriptor().getFullMethodName());
    String service = serviceMethod[0];
    String method = serviceMethod[1];
    boolean unary = call.getMethodDescriptor().getType() == MethodType.UNARY;
    (unary ? unaryReceived : streamReceived).labelValues(service, method).inc();
    Completion completion = new Completion(unary, service, method, System.nanoTime());
    MessageCount sent = new MessageCount(messagesSent, service, method);
    MessageCount received = new MessageCount(messagesReceived, service, method);

    ServerCall<Q, R> counted = new SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(R message) {
        // Fabric counts send attempts, before knowing whether the send worked.
        if (!unary) {
          sent.inc();
        }
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        completion.complete(status.getCode());
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(counted, headers);
    } catch (RuntimeException | Error e) {
      // gRPC answers a throwing handler with UNKNOWN without going through our call.
      completion.complete(Status.Code.UNKNOWN);
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        if (!unary) {
          received.inc();
        }
        try {
          super.onMessage(message);
        } catch (RuntimeException | Error e) {
          completion.complete(Status.Code.UNKNOWN);
          throw e;
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException | Error e) {
          completion.complete(Status.Code.UNKNOWN);
          throw e;
        }
      }

      @Override
      public void onCancel() {
        // The client went away or the deadline passed before the handler closed the call; in Go
        // the handler then returns the context's error, Canceled.
        completion.complete(Status.Code.CANCELLED);
        super.onCancel();
      }
    };
  }

  /**
   * Fabric's split of a full method name: dots become underscores, then {@code /service/method};
   * anything else is "unknown", "unknown". gRPC-java's names lack the leading slash, so add it.
   */
  static String[] serviceMethod(String fullMethodName) {
    String[] parts = ("/" + fullMethodName.replace('.', '_')).split("/", -1);
    if (parts.length != 3) {
      return new String[] {"unknown", "unknown"};
    }
    return new String[] {parts[1], parts[2]};
  }

  /** Go's names of the status codes ({@code codes.Code.String()}), which Fabric's labels use. */
  static String codeName(Status.Code code) {
    return switch (code) {
      case OK -> "OK";
      case CANCELLED -> "Canceled";
      case UNKNOWN -> "Unknown";
      case INVALID_ARGUMENT -> "InvalidArgument";
      case DEADLINE_EXCEEDED -> "DeadlineExceeded";
      case NOT_FOUND -> "NotFound";
      case ALREADY_EXISTS -> "AlreadyExists";
      case PERMISSION_DENIED -> "PermissionDenied";
      case RESOURCE_EXHAUSTED -> "ResourceExhausted";
      case FAILED_PRECONDITION -> "FailedPrecondition";
      case ABORTED -> "Aborted";
      case OUT_OF_RANGE -> "OutOfRange";
      case UNIMPLEMENTED -> "Unimplemented";
      case INTERNAL -> "Internal";
      case UNAVAILABLE -> "Unavailable";
      case DATA_LOSS -> "DataLoss";
      case UNAUTHENTICATED -> "Unauthenticated";
    };
  }

  /**
   * One call's count of stream messages. The labels are the same for every message of a call, so
   * the series is looked up once, at the first message (as Fabric, a series appears only once
   * counted), not per message: the lookup hashes and compares the label list, which showed in
   * Broadcast's profile.
   */
  private static final class MessageCount {
    private final Counter counter;
    private final String service;
    private final String method;
    private volatile CounterDataPoint series;

    MessageCount(Counter counter, String service, String method) {
      this.counter = counter;
      this.service = service;
      this.method = method;
    }

    void inc() {
      CounterDataPoint known = series;
      if (known == null) {
        known = counter.labelValues(service, method);
        series = known;
      }
      known.inc();
    }
  }

  /** Records an RPC's end once, whichever of close, cancel or a throw comes first. */
  private final class Completion {
    private final AtomicBoolean done = new AtomicBoolean();
    private final boolean unary;
    private final String service;
    private final String method;
    private final long startNanos;

    Completion(boolean unary, String service, String method, long startNanos) {
      this.unary = unary;
      this.service = service;
      this.method = method;
      this.startNanos = startNanos;
    }

    void complete(Status.Code code) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      String name = codeName(code);
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      (unary ? unaryDuration : streamDuration).labelValues(service, method, name).observe(seconds);
      (unary ? unaryCompleted : streamCompleted).labelValues(service, method, name).inc();
    }
  }
}
