package org.jorderer.channel.msp;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Writes a new organization's MSP folders as Fabric's {@code cryptogen} lays them out: a P-256
 * root CA, NodeOUs enabled, one folder for the orderer's own identity (OU {@code orderer}) and one
 * for an admin (OU {@code admin}) that clients such as {@code jorderer fetch} can sign with. Keys
 * are PKCS#8 PEM in {@code keystore/priv_sk}, readable by the owner only.
 */
public final class MspGenerator {
  private static final SecureRandom RANDOM = new SecureRandom();

  private MspGenerator() {}

  /** The config.yaml of a folder with NodeOUs on, each OU certified by the folder's root CA. */
  public static final String NODE_OUS = String.join("\n",
      "NodeOUs:",
      "  Enable: true",
      "  ClientOUIdentifier:",
      "    Certificate: cacerts/ca.pem",
      "    OrganizationalUnitIdentifier: client",
      "  PeerOUIdentifier:",
      "    Certificate: cacerts/ca.pem",
      "    OrganizationalUnitIdentifier: peer",
      "  AdminOUIdentifier:",
      "    Certificate: cacerts/ca.pem",
      "    OrganizationalUnitIdentifier: admin",
      "  OrdererOUIdentifier:",
      "    Certificate: cacerts/ca.pem",
      "    OrganizationalUnitIdentifier: orderer",
      "");

  /**
   * @param organization the O of the certificates (the CA is {@code ca.<organization>})
   * @param validity how long the certificates are valid from now
   */
  public static void generate(Path ordererMsp, Path adminMsp, String organization, String ordererName, Duration validity)
      throws IOException {
    Instant now = Instant.now();
    Instant notBefore = now.minus(Duration.ofMinutes(5)); // tolerate small clock skew between hosts
    Instant notAfter = now.plus(validity);
    KeyPair caKeys = TlsCa.keyPair();
    X500Name caName = name("ca." + organization, organization, null);
    X509Certificate ca = certificate(caName, caKeys, caName, caKeys, notBefore, notAfter, true);
    KeyPair ordererKeys = TlsCa.keyPair();
    X509Certificate orderer = certificate(name(ordererName, organization, "orderer"), ordererKeys, caName, caKeys,
        notBefore, notAfter, false);
    KeyPair adminKeys = TlsCa.keyPair();
    X509Certificate admin = certificate(name("Admin@" + organization, organization, "admin"), adminKeys, caName,
        caKeys, notBefore, notAfter, false);
    writeFolder(ordererMsp, ca, orderer, ordererKeys);
    writeFolder(adminMsp, ca, admin, adminKeys);
  }

  private static void writeFolder(Path dir, X509Certificate ca, X509Certificate cert, KeyPair keys) throws IOException {
    write(dir.resolve("cacerts/ca.pem"), pem(ca));
    write(dir.resolve("signcerts/cert.pem"), pem(cert));
    Path key = dir.resolve("keystore/priv_sk");
    write(key, pem(new PemObject("PRIVATE KEY", pkcs8WithPublicKey(keys))));
    try {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its own defaults apply
    }
    write(dir.resolve("config.yaml"), NODE_OUS);
  }

  /**
   * PKCS#8 as Go's {@code x509.MarshalPKCS8PrivateKey} writes it for cryptogen: the inner
   * ECPrivateKey carries the public key and leaves the curve to the outer algorithm identifier.
   * The JDK's own encoding leaves the public key out, and Fabric's Node SDK (jsrsasign, in
   * fabric-common's CryptoSuite_ECDSA_AES.createKeyFromRaw) cannot load a key without it.
   */
  static byte[] pkcs8WithPublicKey(KeyPair keys) throws IOException {
    BigInteger secret = ((java.security.interfaces.ECPrivateKey) keys.getPrivate()).getS();
    SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    org.bouncycastle.asn1.sec.ECPrivateKey inner =
        new org.bouncycastle.asn1.sec.ECPrivateKey(256, secret, publicKey.getPublicKeyData(), null);
    return new PrivateKeyInfo(publicKey.getAlgorithm(), inner).getEncoded(ASN1Encoding.DER);
  }


  private static X500Name name(String commonName, String organization, String organizationalUnit) {
    X500NameBuilder builder = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, organization);
    if (organizationalUnit != null) {
      builder.addRDN(BCStyle.OU, organizationalUnit);
    }
    return builder.addRDN(BCStyle.CN, commonName).build();
  }

  private static X509Certificate certificate(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
      Instant notBefore, Instant notAfter, boolean ca) throws IOException {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
          Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      builder.addExtension(Extension.keyUsage, true, ca
          ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature)
          : new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(subjectKeys.getPublic()));
      if (!ca) {
        builder.addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IOException("cannot issue a certificate for " + subject + ": " + e.getMessage(), e);
    }
  }

  private static String pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }
}
