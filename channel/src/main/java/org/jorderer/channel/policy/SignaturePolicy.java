package org.jorderer.channel.policy;

import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.jorderer.channel.msp.ChannelMsps;
import org.jorderer.channel.msp.Identity;

/**
 * Fabric's cauthdsl signature policy: a tree of n-out-of gates over "signed by principal i" leaves.
 * Each identity can satisfy at most one leaf per evaluation; gates are tried in order and a gate's
 * claims are kept only if it succeeds (Fabric's {@code used} slices), so the outcome is exactly
 * Fabric's, including its greedy, order-dependent choices.
 */
public final class SignaturePolicy implements Policy {
  static final String NOT_SATISFIED = "signature set did not satisfy policy";

  private final Rule rule;
  private final ChannelMsps msps;
  private final SignaturePolicyEnvelope definition;

  private SignaturePolicy(Rule rule, ChannelMsps msps, SignaturePolicyEnvelope definition) {
    this.rule = rule;
    this.msps = msps;
    this.definition = definition;
  }

  /**
   * Compiles a policy definition.
   *
   * @throws IllegalArgumentException with Fabric's compile error text
   */
  public static SignaturePolicy compile(SignaturePolicyEnvelope envelope, ChannelMsps msps) {
    if (envelope.getVersion() != 0) {
      throw new IllegalArgumentException(
          "This evaluator only understands messages of version 0, but version was " + envelope.getVersion());
    }
    if (!envelope.hasRule()) {
      throw new IllegalArgumentException("Empty policy element");
    }
    return new SignaturePolicy(compile(envelope.getRule(), envelope.getIdentitiesList()), msps, envelope);
  }

  private static Rule compile(org.hyperledger.fabric.protos.common.SignaturePolicy policy, List<MSPPrincipal> identities) {
    switch (policy.getTypeCase()) {
      case N_OUT_OF: {
        List<Rule> rules = new ArrayList<>();
        for (org.hyperledger.fabric.protos.common.SignaturePolicy inner : policy.getNOutOf().getRulesList()) {
          rules.add(compile(inner, identities));
        }
        return new NOutOf(policy.getNOutOf().getN(), rules);
      }
      case SIGNED_BY: {
        int index = policy.getSignedBy();
        if (index < 0 || index >= identities.size()) {
          throw new IllegalArgumentException("identity index out of range, requested " + index
              + ", but identities length is " + identities.size());
        }
        return new SignedBy(identities.get(index));
      }
      default:
        throw new IllegalArgumentException("Empty policy element");
    }
  }

  public SignaturePolicyEnvelope definition() {
    return definition;
  }

  @Override
  public PolicyResult evaluate(List<SignedData> signedData) {
    return evaluate(new SignatureSet(signedData, msps));
  }

  @Override
  public PolicyResult evaluate(SignatureSet signatures) {
    List<Identity> identities = signatures.validIdentities();
    return rule.evaluate(identities, new boolean[identities.size()])
        ? PolicyResult.ok()
        : PolicyResult.failed(NOT_SATISFIED);
  }

  private interface Rule {
    boolean evaluate(List<Identity> identities, boolean[] used);
  }

  private static final class NOutOf implements Rule {
    private final int n;
    private final List<Rule> rules;

    NOutOf(int n, List<Rule> rules) {
      this.n = n;
      this.rules = List.copyOf(rules);
    }

    @Override
    public boolean evaluate(List<Identity> identities, boolean[] used) {
      int verified = 0;
      boolean[] attempt = new boolean[used.length];
      for (Rule rule : rules) {
        System.arraycopy(used, 0, attempt, 0, used.length);
        if (rule.evaluate(identities, attempt)) {
          verified++;
          System.arraycopy(attempt, 0, used, 0, used.length);
        }
      }
      return verified >= n;
    }
  }

  private static final class SignedBy implements Rule {
    private final MSPPrincipal principal;

    SignedBy(MSPPrincipal principal) {
      this.principal = principal;
    }

    @Override
    public boolean evaluate(List<Identity> identities, boolean[] used) {
      for (int i = 0; i < identities.size(); i++) {
        if (used[i]) {
          continue;
        }
        if (identities.get(i).satisfiesPrincipal(principal).isEmpty()) {
          used[i] = true;
          return true;
        }
      }
      return false;
    }
  }
}
