package org.jorderer.channel.msp;

import org.jorderer.channel.support.BroadcastRules;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.hyperledger.fabric.protos.common.MSPRole;
import org.hyperledger.fabric.protos.common.OrganizationUnit;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;
import org.jorderer.channel.support.ChannelFixture;
import org.jorderer.channel.support.ChannelFixture.Org;
import org.jorderer.channel.support.TestPki;
import org.jorderer.channel.support.TestPki.Issued;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** X.509 MSP decisions on certificates made in the test: each as Fabric decides, with its reason. */
class MspIdentityTest {
  private static final String MSP_ID = "Org1MSP";
  private static final String WRITERS_FAILED = "implicit policy evaluation failed - 0 sub-policies were satisfied, "
      + "but this policy requires 1 of the 'Writers' sub-policies to be satisfied";

  @TempDir Path tmp;

  private final Issued root = TestPki.rootCa("org1.example.com");
  private final Issued member = TestPki.leaf(root, "user1", List.of());
  private final Issued admin = TestPki.leaf(root, "admin", List.of());

  private ChannelConfig channel(Path msp) throws Exception {
    Org org = Org.standard("Org1", MspFolder.readMspConfig(msp, MSP_ID), MSP_ID);
    return ChannelConfig.fromConfig("ch", ChannelFixture.config(List.of(org), List.of(org)), CryptoProvider.preferred());
  }

