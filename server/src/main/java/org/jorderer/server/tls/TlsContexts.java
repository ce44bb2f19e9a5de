package org.jorderer.server.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.jorderer.channel.msp.LocalSigner;

/**
 * Turns {@link TlsSettings} into what the listeners need: gRPC server credentials and a JSSE
 * {@link SSLContext}. Keys are read as Fabric's tools write them (PKCS#8 or SEC1 PEM), so the same
 * files work for the gRPC port and the admin and operations endpoints.
 */
public final class TlsContexts {
  private static final char[] NO_PASSWORD = new char[0];

  private TlsContexts() {}

  public static ServerCredentials grpc(TlsSettings tls) {
    TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder().keyManager(keyManagers(tls));
    if (tls.clientAuthRequired()) {
      builder.trustManager(trustManagers(tls.clientRootCAs()))
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return builder.build();
  }

  public static SSLContext ssl(TlsSettings tls) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers(tls), tls.clientAuthRequired() ? trustManagers(tls.clientRootCAs()) : null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** For a JDK HTTPS server: its SSL context, and client certificates required when configured. */
  public static HttpsConfigurator https(TlsSettings tls) {
    SSLContext context = ssl(tls);
    return new HttpsConfigurator(context) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setNeedClientAuth(tls.clientAuthRequired());
        params.setSSLParameters(parameters);
      }
    };
  }

  private static KeyManager[] keyManagers(TlsSettings tls) {
    try {
      PrivateKey key = LocalSigner.readPrivateKey(tls.privateKey());
      List<X509Certificate> chain = certificates(tls.certificate());
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("no certificate in " + tls.certificate());
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("server", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, NO_PASSWORD);
      return factory.getKeyManagers();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the TLS key pair " + tls.certificate() + ", " + tls.privateKey(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("bad TLS key pair " + tls.certificate() + ", " + tls.privateKey()
          + ": " + e.getMessage(), e);
    }
  }

  private static TrustManager[] trustManagers(List<Path> roots) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int n = 0;
      for (Path root : roots) {
        for (X509Certificate cert : certificates(root)) {
          store.setCertificateEntry("ca" + n++, cert);
        }
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read client root CAs " + roots, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("bad client root CAs " + roots + ": " + e.getMessage(), e);
    }
  }

  static List<X509Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(pem)) {
      for (Certificate c : factory.generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
    }
    return out;
  }
}
