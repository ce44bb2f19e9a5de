package org.jorderer.channel.configtx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;

/**
 * Fabric's {@code protoutil.UnmarshalEnvelopeOfType}: the payload data of an envelope whose channel
 * header has the expected type, with Fabric's error texts at each step. Used for CONFIG_UPDATE
 * ({@code EnvelopeToConfigUpdate}) and CONFIG envelopes alike.
 */
public final class EnvelopeOfType {
  private EnvelopeOfType() {}

  /** The payload's data, once the envelope proved to be of type {@code expected}. */
  public static ByteString data(Envelope envelope, HeaderType expected) throws ConfigUpdateException {
    Payload payload;
    try {
      payload = Payload.parseFrom(envelope.getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigUpdateException("error unmarshalling Payload: " + ProtoErrors.text(e));
    }
    if (!payload.hasHeader()) {
      throw new ConfigUpdateException("envelope must have a Header");
    }
    ChannelHeader header;
    try {
      header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigUpdateException("error unmarshalling ChannelHeader: " + ProtoErrors.text(e));
    }
    if (header.getType() != expected.getNumber()) {
      throw new ConfigUpdateException("invalid type " + ProtoErrors.headerTypeName(header.getType())
          + ", expected " + expected.name());
    }
    return payload.getData();
  }

  /** Fabric's "error unmarshalling message for type X" for the data that did not parse. */
  public static ConfigUpdateException unparsable(HeaderType type, InvalidProtocolBufferException e) {
    return new ConfigUpdateException("error unmarshalling message for type " + type.name() + ": " + ProtoErrors.text(e));
  }
}
