package org.jorderer.channel.crypto;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** PEM as Go's {@code encoding/pem} reads and writes it, for certificates and keys. */
public final class Pem {
  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";

  private Pem() {}

  /** A decoded PEM block: its type ("CERTIFICATE", "PRIVATE KEY", ...) and DER bytes. */
  public record Block(String type, byte[] der) {}

  /**
   * The first PEM block in {@code text}, or null when there is none (Go's {@code pem.Decode}
   * returning nil). Headers inside the block are skipped.
   */
  public static Block decodeFirst(byte[] text) {
    String s = new String(text, StandardCharsets.ISO_8859_1);
    int search = 0;
    while (true) {
      int begin = s.indexOf(BEGIN, search);
      if (begin < 0) {
        return null;
      }
      int typeEnd = s.indexOf("-----", begin + BEGIN.length());
      if (typeEnd < 0) {
        return null;
      }
      String type = s.substring(begin + BEGIN.length(), typeEnd);
      String endMarker = END + type + "-----";
      int bodyStart = typeEnd + 5;
      int end = s.indexOf(endMarker, bodyStart);
      if (end < 0) {
        search = typeEnd;
        continue;
      }
      StringBuilder base64 = new StringBuilder(end - bodyStart);
      for (String line : s.substring(bodyStart, end).split("\n")) {
        String trimmed = line.trim();
        if (trimmed.isEmpty() || trimmed.contains(":")) {
          continue; // RFC 1421 headers (Proc-Type, DEK-Info) carry no key material for us
        }
        base64.append(trimmed);
      }
      try {
        return new Block(type, Base64.getDecoder().decode(base64.toString()));
      } catch (IllegalArgumentException e) {
        search = end;
      }
    }
  }

  /** Go's {@code pem.EncodeToMemory}: 64-character lines, trailing newline. */
  public static byte[] encode(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    String text = BEGIN + type + "-----\n" + body + "\n" + END + type + "-----\n";
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Parses DER bytes as an X.509 certificate (JDK parser). */
  public static X509Certificate certificate(byte[] der) throws CertificateException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    return (X509Certificate) factory.generateCertificate(new java.io.ByteArrayInputStream(der));
  }
}
