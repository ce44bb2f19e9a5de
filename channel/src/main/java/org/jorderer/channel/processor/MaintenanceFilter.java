package org.jorderer.channel.processor;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.channel.config.OrdererConfig;

/**
 * Fabric v2.4's {@code msgprocessor.MaintenanceFilter.inspect}: the consensus-type migration rules
 * a new config must respect against the current one. Texts are Fabric's; the caller prefixes
 * "config transaction inspection failed: ".
 */
final class MaintenanceFilter {
  private MaintenanceFilter() {}

  static Optional<String> inspect(ChannelConfig current, ChannelConfig next, Envelope lastUpdate) {
    OrdererConfig now = StandardFilters.ordererOf(current);
    Optional<OrdererConfig> nextOrderer = next.orderer();
    if (nextOrderer.isEmpty()) {
      return Optional.of("next config is missing orderer group");
    }
    OrdererConfig then = nextOrderer.get();
    String type = now.consensusType().type();
    String nextType = then.consensusType().type();
    ConsensusType.State state = now.consensusType().state();
    ConsensusType.State nextState = then.consensusType().state();
    if (!now.capabilities().ordererConsensusTypeMigration()) {
      if (nextState != ConsensusType.State.NORMAL) {
        return Optional.of("next config attempted to change ConsensusType.State to " + name(nextState)
            + ", but capability is disabled");
      }
      if (!type.equals(nextType)) {
        return Optional.of("next config attempted to change ConsensusType.Type from " + type + " to " + nextType
            + ", but capability is disabled");
      }
      return Optional.empty();
    }
    if (state != nextState) {
      Optional<String> onlyType = consensusTypeChangeOnly(lastUpdate);
      if (onlyType.isPresent()) {
        return onlyType;
      }
      if (!type.equals(nextType)) {
        return Optional.of("attempted to change ConsensusType.Type from " + type + " to " + nextType
            + ", but ConsensusType.State is changing from " + name(state) + " to " + name(nextState));
      }
      if (!now.consensusType().metadata().equals(then.consensusType().metadata())) {
        return Optional.of("attempted to change ConsensusType.Metadata, but ConsensusType.State is changing from "
            + name(state) + " to " + name(nextState));
      }
    }
    if (!type.equals(nextType)) {
      if (state == ConsensusType.State.NORMAL) {
        return Optional.of("attempted to change consensus type from " + type + " to " + nextType
            + ", but current config ConsensusType.State is not in maintenance mode");
      }
      if (nextState == ConsensusType.State.NORMAL) {
        return Optional.of("attempted to change consensus type from " + type + " to " + nextType
            + ", but next config ConsensusType.State is not in maintenance mode");
      }
      // Fabric v2.x migrates only to etcdraft.
      if (!nextType.equals("etcdraft")) {
        return Optional.of("attempted to change consensus type from " + type + " to " + nextType
            + ", transition not supported");
      }
      try {
        org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata.parseFrom(then.consensusType().metadata());
      } catch (InvalidProtocolBufferException e) {
        return Optional.of("failed to unmarshal etcdraft metadata configuration: "
            + "proto: cannot parse invalid wire-format data");
      }
    }
    return Optional.empty();
  }

  /** Go prints the orderer.ConsensusType_State enum by name. */
  private static String name(ConsensusType.State state) {
    return state == ConsensusType.State.NORMAL ? "STATE_NORMAL" : "STATE_MAINTENANCE";
  }

  /** Fabric's {@code ensureConsensusTypeChangeOnly}. */
  private static Optional<String> consensusTypeChangeOnly(Envelope lastUpdate) {
    ConfigUpdate update;
    try {
      Payload payload = Payload.parseFrom(lastUpdate.getPayload());
      ConfigUpdateEnvelope envelope = ConfigUpdateEnvelope.parseFrom(payload.getData());
      update = ConfigUpdate.parseFrom(envelope.getConfigUpdate());
    } catch (InvalidProtocolBufferException e) {
      return Optional.of("envelope to config update unmarshaling error: proto: cannot parse invalid wire-format data");
    }
    ConfigGroup writeSet = update.getWriteSet();
    if (writeSet.getGroupsCount() == 0) {
      return Optional.of("config update contains no changes");
    }
    if (writeSet.getValuesCount() > 0) {
      return Optional.of("config update contains changes to values in group Channel");
    }
    if (writeSet.getGroupsCount() > 1) {
      return Optional.of("config update contains changes to more than one group");
    }
    ConfigGroup orderer = writeSet.getGroupsMap().get("Orderer");
    if (orderer == null) {
      return Optional.of("update does not contain the Orderer group");
    }
    if (orderer.getGroupsCount() > 0) {
      return Optional.of("config update contains changes to groups within the Orderer group");
    }
    if (!orderer.containsValues("ConsensusType")) {
      return Optional.of("config update does not contain the ConsensusType value");
    }
    if (orderer.getValuesCount() > 1) {
      return Optional.of("config update contain more then just the ConsensusType value in the Orderer group");
    }
    return Optional.empty();
  }
}
