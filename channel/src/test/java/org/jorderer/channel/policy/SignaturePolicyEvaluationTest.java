package org.jorderer.channel.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.hyperledger.fabric.protos.common.MSPRole.MSPRoleType;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.ChannelMsps;
import org.jorderer.channel.msp.FabricMsp;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.support.ChannelFixture;
import org.jorderer.channel.support.ChannelFixture.Org;
import org.jorderer.channel.support.TestPki;
import org.jorderer.channel.support.TestPki.Issued;
import org.jorderer.channel.support.Vectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cauthdsl n-out-of semantics and implicit-meta thresholds, decided as Fabric decides them. */
class SignaturePolicyEvaluationTest {

  private static final String ORG1 = "Org1MSP";
  private static final MSPPrincipal MEMBER = ChannelFixture.role(ORG1, MSPRoleType.MEMBER);
  private static final MSPPrincipal ADMIN = ChannelFixture.role(ORG1, MSPRoleType.ADMIN);

  @TempDir Path tmp;

  private final Issued root = TestPki.rootCa("org1.example.com");
  private final Issued alice = TestPki.leaf(root, "alice", List.of());
  private final Issued bob = TestPki.leaf(root, "bob", List.of());
  private final Issued admin = TestPki.leaf(root, "admin", List.of());
  private ChannelMsps msps;

  @BeforeEach
  void org1() throws Exception {
    Path msp = TestPki.mspFolder(tmp.resolve("org1"), root, List.of(), List.of(admin), List.of(), null, null);
    msps = new ChannelMsps(Map.of(ORG1, FabricMsp.fromConfig(MspFolder.read(msp, ORG1), CryptoProvider.preferred())));
  }

  private SignedData signed(Issued who) {
    return SignedData.fromEnvelope(ChannelFixture.envelope("ch", ORG1, who)).get(0);
  }

  private PolicyResult evaluate(SignaturePolicyEnvelope definition, SignedData... signatures) {
    return SignaturePolicy.compile(definition, msps).evaluate(List.of(signatures));
  }

  @Test
  void oneIdentitySigningTwiceCountsOnce() {
    SignaturePolicyEnvelope twoMembers = ChannelFixture.signedBy(2, MEMBER, MEMBER);
    SignedData aliceSigned = signed(alice);

    assertThat(evaluate(twoMembers, aliceSigned, aliceSigned))
        .isEqualTo(PolicyResult.failed("signature set did not satisfy policy"));
    assertThat(evaluate(twoMembers, aliceSigned, signed(alice)))
        .as("a second signature by the same certificate over other data is still the same signer")
        .isEqualTo(PolicyResult.failed("signature set did not satisfy policy"));
    assertThat(evaluate(twoMembers, aliceSigned, signed(bob)).satisfied()).isTrue();
  }

  @Test
  void aBadSignatureDoesNotMarkItsSignerAsSeen() {
    SignedData good = signed(alice);
    SignedData bad = new SignedData(ByteString.copyFromUtf8("other data"), good.identity(), good.signature());
    SignatureSet set = new SignatureSet(List.of(bad, good), msps);

    assertThat(SignaturePolicy.compile(ChannelFixture.signedBy(1, MEMBER), msps).evaluate(set).satisfied()).isTrue();
    assertThat(set.validIdentities()).hasSize(1);
    assertThat(set.rejections()).containsExactly("signature for identity 0 is invalid: The signature is invalid");
  }

  @Test
  void principalsAreMatchedGreedilyInRuleOrderLikeFabric() {
    // 2-of [ADMIN, MEMBER] with [admin, alice]: ADMIN takes admin, MEMBER takes alice.
    assertThat(evaluate(ChannelFixture.signedBy(2, ADMIN, MEMBER), signed(admin), signed(alice)).satisfied()).isTrue();
    // 2-of [MEMBER, ADMIN] with [admin, alice]: MEMBER takes admin first (an admin is a member),
    // then ADMIN finds only alice. Fabric does not backtrack, so neither do we.
    assertThat(evaluate(ChannelFixture.signedBy(2, MEMBER, ADMIN), signed(admin), signed(alice)))
        .isEqualTo(PolicyResult.failed("signature set did not satisfy policy"));
  }

  @Test
  void aFailedGateGivesBackTheIdentitiesItClaimed() {
    // 2-of [ 2-of[MEMBER, ADMIN], MEMBER, MEMBER ] with [alice, bob]: the inner gate fails after
    // claiming alice; her claim must be released so both MEMBER leaves are satisfied.
    SignaturePolicyEnvelope nested = SignaturePolicyEnvelope.newBuilder()
        .setRule(gate(2, gate(2, signedByIndex(0), signedByIndex(1)), signedByIndex(0), signedByIndex(0)))
        .addIdentities(MEMBER).addIdentities(ADMIN)
        .build();

    assertThat(evaluate(nested, signed(alice), signed(bob)).satisfied()).isTrue();
    assertThat(evaluate(nested, signed(alice)).satisfied()).isFalse();
  }

