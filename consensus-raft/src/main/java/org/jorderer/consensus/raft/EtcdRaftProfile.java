package org.jorderer.consensus.raft;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Objects;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.Consenter;
import org.hyperledger.fabric.protos.orderer.etcdraft.Options;

/**
 * The etcdraft part of a channel config as configtxgen writes it: {@code ConsensusType} "etcdraft"
 * whose metadata is a {@code ConfigMetadata} naming the consenters, with configtxgen's default
 * {@code Options} (sampleconfig/configtx.yaml: TickInterval 500ms, ElectionTick 10,
 * HeartbeatTick 1, MaxInflightBlocks 5, SnapshotIntervalSize 16 MB).
 */
public final class EtcdRaftProfile {
  private EtcdRaftProfile() {}

  /** One consenter: where its cluster listener is, and its cluster TLS certificates (PEM). */
  public record ConsenterAddress(String host, int port, byte[] clientTlsCertificate, byte[] serverTlsCertificate) {
    public ConsenterAddress {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(clientTlsCertificate, "clientTlsCertificate");
      Objects.requireNonNull(serverTlsCertificate, "serverTlsCertificate");
    }
  }

  public static Options defaultOptions() {
    return Options.newBuilder()
        .setTickInterval("500ms")
        .setElectionTick(10)
        .setHeartbeatTick(1)
        .setMaxInflightBlocks(5)
        .setSnapshotIntervalSize(16 * 1024 * 1024)
        .build();
  }

  public static ConfigMetadata metadata(List<ConsenterAddress> consenters) {
    return metadata(consenters, defaultOptions());
  }

  /** The consenters with {@code options} (configtx.yaml's {@code EtcdRaft.Options}). */
  public static ConfigMetadata metadata(List<ConsenterAddress> consenters, Options options) {
    ConfigMetadata.Builder metadata = ConfigMetadata.newBuilder().setOptions(options);
    for (ConsenterAddress c : consenters) {
      metadata.addConsenters(Consenter.newBuilder()
          .setHost(c.host())
          .setPort(c.port())
          .setClientTlsCert(ByteString.copyFrom(c.clientTlsCertificate()))
          .setServerTlsCert(ByteString.copyFrom(c.serverTlsCertificate())));
    }
    return metadata.build();
  }

  /** {@code config} with {@code /Channel/Orderer/ConsensusType} set to etcdraft over {@code metadata}. */
  public static Config withEtcdRaft(Config config, ConfigMetadata metadata) {
    ConfigGroup orderer = config.getChannelGroup().getGroupsOrThrow("Orderer");
    ConfigValue type = orderer.getValuesOrThrow("ConsensusType").toBuilder()
        .setValue(ConsensusType.newBuilder().setType(RaftConsenter.TYPE).setMetadata(metadata.toByteString())
            .build().toByteString())
        .build();
    ConfigGroup channel = config.getChannelGroup().toBuilder()
        .putGroups("Orderer", orderer.toBuilder().putValues("ConsensusType", type).build())
        .build();
    return config.toBuilder().setChannelGroup(channel).build();
  }
}
