package org.jorderer.server;

import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
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
    // gRPC's protobuf marshaller reads known-length streams without copying them first; only its
    // failure is turned into the marker.
    try {
      return delegate.parse(stream);
    } catch (StatusRuntimeException e) {
      log.debug("Request is not an Envelope: {}", e.getStatus().getDescription());
      return MALFORMED;
    }
  }
}
