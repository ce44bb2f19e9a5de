package org.jorderer.channel.support;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hyperledger.fabric.protos.common.BlockDataHashingStructure;
import org.hyperledger.fabric.protos.common.Capabilities;
import org.hyperledger.fabric.protos.common.Capability;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigPolicy;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HashingAlgorithm;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.ImplicitMetaPolicy;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.hyperledger.fabric.protos.common.MSPRole;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Policy;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.common.SignaturePolicy;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.crypto.EcdsaSignatures;

/** Channel configs and signed envelopes assembled in tests, shaped like configtxgen's output. */
public final class ChannelFixture {
  private ChannelFixture() {}

  /** An organization: group name, MSP definition, and its Readers/Writers/Admins (+ extra) policies. */
  public record Org(String name, MSPConfig msp, Map<String, SignaturePolicyEnvelope> policies) {
    public static Org standard(String name, MSPConfig msp, String mspId) {
      Map<String, SignaturePolicyEnvelope> policies = new LinkedHashMap<>();
      policies.put("Readers", signedBy(1, role(mspId, MSPRole.MSPRoleType.MEMBER)));
      policies.put("Writers", signedBy(1, role(mspId, MSPRole.MSPRoleType.MEMBER)));
      policies.put("Admins", signedBy(1, role(mspId, MSPRole.MSPRoleType.ADMIN)));
      return new Org(name, msp, policies);
    }
  }

  public static MSPPrincipal role(String mspId, MSPRole.MSPRoleType role) {
    return MSPPrincipal.newBuilder()
        .setPrincipalClassification(MSPPrincipal.Classification.ROLE)
        .setPrincipal(MSPRole.newBuilder().setMspIdentifier(mspId).setRole(role).build().toByteString())
        .build();
  }

  /** {@code n} out of one signed-by rule per principal, in order. */
  public static SignaturePolicyEnvelope signedBy(int n, MSPPrincipal... principals) {
    SignaturePolicy.NOutOf.Builder rules = SignaturePolicy.NOutOf.newBuilder().setN(n);
    for (int i = 0; i < principals.length; i++) {
      rules.addRules(SignaturePolicy.newBuilder().setSignedBy(i));
    }
    return SignaturePolicyEnvelope.newBuilder()
        .setRule(SignaturePolicy.newBuilder().setNOutOf(rules))
        .addAllIdentities(List.of(principals))
        .build();
  }

  public static Config config(List<Org> ordererOrgs, List<Org> applicationOrgs) {
    return config(ordererOrgs, applicationOrgs, ConsensusType.State.STATE_NORMAL, "2s");
  }

  public static Config config(List<Org> ordererOrgs, List<Org> applicationOrgs, ConsensusType.State state, String timeout) {
    ConfigGroup.Builder orderer = ConfigGroup.newBuilder()
        .putValues("ConsensusType", value(ConsensusType.newBuilder().setType("solo").setState(state).build().toByteString()))
        .putValues("BatchSize", value(BatchSize.newBuilder().setMaxMessageCount(500)
            .setAbsoluteMaxBytes(10 * 1024 * 1024).setPreferredMaxBytes(2 * 1024 * 1024).build().toByteString()))
        .putValues("BatchTimeout", value(BatchTimeout.newBuilder().setTimeout(timeout).build().toByteString()))
        .putValues("Capabilities", value(capabilities("V2_0")));
    implicitPolicies(orderer);
    orderer.putPolicies("BlockValidation", implicit("Writers", ImplicitMetaPolicy.Rule.ANY));
    for (Org org : ordererOrgs) {
      orderer.putGroups(org.name(), orgGroup(org));
    }
    ConfigGroup.Builder application = ConfigGroup.newBuilder().putValues("Capabilities", value(capabilities("V2_0")));
    implicitPolicies(application);
    for (Org org : applicationOrgs) {
      application.putGroups(org.name(), orgGroup(org));
    }
    ConfigGroup.Builder channel = ConfigGroup.newBuilder()
        .putValues("HashingAlgorithm", value(HashingAlgorithm.newBuilder().setName("SHA256").build().toByteString()))
        .putValues("BlockDataHashingStructure",
            value(BlockDataHashingStructure.newBuilder().setWidth(0xffffffff).build().toByteString()))
        .putValues("Capabilities", value(capabilities("V2_0")))
        .putGroups("Orderer", orderer.build())
        .putGroups("Application", application.build());
    implicitPolicies(channel);
    return Config.newBuilder().setSequence(0).setChannelGroup(channel).build();
  }

