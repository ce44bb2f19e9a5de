package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.crypto.EcdsaSignatures;
import org.jorderer.channel.crypto.Pem;

/**
 * The orderer's own signing identity, loaded from a Fabric MSP folder: {@code signcerts/} (the
 * certificate), {@code keystore/} (its EC private key, PKCS#8 or SEC1 PEM), and the verifying part
 * (cacerts, config.yaml, ...) against which the certificate is checked at load time.
 */
public final class LocalSigner {
  private final String mspId;
  private final Identity identity;
  private final PrivateKey privateKey;
  private final CryptoProvider crypto;
  private final ByteString serializedIdentity;
  private final String algorithm;

  private LocalSigner(String mspId, Identity identity, PrivateKey privateKey, CryptoProvider crypto) {
    this.mspId = mspId;
    this.identity = identity;
    this.privateKey = privateKey;
    this.crypto = crypto;
    this.algorithm = identity.msp().signatureAlgorithm();
    this.serializedIdentity = identity.serialized();
  }

  public static LocalSigner load(Path mspDir, String mspId) throws IOException {
    return load(mspDir, mspId, CryptoProvider.preferred());
  }

  /**
   * @throws IOException when a file is missing or unreadable, the key does not match the
   *     certificate, or the certificate is not a valid identity of the folder's own MSP
   */
  public static LocalSigner load(Path mspDir, String mspId, CryptoProvider crypto) throws IOException {
    List<ByteString> signcerts = MspFolder.pemBlocks(mspDir.resolve("signcerts"));
    if (signcerts.isEmpty()) {
      throw new IOException("no signing certificate in " + mspDir.resolve("signcerts"));
    }
    FabricMsp msp;
    try {
      msp = FabricMsp.fromConfig(MspFolder.read(mspDir, mspId), crypto);
    } catch (IllegalArgumentException e) {
      throw new IOException("MSP folder " + mspDir + " is not a valid MSP: " + e.getMessage(), e);
    }
    Pem.Block certBlock = Pem.decodeFirst(signcerts.get(0).toByteArray());
    Identity identity;
    try {
      // Fabric serializes the sanitized (low-S) certificate, re-encoded as PEM.
      Identity asRead = msp.deserialize(serialize(mspId, signcerts.get(0)),
          SerializedIdentity.newBuilder().setMspid(mspId).setIdBytes(signcerts.get(0)).build());
      ByteString canonical = serialize(mspId, ByteString.copyFrom(Pem.encode("CERTIFICATE", asRead.sanitizedDer())));
      identity = msp.deserialize(canonical, SerializedIdentity.parseFrom(canonical));
    } catch (IdentityException e) {
      throw new IOException("signing certificate " + mspDir.resolve("signcerts") + " is not valid for MSP "
          + mspId + ": " + e.getMessage());
    }
    java.util.Optional<String> invalid = identity.validate();
    if (invalid.isPresent()) {
      throw new IOException("signing certificate is not a valid identity of MSP " + mspId + ": " + invalid.get());
    }
    PrivateKey key = findKey(mspDir.resolve("keystore"), identity, crypto, certBlock);
    return new LocalSigner(mspId, identity, key, crypto);
  }

  private static ByteString serialize(String mspId, ByteString pem) {
    return SerializedIdentity.newBuilder().setMspid(mspId).setIdBytes(pem).build().toByteString();
  }

  private static PrivateKey findKey(Path keystore, Identity identity, CryptoProvider crypto, Pem.Block cert)
      throws IOException {
    List<Path> files;
    if (!Files.isDirectory(keystore)) {
      throw new IOException("no keystore directory " + keystore);
    }
    try (Stream<Path> listing = Files.list(keystore)) {
      files = listing.filter(Files::isRegularFile).sorted().toList();
    }
    List<String> problems = new ArrayList<>();
    byte[] probe = "jorderer key probe".getBytes(StandardCharsets.US_ASCII);
    for (Path file : files) {
      try {
        PrivateKey key = crypto.importPrivateKey(readPrivateKey(file));
        byte[] signature = EcdsaSignatures.sign(crypto, key, identity.msp().signatureAlgorithm(), probe);
        if (identity.verify(ByteBuffer.wrap(probe), signature).isEmpty()) {
          return key;
        }
        problems.add(file.getFileName() + ": does not match the signing certificate");
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        problems.add(file.getFileName() + ": " + e.getMessage());
      }
    }
    throw new IOException("no private key in " + keystore + " matches the signing certificate " + problems);
  }

  /** PKCS#8 ("PRIVATE KEY", what cryptogen and fabric-ca write) or SEC1 ("EC PRIVATE KEY"). */
  /** Reads a PEM private key, PKCS#8 or SEC1 (both appear in Fabric MSP and TLS folders). */
  public static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
    String text = Files.readString(file, StandardCharsets.ISO_8859_1);
    Pem.Block block = Pem.decodeFirst(text.getBytes(StandardCharsets.ISO_8859_1));
    if (block == null) {
      throw new IOException("no PEM block");
    }
    if (block.type().equals("PRIVATE KEY")) {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(block.der()));
    }
    if (block.type().equals("EC PRIVATE KEY")) {
      try (PEMParser parser = new PEMParser(new StringReader(text))) {
        Object parsed = parser.readObject();
        PrivateKeyInfo info = parsed instanceof PEMKeyPair ? ((PEMKeyPair) parsed).getPrivateKeyInfo() : (PrivateKeyInfo) parsed;
        // getPrivateKey, not getKeyPair: the latter fails on SEC1 keys without an embedded public key.
        PrivateKey bcKey = new JcaPEMKeyConverter().getPrivateKey(info);
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(bcKey.getEncoded()));
      }
    }
    throw new IOException("unsupported PEM type " + block.type() + " (expected PRIVATE KEY or EC PRIVATE KEY)");
  }

  public String mspId() {
    return mspId;
  }

  /** The identity as the channel will see it (certificate, expiry, OUs). */
  public Identity identity() {
    return identity;
  }

  /** {@code msp.SerializedIdentity{mspid, id_bytes = PEM certificate}}: the creator of what we sign. */
  public ByteString serializedIdentity() {
    return serializedIdentity;
  }

  /** SHA-256 + ECDSA over {@code message}, low-S, DER: what Fabric's signing identity produces. */
  public byte[] sign(byte[] message) {
    try {
      return EcdsaSignatures.sign(crypto, privateKey, identity.curveOrder(), algorithm, message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing with the local MSP key failed: " + e.getMessage(), e);
    }
  }

  public CryptoProvider crypto() {
    return crypto;
  }
}
