package org.jorderer.channel.msp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hyperledger.fabric.protos.common.MSPRole.MSPRoleType;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.SignedData;
import org.jorderer.channel.support.ChannelFixture;
import org.jorderer.channel.support.ChannelFixture.Org;
import org.jorderer.channel.support.TestPki;
import org.jorderer.channel.support.TestPki.Issued;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NodeOU classification (client / peer / admin / orderer) against role principals, as MSP v1.4.3 decides. */
class NodeOuPrincipalTest {
  private static final String MSP_ID = "Org1MSP";

  @TempDir Path tmp;

  private final Issued root = TestPki.rootCa("org1.example.com");
  private final Issued client = TestPki.leaf(root, "client1", List.of("client"));
  private final Issued peer = TestPki.leaf(root, "peer0", List.of("peer"));
  private final Issued admin = TestPki.leaf(root, "admin1", List.of("admin"));
  private final Issued orderer = TestPki.leaf(root, "orderer0", List.of("orderer"));
  private final Issued clientAndPeer = TestPki.leaf(root, "confused", List.of("client", "peer"));
  private final Issued unclassified = TestPki.leaf(root, "nobody", List.of("sales"));
  private ChannelConfig config;

  @BeforeEach
  void channelWhoseWritersAreClients() throws Exception {
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(), List.of(), null, TestPki.NODE_OUS_YAML);
    Map<String, org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope> policies = new LinkedHashMap<>();
    policies.put("Readers", ChannelFixture.signedBy(1, ChannelFixture.role(MSP_ID, MSPRoleType.MEMBER)));
    policies.put("Writers", ChannelFixture.signedBy(1, ChannelFixture.role(MSP_ID, MSPRoleType.CLIENT)));
    policies.put("Admins", ChannelFixture.signedBy(1, ChannelFixture.role(MSP_ID, MSPRoleType.ADMIN)));
    Org org = new Org("Org1", MspFolder.readMspConfig(msp, MSP_ID), policies);
    config = ChannelConfig.fromConfig("ch", ChannelFixture.config(List.of(org), List.of(org)), CryptoProvider.preferred());
  }

  private Identity identity(Issued issued) throws IdentityException {
    return config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, issued.pem()));
  }

  private String reason(Issued issued, MSPRoleType role) throws IdentityException {
    return identity(issued).satisfiesPrincipal(ChannelFixture.role(MSP_ID, role)).orElse("satisfied");
  }

  @Test
  void eachClassSatisfiesItsOwnRoleAndMember() throws Exception {
    assertThat(reason(client, MSPRoleType.CLIENT)).isEqualTo("satisfied");
    assertThat(reason(peer, MSPRoleType.PEER)).isEqualTo("satisfied");
    assertThat(reason(admin, MSPRoleType.ADMIN)).isEqualTo("satisfied");
    assertThat(reason(orderer, MSPRoleType.ORDERER)).isEqualTo("satisfied");
    for (Issued each : List.of(client, peer, admin, orderer)) {
      assertThat(reason(each, MSPRoleType.MEMBER)).isEqualTo("satisfied");
    }
  }

  @Test
  void otherClassesAreRefusedWithFabricsReasons() throws Exception {
    assertThat(reason(peer, MSPRoleType.CLIENT))
        .isEqualTo("The identity is not a [CLIENT] under this MSP [Org1MSP]: The identity does not contain OU [CLIENT], MSP: [Org1MSP]");
    assertThat(reason(client, MSPRoleType.PEER))
        .isEqualTo("The identity is not a [PEER] under this MSP [Org1MSP]: The identity does not contain OU [PEER], MSP: [Org1MSP]");
    assertThat(reason(client, MSPRoleType.ADMIN))
        .isEqualTo("The identity is not an admin under this MSP [Org1MSP]: The identity does not contain OU [ADMIN], MSP: [Org1MSP]");
    assertThat(reason(admin, MSPRoleType.CLIENT))
        .isEqualTo("The identity is not a [CLIENT] under this MSP [Org1MSP]: The identity does not contain OU [CLIENT], MSP: [Org1MSP]");
    assertThat(reason(peer, MSPRoleType.ORDERER))
        .isEqualTo("The identity is not a [ORDERER] under this MSP [Org1MSP]: The identity does not contain OU [ORDERER], MSP: [Org1MSP]");
  }

  @Test
  void identitiesWithNoneOrSeveralNodeOusAreInvalid() throws Exception {
    assertThat(reason(clientAndPeer, MSPRoleType.MEMBER)).matches("could not validate identity's OUs: the identity must be "
        + "a client, a peer, an orderer or an admin identity to be valid, not a combination of them\\. OUs: "
        + "\\[client\\([0-9A-F]{16}\\) peer\\([0-9A-F]{16}\\)\\], MSP: \\[Org1MSP\\]");
    assertThat(reason(unclassified, MSPRoleType.MEMBER)).startsWith("could not validate identity's OUs: the identity must be "
        + "a client, a peer, an orderer or an admin identity to be valid");
    assertThat(reason(unclassified, MSPRoleType.CLIENT)).startsWith("The identity is not valid under this MSP [Org1MSP]: "
        + "could not validate identity's OUs:");
  }

  @Test
  void writersPolicyRequiringClientsAdmitsOnlyClients() {
    String failed = "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of "
        + "the 'Writers' sub-policies to be satisfied";

    assertThat(evaluate("/Channel/Writers", client).satisfied()).isTrue();
    assertThat(evaluate("/Channel/Writers", peer)).isEqualTo(PolicyResult.failed(failed));
    assertThat(evaluate("/Channel/Writers", admin)).isEqualTo(PolicyResult.failed(failed));
    assertThat(evaluate("/Channel/Readers", peer).satisfied()).isTrue();
    assertThat(evaluate("/Channel/Orderer/Org1/Admins", admin).satisfied()).isTrue();
    assertThat(evaluate("/Channel/Orderer/Org1/Admins", client).satisfied()).isFalse();
  }

  private PolicyResult evaluate(String path, Issued signer) {
    return config.evaluate(path, SignedData.fromEnvelope(ChannelFixture.envelope("ch", MSP_ID, signer)));
  }
}
