package org.jorderer.consensus.raft;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jorderer.channel.msp.LocalSigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS between consenters ({@code General.Cluster.ClientCertificate}/{@code ServerCertificate}
 * and their keys, else the general listener's): this node presents {@code certificate}, and accepts
 * a peer (as server or as client) only if the peer's certificate carries the public key of a
 * consenter of a channel this node hosts, as Fabric pins cluster members by their certificates
 * (orderer/common/cluster/comm.go, {@code CompareCertificate}). Everything else is refused and
 * logged.
 *
 * @param privateKey this node's cluster TLS key
 * @param certificate this node's cluster TLS certificate (used as client and as server)
 */
public record ClusterTls(PrivateKey privateKey, X509Certificate certificate) {
  private static final Logger log = LoggerFactory.getLogger(ClusterTls.class);

  public ClusterTls {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(certificate, "certificate");
  }

  /** Reads a PEM certificate and a PEM (PKCS#8 or SEC1) private key. */
  public static ClusterTls read(Path certificatePem, Path privateKeyPem) throws IOException {
    try {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certificatePem)));
      return new ClusterTls(LocalSigner.readPrivateKey(privateKeyPem), certificate);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the cluster TLS key pair " + certificatePem + ", " + privateKeyPem + ": "
          + e.getMessage(), e);
    }
  }

  KeyManager keyManager() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("cluster", privateKey, password, new X509Certificate[] {certificate});
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, password);
      return factory.getKeyManagers()[0];
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot use the cluster TLS key pair: " + e.getMessage(), e);
    }
  }

  /**
   * Trusts a peer whose leaf certificate is within its validity and has one of {@code members}'
   * public keys (live set: a channel joined later adds its consenters).
   */
  static X509ExtendedTrustManager pinned(Set<ByteBuffer> members) {
    return new X509ExtendedTrustManager() {
      private void check(X509Certificate[] chain, String side) throws CertificateException {
        if (chain == null || chain.length == 0) {
          throw new CertificateException("no certificate presented");
        }
        X509Certificate leaf = chain[0];
        if (!members.contains(ByteBuffer.wrap(leaf.getPublicKey().getEncoded()))) {
          log.warn("Refused a cluster {} whose certificate ({}) is not a consenter's of any channel here", side,
              leaf.getSubjectX500Principal().getName());
          throw new CertificateException("certificate " + leaf.getSubjectX500Principal().getName()
              + " is not that of a consenter");
        }
        leaf.checkValidity();
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "client");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, "server");
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
          throws CertificateException {
        check(chain, "client");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
          throws CertificateException {
        check(chain, "server");
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        check(chain, "client");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        check(chain, "server");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
  }

  /** A live set of pinned public keys. */
  static Set<ByteBuffer> newMemberSet() {
    return ConcurrentHashMap.newKeySet();
  }
}
