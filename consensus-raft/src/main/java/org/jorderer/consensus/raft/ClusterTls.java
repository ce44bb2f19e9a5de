package org.jorderer.consensus.raft;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jorderer.channel.msp.LocalSigner;

/**
 * This node's cluster TLS credentials (Fabric's {@code General.Cluster.*}): the server key pair it
 * presents to consenters dialing it ({@code ServerCertificate}/{@code ServerPrivateKey}), the
 * client key pair it presents when it dials them ({@code ClientCertificate}/{@code
 * ClientPrivateKey}), and extra root CAs for checking their certificates ({@code RootCAs}), next
 * to the TLS root CAs of the channels' orderer organizations. Which peers are accepted is
 * {@link ClusterTrust}'s business.
 *
 * @param serverKey the key of {@code serverCertificate}
 * @param serverCertificate presented when a peer dials this node; the node is the consenter whose
 *     {@code server_tls_cert} carries its public key
 * @param clientKey the key of {@code clientCertificate}
 * @param clientCertificate presented when this node dials a peer (Raft traffic and proposals);
 *     peers accept it only as a consenter's {@code client_tls_cert}
 * @param rootCas {@code General.Cluster.RootCAs}: roots trusted for peers' certificates in addition
 *     to the channels' orderer organizations' TLS roots
 */
public record ClusterTls(PrivateKey serverKey, X509Certificate serverCertificate, PrivateKey clientKey,
    X509Certificate clientCertificate, List<X509Certificate> rootCas) {

  public ClusterTls {
    Objects.requireNonNull(serverKey, "serverKey");
    Objects.requireNonNull(serverCertificate, "serverCertificate");
    Objects.requireNonNull(clientKey, "clientKey");
    Objects.requireNonNull(clientCertificate, "clientCertificate");
    rootCas = List.copyOf(rootCas);
  }

  /** One key pair used in both directions, and no extra roots. */
  public ClusterTls(PrivateKey privateKey, X509Certificate certificate) {
    this(privateKey, certificate, privateKey, certificate, List.of());
  }

  /** Reads a PEM certificate and a PEM (PKCS#8 or SEC1) private key, used in both directions. */
  public static ClusterTls read(Path certificatePem, Path privateKeyPem) throws IOException {
    return read(certificatePem, privateKeyPem, certificatePem, privateKeyPem, List.of());
  }

  /**
   * Reads the server and client key pairs (PEM certificates, PEM PKCS#8 or SEC1 keys) and the
   * extra root CAs (PEM files, each possibly holding several certificates).
   */
  public static ClusterTls read(Path serverCertificatePem, Path serverKeyPem, Path clientCertificatePem,
      Path clientKeyPem, List<Path> rootCaPems) throws IOException {
    X509Certificate server = certificate(serverCertificatePem);
    X509Certificate client = certificate(clientCertificatePem);
    PrivateKey serverKey = key(serverKeyPem);
    PrivateKey clientKey = key(clientKeyPem);
    checkPair(serverKey, server, serverCertificatePem, serverKeyPem);
    checkPair(clientKey, client, clientCertificatePem, clientKeyPem);
    List<X509Certificate> roots = new ArrayList<>();
    for (Path root : rootCaPems) {
      roots.addAll(certificates(root));
    }
    return new ClusterTls(serverKey, server, clientKey, client, roots);
  }

  /**
   * Presents the client certificate when this side opens the connection and the server
   * certificate when it accepts one: Ratis uses one key manager for both (its server dials its
   * peers with the server's TLS settings), and the JDK asks for an alias per role.
   */
  KeyManager keyManager() {
    return new X509ExtendedKeyManager() {
      private static final String SERVER = "server";
      private static final String CLIENT = "client";

      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {CLIENT};
      }

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return CLIENT;
      }

      @Override
      public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return CLIENT;
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {SERVER};
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return SERVER;
      }

      @Override
      public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return SERVER;
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        return new X509Certificate[] {CLIENT.equals(alias) ? clientCertificate : serverCertificate};
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        return CLIENT.equals(alias) ? clientKey : serverKey;
      }
    };
  }

  /**
   * Refuses a key that does not belong to its certificate at start, rather than as a TLS handshake
   * failure on every connection later: signs a probe with the key, verifies it with the certificate.
   */
  private static void checkPair(PrivateKey key, X509Certificate certificate, Path certificatePem, Path keyPem)
      throws IOException {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> null;
    };
    if (algorithm == null) {
      return;
    }
    try {
      byte[] probe = "jorderer cluster key probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      java.security.Signature signer = java.security.Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      signer.initVerify(certificate.getPublicKey());
      signer.update(probe);
      if (!signer.verify(signature)) {
        throw new IOException(keyPem + " is not the private key of " + certificatePem);
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(keyPem + " is not the private key of " + certificatePem + ": " + e.getMessage(), e);
    }
  }

  private static X509Certificate certificate(Path pem) throws IOException {
    List<X509Certificate> all = certificates(pem);
    if (all.isEmpty()) {
      throw new IOException("no certificate in " + pem);
    }
    return all.get(0);
  }

  private static List<X509Certificate> certificates(Path pem) throws IOException {
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)))) {
        out.add((X509Certificate) c);
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the certificate(s) in " + pem + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey key(Path pem) throws IOException {
    try {
      return LocalSigner.readPrivateKey(pem);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the private key " + pem + ": " + e.getMessage(), e);
    }
  }
}
