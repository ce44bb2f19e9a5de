package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.Consenter;
import org.jorderer.channel.msp.TlsCa;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which cluster certificates a node accepts as channels' consenters change: per channel, replaced
 * by each new set (a removed consenter is refused unless another channel names it), forgotten with
 * the channel; and a consenter whose host or port changed is the same consenter (Fabric matches by
 * client TLS certificate).
 */
class ClusterTrustTest {
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static TlsCa ca;
  private static final List<TlsCa.Issued> clients = new ArrayList<>();
  private static final List<TlsCa.Issued> servers = new ArrayList<>();

  @BeforeAll
  static void issue() throws Exception {
    ca = TlsCa.generate("trust.example", VALIDITY);
    for (int i = 0; i < 3; i++) {
      servers.add(ca.issue("orderer" + i, List.of("127.0.0.1"), VALIDITY));
      clients.add(ca.issue("client" + i, List.of(), VALIDITY));
    }
  }

  private static Consenter consenter(int i, int port) {
    return Consenter.newBuilder().setHost("127.0.0.1").setPort(port)
        .setClientTlsCert(ByteString.copyFrom(clients.get(i).certificatePem(), StandardCharsets.US_ASCII))
        .setServerTlsCert(ByteString.copyFrom(servers.get(i).certificatePem(), StandardCharsets.US_ASCII)).build();
  }

  private static X509Certificate[] chain(TlsCa.Issued issued) {
    return new X509Certificate[] {issued.certificate()};
  }

  @Test
  void aConsenterRemovedFromEveryChannelIsRefusedInBothRoles() {
    ClusterTrust trust = new ClusterTrust(List.of(ca.certificate()));
    trust.channel("a", List.of(consenter(0, 1), consenter(1, 2), consenter(2, 3)), null);
    assertThat(trust.refusal(chain(clients.get(2)), true)).isNull();
    assertThat(trust.refusal(chain(servers.get(2)), false)).isNull();

    trust.channel("a", List.of(consenter(0, 1), consenter(1, 2)), null);
    assertThat(trust.refusal(chain(clients.get(2)), true))
        .isEqualTo("it is not the client TLS certificate of a consenter of any channel here");
    assertThat(trust.refusal(chain(servers.get(2)), false))
        .isEqualTo("it is not the server TLS certificate of a consenter of any channel here");
    assertThat(trust.refusal(chain(clients.get(1)), true)).isNull();

    // Another channel that names it keeps it accepted, until that channel leaves too.
    trust.channel("b", List.of(consenter(2, 3)), null);
    assertThat(trust.refusal(chain(clients.get(2)), true)).isNull();
    trust.forget("b");
    assertThat(trust.refusal(chain(clients.get(2)), true)).startsWith("it is not the client TLS certificate");
  }

  @Test
  void aNewHostOrPortWithTheSameCertificatesIsNoMembershipChange() {
    ConfigMetadata before = ConfigMetadata.newBuilder().setOptions(EtcdRaftProfile.defaultOptions()).addConsenters(consenter(0, 1)).addConsenters(consenter(1, 2)).addConsenters(consenter(2, 3))
        .build();
    ConsenterSet set = ConsenterSet.of("ch", before.toByteString(), Block.getDefaultInstance());
    ConfigMetadata after = before.toBuilder()
        .setConsenters(2, consenter(2, 3).toBuilder().setHost("localhost").setPort(9999)).build();
    ConsenterSet.Membership changes = set.next(after);
    assertThat(changes.changed()).isFalse();
    assertThat(changes.next().members()).extracting(ConsenterSet.Member::id).containsExactly(1L, 2L, 3L);
    assertThat(changes.next().members().get(2).peerId()).isEqualTo(set.members().get(2).peerId());
    assertThat(changes.next().members().get(2).address()).isEqualTo("localhost:9999");
    assertThat(changes.next().group().getPeer(set.members().get(2).peerId()).getAddress()).isEqualTo("localhost:9999");
  }
}
