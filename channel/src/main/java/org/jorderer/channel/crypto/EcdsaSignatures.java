package org.jorderer.channel.crypto;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.util.Optional;

/**
 * ECDSA the way Fabric's software BCCSP does it: signatures are DER {@code SEQUENCE{r, s}} with
 * {@code s <= n/2} ("low-S"). Signing normalises to low-S; verification refuses high-S before any
 * curve arithmetic, with Fabric's texts.
 *
 * <p>Why: ECDSA signatures are malleable ({@code (r, n-s)} is as valid as {@code (r, s)}); Fabric
 * removes the malleability by accepting only low-S, and peers reject blocks and transactions signed
 * otherwise. The JCA providers return high-S about half the time.
 */
public final class EcdsaSignatures {
  private EcdsaSignatures() {}

  /**
   * A parsed signature.
   *
   * @param derLength bytes of the DER sequence, or -1 when it holds extra elements after s
   */
  public record RawSignature(BigInteger r, BigInteger s, int derLength) {}

  /**
   * Signs {@code message} (the provider hashes it with the algorithm's digest) and returns a low-S
   * DER signature.
   */
  public static byte[] sign(CryptoProvider provider, PrivateKey key, String algorithm, byte[] message)
      throws GeneralSecurityException {
    return sign(provider, key, curveOrder(key), algorithm, message);
  }

  /** {@link #sign} with the curve order supplied (asking a native key for it costs JNI calls). */
  public static byte[] sign(CryptoProvider provider, PrivateKey key, BigInteger order, String algorithm, byte[] message)
      throws GeneralSecurityException {
    byte[] der = provider.sign(key, algorithm, message);
    RawSignature raw = decode(der);
    if (isLowS(raw.s(), order)) {
      return der;
    }
    return encode(raw.r(), order.subtract(raw.s()));
  }

  /**
   * Fabric's {@code verifyECDSA} plus {@code identity.Verify}: empty when the signature is valid,
   * otherwise the reason Fabric gives.
   */
  public static Optional<String> verify(
      CryptoProvider provider, PublicKey key, String algorithm, ByteBuffer message, byte[] signature) {
    return verify(provider, key, curveOrder(key), algorithm, message, signature);
  }

  /**
   * {@link #verify} with the key's curve order supplied: a Conscrypt key rebuilds its curve
   * parameters through JNI on every {@code getParams()}, which would cost a quarter of a verify.
   */
  public static Optional<String> verify(CryptoProvider provider, PublicKey key, BigInteger order, String algorithm,
      ByteBuffer message, byte[] signature) {
    RawSignature raw;
    try {
      raw = decode(signature);
    } catch (IllegalArgumentException e) {
      return Optional.of("could not determine if signature is valid: Failed unmashalling signature ["
          + e.getMessage() + "]");
    }
    if (!isLowS(raw.s(), order)) {
      return Optional.of("could not determine if signature is valid: Invalid S. Must be smaller than half the order ["
          + raw.s() + "][" + order.shiftRight(1) + "].");
    }
    try {
      // Re-encoded so that every provider sees canonical DER: Go ignores bytes after the
      // sequence, BoringSSL would not.
      byte[] canonical = raw.derLength() == signature.length ? signature : encode(raw.r(), raw.s());
      if (provider.verify(key, algorithm, message, canonical)) {
        return Optional.empty();
      }
      return Optional.of("The signature is invalid");
    } catch (GeneralSecurityException e) {
      return Optional.of("could not determine if signature is valid: " + e.getMessage());
    }
  }

  public static boolean isLowS(BigInteger s, BigInteger curveOrder) {
    return s.compareTo(curveOrder.shiftRight(1)) <= 0;
  }

  public static BigInteger curveOrder(java.security.Key key) {
    if (!(key instanceof ECKey)) {
      throw new IllegalArgumentException("not an EC key: " + key.getAlgorithm());
    }
    return ((ECKey) key).getParams().getOrder();
  }

