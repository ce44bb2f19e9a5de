package org.jorderer.server.support;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.jorderer.channel.envelope.ConfigUpdateEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.consensus.raft.EtcdRaftProfile;

/**
 * A config update that sets an etcdraft channel's consenters, built as configtxlator's
 * compute_update makes it: the Orderer group read at its version, ConsensusType written one
 * version up with only its metadata changed.
 */
public final class ConsenterChange {
  private ConsenterChange() {}

  /**
   * The update from {@code current} (the channel's config now) to the consenters {@code members},
   * in a CONFIG_UPDATE envelope signed by {@code admin}.
   */
  public static Envelope signed(String channelId, Config current, List<EtcdRaftProfile.ConsenterAddress> members,
      LocalSigner admin) {
    ConfigGroup channel = current.getChannelGroup();
    ConfigGroup orderer = channel.getGroupsOrThrow("Orderer");
    ConfigValue type = orderer.getValuesOrThrow("ConsensusType");
    ConsensusType consensus;
    try {
      consensus = ConsensusType.parseFrom(type.getValue());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
    ConfigMetadata metadata = EtcdRaftProfile.metadata(members);
    ConfigValue next = type.toBuilder().setVersion(type.getVersion() + 1)
        .setValue(consensus.toBuilder().setMetadata(metadata.toByteString()).build().toByteString()).build();
    ConfigUpdate update = ConfigUpdate.newBuilder()
        .setChannelId(channelId)
        .setReadSet(ConfigGroup.newBuilder().setVersion(channel.getVersion())
            .putGroups("Orderer", ConfigGroup.newBuilder().setVersion(orderer.getVersion()).build()))
        .setWriteSet(ConfigGroup.newBuilder().setVersion(channel.getVersion())
            .putGroups("Orderer", ConfigGroup.newBuilder().setVersion(orderer.getVersion())
                .putValues("ConsensusType", next).build()))
        .build();
    return ConfigUpdateEnvelopes.signedUpdate(update, Instant.now(), admin);
  }
}
