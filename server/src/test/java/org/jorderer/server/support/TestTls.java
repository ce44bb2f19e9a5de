package org.jorderer.server.support;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jorderer.server.tls.TlsSettings;

/**
 * TLS material for tests, laid out as Fabric's cryptogen lays it out: a TLS CA, a server pair
 * valid for 127.0.0.1 and localhost, a client pair from the same CA, and a client pair from a
 * foreign CA. PEM files, PKCS#8 keys.
 */
public final class TestTls {
  private static final SecureRandom RANDOM = new SecureRandom();

  public final Path caCert;
  public final Path serverCert;
  public final Path serverKey;
  public final Path clientCert;
  public final Path clientKey;
  public final Path foreignClientCert;
  public final Path foreignClientKey;
  public final X509Certificate client;

  public TestTls(Path dir) {
    try {
      Files.createDirectories(dir);
      KeyPair caKeys = keys();
      X500Name caName = new X500Name("O=tls.test,CN=tlsca.test");
      X509Certificate ca = issue(caName, caKeys, caName, caKeys, true, false);
      caCert = write(dir.resolve("ca.crt"), pem(ca));
      KeyPair serverKeys = keys();
      serverCert = write(dir.resolve("server.crt"),
          pem(issue(new X500Name("O=tls.test,CN=orderer.test"), serverKeys, caName, caKeys, false, true)));
      serverKey = write(dir.resolve("server.key"), pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null)));
      KeyPair clientKeys = keys();
      client = issue(new X500Name("O=tls.test,CN=client.test"), clientKeys, caName, caKeys, false, false);
      clientCert = write(dir.resolve("client.crt"), pem(client));
      clientKey = write(dir.resolve("client.key"), pem(new JcaPKCS8Generator(clientKeys.getPrivate(), null)));
      KeyPair otherCaKeys = keys();
      X500Name otherCa = new X500Name("O=other.test,CN=tlsca.other");
      KeyPair foreignKeys = keys();
      foreignClientCert = write(dir.resolve("foreign.crt"),
          pem(issue(new X500Name("O=other.test,CN=client.other"), foreignKeys, otherCa, otherCaKeys, false, false)));
      foreignClientKey = write(dir.resolve("foreign.key"), pem(new JcaPKCS8Generator(foreignKeys.getPrivate(), null)));
    } catch (Exception e) {
      throw new IllegalStateException("cannot make test TLS material", e);
    }
  }

  public TlsSettings serverOnly() {
    return new TlsSettings(true, serverCert, serverKey, false, List.of());
  }

  public TlsSettings mutual() {
    return new TlsSettings(true, serverCert, serverKey, true, List.of(caCert));
  }

  /** SHA-256 of the client certificate's DER: what a client claims in {@code tls_cert_hash}. */
  public byte[] clientCertHash() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(client.getEncoded());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static X509Certificate issue(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
      boolean ca, boolean server) throws Exception {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(30))), subject,
        subjectKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    builder.addExtension(Extension.keyUsage, true, ca
        ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature)
        : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement));
    if (server) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(o);
    }
    return out.toString();
  }

  private static Path write(Path file, String text) {
    try {
      return Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
