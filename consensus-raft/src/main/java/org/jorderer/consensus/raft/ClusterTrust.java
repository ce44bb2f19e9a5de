package org.jorderer.consensus.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.orderer.etcdraft.Consenter;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.OrganizationConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which cluster peers this node talks to over TLS, as Fabric's cluster communication decides
 * (orderer/common/cluster/comm.go): a peer's certificate must chain to a trusted TLS root, which
 * is the TLS root CAs ({@code tls_root_certs}, with {@code tls_intermediate_certs}) of the orderer
 * organizations of every channel this node hosts plus {@code General.Cluster.RootCAs}; and it must
 * carry the public key of a consenter of one of those channels in the role it plays: a peer
 * dialing this node presents a consenter's {@code client_tls_cert}, a peer this node dials
 * presents a consenter's {@code server_tls_cert} (Fabric compares the same certificates in
 * {@code Comm.requestContext} and {@code VerifyCertificate}). Everything else is refused, with a
 * WARN log naming the certificate's subject and why.
 *
 * <p>The sets are kept per channel and replaced whenever a channel's consenters change: a
 * channel joined later adds its consenters and its organizations' roots, and a consenter removed
 * by a config update is refused from then on unless another channel here still names it (Fabric's
 * cluster communication likewise drops a removed node's certificates when it applies the new
 * membership, {@code Comm.Configure} in orderer/common/cluster/comm.go). A handshake is checked
 * against the sets of its time; connections already open stay open.
 */
final class ClusterTrust {
  private static final Logger log = LoggerFactory.getLogger(ClusterTrust.class);

  /** One channel's contribution: its consenters' keys in each role, its orderer organizations' CAs. */
  private record ChannelTrust(Set<ByteBuffer> serverKeys, Set<ByteBuffer> clientKeys, Set<X509Certificate> roots,
      Set<X509Certificate> intermediates) {}

  private final Map<String, ChannelTrust> channels = new ConcurrentHashMap<>();
  private final List<X509Certificate> extraRoots;

  ClusterTrust(List<X509Certificate> extraRoots) {
    this.extraRoots = List.copyOf(extraRoots);
  }

  /**
   * Makes {@code consenters} the accepted consenters of {@code channelId} (their server and client
   * certificates' public keys, each in its role) and the TLS roots and intermediates of the orderer
   * organizations of {@code config} (null: none) its CAs, replacing what the channel had.
   */
  void channel(String channelId, Collection<Consenter> consenters, ChannelConfig config) {
    Set<ByteBuffer> server = new HashSet<>();
    Set<ByteBuffer> client = new HashSet<>();
    for (Consenter consenter : consenters) {
      server.add(ByteBuffer.wrap(ConsenterSet.publicKey(consenter.getServerTlsCert().toByteArray())));
      client.add(ByteBuffer.wrap(ConsenterSet.publicKey(consenter.getClientTlsCert().toByteArray())));
    }
    Set<X509Certificate> roots = new HashSet<>();
    Set<X509Certificate> intermediates = new HashSet<>();
    if (config != null) {
      config.orderer().ifPresent(orderer -> {
        for (OrganizationConfig org : orderer.organizations().values()) {
          FabricMSPConfig msp;
          try {
            msp = FabricMSPConfig.parseFrom(org.msp().getConfig());
          } catch (InvalidProtocolBufferException e) {
            log.warn("Orderer organization {} of channel {}: unreadable MSP config; its TLS roots are not trusted",
                org.name(), config.channelId());
            continue;
          }
          msp.getTlsRootCertsList().forEach(pem -> roots.addAll(parse(pem)));
          msp.getTlsIntermediateCertsList().forEach(pem -> intermediates.addAll(parse(pem)));
        }
      });
    }
    channels.put(channelId, new ChannelTrust(Set.copyOf(server), Set.copyOf(client), Set.copyOf(roots),
        Set.copyOf(intermediates)));
  }

  /** Adds the consenters of a channel, with no CAs of its own (tests). */
  void addConsenters(ConsenterSet consenters) {
    channel(consenters.channelId(), consenters.members().stream().map(ConsenterSet.Member::consenter).toList(), null);
  }

  /** Forgets what {@code channelId} contributed: the channel left this node. */
  void forget(String channelId) {
    channels.remove(channelId);
  }

  /**
   * Why {@code chain} is refused for a peer that is the TLS {@code client} (it dialed us) or the
   * server (we dialed it), or null when it is accepted.
   */
  String refusal(X509Certificate[] chain, boolean client) {
    if (chain == null || chain.length == 0) {
      return "no certificate presented";
    }
    X509Certificate leaf = chain[0];
    ByteBuffer key = ByteBuffer.wrap(leaf.getPublicKey().getEncoded());
    if (channels.values().stream().noneMatch(c -> (client ? c.clientKeys() : c.serverKeys()).contains(key))) {
      return "it is not the " + (client ? "client" : "server") + " TLS certificate of a consenter of any channel here";
    }
    return chainRefusal(chain);
  }

  private String chainRefusal(X509Certificate[] chain) {
    Set<TrustAnchor> anchors = new HashSet<>();
    Set<X509Certificate> intermediates = new HashSet<>();
    for (X509Certificate root : extraRoots) {
      anchors.add(new TrustAnchor(root, null));
    }
    for (ChannelTrust channel : channels.values()) {
      channel.roots().forEach(root -> anchors.add(new TrustAnchor(root, null)));
      intermediates.addAll(channel.intermediates());
    }
    if (anchors.isEmpty()) {
      return "no TLS root CA is known (the channels' orderer organizations have no tls_root_certs and "
          + "General.Cluster.RootCAs is empty)";
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(chain[0]);
      PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
      parameters.setRevocationEnabled(false);
      List<Certificate> pool = new ArrayList<>(Arrays.asList(chain));
      pool.addAll(intermediates);
      parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
      CertPathBuilder.getInstance("PKIX").build(parameters);
      return null;
    } catch (GeneralSecurityException e) {
      return "it does not chain to a TLS root CA of the channels' orderer organizations or General.Cluster.RootCAs ("
          + e.getMessage() + ")";
    }
  }

  X509ExtendedTrustManager trustManager() {
    return new X509ExtendedTrustManager() {
      private void check(X509Certificate[] chain, boolean client) throws CertificateException {
        String why = refusal(chain, client);
        if (why != null) {
          String subject = chain == null || chain.length == 0 ? "none" : chain[0].getSubjectX500Principal().getName();
          log.warn("Refused a cluster {} with certificate {}: {}", client ? "client" : "server", subject, why);
          throw new CertificateException("certificate " + subject + " refused: " + why);
        }
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, true);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, false);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        check(chain, true);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        check(chain, false);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        check(chain, true);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        check(chain, false);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
  }

  private static List<X509Certificate> parse(ByteString pem) {
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(
          new ByteArrayInputStream(pem.toByteArray()))) {
        out.add((X509Certificate) c);
      }
      return out;
    } catch (CertificateException e) {
      log.warn("A TLS root or intermediate certificate in a channel config does not parse: {}", e.getMessage());
      return List.of();
    }
  }
}
