package org.jorderer.channel.policy;

import java.util.List;
import org.hyperledger.fabric.protos.common.ImplicitMetaPolicy.Rule;
import org.jorderer.channel.msp.ChannelMsps;

/**
 * Fabric's implicit-meta policy: ANY / ALL / MAJORITY of the same-named policy of each child
 * group. With no child groups the threshold is 0 and the policy is always satisfied (Fabric's rule,
 * which makes e.g. /Channel/Application/Writers of an org-less channel accept everything).
 */
public final class ImplicitMetaPolicy implements Policy {
  private final String subPolicyName;
  private final Rule rule;
  private final List<Policy> subPolicies;
  private final int threshold;
  private final ChannelMsps msps;

  public ImplicitMetaPolicy(String subPolicyName, Rule rule, List<Policy> subPolicies, ChannelMsps msps) {
    this.subPolicyName = subPolicyName;
    this.rule = rule;
    this.subPolicies = List.copyOf(subPolicies);
    this.msps = msps;
    int size = this.subPolicies.size();
    switch (rule) {
      case ANY:
        threshold = size == 0 ? 0 : 1;
        break;
      case ALL:
        threshold = size;
        break;
      case MAJORITY:
        threshold = size == 0 ? 0 : size / 2 + 1;
        break;
      default:
        throw new IllegalArgumentException("unknown implicit meta policy rule " + rule);
    }
  }

  public String subPolicyName() {
    return subPolicyName;
  }

  public Rule rule() {
    return rule;
  }

  public int threshold() {
    return threshold;
  }

  @Override
  public PolicyResult evaluate(List<SignedData> signedData) {
    return evaluate(new SignatureSet(signedData, msps));
  }

  @Override
  public PolicyResult evaluate(SignatureSet signatures) {
    int remaining = threshold;
    if (remaining == 0) {
      return PolicyResult.ok();
    }
    for (Policy policy : subPolicies) {
      if (policy.evaluate(signatures).satisfied()) {
        remaining--;
        if (remaining == 0) {
          return PolicyResult.ok();
        }
      }
    }
    return PolicyResult.failed("implicit policy evaluation failed - " + (threshold - remaining)
        + " sub-policies were satisfied, but this policy requires " + threshold + " of the '"
        + subPolicyName + "' sub-policies to be satisfied");
  }
}
