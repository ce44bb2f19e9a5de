package org.jorderer.server.channels;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The TLS with which this node dials other orderers' client endpoints to pull a channel's blocks
 * over Deliver: a follower ({@link ChannelFollower}) and a Raft consenter onboarding behind the
 * others' compacted logs ({@link DeliverBlockSource}). As in Fabric, the node presents its cluster
 * client certificate ({@code General.Cluster.ClientCertificate}, else {@code General.TLS.Certificate};
 * orderer/common/server/main.go, {@code initializeClusterClientConfig}), and trusts for each
 * endpoint the TLS root and intermediate CAs of the orderer organization that lists it ({@code
 * EndpointconfigFromConfigBlock} and {@code StandardDialer.Dial} in orderer/common/cluster/util.go,
 * which replace the dialer's roots with those). Host names are checked against the server's
 * certificate, as Go's TLS client does. Deliver requests carry the SHA-256 of the certificate
 * (Fabric's TLS binding, {@code BlockPuller} in orderer/common/cluster/deliver.go), so an orderer
 * that requires client certificates serves them.
 *
 * @param key the client certificate's private key
 * @param certificate presented to the orderers dialed
 */
public record OrdererClientTls(PrivateKey key, X509Certificate certificate) {

  public OrdererClientTls {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(certificate, "certificate");
  }

  /** SHA-256 of the certificate's DER: the channel header's {@code tls_cert_hash} of Deliver requests. */
  byte[] certificateHash() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot hash the client TLS certificate: " + e.getMessage(), e);
    }
  }

  /** A client context presenting the certificate and trusting {@code roots} alone. */
  SslContext context(List<X509Certificate> roots) {
    try {
      return GrpcSslContexts.forClient()
          .keyManager(key, certificate)
          .trustManager(roots.toArray(X509Certificate[]::new))
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS to pull blocks: " + e.getMessage(), e);
    }
  }
}
