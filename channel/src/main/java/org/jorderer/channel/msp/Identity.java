package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.jorderer.channel.crypto.EcdsaSignatures;

/**
 * An X.509 identity deserialized by one of a channel's MSPs. Immutable; its validation result is
 * computed once and remembered (as Fabric does), which is what makes repeated policy checks of
 * the same client cheap.
 */
public final class Identity {
  private final FabricMsp msp;
  private final ByteString serialized;
  private final X509Certificate certificate;
  private final byte[] sanitizedDer;
  private final String id;
  private final PublicKey verificationKey;
  private final java.math.BigInteger curveOrder;
  private final List<X509Certificate> chain;
  private final List<OrganizationalUnit> organizationalUnits;
  private volatile Optional<String> validation;

  Identity(
      FabricMsp msp,
      ByteString serialized,
      X509Certificate certificate,
      byte[] sanitizedDer,
      String id,
      PublicKey verificationKey,
      List<X509Certificate> chain,
      List<OrganizationalUnit> organizationalUnits) {
    this.msp = msp;
    this.serialized = serialized;
    this.certificate = certificate;
    this.sanitizedDer = sanitizedDer;
    this.id = id;
    this.verificationKey = verificationKey;
    this.curveOrder = EcdsaSignatures.curveOrder(certificate.getPublicKey());
    this.chain = List.copyOf(chain);
    this.organizationalUnits = List.copyOf(organizationalUnits);
  }

  /** The MSP ID the identity claims and that deserialized it. */
  public String mspId() {
    return msp.name();
  }

  /** Fabric's identity identifier: hex SHA-256 of the (low-S sanitized) certificate DER. */
  public String id() {
    return id;
  }

  /** The {@code msp.SerializedIdentity} bytes this identity was read from. */
  public ByteString serialized() {
    return serialized;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The certificate's NotAfter: Broadcast refuses at or after it, Deliver after it. */
  public Instant expiresAt() {
    return certificate.getNotAfter().toInstant();
  }

  /** Subject OUs qualified by the issuing chain, as used by OU principals and NodeOUs. */
  public List<OrganizationalUnit> organizationalUnits() {
    return organizationalUnits;
  }

  /** Certificate, issuer, ..., root: the single chain Fabric requires. */
  public List<X509Certificate> chain() {
    return chain;
  }

  byte[] sanitizedDer() {
    return sanitizedDer;
  }

  java.math.BigInteger curveOrder() {
    return curveOrder;
  }

  FabricMsp msp() {
    return msp;
  }

  /**
   * Checks {@code signature} over {@code data} as Fabric's {@code identity.Verify}: hash with the
   * MSP's signature hash family, low-S required. Empty when valid, otherwise Fabric's reason.
   */
  public Optional<String> verify(ByteBuffer data, byte[] signature) {
    return EcdsaSignatures.verify(msp.crypto(), verificationKey, curveOrder, msp.signatureAlgorithm(), data, signature);
  }

  public Optional<String> verify(byte[] data, byte[] signature) {
    return verify(ByteBuffer.wrap(data), signature);
  }

  /**
   * Fabric's {@code MSP.Validate}: chain, CRL and OU checks (time-independent: Fabric checks the
   * chain at the certificate's NotBefore + 1s, expiry is a separate check). Remembered after the
   * first call. Empty when valid, otherwise Fabric's reason.
   */
  public Optional<String> validate() {
    Optional<String> result = validation;
    if (result == null) {
      result = msp.validate(this);
      validation = result;
    }
    return result;
  }

  /** Whether this identity satisfies {@code principal}; empty when it does, else the reason. */
  public Optional<String> satisfiesPrincipal(MSPPrincipal principal) {
    return msp.satisfiesPrincipal(this, principal);
  }

  @Override
  public String toString() {
    return "Identity[" + mspId() + ", " + certificate.getSubjectX500Principal().getName() + "]";
  }
}
