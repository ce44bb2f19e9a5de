package org.jorderer.channel.msp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MspGeneratorTest {
  @TempDir Path tmp;

  /**
   * The key file is PKCS#8 laid out as cryptogen writes it: the public key inside the
   * ECPrivateKey (Fabric's Node SDK refuses a key without it), the curve only outside.
   */
  @Test
  void keysAreWrittenAsCryptogenWritesThem() throws Exception {
    MspGenerator.generate(tmp.resolve("msp"), tmp.resolve("admin-msp"), "example.com", "orderer.example.com",
        Duration.ofDays(1));
    for (String folder : new String[] {"msp", "admin-msp"}) {
      Path dir = tmp.resolve(folder);
      byte[] der;
      try (PemReader reader = new PemReader(Files.newBufferedReader(dir.resolve("keystore/priv_sk")))) {
        var pem = reader.readPemObject();
        assertThat(pem.getType()).isEqualTo("PRIVATE KEY");
        der = pem.getContent();
      }
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
      ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
      assertThat(inner.getParametersObject()).isNull();
      LocalSigner signer = LocalSigner.load(dir, "ExampleMSP");
      byte[] certifiedKey = SubjectPublicKeyInfo.getInstance(
          signer.identity().certificate().getPublicKey().getEncoded()).getPublicKeyData().getBytes();
      assertThat(inner.getPublicKey().getBytes()).isEqualTo(certifiedKey);
      byte[] message = {4, 5, 6};
      assertThat(signer.identity().verify(message, signer.sign(message))).isEmpty();
    }
  }
}