  private static org.hyperledger.fabric.protos.common.SignaturePolicy gate(
      int n, org.hyperledger.fabric.protos.common.SignaturePolicy... rules) {
    return org.hyperledger.fabric.protos.common.SignaturePolicy.newBuilder()
        .setNOutOf(org.hyperledger.fabric.protos.common.SignaturePolicy.NOutOf.newBuilder().setN(n).addAllRules(List.of(rules)))
        .build();
  }

  private static org.hyperledger.fabric.protos.common.SignaturePolicy signedByIndex(int index) {
    return org.hyperledger.fabric.protos.common.SignaturePolicy.newBuilder().setSignedBy(index).build();
  }

  @Test
  void implicitMetaThresholdsOverThreeOrganizations() throws Exception {
    List<Org> orgs = new ArrayList<>();
    List<Issued> admins = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Issued orgRoot = TestPki.rootCa("org" + i + ".example.com");
      Issued orgAdmin = TestPki.leaf(orgRoot, "admin" + i, List.of());
      admins.add(orgAdmin);
      Path dir = TestPki.mspFolder(tmp.resolve("m" + i), orgRoot, List.of(), List.of(orgAdmin), List.of(), null, null);
      orgs.add(Org.standard("Org" + i, MspFolder.readMspConfig(dir, "Org" + i + "MSP"), "Org" + i + "MSP"));
    }
    ChannelConfig config = ChannelConfig.fromConfig("ch", ChannelFixture.config(orgs, orgs), CryptoProvider.preferred());
    List<SignedData> one = adminSignatures(admins.subList(0, 1));
    List<SignedData> two = adminSignatures(admins.subList(0, 2));

    assertThat(config.evaluate("/Channel/Application/Admins", one)).isEqualTo(PolicyResult.failed(
        "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2 of the "
            + "'Admins' sub-policies to be satisfied"));
    assertThat(config.evaluate("/Channel/Application/Admins", two).satisfied()).isTrue();
    // /Channel/Admins is MAJORITY of {Application, Orderer} Admins: both must hold.
    assertThat(config.evaluate("/Channel/Admins", two).satisfied()).isTrue();
    assertThat(config.evaluate("/Channel/Writers", one).satisfied()).isTrue();

    ImplicitMetaPolicy all = new ImplicitMetaPolicy("Admins", org.hyperledger.fabric.protos.common.ImplicitMetaPolicy.Rule.ALL, List.of(
        config.policies().get("/Channel/Orderer/Org1/Admins").orElseThrow(),
        config.policies().get("/Channel/Orderer/Org2/Admins").orElseThrow(),
        config.policies().get("/Channel/Orderer/Org3/Admins").orElseThrow()), config.msps());
    assertThat(all.evaluate(two)).isEqualTo(PolicyResult.failed(
        "implicit policy evaluation failed - 2 sub-policies were satisfied, but this policy requires 3 of the "
            + "'Admins' sub-policies to be satisfied"));
    assertThat(all.evaluate(adminSignatures(admins)).satisfied()).isTrue();
  }

  private List<SignedData> adminSignatures(List<Issued> admins) {
    List<SignedData> out = new ArrayList<>();
    for (int i = 0; i < admins.size(); i++) {
      out.add(SignedData.fromEnvelope(ChannelFixture.envelope("ch", "Org" + (i + 1) + "MSP", admins.get(i))).get(0));
    }
    return out;
  }

  @Test
  void implicitMetaWithoutSubPoliciesIsAlwaysSatisfied() {
    // appchannel-insecure has no organizations at all: Fabric's zero-sub-policy rule admits anyone.
    ChannelConfig insecure = ChannelConfig.fromConfigBlock(Vectors.block("appchannel-insecure-solo-genesis.block"));
    Envelope anything = Vectors.envelope("broadcast-vectors-message-badsig.env");

    assertThat(insecure.evaluate("/Channel/Writers", SignedData.fromEnvelope(anything)).satisfied()).isTrue();
    assertThat(insecure.evaluate("/Channel/Orderer/BlockValidation", List.of()).satisfied()).isTrue();
    assertThat(insecure.msps().msps()).isEmpty();
  }

  @Test
  void policiesAreFoundByAbsoluteOrRelativePathAndMissingOnesReject() {
    ChannelConfig vectors = ChannelConfig.fromConfigBlock(Vectors.block("vectors-0.block"));
    List<SignedData> good = SignedData.fromEnvelope(Vectors.envelope("broadcast-vectors-message.env"));

    assertThat(vectors.evaluate("Orderer/SampleOrg/Writers", good).satisfied()).isTrue();
    assertThat(vectors.evaluate("/Channel/Orderer/SampleOrg/Writers", good).satisfied()).isTrue();
    assertThat(vectors.evaluate("/Channel/Orderer/Nope", good)).isEqualTo(PolicyResult.failed("no such policy: 'Orderer/Nope'"));
    assertThat(vectors.evaluate("/Other/Readers", good)).isEqualTo(PolicyResult.failed("no such policy: '/Other/Readers'"));
    assertThat(vectors.policies().get("/Channel/Orderer/Nope")).isEmpty();
  }
}
