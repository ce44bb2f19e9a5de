package org.jorderer.channel.genesis;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import java.time.Duration;
import java.util.List;
import org.hyperledger.fabric.protos.common.BlockDataHashingStructure;
import org.hyperledger.fabric.protos.common.Capabilities;
import org.hyperledger.fabric.protos.common.Capability;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigPolicy;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.HashingAlgorithm;
import org.hyperledger.fabric.protos.common.ImplicitMetaPolicy;
import org.hyperledger.fabric.protos.common.OrdererAddresses;
import org.hyperledger.fabric.protos.common.Policy;
import org.hyperledger.fabric.protos.common.SignaturePolicy;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.hyperledger.fabric.protos.common.MSPRole;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.hyperledger.fabric.protos.orderer.ChannelRestrictions;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.jorderer.channel.config.GoDuration;

/**
 * The config of an application channel with one organization that both orders and transacts,
 * ordered by solo: what configtxgen writes for Fabric's sample single-org solo profiles, with
 * V2_0 capabilities and Fabric's default policies (ImplicitMeta ANY Readers/Writers, MAJORITY
 * Admins, org policies on member/admin roles).
 *
 * @param mspId the organization's MSP ID
 * @param msp its verifying MSP config (from {@code MspFolder.readMspConfig})
 * @param ordererEndpoints {@code host:port} of the orderer, in the org's Endpoints and the
 *     channel's (deprecated, still read by v2 peers) OrdererAddresses
 */
