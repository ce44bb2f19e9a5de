package org.jorderer.channel.msp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A TLS certificate authority made on the spot, as cryptogen makes an organization's {@code tlsca}:
 * a self-signed P-256 root that issues server and client TLS certificates for names and loopback
 * addresses. Its certificate goes into an MSP folder's {@code tlscacerts/}, which configtxgen (and
 * {@link MspFolder}) put into the channel config as the organization's {@code tls_root_certs}: the
 * roots orderers check each other's cluster certificates against.
 *
 * @param certificate the CA's self-signed certificate
 * @param privateKey the CA's key, which signs what it issues
 */
public record TlsCa(X509Certificate certificate, PrivateKey privateKey) {
  private static final SecureRandom RANDOM = new SecureRandom();

  public TlsCa {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /** A key pair and its certificate, as PEM text ready to be written to files. */
  public record Issued(KeyPair keys, X509Certificate certificate) {
    public String certificatePem() {
      return pem(certificate);
    }

    public String privateKeyPem() {
      try {
        return pem(new PemObject("PRIVATE KEY", MspGenerator.pkcs8WithPublicKey(keys)));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Writes {@code <name>.crt} and {@code <name>.key} (owner-only) into {@code dir}, cryptogen's layout. */
    public void write(Path dir, String name) throws IOException {
      writeText(dir.resolve(name + ".crt"), certificatePem());
      Path key = dir.resolve(name + ".key");
      writeText(key, privateKeyPem());
      ownerOnly(key);
    }
  }

  /** A new root CA named {@code tlsca.<organization>}, valid from five minutes ago for {@code validity}. */
  public static TlsCa generate(String organization, Duration validity) throws IOException {
    KeyPair keys = keyPair();
    X500Name name = name("tlsca." + organization, organization);
    Instant now = Instant.now();
    return new TlsCa(certificate(name, keys.getPublic(), name, keys, now.minus(Duration.ofMinutes(5)),
        now.plus(validity), true, List.of()), keys.getPrivate());
  }

  /**
   * A certificate for a new key pair, usable as TLS server and client, naming {@code hosts} (DNS
   * names or IP addresses) as subject alternative names.
   */
  public Issued issue(String commonName, List<String> hosts, Duration validity) throws IOException {
    return issue(commonName, keyPair(), hosts, validity);
  }

  /** As {@link #issue(String, List, Duration)}, for an existing key pair. */
  public Issued issue(String commonName, KeyPair keys, List<String> hosts, Duration validity) throws IOException {
    Instant now = Instant.now();
    X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    String organization = issuerOrganization();
    X509Certificate leaf = certificate(name(commonName, organization), keys.getPublic(), issuer,
        new KeyPair(certificate.getPublicKey(), privateKey), now.minus(Duration.ofMinutes(5)), now.plus(validity),
        false, hosts);
    return new Issued(keys, leaf);
  }

  public String certificatePem() {
    return pem(certificate);
  }

  /** Writes {@code ca.crt} and {@code ca.key} (owner-only) into {@code dir}. */
  public void write(Path dir) throws IOException {
    writeText(dir.resolve("ca.crt"), certificatePem());
    Path key = dir.resolve("ca.key");
    try {
      writeText(key, pem(new PemObject("PRIVATE KEY", MspGenerator.pkcs8WithPublicKey(
          new KeyPair(certificate.getPublicKey(), privateKey)))));
    } catch (ClassCastException e) {
      throw new IOException("the CA key is not an EC key", e);
    }
    ownerOnly(key);
  }

  /** Reads what {@link #write(Path)} wrote. */
  public static TlsCa read(Path dir) throws IOException {
    try {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("ca.crt"))));
      return new TlsCa(certificate, LocalSigner.readPrivateKey(dir.resolve("ca.key")));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the TLS CA in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A fresh P-256 key pair. */
  public static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 key generation is unavailable", e);
    }
  }

  private String issuerOrganization() {
    X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    var rdns = issuer.getRDNs(BCStyle.O);
    return rdns.length == 0 ? "jorderer" : rdns[0].getFirst().getValue().toString();
  }

  private static X500Name name(String commonName, String organization) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, organization).addRDN(BCStyle.CN, commonName).build();
  }

  private static X509Certificate certificate(X500Name subject, PublicKey subjectKey, X500Name issuer,
      KeyPair issuerKeys, Instant notBefore, Instant notAfter, boolean ca, List<String> hosts) throws IOException {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
          Date.from(notBefore), Date.from(notAfter), subject, subjectKey);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(subjectKey));
      if (ca) {
        builder.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      } else {
        // cryptogen's TLS leaves: digital signature and key encipherment, server and client auth.
        builder.addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
        if (!hosts.isEmpty()) {
          List<GeneralName> names = new ArrayList<>();
          for (String host : hosts) {
            boolean ip = host.matches("[0-9.]+") || host.contains(":");
            names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
          }
          builder.addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(names.toArray(GeneralName[]::new)));
        }
      }
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IOException("cannot issue a certificate for " + subject + ": " + e.getMessage(), e);
    }
  }

  private static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  private static void writeText(Path file, String text) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

  private static void ownerOnly(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its own defaults apply
    }
  }
}
