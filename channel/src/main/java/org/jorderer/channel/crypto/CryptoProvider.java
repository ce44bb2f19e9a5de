package org.jorderer.channel.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JCA provider every ECDSA signature and verification of this module goes through.
 *
 * <p>Signature checking is the ceiling of Broadcast throughput, so the choice is deliberate:
 * Conscrypt (BoringSSL through JNI) verifies P-256 about 20x faster than JDK 17's SunEC and 2-3x
 * faster than BouncyCastle. Conscrypt ships native code for a fixed set of platforms, so when it
 * cannot load, {@link #preferred()} falls back to BouncyCastle (pure Java). The JDK default is
 * available for comparison only.
 *
 * <p>Instances are thread-safe: {@link Signature} objects are kept per thread and per algorithm.
 */
public final class CryptoProvider {
  private static final Logger LOG = LoggerFactory.getLogger(CryptoProvider.class);

  /** Which implementation backs a provider. */
  public enum Kind {
    /** Conscrypt: BoringSSL through JNI. */
    CONSCRYPT,
    /** BouncyCastle: pure Java. */
    BOUNCY_CASTLE,
    /** Whatever the JDK picks (SunEC): slow on JDK 17, kept for comparison. */
    JDK
  }

  private static volatile CryptoProvider preferred;
  private static volatile CryptoProvider bouncyCastle;
  private static volatile CryptoProvider conscrypt;

  private final Kind kind;
  /** Null means "the JDK's default for the algorithm". */
  private final Provider provider;
  /**
   * Used for algorithms the primary provider lacks (Conscrypt has no SHA3 ECDSA); null for none.
   * Made on first use: BouncyCastle's provider registers its hundreds of algorithms when it is
   * constructed (about 0.1-0.2 s of CPU at every start of a node that never needs it;
   * docs/performance.md, "Raft catch-up after a restart", 2026-12-02).
   */
  private final java.util.function.Supplier<CryptoProvider> fallback;

  private final ThreadLocal<Map<String, Signature>> verifiers = ThreadLocal.withInitial(HashMap::new);
  private final ThreadLocal<Map<String, Signature>> signers = ThreadLocal.withInitial(HashMap::new);

  private CryptoProvider(Kind kind, Provider provider, java.util.function.Supplier<CryptoProvider> fallback) {
    this.kind = kind;
    this.provider = provider;
    this.fallback = fallback;
  }

  /**
   * Conscrypt when its native library loads and passes a sign/verify self-test, BouncyCastle
   * otherwise. Chosen once per JVM and logged. The system property {@code jorderer.crypto}
   * ({@code conscrypt}, {@code bouncycastle} or {@code jdk}) forces a choice.
   */
  public static CryptoProvider preferred() {
    CryptoProvider current = preferred;
    if (current == null) {
      synchronized (CryptoProvider.class) {
        current = preferred;
        if (current == null) {
          current = choose(System.getProperty("jorderer.crypto", ""), () -> of(Kind.CONSCRYPT));
          preferred = current;
        }
      }
    }
    return current;
  }

  /**
   * {@link #preferred()}'s choice, with the Conscrypt loader passed in so that tests can make it
   * fail as it does on a platform without Conscrypt's native library.
   */
  static CryptoProvider choose(String property, java.util.function.Supplier<CryptoProvider> conscrypt) {
    String forced = property.trim().toLowerCase(java.util.Locale.ROOT);
    switch (forced) {
      case "":
        break;
      case "conscrypt":
        return log(of(Kind.CONSCRYPT), "forced by -Djorderer.crypto");
      case "bouncycastle":
        return log(of(Kind.BOUNCY_CASTLE), "forced by -Djorderer.crypto");
      case "jdk":
        return log(of(Kind.JDK), "forced by -Djorderer.crypto");
      default:
        throw new IllegalArgumentException(
            "jorderer.crypto must be conscrypt, bouncycastle or jdk, not '" + forced + "'");
    }
    try {
      return log(conscrypt.get(), "native BoringSSL loaded");
    } catch (RuntimeException | LinkageError e) {
      LOG.warn("Conscrypt (native BoringSSL) is not usable on this platform ({}); falling back to"
          + " BouncyCastle, which verifies signatures 2-3x slower", e.toString());
      return log(of(Kind.BOUNCY_CASTLE), "fallback");
    }
  }

  private static CryptoProvider log(CryptoProvider chosen, String why) {
    LOG.info("ECDSA sign/verify provider: {} ({}; {})", chosen.kind, chosen.providerName(), why);
    return chosen;
  }

  /**
   * A provider of the given kind. Throws {@link IllegalStateException} when it cannot be used here
   * (Conscrypt without its native library).
   */
  public static CryptoProvider of(Kind kind) {
    switch (kind) {
      case CONSCRYPT:
        return conscrypt();
      case BOUNCY_CASTLE:
        return bouncyCastle();
      case JDK:
        return new CryptoProvider(Kind.JDK, null, null);
      default:
        throw new IllegalArgumentException("unknown provider kind " + kind);
    }
  }

  private static CryptoProvider bouncyCastle() {
    CryptoProvider current = bouncyCastle;
    if (current == null) {
      synchronized (CryptoProvider.class) {
        if (bouncyCastle == null) {
          bouncyCastle = new CryptoProvider(Kind.BOUNCY_CASTLE, new BouncyCastleProvider(), null);
        }
        current = bouncyCastle;
      }
    }
    return current;
  }

  private static synchronized CryptoProvider conscrypt() {
    if (conscrypt == null) {
      conscrypt = loadConscrypt();
    }
    return conscrypt;
  }

  private static CryptoProvider loadConscrypt() {
    // Conscrypt loads its native library in static initialisers: any failure surfaces here.
    if (!org.conscrypt.Conscrypt.isAvailable()) {
      Throwable cause = null;
      try {
        org.conscrypt.Conscrypt.checkAvailability();
      } catch (Throwable t) {
        cause = t;
      }
      throw new IllegalStateException("Conscrypt native library is not available", cause);
    }
    CryptoProvider candidate =
        new CryptoProvider(Kind.CONSCRYPT, org.conscrypt.Conscrypt.newProvider(), CryptoProvider::bouncyCastle);
    candidate.selfTest();
    return candidate;
  }

  /** Signs and verifies once with a fresh P-256 key, so a broken native build is caught at start. */
  private void selfTest() {
    try {
      java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
      generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
      java.security.KeyPair pair = generator.generateKeyPair();
      byte[] message = "jorderer crypto self-test".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] signature = sign(importPrivateKey(pair.getPrivate()), "SHA256withECDSA", message);
      if (!verify(importPublicKey(pair.getPublic()), "SHA256withECDSA", ByteBuffer.wrap(message), signature)) {
        throw new IllegalStateException(kind + " self-test: a fresh signature did not verify");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(kind + " self-test failed: " + e, e);
    }
  }

  public Kind kind() {
    return kind;
  }

  public String providerName() {
    return provider == null ? "JDK default" : provider.getName() + " " + provider.getVersionStr();
  }

  /**
   * The key re-created inside this provider, so that each verification does not convert a foreign
   * key object again (Conscrypt would re-encode a SunEC key into BoringSSL on every call).
   */
  public PublicKey importPublicKey(PublicKey key) throws InvalidKeyException {
    if (provider == null) {
      return key;
    }
    try {
      return KeyFactory.getInstance(key.getAlgorithm(), provider)
          .generatePublic(new X509EncodedKeySpec(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new InvalidKeyException(kind + " cannot import " + key.getAlgorithm() + " public key: " + e.getMessage(), e);
    }
  }

  /** Same as {@link #importPublicKey} for a private key. */
  public PrivateKey importPrivateKey(PrivateKey key) throws InvalidKeyException {
    if (provider == null) {
      return key;
    }
    try {
      return KeyFactory.getInstance(key.getAlgorithm(), provider)
          .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new InvalidKeyException(kind + " cannot import " + key.getAlgorithm() + " private key: " + e.getMessage(), e);
    }
  }

  /**
   * Plain JCA verification of {@code signature} (DER) over {@code data}. Low-S and DER strictness
   * are the caller's business, see {@link EcdsaSignatures}.
   */
  public boolean verify(PublicKey key, String algorithm, ByteBuffer data, byte[] signature)
      throws GeneralSecurityException {
    Signature verifier;
    try {
      verifier = cached(verifiers, algorithm);
    } catch (NoSuchAlgorithmException e) {
      if (fallback == null) {
        throw e;
      }
      CryptoProvider other = fallback.get();
      return other.verify(other.importPublicKey(key), algorithm, data, signature);
    }
    verifier.initVerify(key);
    verifier.update(data);
    try {
      return verifier.verify(signature);
    } catch (java.security.SignatureException e) {
      // Providers disagree on whether a malformed signature is "false" or an exception; callers
      // only need "not valid".
      return false;
    }
  }

  /** Plain JCA signature (DER; may be high-S, see {@link EcdsaSignatures#sign}). */
  public byte[] sign(PrivateKey key, String algorithm, byte[] data) throws GeneralSecurityException {
    Signature signer;
    try {
      signer = cached(signers, algorithm);
    } catch (NoSuchAlgorithmException e) {
      if (fallback == null) {
        throw e;
      }
      CryptoProvider other = fallback.get();
      return other.sign(other.importPrivateKey(key), algorithm, data);
    }
    signer.initSign(key);
    signer.update(data);
    return signer.sign();
  }

  private Signature cached(ThreadLocal<Map<String, Signature>> perThread, String algorithm)
      throws NoSuchAlgorithmException {
    Map<String, Signature> byAlgorithm = perThread.get();
    Signature signature = byAlgorithm.get(algorithm);
    if (signature == null) {
      signature = provider == null ? Signature.getInstance(algorithm) : Signature.getInstance(algorithm, provider);
      byAlgorithm.put(algorithm, signature);
    }
    return signature;
  }

  /**
   * Whether {@code certificate}'s signature verifies under {@code issuerKey}. Used while building
   * certificate chains (once per identity, thanks to the identity cache).
   */
  public boolean verifiesCertificate(java.security.cert.X509Certificate certificate, PublicKey issuerKey) {
    try {
      if (provider == null) {
        certificate.verify(issuerKey);
      } else {
        try {
          certificate.verify(issuerKey, provider);
        } catch (NoSuchAlgorithmException e) {
          certificate.verify(issuerKey);
        }
      }
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return kind + " (" + providerName() + ")";
  }
}
