package org.jorderer.channel.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.SignedData;
import org.jorderer.channel.support.TestPki;
import org.jorderer.channel.support.Vectors;
import org.junit.jupiter.api.Test;

/** Fabric's low-S rule: we only produce low-S, and we refuse high-S even though it is valid ECDSA. */
class LowSSignatureTest {
  @Test
  void everySignatureWeMakeIsLowSAndVerifies() throws Exception {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    BigInteger order = EcdsaSignatures.curveOrder(signer.identity().certificate().getPublicKey());

    for (int i = 0; i < 200; i++) {
      byte[] message = ("message " + i).getBytes(StandardCharsets.US_ASCII);
      byte[] signature = signer.sign(message);
      assertThat(EcdsaSignatures.isLowS(EcdsaSignatures.decode(signature).s(), order)).isTrue();
      assertThat(signer.identity().verify(message, signature)).isEmpty();
    }
  }

  @Test
  void highSTwinOfAValidSignatureIsRejectedWithFabricsReason() throws Exception {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    byte[] message = "the same message".getBytes(StandardCharsets.US_ASCII);
    byte[] lowS = signer.sign(message);
    EcdsaSignatures.RawSignature raw = EcdsaSignatures.decode(lowS);
    BigInteger order = EcdsaSignatures.curveOrder(signer.identity().certificate().getPublicKey());
    byte[] highS = EcdsaSignatures.encode(raw.r(), order.subtract(raw.s()));

    Signature plainJca = Signature.getInstance("SHA256withECDSA");
    plainJca.initVerify(signer.identity().certificate().getPublicKey());
    plainJca.update(message);
    assertThat(plainJca.verify(highS)).as("n - s is a mathematically valid ECDSA signature").isTrue();
    assertThat(signer.identity().verify(message, highS)).contains(
        "could not determine if signature is valid: Invalid S. Must be smaller than half the order ["
            + order.subtract(raw.s()) + "][" + order.shiftRight(1) + "].");
  }

  @Test
  void fabricEnvelopeWithItsSignatureTurnedHighSFailsTheWritersPolicy() {
    ChannelConfig vectors = ChannelConfig.fromConfigBlock(Vectors.block("vectors-0.block"));
    Envelope envelope = Vectors.envelope("broadcast-vectors-message.env");
    EcdsaSignatures.RawSignature raw = EcdsaSignatures.decode(envelope.getSignature().toByteArray());
    BigInteger p256Order = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    Envelope highS = envelope.toBuilder()
        .setSignature(ByteString.copyFrom(EcdsaSignatures.encode(raw.r(), p256Order.subtract(raw.s()))))
        .build();

    assertThat(vectors.evaluate("/Channel/Writers", SignedData.fromEnvelope(envelope)).satisfied()).isTrue();
    assertThat(vectors.evaluate("/Channel/Writers", SignedData.fromEnvelope(highS))).isEqualTo(PolicyResult.failed(
        "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the "
            + "'Writers' sub-policies to be satisfied"));
  }

  @Test
  void p384SignaturesAreLowSToo() throws Exception {
    KeyPair keys = TestPki.keyPair("secp384r1");
    CryptoProvider provider = CryptoProvider.preferred();
    BigInteger order = EcdsaSignatures.curveOrder(keys.getPublic());
    for (int i = 0; i < 50; i++) {
      byte[] message = new byte[] {(byte) i};
      byte[] signature = EcdsaSignatures.sign(provider, provider.importPrivateKey(keys.getPrivate()), "SHA256withECDSA", message);
      assertThat(EcdsaSignatures.isLowS(EcdsaSignatures.decode(signature).s(), order)).isTrue();
      assertThat(EcdsaSignatures.verify(provider, provider.importPublicKey(keys.getPublic()), "SHA256withECDSA",
          ByteBuffer.wrap(message), signature)).isEmpty();
    }
  }

  @Test
  void malformedSignaturesAreRefusedWithGoStyleReasons() throws Exception {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    byte[] message = {1, 2, 3};

    assertThat(signer.identity().verify(message, new byte[0]).orElseThrow())
        .startsWith("could not determine if signature is valid: Failed unmashalling signature [");
    assertThat(signer.identity().verify(message, EcdsaSignatures.encode(BigInteger.ONE, BigInteger.ZERO)))
        .contains("could not determine if signature is valid: Failed unmashalling signature "
            + "[invalid signature, S must be larger than zero]");
    assertThat(signer.identity().verify(message, EcdsaSignatures.encode(BigInteger.ONE, BigInteger.ONE)))
        .contains("The signature is invalid");
    // Go's asn1.Unmarshal ignores bytes after the sequence, so Fabric accepts them; so do we.
    byte[] valid = signer.sign(message);
    byte[] trailing = java.util.Arrays.copyOf(valid, valid.length + 2);
    assertThat(signer.identity().verify(message, trailing)).isEmpty();
  }
}
