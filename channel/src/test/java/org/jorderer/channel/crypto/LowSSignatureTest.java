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
  // The curve orders from SEC 2 (the oracle for "low S": s <= n/2), not from the code under test.
  private static final BigInteger P256_ORDER =
      new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
  private static final BigInteger P384_ORDER = new BigInteger(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16);

  private static void assertLowS(byte[] signature, BigInteger order) {
    BigInteger s = EcdsaSignatures.decode(signature).s();
    assertThat(s.signum()).isPositive();
    assertThat(s).as("s <= n/2").isLessThanOrEqualTo(order.shiftRight(1));
  }

  @Test
  void theLowSRuleIsFabricsAtTheHalfOrderBoundary() {
    // Fabric's IsLowS: s <= (n-1)/2, the integer half of the odd order n.
    BigInteger half = P256_ORDER.shiftRight(1);
    assertThat(half).isEqualTo(new BigInteger("7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8", 16));
    assertThat(EcdsaSignatures.isLowS(half, P256_ORDER)).isTrue();
    assertThat(EcdsaSignatures.isLowS(half.add(BigInteger.ONE), P256_ORDER)).isFalse();
    assertThat(EcdsaSignatures.isLowS(BigInteger.ONE, P256_ORDER)).isTrue();
    assertThat(EcdsaSignatures.isLowS(P256_ORDER.subtract(BigInteger.ONE), P256_ORDER)).isFalse();
  }

  @Test
  void theCurveOrderIsReadFromTheKey() {
    assertThat(EcdsaSignatures.curveOrder(TestPki.keyPair("secp256r1").getPublic())).isEqualTo(P256_ORDER);
    assertThat(EcdsaSignatures.curveOrder(TestPki.keyPair("secp384r1").getPublic())).isEqualTo(P384_ORDER);
  }

  @Test
  void fabricsOwnSignaturesAreLowS() {
    // Signatures the Go orderer and peer CLI made: Fabric's signer normalises to low S.
    assertLowS(Vectors.envelope("broadcast-vectors-message.env").getSignature().toByteArray(), P256_ORDER);
    assertLowS(Vectors.envelope("seek-vectors-1-to-2.env").getSignature().toByteArray(), P256_ORDER);
  }
  @Test
  void everySignatureWeMakeIsLowSAndVerifies() throws Exception {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");

    // About half of raw ECDSA signatures are high-S, so 200 without normalisation would fail.
    for (int i = 0; i < 200; i++) {
      byte[] message = ("message " + i).getBytes(StandardCharsets.US_ASCII);
      byte[] signature = signer.sign(message);
      assertLowS(signature, P256_ORDER);
      assertThat(signer.identity().verify(message, signature)).isEmpty();
    }
  }

  @Test
  void highSTwinOfAValidSignatureIsRejectedWithFabricsReason() throws Exception {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    byte[] message = "the same message".getBytes(StandardCharsets.US_ASCII);
    byte[] lowS = signer.sign(message);
    EcdsaSignatures.RawSignature raw = EcdsaSignatures.decode(lowS);
    BigInteger order = P256_ORDER;
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
    BigInteger p256Order = P256_ORDER;
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
    for (int i = 0; i < 50; i++) {
      byte[] message = new byte[] {(byte) i};
      byte[] signature = EcdsaSignatures.sign(provider, provider.importPrivateKey(keys.getPrivate()), "SHA256withECDSA", message);
      assertLowS(signature, P384_ORDER);
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
