package org.jorderer.server.support;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One RPC driven from just below gRPC's transport, for fuzz tests: raw request bytes go through the
 * method's own request marshaller into its own call handler (what Netty would hand them), and what
 * the handler sends back is recorded as the bytes that would go on the wire. As strict as gRPC's
 * {@code ServerCallImpl} about the call's life: nothing may be sent after the close, and a call is
 * closed once.
 */
public final class RawCall<Req, Resp> extends ServerCall<Req, Resp> {
  private final MethodDescriptor<Req, Resp> method;
  private final ServerCall.Listener<Req> listener;
  private final List<byte[]> sent = new ArrayList<>();
  private final CompletableFuture<Status> closed = new CompletableFuture<>();
  private int credits;
  private volatile boolean cancelled;

  private RawCall(ServerMethodDefinition<Req, Resp> definition) {
    this.method = definition.getMethodDescriptor();
    this.listener = definition.getServerCallHandler().startCall(this, new Metadata());
    listener.onReady();
  }

  public static <Req, Resp> RawCall<Req, Resp> start(ServerMethodDefinition<Req, Resp> definition) {
    return new RawCall<>(definition);
  }

  /**
   * Hands one request to the handler if it has asked for one (inbound flow control, as the
   * transport honours it); false when it has not.
   */
  public boolean deliver(byte[] request) {
    synchronized (this) {
      if (credits == 0 || closed.isDone()) {
        return false;
      }
      credits--;
    }
    listener.onMessage(method.parseRequest(new ByteArrayInputStream(request)));
    return true;
  }

  /** The client's half-close: no more requests. */
  public void halfClose() {
    listener.onHalfClose();
  }

  /** The client goes away (cancellation, or a reset stream). */
  public void cancel() {
    cancelled = true;
    listener.onCancel();
  }

  /** How the handler closed the call, waiting up to {@code millis}; null if it has not. */
  public Status awaitClose(long millis) {
    try {
      return closed.get(millis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** The messages sent so far, each as its wire bytes. */
  public synchronized List<byte[]> sent() {
    return List.copyOf(sent);
  }

  @Override
  public synchronized void request(int numMessages) {
    credits += numMessages;
  }

  @Override
  public void sendHeaders(Metadata headers) {}

  @Override
  public void sendMessage(Resp message) {
    byte[] bytes;
    try (InputStream in = method.streamResponse(message)) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    synchronized (this) {
      if (closed.isDone()) {
        throw new IllegalStateException("call already closed"); // as ServerCallImpl
      }
      sent.add(bytes);
    }
  }

  @Override
  public void close(Status status, Metadata trailers) {
    synchronized (this) {
      if (closed.isDone()) {
        throw new IllegalStateException("call already closed"); // as ServerCallImpl
      }
      closed.complete(status);
    }
    listener.onComplete(); // the transport has sent the close
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public boolean isReady() {
    return !cancelled;
  }

  @Override
  public Attributes getAttributes() {
    return Attributes.EMPTY;
  }

  @Override
  public MethodDescriptor<Req, Resp> getMethodDescriptor() {
    return method;
  }
}
