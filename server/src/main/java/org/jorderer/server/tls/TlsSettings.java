package org.jorderer.server.tls;

import java.nio.file.Path;
import java.util.List;

/**
 * One listener's TLS, as Fabric's orderer.yaml describes it ({@code General.TLS},
 * {@code Admin.TLS}, {@code Operations.TLS}): PEM files for the server's certificate and key, and
 * the CA certificates client certificates must chain to when clients authenticate.
 */
public record TlsSettings(
    boolean enabled,
    Path certificate,
    Path privateKey,
    boolean clientAuthRequired,
    List<Path> clientRootCAs) {

  public static final TlsSettings DISABLED = new TlsSettings(false, null, null, false, List.of());

  public TlsSettings {
    clientRootCAs = List.copyOf(clientRootCAs);
    if (enabled && (certificate == null || privateKey == null)) {
      throw new IllegalArgumentException("TLS is enabled but the certificate or the private key is not set");
    }
    if (enabled && clientAuthRequired && clientRootCAs.isEmpty()) {
      throw new IllegalArgumentException("client authentication is required but no client root CAs are set");
    }
  }

  /** Both TLS and client certificates: what turns on Deliver's TLS binding check. */
  public boolean mutual() {
    return enabled && clientAuthRequired;
  }
}
