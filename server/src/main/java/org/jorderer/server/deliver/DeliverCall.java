package org.jorderer.server.deliver;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import org.hyperledger.fabric.protos.common.Envelope;

/**
 * The response side of one Deliver RPC, straight on gRPC's {@link ServerCall} rather than through
 * the stub layer's stream observers: one layer less per block, and the response headers can be
 * sent when a request starts waiting for a block not cut yet ({@link #sendHeadersNow}), so that
 * when the block comes, thousands of waiting streams send only their block and not their headers
 * too. A client sees the same headers, messages and status either way.
 *
 * <p>Calls come from the stream's serialized context, one at a time.
 */
final class DeliverCall {
  private final ServerCall<Envelope, DeliverFrame> call;
  private boolean headersSent;
  private boolean closed;

  DeliverCall(ServerCall<Envelope, DeliverFrame> call) {
    this.call = call;
  }

  void request(int messages) {
    call.request(messages);
  }

  boolean isReady() {
    return call.isReady();
  }

  void setOnReadyThreshold(int bytes) {
    call.setOnReadyThreshold(bytes);
  }

  void sendHeadersNow() {
    if (!headersSent && !closed) {
      headersSent = true;
      call.sendHeaders(new Metadata());
    }
  }

  /** Sends {@code frame}; false when the call is already over and nothing was sent. */
  boolean send(DeliverFrame frame) {
    if (closed || call.isCancelled()) {
      return false;
    }
    sendHeadersNow();
    call.sendMessage(frame);
    return true;
  }

  /** Ends the RPC with OK. */
  void complete() {
    close(Status.OK);
  }

  /** Ends the RPC with a gRPC error. */
  void fail(Status status) {
    close(status);
  }

  /** As the stub layer does: a cancelled call is over, and is not closed a second time. */
  private void close(Status status) {
    if (closed) {
      return;
    }
    closed = true;
    if (!call.isCancelled()) {
      call.close(status, new Metadata());
    }
  }
}
