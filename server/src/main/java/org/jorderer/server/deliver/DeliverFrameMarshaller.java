package org.jorderer.server.deliver;

import com.google.protobuf.CodedInputStream;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;

/**
 * Writes {@link DeliverFrame}s to gRPC. The stream it hands gRPC is {@link Drainable}, so gRPC
 * pulls the prefix and the stored block bytes straight into its transport buffers.
 */
final class DeliverFrameMarshaller implements MethodDescriptor.Marshaller<DeliverFrame> {
  private static final int CHUNK = 64 * 1024;
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[CHUNK]);

  @Override
  public InputStream stream(DeliverFrame frame) {
    return new FrameStream(frame);
  }

  /** Only clients parse responses; kept complete so the descriptor works both ways in tests. */
  @Override
  public DeliverFrame parse(InputStream stream) {
    try {
      DeliverResponse response = DeliverResponse.parseFrom(CodedInputStream.newInstance(stream));
      return switch (response.getTypeCase()) {
        case BLOCK -> DeliverFrame.block(ByteBuffer.wrap(response.getBlock().toByteArray()));
        default -> DeliverFrame.status(response.getStatus());
      };
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("invalid DeliverResponse").withCause(e).asRuntimeException();
    }
  }

  private static final class FrameStream extends InputStream implements Drainable, KnownLength {
    private final DeliverFrame frame;
    private final byte[] prefix;
    private final ByteBuffer body;
    private int prefixPos;

    FrameStream(DeliverFrame frame) {
      this.frame = frame;
      this.prefix = frame.prefix();
      this.body = frame.body();
    }

    private void noteEnd() {
      if (prefixPos == prefix.length && !body.hasRemaining()) {
        frame.markDrained();
      }
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int written = 0;
      if (prefixPos < prefix.length) {
        target.write(prefix, prefixPos, prefix.length - prefixPos);
        written += prefix.length - prefixPos;
        prefixPos = prefix.length;
      }
      if (body.hasArray()) {
        int n = body.remaining();
        target.write(body.array(), body.arrayOffset() + body.position(), n);
        body.position(body.limit());
        written += n;
      } else {
        // A memory-mapped block: copied out in chunks, one hop from the page cache.
        byte[] scratch = SCRATCH.get();
        while (body.hasRemaining()) {
          int n = Math.min(scratch.length, body.remaining());
          body.get(scratch, 0, n);
          target.write(scratch, 0, n);
          written += n;
        }
      }
      noteEnd();
      return written;
    }

    @Override
    public int available() {
      return prefix.length - prefixPos + body.remaining();
    }

    @Override
    public int read() {
      if (prefixPos < prefix.length) {
        int b = prefix[prefixPos++] & 0xff;
        noteEnd();
        return b;
      }
      if (!body.hasRemaining()) {
        return -1;
      }
      int b = body.get() & 0xff;
      noteEnd();
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int total = 0;
      if (prefixPos < prefix.length) {
        int n = Math.min(len, prefix.length - prefixPos);
        System.arraycopy(prefix, prefixPos, b, off, n);
        prefixPos += n;
        total += n;
      }
      int n = Math.min(len - total, body.remaining());
      body.get(b, off + total, n);
      total += n;
      noteEnd();
      return total == 0 ? -1 : total;
    }
  }
}