  private static void implicitPolicies(ConfigGroup.Builder group) {
    group.putPolicies("Readers", implicit("Readers", ImplicitMetaPolicy.Rule.ANY));
    group.putPolicies("Writers", implicit("Writers", ImplicitMetaPolicy.Rule.ANY));
    group.putPolicies("Admins", implicit("Admins", ImplicitMetaPolicy.Rule.MAJORITY));
  }

  public static ConfigPolicy implicit(String subPolicy, ImplicitMetaPolicy.Rule rule) {
    return ConfigPolicy.newBuilder().setPolicy(Policy.newBuilder().setType(Policy.PolicyType.IMPLICIT_META_VALUE)
        .setValue(ImplicitMetaPolicy.newBuilder().setSubPolicy(subPolicy).setRule(rule).build().toByteString())).build();
  }

  public static ConfigPolicy signature(SignaturePolicyEnvelope envelope) {
    return ConfigPolicy.newBuilder().setPolicy(Policy.newBuilder().setType(Policy.PolicyType.SIGNATURE_VALUE)
        .setValue(envelope.toByteString())).build();
  }

  private static ConfigGroup orgGroup(Org org) {
    ConfigGroup.Builder group = ConfigGroup.newBuilder().putValues("MSP", value(org.msp().toByteString()));
    org.policies().forEach((name, policy) -> group.putPolicies(name, signature(policy)));
    return group.build();
  }

  public static ConfigValue value(ByteString bytes) {
    return ConfigValue.newBuilder().setValue(bytes).build();
  }

  public static ByteString capabilities(String... names) {
    Capabilities.Builder builder = Capabilities.newBuilder();
    for (String name : names) {
      builder.putCapabilities(name, Capability.getDefaultInstance());
    }
    return builder.build().toByteString();
  }

  public static ByteString serializedIdentity(String mspId, String certificatePem) {
    return SerializedIdentity.newBuilder().setMspid(mspId)
        .setIdBytes(ByteString.copyFrom(certificatePem, StandardCharsets.US_ASCII)).build().toByteString();
  }

  /** A MESSAGE envelope for {@code channelId} created and signed (low-S) by the given certificate/key. */
  public static Envelope envelope(String channelId, String mspId, TestPki.Issued signer) {
    return envelope(channelId, serializedIdentity(mspId, signer.pem()), signer.keys().getPrivate());
  }

  public static Envelope envelope(String channelId, ByteString creator, PrivateKey key) {
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setChannelHeader(ChannelHeader.newBuilder().setType(HeaderType.MESSAGE_VALUE).setChannelId(channelId)
                .build().toByteString())
            .setSignatureHeader(SignatureHeader.newBuilder().setCreator(creator)
                .setNonce(ByteString.copyFromUtf8("nonce-" + System.nanoTime())).build().toByteString()))
        .setData(ByteString.copyFromUtf8("hello"))
        .build();
    byte[] bytes = payload.toByteArray();
    try {
      byte[] signature = EcdsaSignatures.sign(CryptoProvider.preferred(), key, "SHA256withECDSA", bytes);
      return Envelope.newBuilder().setPayload(ByteString.copyFrom(bytes)).setSignature(ByteString.copyFrom(signature)).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
