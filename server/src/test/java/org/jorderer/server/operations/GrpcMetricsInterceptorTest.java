package org.jorderer.server.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.server.support.RawBytesMarshaller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcMetricsInterceptorTest {
  private static final String SERVICE = "{method=\"%s\",service=\"%s\"}";

  /** A unary method, since AtomicBroadcast has only streams. */
  private static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.v1.Echo/Say")
      .setRequestMarshaller(new RawBytesMarshaller())
      .setResponseMarshaller(new RawBytesMarshaller())
      .build();

  private PrometheusRegistry registry;
  private Server server;
  private ManagedChannel channel;
  private final CountDownLatch deliverCancelled = new CountDownLatch(1);

  @BeforeEach
  void start() throws IOException {
    registry = new PrometheusRegistry();
    ServerServiceDefinition echo = ServerServiceDefinition.builder("test.v1.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
          if (request.length == 0) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("empty").asRuntimeException());
            return;
          }
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new Broadcaster())
        .addService(ServerInterceptors.intercept(echo))
        .intercept(new GrpcMetricsInterceptor(registry))
        .addTransportFilter(new GrpcConnectionMetrics(registry))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void countsStreamRequestsMessagesAndCodes() throws Exception {
    var stub = AtomicBroadcastGrpc.newStub(channel);
    CompletableFuture<Integer> acknowledged = new CompletableFuture<>();
    StreamObserver<Envelope> broadcast = stub.broadcast(new StreamObserver<>() {
      int count;

      @Override
      public void onNext(BroadcastResponse value) {
        count++;
      }

      @Override
      public void onError(Throwable t) {
        acknowledged.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        acknowledged.complete(count);
      }
    });
    for (int i = 0; i < 3; i++) {
      broadcast.onNext(Envelope.getDefaultInstance());
    }
    broadcast.onCompleted();
    assertThat(acknowledged.get(10, TimeUnit.SECONDS)).isEqualTo(3);

    CompletableFuture<Status> deliverEnd = new CompletableFuture<>();
    StreamObserver<Envelope> deliver = stub.deliver(new Observer<>(deliverEnd));
    deliver.onNext(Envelope.getDefaultInstance());
    assertThat(deliverEnd.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    String b = String.format(SERVICE, "Broadcast", "orderer_AtomicBroadcast");
    String d = String.format(SERVICE, "Deliver", "orderer_AtomicBroadcast");
    String bOk = "{code=\"OK\",method=\"Broadcast\",service=\"orderer_AtomicBroadcast\"}";
    String dDenied = "{code=\"PermissionDenied\",method=\"Deliver\",service=\"orderer_AtomicBroadcast\"}";
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape())
        .contains("# TYPE grpc_server_stream_requests_received counter\n")
        .contains("grpc_server_stream_requests_received" + b + " 1\n")
        .contains("grpc_server_stream_requests_received" + d + " 1\n")
        .contains("grpc_server_stream_messages_received" + b + " 3\n")
        .contains("grpc_server_stream_messages_sent" + b + " 3\n")
        .contains("grpc_server_stream_messages_received" + d + " 1\n")
        .doesNotContain("grpc_server_stream_messages_sent" + d)
        .contains("grpc_server_stream_requests_completed" + bOk + " 1\n")
        .contains("grpc_server_stream_requests_completed" + dDenied + " 1\n")
        .contains("# TYPE grpc_server_stream_request_duration histogram\n")
        .contains("grpc_server_stream_request_duration_count" + bOk + " 1\n")
        .contains("grpc_server_stream_request_duration_bucket{code=\"OK\",method=\"Broadcast\","
            + "service=\"orderer_AtomicBroadcast\",le=\"+Inf\"} 1\n")
        .contains("grpc_comm_conn_opened 1\n")
        .doesNotContain("_total")
        .doesNotContain("grpc_server_unary_requests_received{"));
  }

  @Test
  void aStreamTheClientCancelsCompletesAsCanceled() throws Exception {
    var stub = AtomicBroadcastGrpc.newStub(channel);
    CompletableFuture<Status> end = new CompletableFuture<>();
    StreamObserver<Envelope> deliver = stub.deliver(new Observer<>(end));
    deliver.onNext(Envelope.newBuilder().setSignature(com.google.protobuf.ByteString.copyFromUtf8("hang")).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> scrape().contains(
        "grpc_server_stream_messages_received{method=\"Deliver\",service=\"orderer_AtomicBroadcast\"} 1\n"));
    deliver.onError(new RuntimeException("client gives up"));
    assertThat(deliverCancelled.await(5, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape()).contains(
        "grpc_server_stream_requests_completed{code=\"Canceled\",method=\"Deliver\","
            + "service=\"orderer_AtomicBroadcast\"} 1\n"));
  }

  @Test
  void countsUnaryRequestsAndConnections() throws Exception {
    byte[] reply = ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, new byte[] {1, 2});
    assertThat(reply).containsExactly(1, 2);
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, new byte[0]))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    String m = String.format(SERVICE, "Say", "test_v1_Echo");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape())
        .contains("grpc_server_unary_requests_received" + m + " 2\n")
        .contains("grpc_server_unary_requests_completed{code=\"OK\",method=\"Say\",service=\"test_v1_Echo\"} 1\n")
        .contains("grpc_server_unary_requests_completed{code=\"InvalidArgument\",method=\"Say\",service=\"test_v1_Echo\"} 1\n")
        .contains("grpc_server_unary_request_duration_count{code=\"OK\",method=\"Say\",service=\"test_v1_Echo\"} 1\n")
        .doesNotContain("grpc_server_stream_messages_received{method=\"Say\""));

    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape())
        .contains("grpc_comm_conn_opened 1\n").contains("grpc_comm_conn_closed 1\n"));
  }

  @Test
  void splitsMethodNamesAsFabric() {
    assertThat(GrpcMetricsInterceptor.serviceMethod("orderer.AtomicBroadcast/Deliver"))
        .containsExactly("orderer_AtomicBroadcast", "Deliver");
    assertThat(GrpcMetricsInterceptor.serviceMethod("nonsense")).containsExactly("unknown", "unknown");
    assertThat(GrpcMetricsInterceptor.codeName(Status.Code.CANCELLED)).isEqualTo("Canceled");
    assertThat(GrpcMetricsInterceptor.codeName(Status.Code.DEADLINE_EXCEEDED)).isEqualTo("DeadlineExceeded");
  }

  private String scrape() {
    StringWriter out = new StringWriter();
    try {
      PrometheusTextWriter.write(out,
          List.of(new PrometheusTextWriter.Source(registry, PrometheusTextWriter.Naming.FABRIC)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Answers every broadcast envelope with SUCCESS; refuses every deliver request, or hangs. */
  private final class Broadcaster extends AtomicBroadcastGrpc.AtomicBroadcastImplBase {
    @Override
    public StreamObserver<Envelope> broadcast(StreamObserver<BroadcastResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(Envelope value) {
          responses.onNext(BroadcastResponse.newBuilder()
              .setStatus(org.hyperledger.fabric.protos.common.Status.SUCCESS).build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }

    @Override
    public StreamObserver<Envelope> deliver(StreamObserver<DeliverResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(Envelope value) {
          if (!value.getSignature().toStringUtf8().equals("hang")) {
            responses.onError(Status.PERMISSION_DENIED.asRuntimeException());
          }
        }

        @Override
        public void onError(Throwable t) {
          deliverCancelled.countDown();
        }

        @Override
        public void onCompleted() {}
      };
    }
  }

  private static final class Observer<T> implements StreamObserver<T> {
    private final CompletableFuture<Status> end;

    Observer(CompletableFuture<Status> end) {
      this.end = end;
    }

    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {
      end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }
  }
}
