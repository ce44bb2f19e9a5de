package org.jorderer.channel.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import org.jorderer.channel.support.TestPki;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class CryptoProviderTest {
  @Test
  void preferredIsConscryptWhereItsNativeLibraryLoadsElseBouncyCastle() {
    CryptoProvider.Kind expected = org.conscrypt.Conscrypt.isAvailable()
        ? CryptoProvider.Kind.CONSCRYPT
        : CryptoProvider.Kind.BOUNCY_CASTLE;

    assertThat(CryptoProvider.preferred().kind()).isEqualTo(expected);
    assertThat(CryptoProvider.preferred()).isSameAs(CryptoProvider.preferred());
  }

  @ParameterizedTest
  @EnumSource(CryptoProvider.Kind.class)
  void everyProviderVerifiesWhatEveryOtherSigned(CryptoProvider.Kind kind) throws Exception {
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
    CryptoProvider provider = CryptoProvider.preferred();
    KeyPair keys = TestPki.keyPair("secp256r1");
    byte[] message = {42};

    byte[] signature = EcdsaSignatures.sign(provider, provider.importPrivateKey(keys.getPrivate()), "SHA3-256withECDSA", message);

    assertThat(EcdsaSignatures.verify(provider, provider.importPublicKey(keys.getPublic()), "SHA3-256withECDSA",
        ByteBuffer.wrap(message), signature)).isEmpty();
  }
}
