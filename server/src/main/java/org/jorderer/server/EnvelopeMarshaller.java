package org.jorderer.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import org.hyperledger.fabric.protos.common.Envelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads request Envelopes for Broadcast and Deliver. Bytes that are not an Envelope become
 * {@link #MALFORMED} instead of an exception inside gRPC (which would end the call as UNKNOWN,
 * "Application error"), so the handlers end the call as Fabric's Go server does when its Recv fails
 * to unmarshal: gRPC INTERNAL, with a short description and no stack trace.
 */
public final class EnvelopeMarshaller implements MethodDescriptor.Marshaller<Envelope> {
  private static final Logger log = LoggerFactory.getLogger(EnvelopeMarshaller.class);

  /** The one instance standing for "not an Envelope"; compared by identity. */
  public static final Envelope MALFORMED =
      Envelope.newBuilder().setSignature(ByteString.copyFromUtf8("jorderer: malformed request")).build();

  public static final String UNMARSHAL_FAILED = "grpc: failed to unmarshal the received message";

  private final MethodDescriptor.Marshaller<Envelope> delegate = ProtoUtils.marshaller(Envelope.getDefaultInstance());

  @Override
  public InputStream stream(Envelope value) {
    return delegate.stream(value);
  }

  @Override
  public Envelope parse(InputStream stream) {
    try {
      return parseAliased(stream);
    } catch (IOException e) {
      log.debug("Request is not an Envelope: {}", e.getMessage());
      return MALFORMED;
    }
  }

  /**
   * Reads the message into one array of its own size and parses it with aliasing, so the
   * envelope's payload and signature are views of that array instead of copies. gRPC's own
   * marshaller copies each field out of a reusable buffer for messages up to 4 MiB, and above that
   * reads through a stream in chunks that are joined again: an 11 MiB envelope then took about 33
   * MiB of heap at once with the payload's parse, enough to run a 96 MiB node out of memory during
   * a burst. Here a message costs its size once, and {@code Payload}s parsed from it with aliasing
   * ({@link #aliasedInput}) cost nothing more.
   */
  static Envelope parseAliased(InputStream stream) throws IOException {
    byte[] bytes;
    if (stream instanceof KnownLength) {
      int size = stream.available();
      bytes = stream.readNBytes(size);
      if (bytes.length != size || stream.read() != -1) {
        throw new IOException("the message's length is not the one announced");
      }
    } else {
      bytes = stream.readAllBytes();
    }
    return Envelope.parseFrom(aliasedInput(UnsafeByteOperations.unsafeWrap(bytes)));
  }

  /**
   * An input over {@code bytes} whose byte fields are parsed as views of {@code bytes} (it must
   * never change afterwards, as a ByteString never does). A view keeps the whole array reachable:
   * what is kept beyond the envelope's life (a cache key, for instance) must be copied.
   */
  public static CodedInputStream aliasedInput(ByteString bytes) {
    CodedInputStream input = bytes.newCodedInput();
    input.enableAliasing(true);
    return input;
  }
}
