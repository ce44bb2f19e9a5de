package org.jorderer.channel.policy;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigPolicy;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.jorderer.channel.config.ConfigException;
import org.jorderer.channel.msp.ChannelMsps;

/**
 * All policies of a channel config, addressed as Fabric's policy manager addresses them:
 * absolute ({@code /Channel/Orderer/BlockValidation}) or relative to the channel
 * ({@code Orderer/BlockValidation}). Immutable.
 */
public final class PolicyTree {
  public static final String CHANNEL_READERS = "/Channel/Readers";
  public static final String CHANNEL_WRITERS = "/Channel/Writers";
  public static final String CHANNEL_ADMINS = "/Channel/Admins";
  public static final String ORDERER_READERS = "/Channel/Orderer/Readers";
  public static final String ORDERER_WRITERS = "/Channel/Orderer/Writers";
  public static final String ORDERER_ADMINS = "/Channel/Orderer/Admins";
  public static final String BLOCK_VALIDATION = "/Channel/Orderer/BlockValidation";
  public static final String APPLICATION_READERS = "/Channel/Application/Readers";
  public static final String APPLICATION_WRITERS = "/Channel/Application/Writers";

  private static final String ROOT = "Channel";

  /** Relative path ("Readers", "Orderer/SampleOrg/Writers") to policy, for the whole tree. */
  private final Map<String, Policy> policies;
  private final ChannelMsps msps;

  private PolicyTree(Map<String, Policy> policies, ChannelMsps msps) {
    this.policies = Collections.unmodifiableMap(policies);
    this.msps = msps;
  }

  /**
   * Compiles every policy under {@code channelGroup}.
   *
   * @throws ConfigException naming the policy's path when one cannot be compiled
   */
  public static PolicyTree build(ConfigGroup channelGroup, ChannelMsps msps) {
    return new PolicyTree(compileGroup(ROOT, channelGroup, msps), msps);
  }

  /** Fabric's {@code NewManagerImpl}: child groups first, implicit-meta policies see their managers. */
  private static Map<String, Policy> compileGroup(String path, ConfigGroup group, ChannelMsps msps) {
    Map<String, Map<String, Policy>> children = new TreeMap<>();
    for (Map.Entry<String, ConfigGroup> child : new TreeMap<>(group.getGroupsMap()).entrySet()) {
      children.put(child.getKey(), compileGroup(path + "/" + child.getKey(), child.getValue(), msps));
    }
    Map<String, Policy> policies = new TreeMap<>();
    for (Map.Entry<String, ConfigPolicy> entry : new TreeMap<>(group.getPoliciesMap()).entrySet()) {
      String name = entry.getKey();
      String where = "/" + path + "/" + name;
      if (!entry.getValue().hasPolicy()) {
        throw new ConfigException(where, "policy " + name + " at path " + path + " was nil");
      }
      org.hyperledger.fabric.protos.common.Policy policy = entry.getValue().getPolicy();
      try {
        switch (policy.getType()) {
          case 1: // SIGNATURE
            policies.put(name, SignaturePolicy.compile(SignaturePolicyEnvelope.parseFrom(policy.getValue()), msps));
            break;
          case 3: { // IMPLICIT_META
            org.hyperledger.fabric.protos.common.ImplicitMetaPolicy definition =
                org.hyperledger.fabric.protos.common.ImplicitMetaPolicy.parseFrom(policy.getValue());
            if (definition.getRule() == org.hyperledger.fabric.protos.common.ImplicitMetaPolicy.Rule.UNRECOGNIZED) {
              // Fabric would silently compute a threshold of 0 (always satisfied); refuse instead.
              throw new IllegalArgumentException("unknown implicit meta policy rule " + definition.getRuleValue());
            }
            List<Policy> subPolicies = new ArrayList<>();
            for (Map<String, Policy> child : children.values()) {
              Policy sub = child.get(definition.getSubPolicy());
              subPolicies.add(sub != null ? sub : new MissingPolicy(definition.getSubPolicy()));
            }
            policies.put(name, new ImplicitMetaPolicy(definition.getSubPolicy(), definition.getRule(), subPolicies, msps));
            break;
          }
          default:
            throw new ConfigException(where,
                "policy " + name + " at path " + path + " has unknown policy type: " + policy.getType());
        }
      } catch (InvalidProtocolBufferException e) {
        throw new ConfigException(where, "policy " + name + " at path " + path + " did not compile: Error unmarshaling policy: "
            + e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where, "policy " + name + " at path " + path + " did not compile: " + e.getMessage(), e);
      }
    }
    for (Map.Entry<String, Map<String, Policy>> child : children.entrySet()) {
      for (Map.Entry<String, Policy> policy : child.getValue().entrySet()) {
        policies.put(child.getKey() + "/" + policy.getKey(), policy.getValue());
      }
    }
    return policies;
  }

  /**
   * Fabric's {@code GetPolicy}: the policy at {@code id}, absolute ("/Channel/...") or relative to
   * the channel group. Empty when undefined (Fabric then evaluates a reject-all policy).
   */
  public Optional<Policy> get(String id) {
    return Optional.ofNullable(policies.get(relativePath(id)));
  }

  /**
   * {@link #get} or, when undefined, Fabric's reject-all placeholder whose failure reason is
   * "no such policy: '...'".
   */
  public Policy getOrReject(String id) {
    String relative = relativePath(id);
    Policy policy = relative == null ? null : policies.get(relative);
    if (policy != null) {
      return policy;
    }
    return new MissingPolicy(relative == null || relative.isEmpty() ? id : relative);
  }

  public PolicyResult evaluate(String id, List<SignedData> signedData) {
    return getOrReject(id).evaluate(new SignatureSet(signedData, msps));
  }

  /** Every policy's absolute path, sorted. */
  public List<String> paths() {
    List<String> out = new ArrayList<>();
    for (String relative : policies.keySet()) {
      out.add("/" + ROOT + "/" + relative);
    }
    return out;
  }

  private static String relativePath(String id) {
    if (id == null || id.isEmpty()) {
      return null;
    }
    if (id.startsWith("/")) {
      String prefix = "/" + ROOT + "/";
      if (!id.startsWith(prefix)) {
        return null;
      }
      return id.substring(prefix.length());
    }
    return id;
  }
}
