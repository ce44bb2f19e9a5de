package org.jorderer.channel.policy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;

/**
 * One signature to check against a policy (Fabric's {@code protoutil.SignedData}): the signed
 * bytes, the signer's serialized identity, and the DER signature.
 */
public record SignedData(ByteString data, ByteString identity, ByteString signature) {
  public SignedData {
    if (data == null || identity == null || signature == null) {
      throw new IllegalArgumentException("SignedData fields must not be null");
    }
  }

  /**
   * Fabric's {@code EnvelopeAsSignedData}: {data = payload bytes as received, identity =
   * SignatureHeader.creator, signature = envelope signature}.
   *
   * @throws IllegalArgumentException with Fabric's text when the payload or its signature header
   *     cannot be read
   */
  public static List<SignedData> fromEnvelope(Envelope envelope) {
    if (envelope == null) {
      throw new IllegalArgumentException("No signatures for nil Envelope");
    }
    Payload payload;
    try {
      payload = Payload.parseFrom(envelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("proto: cannot parse invalid wire-format data", e);
    }
    return fromEnvelope(envelope, payload);
  }

  /**
   * As {@link #fromEnvelope(Envelope)}, for a caller that has already parsed the envelope's
   * payload (Broadcast reads the channel header from it first), so it is not parsed twice.
   *
   * @param payload {@code Payload.parseFrom(envelope.getPayload())}
   */
  public static List<SignedData> fromEnvelope(Envelope envelope, Payload payload) {
    if (!payload.hasHeader()) {
      throw new IllegalArgumentException("Missing Header");
    }
    SignatureHeader header;
    try {
      header = SignatureHeader.parseFrom(payload.getHeader().getSignatureHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "GetSignatureHeaderFromBytes failed, err proto: cannot parse invalid wire-format data", e);
    }
    return List.of(new SignedData(envelope.getPayload(), header.getCreator(), envelope.getSignature()));
  }
}
