package org.jorderer.cli;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;

/**
 * A Deliver client for measuring: it reads each response's bytes off the wire without building
 * a message, so the client spends as little as possible of the machine the server runs on.
 */
final class DeliverProbe {
  /** What one response was: a block of {@code bytes}, or a status. */
  record Response(boolean block, long bytes, int status) {}

  static final MethodDescriptor<Envelope, Response> METHOD = AtomicBroadcastGrpc.getDeliverMethod()
      .toBuilder(ProtoUtils.marshaller(Envelope.getDefaultInstance()), new ResponseMarshaller())
      .build();

  /** A stream that reports each block's size and completes with the final Fabric status. */
  static final class Stream {
    final CompletableFuture<Integer> status = new CompletableFuture<>();
    final ClientCall<Envelope, Response> call;

    Stream(ManagedChannel channel, Envelope request, LongConsumer onBlock) {
      call = channel.newCall(METHOD, CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(Response r) {
          if (r.block()) {
            onBlock.accept(r.bytes());
          } else {
            status.complete(r.status());
          }
          call.request(1);
        }

        @Override
        public void onClose(Status s, Metadata trailers) {
          if (!status.isDone()) {
            status.completeExceptionally(s.asRuntimeException());
          }
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(request);
      call.halfClose();
    }

    void cancel() {
      call.cancel("benchmark done", null);
    }
  }

  private static final class ResponseMarshaller implements MethodDescriptor.Marshaller<Response> {
    private static final ThreadLocal<byte[]> SINK = ThreadLocal.withInitial(() -> new byte[64 * 1024]);

    @Override
    public InputStream stream(Response value) {
      throw new UnsupportedOperationException("the probe only receives");
    }

    @Override
    public Response parse(InputStream in) {
      try {
        int tag = in.read();
        if (tag == 0x08) { // status = 1, varint
          int status = 0;
          int shift = 0;
          int b;
          while ((b = in.read()) >= 0) {
            status |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
              break;
            }
            shift += 7;
          }
          return new Response(false, 0, status);
        }
        // Skipped, not read: gRPC's message stream skips by moving over its buffers, so the
        // block's bytes are counted without being copied again on this side.
        long bytes = tag < 0 ? 0 : 1;
        long skipped;
        while ((skipped = in.skip(Long.MAX_VALUE)) > 0) {
          bytes += skipped;
        }
        if (in.read() >= 0) {
          bytes++;
          byte[] sink = SINK.get();
          int n;
          while ((n = in.read(sink)) > 0) {
            bytes += n;
          }
        }
        return new Response(true, bytes, 0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
