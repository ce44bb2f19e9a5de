package org.jorderer.channel.msp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;
import org.jorderer.channel.crypto.Pem;
import org.jorderer.channel.support.TestPki;
import org.jorderer.channel.support.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSignerTest {
  @TempDir Path tmp;

  @Test
  void sampleMspLoadsAndSerializesAsFabricDoes() throws Exception {
    LocalSigner signer = LocalSigner.load(Vectors.msp(), "SampleOrg");
    SerializedIdentity serialized = SerializedIdentity.parseFrom(signer.serializedIdentity());

    assertThat(serialized.getMspid()).isEqualTo("SampleOrg");
    assertThat(serialized.getIdBytes().toStringUtf8()).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
    assertThat(signer.identity().expiresAt()).isEqualTo(Instant.parse("2027-11-10T13:41:11Z"));
    assertThat(signer.identity().organizationalUnits()).extracting(OrganizationalUnit::identifier).containsExactly("COP");
  }

  @Test
  void sec1KeysLoadToo() throws Exception {
    TestPki.Issued root = TestPki.rootCa("org1.example.com");
    TestPki.Issued orderer = TestPki.leaf(root, "orderer0", List.of());
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(), List.of(), orderer, null);
    // SEC1 as openssl writes it: named curve in [0], here without the optional public key.
    PrivateKeyInfo pkcs8 = PrivateKeyInfo.getInstance(orderer.keys().getPrivate().getEncoded());
    ECPrivateKey sec1 = new ECPrivateKey(256, ECPrivateKey.getInstance(pkcs8.parsePrivateKey()).getKey(),
        pkcs8.getPrivateKeyAlgorithm().getParameters());
    Files.write(msp.resolve("keystore/priv_sk"), Pem.encode("EC PRIVATE KEY", sec1.getEncoded()));
    assertThat(Files.readString(msp.resolve("keystore/priv_sk"))).startsWith("-----BEGIN EC PRIVATE KEY-----");

    LocalSigner signer = LocalSigner.load(msp, "Org1MSP");

    byte[] message = {1, 2, 3};
    assertThat(signer.identity().verify(message, signer.sign(message))).isEmpty();
  }

  @Test
  void keyThatDoesNotMatchTheCertificateIsRefused() throws Exception {
    TestPki.Issued root = TestPki.rootCa("org1.example.com");
    TestPki.Issued orderer = TestPki.leaf(root, "orderer0", List.of());
    TestPki.Issued other = TestPki.leaf(root, "other", List.of());
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(), List.of(), orderer, null);
    Files.writeString(msp.resolve("keystore/priv_sk"),
        TestPki.pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(other.keys().getPrivate(), null)));

    assertThatThrownBy(() -> LocalSigner.load(msp, "Org1MSP")).isInstanceOf(IOException.class)
        .hasMessageContaining("matches the signing certificate");
  }

  @Test
  void certificateFromAnotherCaIsRefused() throws Exception {
    TestPki.Issued root = TestPki.rootCa("org1.example.com");
    TestPki.Issued foreign = TestPki.leaf(TestPki.rootCa("evil.example.com"), "orderer0", List.of());
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(), List.of(), foreign, null);

    assertThatThrownBy(() -> LocalSigner.load(msp, "Org1MSP")).isInstanceOf(IOException.class)
        .hasMessageEndingWith("is not valid for MSP Org1MSP: the supplied identity is not valid: "
            + "x509: certificate signed by unknown authority");
  }

  @Test
  void pemEncodingMatchesGo() {
    byte[] der = new byte[100];
    String pem = new String(Pem.encode("CERTIFICATE", der), StandardCharsets.US_ASCII);

    assertThat(pem.lines().toList()).hasSize(5);
    assertThat(pem.lines().skip(1).findFirst().orElseThrow()).hasSize(64);
    assertThat(Pem.decodeFirst(pem.getBytes(StandardCharsets.US_ASCII)).der()).isEqualTo(der);
  }
}