public record SoloChannelProfile(
    String mspId,
    MSPConfig msp,
    List<String> ordererEndpoints,
    int maxMessageCount,
    int absoluteMaxBytes,
    int preferredMaxBytes,
    Duration batchTimeout) {

  private static final String ADMINS = "Admins";

  /** Fabric's sample batch settings: 500 messages, 10 MB absolute, 2 MB preferred, 2 s. */
  public static SoloChannelProfile withDefaults(String mspId, MSPConfig msp, List<String> ordererEndpoints) {
    return new SoloChannelProfile(mspId, msp, ordererEndpoints, 500, 10 * 1024 * 1024, 2 * 1024 * 1024,
        Duration.ofSeconds(2));
  }

  public Config config() {
    ConfigGroup.Builder channel = group()
        .putValues("HashingAlgorithm", value(HashingAlgorithm.newBuilder().setName("SHA256").build()))
        .putValues("BlockDataHashingStructure",
            value(BlockDataHashingStructure.newBuilder().setWidth(0xffffffff).build()))
        .putValues("OrdererAddresses", value(OrdererAddresses.newBuilder().addAllAddresses(ordererEndpoints).build()))
        .putValues("Capabilities", value(capabilities()))
        .putPolicies("Readers", implicit("Readers", ImplicitMetaPolicy.Rule.ANY))
        .putPolicies("Writers", implicit("Writers", ImplicitMetaPolicy.Rule.ANY))
        .putPolicies(ADMINS, implicit(ADMINS, ImplicitMetaPolicy.Rule.MAJORITY));

    ConfigGroup.Builder orderer = group()
        .putValues("ConsensusType", value(ConsensusType.newBuilder().setType("solo").build()))
        .putValues("BatchSize", value(BatchSize.newBuilder()
            .setMaxMessageCount(maxMessageCount)
            .setAbsoluteMaxBytes(absoluteMaxBytes)
            .setPreferredMaxBytes(preferredMaxBytes)
            .build()))
        .putValues("BatchTimeout", value(BatchTimeout.newBuilder().setTimeout(GoDuration.format(batchTimeout)).build()))
        .putValues("ChannelRestrictions", value(ChannelRestrictions.getDefaultInstance()))
        .putValues("Capabilities", value(capabilities()))
        .putPolicies("Readers", implicit("Readers", ImplicitMetaPolicy.Rule.ANY))
        .putPolicies("Writers", implicit("Writers", ImplicitMetaPolicy.Rule.ANY))
        .putPolicies(ADMINS, implicit(ADMINS, ImplicitMetaPolicy.Rule.MAJORITY))
        .putPolicies("BlockValidation", implicit("Writers", ImplicitMetaPolicy.Rule.ANY))
        .putGroups(mspId, organization(true).build());

    ConfigGroup.Builder application = group()
        .putValues("Capabilities", value(capabilities()))
        .putPolicies("Readers", implicit("Readers", ImplicitMetaPolicy.Rule.ANY))
        .putPolicies("Writers", implicit("Writers", ImplicitMetaPolicy.Rule.ANY))
        .putPolicies(ADMINS, implicit(ADMINS, ImplicitMetaPolicy.Rule.MAJORITY))
        .putPolicies("LifecycleEndorsement", implicit("Endorsement", ImplicitMetaPolicy.Rule.MAJORITY))
        .putPolicies("Endorsement", implicit("Endorsement", ImplicitMetaPolicy.Rule.MAJORITY))
        .putGroups(mspId, organization(false).build());

    channel.putGroups("Orderer", orderer.build()).putGroups("Application", application.build());
    return Config.newBuilder().setSequence(0).setChannelGroup(channel).build();
  }

  private ConfigGroup.Builder organization(boolean ordererOrg) {
    ConfigGroup.Builder org = group()
        .putValues("MSP", value(msp))
        .putPolicies("Readers", signedBy(MSPRole.MSPRoleType.MEMBER))
        .putPolicies("Writers", signedBy(MSPRole.MSPRoleType.MEMBER))
        .putPolicies(ADMINS, signedBy(MSPRole.MSPRoleType.ADMIN));
    if (ordererOrg) {
      org.putValues("Endpoints", value(OrdererAddresses.newBuilder()
          .addAllAddresses(ordererEndpoints).build()));
    } else {
      org.putPolicies("Endorsement", signedBy(MSPRole.MSPRoleType.MEMBER));
    }
    return org;
  }

  private static Capabilities capabilities() {
    return Capabilities.newBuilder().putCapabilities("V2_0", Capability.getDefaultInstance()).build();
  }

  private static ConfigGroup.Builder group() {
    return ConfigGroup.newBuilder().setModPolicy(ADMINS);
  }

  private static ConfigValue value(Message message) {
    return ConfigValue.newBuilder().setValue(message.toByteString()).setModPolicy(ADMINS).build();
  }

  private static ConfigPolicy implicit(String subPolicy, ImplicitMetaPolicy.Rule rule) {
    ByteString meta = ImplicitMetaPolicy.newBuilder().setSubPolicy(subPolicy).setRule(rule).build().toByteString();
    return ConfigPolicy.newBuilder()
        .setPolicy(Policy.newBuilder().setType(Policy.PolicyType.IMPLICIT_META_VALUE).setValue(meta))
        .setModPolicy(ADMINS)
        .build();
  }

  private ConfigPolicy signedBy(MSPRole.MSPRoleType role) {
    MSPPrincipal principal = MSPPrincipal.newBuilder()
        .setPrincipalClassification(MSPPrincipal.Classification.ROLE)
        .setPrincipal(MSPRole.newBuilder().setMspIdentifier(mspId).setRole(role).build().toByteString())
        .build();
    SignaturePolicyEnvelope envelope = SignaturePolicyEnvelope.newBuilder()
        .setRule(SignaturePolicy.newBuilder().setNOutOf(SignaturePolicy.NOutOf.newBuilder()
            .setN(1)
            .addRules(SignaturePolicy.newBuilder().setSignedBy(0))))
        .addIdentities(principal)
        .build();
    return ConfigPolicy.newBuilder()
        .setPolicy(Policy.newBuilder().setType(Policy.PolicyType.SIGNATURE_VALUE).setValue(envelope.toByteString()))
        .setModPolicy(ADMINS)
        .build();
  }
}
