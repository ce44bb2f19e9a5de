package org.jorderer.channel.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import org.jorderer.channel.support.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which provider signs and verifies. A platform without Conscrypt's native library is supported
 * (BouncyCastle takes over), so tests that need Conscrypt skip there instead of failing.
 */
class CryptoProviderTest {
  private static boolean conscryptLoads() {
    try {
      CryptoProvider.of(CryptoProvider.Kind.CONSCRYPT);
      return true;
    } catch (IllegalStateException | LinkageError e) {
      return false;
    }
  }

  @Test
  void withConscryptLoadingThePreferredProviderIsConscrypt() {
    assumeTrue(conscryptLoads(), "Conscrypt's native library does not load on this platform");
    assertThat(CryptoProvider.choose("", () -> CryptoProvider.of(CryptoProvider.Kind.CONSCRYPT)).kind())
        .isEqualTo(CryptoProvider.Kind.CONSCRYPT);
    assertThat(CryptoProvider.preferred().kind()).isEqualTo(CryptoProvider.Kind.CONSCRYPT);
    assertThat(CryptoProvider.preferred()).isSameAs(CryptoProvider.preferred());
  }

  @Test
  void whenConscryptCannotLoadTheChoiceFallsBackToBouncyCastle() throws Exception {
    CryptoProvider chosen = CryptoProvider.choose("", () -> {
      throw new IllegalStateException("Conscrypt native library is not available");
    });
    assertThat(chosen.kind()).isEqualTo(CryptoProvider.Kind.BOUNCY_CASTLE);
    assertThat(chosen.providerName()).startsWith("BC ");
    KeyPair keys = TestPki.keyPair("secp256r1");
    byte[] signature = EcdsaSignatures.sign(chosen, chosen.importPrivateKey(keys.getPrivate()), "SHA256withECDSA",
        new byte[] {1});
    assertThat(EcdsaSignatures.verify(chosen, chosen.importPublicKey(keys.getPublic()), "SHA256withECDSA",
        ByteBuffer.wrap(new byte[] {1}), signature)).isEmpty();

    // A native library that links but crashes is a LinkageError: the same fallback.
    assertThat(CryptoProvider.choose("", () -> {
      throw new UnsatisfiedLinkError("no conscrypt_openjdk_jni");
    }).kind()).isEqualTo(CryptoProvider.Kind.BOUNCY_CASTLE);
  }

  @Test
  void thePropertyForcesAChoiceAndRejectsUnknownValues() {
    assertThat(CryptoProvider.choose("bouncycastle", () -> {
      throw new AssertionError("Conscrypt must not be tried when BouncyCastle is forced");
    }).kind()).isEqualTo(CryptoProvider.Kind.BOUNCY_CASTLE);
    assertThat(CryptoProvider.choose(" JDK ", () -> null).kind()).isEqualTo(CryptoProvider.Kind.JDK);
    assertThatThrownBy(() -> CryptoProvider.choose("openssl", () -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'openssl'");
  }

  @ParameterizedTest
  @EnumSource(CryptoProvider.Kind.class)
  void everyProviderVerifiesWhatEveryOtherSigned(CryptoProvider.Kind kind) throws Exception {
    assumeTrue(conscryptLoads(), "Conscrypt's native library does not load on this platform");
    CryptoProvider verifier = CryptoProvider.of(kind);
    KeyPair keys = TestPki.keyPair("secp256r1");
    byte[] message = new byte[1200];
    for (CryptoProvider.Kind signerKind : CryptoProvider.Kind.values()) {
      CryptoProvider signer = CryptoProvider.of(signerKind);
      byte[] signature = EcdsaSignatures.sign(signer, signer.importPrivateKey(keys.getPrivate()), "SHA256withECDSA", message);

      assertThat(EcdsaSignatures.verify(verifier, verifier.importPublicKey(keys.getPublic()), "SHA256withECDSA",
          ByteBuffer.wrap(message), signature)).as(signerKind + " -> " + kind).isEmpty();
      message[7]++;
      assertThat(EcdsaSignatures.verify(verifier, verifier.importPublicKey(keys.getPublic()), "SHA256withECDSA",
          ByteBuffer.wrap(message), signature)).contains("The signature is invalid");
    }
  }

  @Test
  void sha3SignaturesFallBackToBouncyCastleWhereConscryptLacksThem() throws Exception {
    assumeTrue(conscryptLoads(), "Conscrypt's native library does not load on this platform");
    CryptoProvider provider = CryptoProvider.of(CryptoProvider.Kind.CONSCRYPT);
    // Conscrypt itself has no SHA3 ECDSA: what signs below can only be the BouncyCastle fallback.
    assertThatThrownBy(() -> Signature.getInstance("SHA3-256withECDSA", org.conscrypt.Conscrypt.newProvider()))
        .isInstanceOf(NoSuchAlgorithmException.class);
    KeyPair keys = TestPki.keyPair("secp256r1");
    byte[] message = {42};

    byte[] signature = EcdsaSignatures.sign(provider, provider.importPrivateKey(keys.getPrivate()), "SHA3-256withECDSA", message);

    assertThat(EcdsaSignatures.verify(provider, provider.importPublicKey(keys.getPublic()), "SHA3-256withECDSA",
        ByteBuffer.wrap(message), signature)).isEmpty();
    // And BouncyCastle alone verifies it: a real SHA3-256 ECDSA signature, not a provider quirk.
    Signature bc = Signature.getInstance("SHA3-256withECDSA", new org.bouncycastle.jce.provider.BouncyCastleProvider());
    bc.initVerify(keys.getPublic());
    bc.update(message);
    assertThat(bc.verify(signature)).isTrue();
  }
}