  private ChannelConfig plainChannel() throws Exception {
    return channel(TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(admin), List.of(), null, null));
  }

  private static PolicyResult writers(ChannelConfig config, Envelope envelope) {
    return config.evaluate(PolicyTree.CHANNEL_WRITERS, SignedData.fromEnvelope(envelope));
  }

  @Test
  void memberOfTheChannelsCaIsAWriter() throws Exception {
    ChannelConfig config = plainChannel();

    Envelope envelope = ChannelFixture.envelope("ch", MSP_ID, member);

    assertThat(writers(config, envelope).satisfied()).isTrue();
    assertThat(BroadcastRules.verdict(config, envelope, Instant.now()).accepted()).isTrue();
  }

  @Test
  void identityFromAnotherCaIsRefusedAtDeserialization() throws Exception {
    ChannelConfig config = plainChannel();
    Issued foreign = TestPki.leaf(TestPki.rootCa("evil.example.com"), "mallory", List.of());
    Envelope envelope = ChannelFixture.envelope("ch", MSP_ID, foreign);

    assertThatThrownBy(() -> config.msps().deserialize(SignedData.fromEnvelope(envelope).get(0).identity()))
        .isInstanceOf(IdentityException.class)
        .hasMessage("the supplied identity is not valid: x509: certificate signed by unknown authority");
    assertThat(writers(config, envelope)).isEqualTo(PolicyResult.failed(WRITERS_FAILED));
    org.jorderer.channel.processor.Verdict verdict = BroadcastRules.verdict(config, envelope, Instant.now());
    assertThat(verdict.status()).isEqualTo(org.hyperledger.fabric.protos.common.Status.FORBIDDEN);
    assertThat(verdict.info()).isEqualTo(WRITERS_FAILED + ": permission denied");
  }

  @Test
  void identityNamingAnMspNotOnTheChannelIsRefused() throws Exception {
    ChannelConfig config = plainChannel();

    assertThatThrownBy(() -> config.msps().deserialize(ChannelFixture.serializedIdentity("Org9MSP", member.pem())))
        .hasMessage("MSP Org9MSP is not defined on channel");
    assertThatThrownBy(() -> config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, "not a certificate")))
        .hasMessage("could not decode the PEM structure");
    assertThatThrownBy(() -> config.msps().deserialize(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01})))
        .hasMessageStartingWith("could not deserialize a SerializedIdentity: ");
  }

  @Test
  void expiredCertificatePassesThePolicyLikeFabricButIsRefusedByTheExpiryChecks() throws Exception {
    ChannelConfig config = plainChannel();
    Instant notAfter = Instant.now().minus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Issued expired = TestPki.leaf(root, "old", List.of(), notAfter.minus(Duration.ofDays(300)), notAfter, "secp256r1");
    Envelope envelope = ChannelFixture.envelope("ch", MSP_ID, expired);
    Identity identity = config.msps().deserialize(SignedData.fromEnvelope(envelope).get(0).identity());

    // Fabric's MSP checks the chain at NotBefore + 1s (FAB-3678): expiry is not a policy matter.
    assertThat(writers(config, envelope).satisfied()).isTrue();
    assertThat(identity.expiresAt()).isEqualTo(notAfter);
    // Broadcast's expiration filter refuses at and after NotAfter ...
    assertThat(BroadcastRules.verdict(config, envelope, notAfter)).isEqualTo(new org.jorderer.channel.processor.Verdict(
        org.hyperledger.fabric.protos.common.Status.BAD_REQUEST, "broadcast client identity expired"));
    assertThat(BroadcastRules.verdict(config, envelope, notAfter.minusSeconds(1)).accepted()).isTrue();
    // ... Deliver's session check only strictly after it.
    Optional<Instant> creatorNotAfter = EnvelopeChecks.creatorNotAfter(identity.serialized());
    assertThat(creatorNotAfter).contains(notAfter);
    assertThat(EnvelopeChecks.deliverExpiry(creatorNotAfter, notAfter)).isEmpty();
    assertThat(EnvelopeChecks.deliverExpiry(creatorNotAfter, notAfter.plus(Duration.ofMinutes(90))))
        .contains("deliver client identity expired 1h30m0s before");
  }

  @Test
  void revokedCertificateIsRefusedWithFabricsReason() throws Exception {
    Issued revoked = TestPki.leaf(root, "revoked", List.of());
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(admin),
        List.of(TestPki.crl(root, revoked.certificate())), null, null);
    ChannelConfig config = channel(msp);
    Envelope envelope = ChannelFixture.envelope("ch", MSP_ID, revoked);

    Identity identity = config.msps().deserialize(SignedData.fromEnvelope(envelope).get(0).identity());

    assertThat(identity.validate())
        .contains("could not validate identity against certification chain: The certificate has been revoked");
    assertThat(writers(config, envelope)).isEqualTo(PolicyResult.failed(WRITERS_FAILED));
    assertThat(writers(config, ChannelFixture.envelope("ch", MSP_ID, member)).satisfied()).isTrue();
  }

  @Test
  void crlFromAnotherCaRevokesNothing() throws Exception {
    Issued otherRoot = TestPki.rootCa("org2.example.com");
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(admin),
        List.of(TestPki.crl(otherRoot, member.certificate())), null, null);
    ChannelConfig config = channel(msp);

    assertThat(writers(config, ChannelFixture.envelope("ch", MSP_ID, member)).satisfied()).isTrue();
  }

  @Test
  void intermediateCaChainsAreFollowedAndIdentitiesMustHangFromLeavesOfTheTree() throws Exception {
    Issued intermediate = TestPki.intermediateCa(root, "org1.example.com");
    Issued underIntermediate = TestPki.leaf(intermediate, "user2", List.of());
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(intermediate), List.of(admin), List.of(), null, null);
    ChannelConfig config = channel(msp);

    Identity good = config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, underIntermediate.pem()));
    Identity underRoot = config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, member.pem()));

    assertThat(good.chain()).hasSize(3);
    assertThat(good.validate()).isEmpty();
    assertThat(writers(config, ChannelFixture.envelope("ch", MSP_ID, underIntermediate)).satisfied()).isTrue();
    assertThat(underRoot.validate().orElseThrow()).startsWith("could not obtain certification chain: invalid validation "
        + "chain. Parent certificate should be a leaf of the certification tree [48 ");
    assertThat(writers(config, ChannelFixture.envelope("ch", MSP_ID, member)).satisfied()).isFalse();
  }

  @Test
  void caCertificateCannotBeAnIdentity() throws Exception {
    ChannelConfig config = plainChannel();

    Identity ca = config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, root.pem()));

    assertThat(ca.validate()).contains("could not obtain certification chain: An X509 certificate with Basic "
        + "Constraint: Certificate Authority equals true cannot be used as an identity");
  }

  @Test
  void organizationalUnitIdentifiersRestrictMembership() throws Exception {
    String yaml = "OrganizationalUnitIdentifiers:\n  - Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: COP\n";
    Issued cop = TestPki.leaf(root, "cop-user", List.of("COP"));
    Issued other = TestPki.leaf(root, "other-user", List.of("sales"));
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(cop), List.of(), null, yaml);
    ChannelConfig config = channel(msp);
    ChannelMsps msps = config.msps();

    Identity copIdentity = msps.deserialize(ChannelFixture.serializedIdentity(MSP_ID, cop.pem()));
    Identity otherIdentity = msps.deserialize(ChannelFixture.serializedIdentity(MSP_ID, other.pem()));
    Identity noOu = msps.deserialize(ChannelFixture.serializedIdentity(MSP_ID, member.pem()));

    assertThat(copIdentity.validate()).isEmpty();
    assertThat(copIdentity.organizationalUnits()).extracting(OrganizationalUnit::identifier).containsExactly("COP");
    assertThat(otherIdentity.validate().orElseThrow())
        .matches("could not validate identity's OUs: none of the identity's organizational units \\[sales\\([0-9A-F]{16}\\)\\] are in MSP Org1MSP");
    assertThat(noOu.validate())
        .contains("could not validate identity's OUs: the identity certificate does not contain an Organizational Unit (OU)");
  }

  @Test
  void adminRoleWithoutNodeOusMeansListedInAdmincerts() throws Exception {
    ChannelConfig config = plainChannel();
    ChannelMsps msps = config.msps();

    Identity adminIdentity = msps.deserialize(ChannelFixture.serializedIdentity(MSP_ID, admin.pem()));
    Identity memberIdentity = msps.deserialize(ChannelFixture.serializedIdentity(MSP_ID, member.pem()));

    assertThat(adminIdentity.satisfiesPrincipal(ChannelFixture.role(MSP_ID, MSPRole.MSPRoleType.ADMIN))).isEmpty();
    assertThat(memberIdentity.satisfiesPrincipal(ChannelFixture.role(MSP_ID, MSPRole.MSPRoleType.ADMIN)))
        .contains("This identity is not an admin");
    assertThat(memberIdentity.satisfiesPrincipal(ChannelFixture.role(MSP_ID, MSPRole.MSPRoleType.CLIENT)))
        .contains("The identity is not a [CLIENT] under this MSP [Org1MSP]: NodeOUs not activated. Cannot tell apart identities.");
    assertThat(memberIdentity.satisfiesPrincipal(ChannelFixture.role("Org2MSP", MSPRole.MSPRoleType.MEMBER)))
        .contains("the identity is a member of a different MSP (expected Org2MSP, got Org1MSP)");
    assertThat(config.evaluate("/Channel/Orderer/Org1/Admins",
        SignedData.fromEnvelope(ChannelFixture.envelope("ch", MSP_ID, admin))).satisfied()).isTrue();
    assertThat(config.evaluate("/Channel/Orderer/Org1/Admins",
        SignedData.fromEnvelope(ChannelFixture.envelope("ch", MSP_ID, member))))
        .isEqualTo(PolicyResult.failed("signature set did not satisfy policy"));
  }

  @Test
  void identityAndOrganizationalUnitPrincipals() throws Exception {
    ChannelConfig config = plainChannel();
    Issued cop = TestPki.leaf(root, "cop-user", List.of("COP"));
    MSPPrincipal isMember = MSPPrincipal.newBuilder()
        .setPrincipalClassification(MSPPrincipal.Classification.IDENTITY)
        .setPrincipal(ChannelFixture.serializedIdentity(MSP_ID, member.pem()))
        .build();
    ByteString rootHash = ByteString.copyFrom(
        java.security.MessageDigest.getInstance("SHA-256").digest(root.certificate().getEncoded()));
    MSPPrincipal copUnit = ouPrincipal("COP", rootHash);
    MSPPrincipal copUnitOtherChain = ouPrincipal("COP", ByteString.copyFrom(new byte[32]));

    Identity memberIdentity = config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, member.pem()));
    Identity copIdentity = config.msps().deserialize(ChannelFixture.serializedIdentity(MSP_ID, cop.pem()));

    assertThat(memberIdentity.satisfiesPrincipal(isMember)).isEmpty();
    assertThat(copIdentity.satisfiesPrincipal(isMember)).contains("The identities do not match");
    assertThat(copIdentity.satisfiesPrincipal(copUnit)).isEmpty();
    assertThat(copIdentity.satisfiesPrincipal(copUnitOtherChain)).contains("The identities do not match");
    assertThat(memberIdentity.satisfiesPrincipal(copUnit)).contains("The identities do not match");
  }

  private static MSPPrincipal ouPrincipal(String ou, ByteString certifiers) {
    return MSPPrincipal.newBuilder()
        .setPrincipalClassification(MSPPrincipal.Classification.ORGANIZATION_UNIT)
        .setPrincipal(OrganizationUnit.newBuilder().setMspIdentifier(MSP_ID).setOrganizationalUnitIdentifier(ou)
            .setCertifiersIdentifier(certifiers).build().toByteString())
        .build();
  }

  @Test
  void p384IdentitiesVerify() throws Exception {
    Issued root384 = TestPki.rootCa("org1.example.com", "secp384r1");
    Issued leaf384 = TestPki.leaf(root384, "user384", List.of(), Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(10)), "secp384r1");
    ChannelConfig config = channel(TestPki.mspFolder(tmp.resolve("msp"), root384, List.of(), List.of(), List.of(), null, null));

    assertThat(writers(config, ChannelFixture.envelope("ch", MSP_ID, leaf384)).satisfied()).isTrue();
  }

  @Test
  void deserializedIdentitiesAreCachedByTheirBytes() throws Exception {
    ChannelConfig config = plainChannel();
    ByteString bytes = ChannelFixture.serializedIdentity(MSP_ID, member.pem());

    Identity first = config.msps().deserialize(bytes);
    Identity second = config.msps().deserialize(ByteString.copyFrom(bytes.toByteArray()));

    assertThat(second).isSameAs(first);
    assertThat(first.id()).hasSize(64);
  }

  @Test
  void identityCacheStaysBounded() throws Exception {
    Path msp = TestPki.mspFolder(tmp.resolve("msp"), root, List.of(), List.of(), List.of(), null, null);
    ChannelMsps msps = new ChannelMsps(java.util.Map.of(MSP_ID,
        FabricMsp.fromConfig(MspFolder.read(msp, MSP_ID), CryptoProvider.preferred())), 8);

    for (int i = 0; i < 20; i++) {
      msps.deserialize(ChannelFixture.serializedIdentity(MSP_ID, TestPki.leaf(root, "u" + i, List.of()).pem()));
    }

    assertThat(msps.cachedIdentities()).isLessThanOrEqualTo(8);
  }
}