  /**
   * Parses DER {@code SEQUENCE{INTEGER r, INTEGER s}} with Go's {@code asn1.Unmarshal} rules as
   * Fabric's {@code UnmarshalECDSASignature} applies them: minimal encodings, r and s positive,
   * anything after the sequence ignored.
   */
  public static RawSignature decode(byte[] der) {
    if (der == null || der.length == 0) {
      throw new IllegalArgumentException("asn1: syntax error: sequence truncated");
    }
    int[] position = {0};
    if ((der[0] & 0xff) != 0x30) {
      throw new IllegalArgumentException("asn1: structure error: tags don't match");
    }
    position[0] = 1;
    int length = readLength(der, position);
    int end = position[0] + length;
    if (end > der.length) {
      throw new IllegalArgumentException("asn1: syntax error: data truncated");
    }
    BigInteger r = readInteger(der, position, end);
    BigInteger s = readInteger(der, position, end);
    if (r.signum() != 1) {
      throw new IllegalArgumentException("invalid signature, R must be larger than zero");
    }
    if (s.signum() != 1) {
      throw new IllegalArgumentException("invalid signature, S must be larger than zero");
    }
    // Go allows extra bytes inside the sequence after s (X.509 extensibility) and after it;
    // -1 marks "not canonical DER", so verification re-encodes before handing it to a provider.
    return new RawSignature(r, s, position[0] == end ? end : -1);
  }

  private static int readLength(byte[] der, int[] position) {
    if (position[0] >= der.length) {
      throw new IllegalArgumentException("asn1: syntax error: data truncated");
    }
    int first = der[position[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int count = first & 0x7f;
    if (count == 0 || count > 3) {
      throw new IllegalArgumentException("asn1: syntax error: unsupported length");
    }
    int length = 0;
    for (int i = 0; i < count; i++) {
      if (position[0] >= der.length) {
        throw new IllegalArgumentException("asn1: syntax error: data truncated");
      }
      length = (length << 8) | (der[position[0]++] & 0xff);
    }
    if (length < 0x80 || (count > 1 && length >> (8 * (count - 1)) == 0)) {
      throw new IllegalArgumentException("asn1: structure error: non-minimal length");
    }
    return length;
  }

  private static BigInteger readInteger(byte[] der, int[] position, int end) {
    if (position[0] >= end) {
      throw new IllegalArgumentException("asn1: syntax error: sequence truncated");
    }
    if ((der[position[0]++] & 0xff) != 0x02) {
      throw new IllegalArgumentException("asn1: structure error: tags don't match");
    }
    int length = readLength(der, position);
    if (length == 0) {
      throw new IllegalArgumentException("asn1: syntax error: empty integer");
    }
    if (position[0] + length > end) {
      throw new IllegalArgumentException("asn1: syntax error: data truncated");
    }
    if (length > 1) {
      int b0 = der[position[0]] & 0xff;
      int b1 = der[position[0] + 1] & 0xff;
      if ((b0 == 0 && (b1 & 0x80) == 0) || (b0 == 0xff && (b1 & 0x80) != 0)) {
        throw new IllegalArgumentException("asn1: structure error: integer not minimally-encoded");
      }
    }
    byte[] magnitude = new byte[length];
    System.arraycopy(der, position[0], magnitude, 0, length);
    position[0] += length;
    return new BigInteger(magnitude);
  }

  /** DER {@code SEQUENCE{INTEGER r, INTEGER s}}. */
  public static byte[] encode(BigInteger r, BigInteger s) {
    byte[] rBytes = r.toByteArray();
    byte[] sBytes = s.toByteArray();
    ByteArrayOutputStream body = new ByteArrayOutputStream(rBytes.length + sBytes.length + 8);
    writeTagged(body, 0x02, rBytes);
    writeTagged(body, 0x02, sBytes);
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.size() + 4);
    writeTagged(out, 0x30, body.toByteArray());
    return out.toByteArray();
  }

  private static void writeTagged(ByteArrayOutputStream out, int tag, byte[] content) {
    out.write(tag);
    if (content.length < 0x80) {
      out.write(content.length);
    } else if (content.length < 0x100) {
      out.write(0x81);
      out.write(content.length);
    } else {
      out.write(0x82);
      out.write(content.length >>> 8);
      out.write(content.length);
    }
    out.write(content, 0, content.length);
  }
}
