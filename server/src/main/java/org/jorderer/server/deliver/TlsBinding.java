package org.jorderer.server.deliver;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.hyperledger.fabric.protos.common.ChannelHeader;

/**
 * Fabric's TLS binding check ({@code common/deliver/binding.go}): with mutual TLS, a Deliver
 * request must carry in its channel header the SHA-256 of the DER certificate the client presented
 * on this connection, so a signed request cannot be replayed over someone else's connection.
 */
final class TlsBinding {
  private final boolean mutualTls;

  TlsBinding(boolean mutualTls) {
    this.mutualTls = mutualTls;
  }

  /** Empty when the request passes; otherwise the reason, which is logged (never sent). */
  Optional<String> inspect(ChannelHeader header, SSLSession session) {
    if (header == null) {
      return Optional.of("message is nil");
    }
    if (!mutualTls) {
      return Optional.empty();
    }
    byte[] claimed = header.getTlsCertHash().toByteArray();
    if (claimed.length == 0) {
      return Optional.of("client didn't include its TLS cert hash");
    }
    byte[] actual = clientCertificateHash(session);
    if (actual == null) {
      return Optional.of("client didn't send a TLS certificate");
    }
    if (!MessageDigest.isEqual(claimed, actual)) {
      return Optional.of("claimed TLS cert hash is " + goBytes(claimed) + " but actual TLS cert hash is " + goBytes(actual));
    }
    return Optional.empty();
  }

  private static byte[] clientCertificateHash(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0) {
        return null;
      }
      return MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded());
    } catch (SSLPeerUnverifiedException e) {
      return null;
    } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot hash the client's TLS certificate", e);
    }
  }

  /** Go's {@code %v} of a byte slice, as Fabric logs it: {@code [1 2 3]}. */
  static String goBytes(byte[] bytes) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < bytes.length; i++) {
      if (i > 0) {
        out.append(' ');
      }
      out.append(bytes[i] & 0xff);
    }
    return out.append(']').toString();
  }
}
