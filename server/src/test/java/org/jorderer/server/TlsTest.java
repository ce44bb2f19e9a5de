package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.oldest;
import static org.jorderer.server.support.SeekRequests.seek;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.ChannelCredentials;
import io.grpc.Status.Code;
import io.grpc.TlsChannelCredentials;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.participation.AdminServer;
import org.jorderer.server.participation.ChannelParticipationHandler;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.jorderer.server.support.TestTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS on the gRPC port and the admin endpoint, accepted and refused as configured,
 * and Deliver's TLS binding (Fabric's {@code common/deliver/binding_test.go} TestBindingInspector)
 * live under mutual TLS.
 */
class TlsTest {
  @TempDir Path dir;
  private final SeekRequests requests = new SeekRequests(TestOrderer.SIGNER);

  private TestOrderer orderer(TestTls tls, boolean mutual) {
    TestOrderer orderer = new TestOrderer(dir.resolve("data"),
        new DeliverHandler.Settings(java.time.Duration.ofMinutes(15), mutual, true), TestClock.atSampleOrgEra(),
        mutual ? tls.mutual() : tls.serverOnly());
    orderer.withSampleOrgChannel(3);
    return orderer;
  }

  private static ChannelCredentials trusting(TestTls tls) throws Exception {
    return TlsChannelCredentials.newBuilder().trustManager(tls.caCert.toFile()).build();
  }

  private static ChannelCredentials withClientCert(TestTls tls, Path cert, Path key) throws Exception {
    return TlsChannelCredentials.newBuilder()
        .trustManager(tls.caCert.toFile())
        .keyManager(cert.toFile(), key.toFile())
        .build();
  }

  private Envelope request(byte[] tlsCertHash) {
    ChannelHeader.Builder header = ChannelHeader.newBuilder()
        .setType(HeaderType.DELIVER_SEEK_INFO_VALUE)
        .setChannelId("sampleorg")
        .setTimestamp(Timestamp.newBuilder().setSeconds(TestClock.SAMPLE_ORG_ERA.getEpochSecond()));
    if (tlsCertHash != null) {
      header.setTlsCertHash(ByteString.copyFrom(tlsCertHash));
    }
    return requests.envelope(header.build().toByteString(), seek(oldest(), oldest()).toByteString());
  }

  @Test
  void serverTlsServesClientsThatTrustItsCa() throws Exception {
    TestTls tls = new TestTls(dir.resolve("tls"));
    try (TestOrderer orderer = orderer(tls, false);
        DeliverClient client = new DeliverClient(orderer.connect(trusting(tls)))) {
      client.send(request(null));
      List<DeliverResponse> got = client.untilStatus(10);
      assertThat(got.get(0).getBlock().getHeader().getNumber()).isZero();
      assertThat(got.get(1).getStatus()).isEqualTo(Status.SUCCESS);

      DeliverClient plaintext = orderer.deliver();
      plaintext.send(request(null));
      assertThat(plaintext.awaitClose(10).getCode()).isEqualTo(Code.UNAVAILABLE);
    }
  }

  @Test
  void mutualTlsRefusesMissingOrForeignClientCertificates() throws Exception {
    TestTls tls = new TestTls(dir.resolve("tls"));
    try (TestOrderer orderer = orderer(tls, true)) {
      DeliverClient anonymous = new DeliverClient(orderer.connect(trusting(tls)));
      anonymous.send(request(null));
      assertThat(anonymous.awaitClose(10).getCode()).isEqualTo(Code.UNAVAILABLE);

      DeliverClient foreign = new DeliverClient(orderer.connect(withClientCert(tls, tls.foreignClientCert,
          tls.foreignClientKey)));
      foreign.send(request(null));
      assertThat(foreign.awaitClose(10).getCode()).isEqualTo(Code.UNAVAILABLE);
    }
  }

  @Test
  void underMutualTlsDeliverChecksTheTlsBinding() throws Exception {
    TestTls tls = new TestTls(dir.resolve("tls"));
    try (TestOrderer orderer = orderer(tls, true)) {
      ChannelCredentials credentials = withClientCert(tls, tls.clientCert, tls.clientKey);
      // binding.go: no hash claimed ("client didn't include its TLS cert hash").
      try (DeliverClient client = new DeliverClient(orderer.connect(credentials))) {
        client.send(request(null));
        assertThat(client.untilStatus(10)).extracting(DeliverResponse::getStatus).containsExactly(Status.BAD_REQUEST);
      }
      // binding.go: the wrong hash ("claimed TLS cert hash is ... but actual ...").
      try (DeliverClient client = new DeliverClient(orderer.connect(credentials))) {
        client.send(request(new byte[] {1, 2, 3}));
        assertThat(client.untilStatus(10)).extracting(DeliverResponse::getStatus).containsExactly(Status.BAD_REQUEST);
      }
      // binding.go: SHA-256 of the certificate this connection presented is accepted.
      try (DeliverClient client = new DeliverClient(orderer.connect(credentials))) {
        client.send(request(tls.clientCertHash()));
        List<DeliverResponse> got = client.untilStatus(10);
        assertThat(got).hasSize(2);
        assertThat(got.get(1).getStatus()).isEqualTo(Status.SUCCESS);
      }
      assertThat(orderer.counter("deliver_requests_received", "channel", "sampleorg", "filtered", "false",
          "data_type", "block")).as("binding failures are refused before counting").isEqualTo(1);
    }
  }

  @Test
  void theAdminEndpointRequiresAClientCertificateFromItsRoots() throws Exception {
    TestTls tls = new TestTls(dir.resolve("tls"));
    try (TestOrderer orderer = orderer(tls, false);
        AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), tls.mutual(),
            new ChannelParticipationHandler(orderer.channels, true, 1024 * 1024))) {
      URI uri = URI.create("https://127.0.0.1:" + admin.port() + "/participation/v1/channels");
      HttpClient withCert = HttpClient.newBuilder().sslContext(clientContext(tls, tls.clientCert, tls.clientKey)).build();
      HttpResponse<String> ok = withCert.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("sampleorg");

      HttpClient noCert = HttpClient.newBuilder().sslContext(clientContext(tls, null, null)).build();
      org.assertj.core.api.Assertions.assertThatThrownBy(
          () -> noCert.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.io.IOException.class);
      HttpClient foreign = HttpClient.newBuilder()
          .sslContext(clientContext(tls, tls.foreignClientCert, tls.foreignClientKey)).build();
      org.assertj.core.api.Assertions.assertThatThrownBy(
          () -> foreign.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.io.IOException.class);
    }
  }

  private static SSLContext clientContext(TestTls tls, Path cert, Path key) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(java.nio.file.Files.newInputStream(tls.caCert)));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (cert != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", LocalSigner.readPrivateKey(key), new char[0], new java.security.cert.Certificate[] {
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(java.nio.file.Files.newInputStream(cert))});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }
}
