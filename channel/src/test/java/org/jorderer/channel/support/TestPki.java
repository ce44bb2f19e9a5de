package org.jorderer.channel.support;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates, keys, CRLs and MSP folders made on the spot with BouncyCastle, for tests. */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime() & 0xffffffffL);
  private static final Instant NOW = Instant.now();

  private TestPki() {}

  /** A certificate and its key pair. */
  public record Issued(X509Certificate certificate, KeyPair keys) {
    public String pem() {
      return TestPki.pem(certificate);
    }
  }

  public static KeyPair keyPair(String curve) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec(curve), new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Issued rootCa(String organization) {
    return rootCa(organization, "secp256r1");
  }

  public static Issued rootCa(String organization, String curve) {
    KeyPair keys = keyPair(curve);
    X500Name name = name("ca." + organization, organization, List.of());
    return new Issued(build(name, keys, name, keys, NOW.minus(Duration.ofDays(3650)), NOW.plus(Duration.ofDays(3650)), true), keys);
  }

  public static Issued intermediateCa(Issued parent, String organization) {
    KeyPair keys = keyPair("secp256r1");
    X500Name name = name("ica." + organization, organization, List.of());
    return new Issued(build(name, keys, subject(parent), parent.keys(), NOW.minus(Duration.ofDays(3000)),
        NOW.plus(Duration.ofDays(3000)), true), keys);
  }

  public static Issued leaf(Issued issuer, String commonName, List<String> organizationalUnits) {
    return leaf(issuer, commonName, organizationalUnits, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(365)), "secp256r1");
  }

  public static Issued leaf(Issued issuer, String commonName, List<String> organizationalUnits,
      Instant notBefore, Instant notAfter, String curve) {
    KeyPair keys = keyPair(curve);
    X500Name name = name(commonName, null, organizationalUnits);
    return new Issued(build(name, keys, subject(issuer), issuer.keys(), notBefore, notAfter, false), keys);
  }

  /** A CRL signed by {@code issuer}, with its AKI, revoking the given certificates. */
  public static X509CRL crl(Issued issuer, X509Certificate... revoked) {
    try {
      Date now = Date.from(NOW.minus(Duration.ofHours(1)));
      X509v2CRLBuilder builder = new X509v2CRLBuilder(subject(issuer), now);
      builder.setNextUpdate(Date.from(NOW.plus(Duration.ofDays(30))));
      for (X509Certificate cert : revoked) {
        builder.addCRLEntry(cert.getSerialNumber(), now, 0);
      }
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer.keys().getPublic()));
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.keys().getPrivate());
      return new JcaX509CRLConverter().getCRL(builder.build(signer));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Writes a Fabric MSP folder: cacerts, optional intermediatecerts/admincerts/crls, signcerts and
   * keystore (PKCS#8), and config.yaml when {@code configYaml} is not null.
   */
  public static Path mspFolder(Path dir, Issued root, List<Issued> intermediates, List<Issued> admins,
      List<X509CRL> crls, Issued signer, String configYaml) {
    try {
      write(dir.resolve("cacerts/ca.pem"), root.pem());
      for (int i = 0; i < intermediates.size(); i++) {
        write(dir.resolve("intermediatecerts/ica" + i + ".pem"), intermediates.get(i).pem());
      }
      for (int i = 0; i < admins.size(); i++) {
        write(dir.resolve("admincerts/admin" + i + ".pem"), admins.get(i).pem());
      }
      for (int i = 0; i < crls.size(); i++) {
        write(dir.resolve("crls/crl" + i + ".pem"), pem(crls.get(i)));
      }
      if (signer != null) {
        write(dir.resolve("signcerts/cert.pem"), signer.pem());
        write(dir.resolve("keystore/priv_sk"), pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(
            signer.keys().getPrivate(), null)));
      }
      if (configYaml != null) {
        write(dir.resolve("config.yaml"), configYaml);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static final String NODE_OUS_YAML = org.jorderer.channel.msp.MspGenerator.NODE_OUS;

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

  private static X500Name subject(Issued issued) {
    return X500Name.getInstance(issued.certificate().getSubjectX500Principal().getEncoded());
  }

  private static X500Name name(String commonName, String organization, List<String> organizationalUnits) {
    X500NameBuilder builder = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.C, "US");
    if (organization != null) {
      builder.addRDN(BCStyle.O, organization);
    }
    for (String ou : organizationalUnits) {
      builder.addRDN(BCStyle.OU, ou);
    }
    return builder.addRDN(BCStyle.CN, commonName).build();
  }

  private static X509Certificate build(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
      Instant notBefore, Instant notAfter, boolean ca) {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      builder.addExtension(Extension.keyUsage, true, ca
          ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature)
          : new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(subjectKeys.getPublic()));
      if (issuerKeys != subjectKeys) {
        builder.addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
      }
      String algorithm = ((java.security.interfaces.ECPublicKey) issuerKeys.getPublic()).getParams().getOrder().bitLength() > 256
          ? "SHA384withECDSA"
          : "SHA256withECDSA";
      ContentSigner signer = new JcaContentSignerBuilder(algorithm).build(issuerKeys.getPrivate());
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
