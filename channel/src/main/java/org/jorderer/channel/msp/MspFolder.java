package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hyperledger.fabric.protos.msp.FabricCryptoConfig;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.msp.FabricNodeOUs;
import org.hyperledger.fabric.protos.msp.FabricOUIdentifier;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.jorderer.channel.crypto.Pem;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Reads a Fabric MSP folder ({@code cacerts/}, {@code intermediatecerts/}, {@code admincerts/},
 * {@code crls/}, {@code tlscacerts/}, {@code tlsintermediatecerts/}, {@code config.yaml}) into the
 * verifying {@code FabricMSPConfig} that configtxgen would put into a channel config (Fabric's
 * {@code msp.GetVerifyingMspConfig}).
 */
public final class MspFolder {
  private MspFolder() {}

  public static MSPConfig readMspConfig(Path dir, String mspId) throws IOException {
    return MSPConfig.newBuilder().setType(0).setConfig(read(dir, mspId).toByteString()).build();
  }

  public static FabricMSPConfig read(Path dir, String mspId) throws IOException {
    List<ByteString> cacerts = pemBlocks(dir.resolve("cacerts"));
    if (cacerts.isEmpty()) {
      throw new IOException("could not load a valid ca certificate from directory " + dir.resolve("cacerts"));
    }
    FabricMSPConfig.Builder config = FabricMSPConfig.newBuilder()
        .setName(mspId)
        .addAllRootCerts(cacerts)
        .addAllIntermediateCerts(pemBlocks(dir.resolve("intermediatecerts")))
        .addAllAdmins(pemBlocks(dir.resolve("admincerts")))
        .addAllRevocationList(pemBlocks(dir.resolve("crls")))
        .addAllTlsRootCerts(pemBlocks(dir.resolve("tlscacerts")))
        .addAllTlsIntermediateCerts(pemBlocks(dir.resolve("tlsintermediatecerts")))
        .setCryptoConfig(FabricCryptoConfig.newBuilder()
            .setSignatureHashFamily("SHA2")
            .setIdentityIdentifierHashFunction("SHA256"));
    Path yaml = dir.resolve("config.yaml");
    if (Files.isRegularFile(yaml)) {
      applyConfigYaml(dir, yaml, config);
    }
    return config.build();
  }

  private static void applyConfigYaml(Path dir, Path yaml, FabricMSPConfig.Builder config) throws IOException {
    Object loaded = new Load(LoadSettings.builder().build())
        .loadFromString(Files.readString(yaml, StandardCharsets.UTF_8));
    if (loaded == null) {
      return;
    }
    if (!(loaded instanceof Map)) {
      throw new IOException(yaml + ": expected a mapping at the top level");
    }
    Map<?, ?> root = (Map<?, ?>) loaded;
    Object ous = root.get("OrganizationalUnitIdentifiers");
    if (ous instanceof List) {
      for (Object entry : (List<?>) ous) {
        config.addOrganizationalUnitIdentifiers(ouIdentifier(dir, yaml, entry, "OrganizationalUnitIdentifiers"));
      }
    }
    Object nodeOus = root.get("NodeOUs");
    if (nodeOus instanceof Map) {
      Map<?, ?> node = (Map<?, ?>) nodeOus;
      FabricNodeOUs.Builder builder = FabricNodeOUs.newBuilder().setEnable(Boolean.TRUE.equals(node.get("Enable")));
      if (node.get("ClientOUIdentifier") != null) {
        builder.setClientOuIdentifier(ouIdentifier(dir, yaml, node.get("ClientOUIdentifier"), "NodeOUs.ClientOUIdentifier"));
      }
      if (node.get("PeerOUIdentifier") != null) {
        builder.setPeerOuIdentifier(ouIdentifier(dir, yaml, node.get("PeerOUIdentifier"), "NodeOUs.PeerOUIdentifier"));
      }
      if (node.get("AdminOUIdentifier") != null) {
        builder.setAdminOuIdentifier(ouIdentifier(dir, yaml, node.get("AdminOUIdentifier"), "NodeOUs.AdminOUIdentifier"));
      }
      if (node.get("OrdererOUIdentifier") != null) {
        builder.setOrdererOuIdentifier(ouIdentifier(dir, yaml, node.get("OrdererOUIdentifier"), "NodeOUs.OrdererOUIdentifier"));
      }
      config.setFabricNodeOus(builder);
    }
  }

  private static FabricOUIdentifier ouIdentifier(Path dir, Path yaml, Object entry, String where) throws IOException {
    if (!(entry instanceof Map)) {
      throw new IOException(yaml + ": " + where + " must be a mapping");
    }
    Map<?, ?> map = (Map<?, ?>) entry;
    Object identifier = map.get("OrganizationalUnitIdentifier");
    if (identifier == null) {
      throw new IOException(yaml + ": " + where + " lacks OrganizationalUnitIdentifier");
    }
    FabricOUIdentifier.Builder ou = FabricOUIdentifier.newBuilder().setOrganizationalUnitIdentifier(identifier.toString());
    Object certificate = map.get("Certificate");
    if (certificate != null && !certificate.toString().isEmpty()) {
      Path file = dir.resolve(certificate.toString());
      List<ByteString> blocks = pemBlocksOfFile(file);
      if (blocks.isEmpty()) {
        throw new IOException(yaml + ": " + where + " certificate " + file + " holds no PEM block");
      }
      ou.setCertificate(blocks.get(0));
    }
    return ou.build();
  }

  /** Every PEM block of every regular file in {@code dir} (absent directory: none), re-encoded as Go does. */
  static List<ByteString> pemBlocks(Path dir) throws IOException {
    List<ByteString> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : files) {
      out.addAll(pemBlocksOfFile(file));
    }
    return out;
  }

  private static List<ByteString> pemBlocksOfFile(Path file) throws IOException {
    List<ByteString> out = new ArrayList<>();
    String text = Files.readString(file, StandardCharsets.ISO_8859_1);
    int from = 0;
    while (true) {
      int begin = text.indexOf("-----BEGIN ", from);
      if (begin < 0) {
        break;
      }
      Pem.Block block = Pem.decodeFirst(text.substring(begin).getBytes(StandardCharsets.ISO_8859_1));
      if (block == null) {
        break;
      }
      out.add(ByteString.copyFrom(Pem.encode(block.type(), block.der())));
      int end = text.indexOf("-----END " + block.type() + "-----", begin);
      from = end < 0 ? text.length() : end + 1;
    }
    return out;
  }
}
