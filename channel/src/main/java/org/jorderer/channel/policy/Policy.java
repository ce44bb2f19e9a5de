package org.jorderer.channel.policy;

import java.util.List;

/** A compiled channel policy: signature (cauthdsl), implicit-meta, or the reject-all placeholder. */
public interface Policy {
  /**
   * Evaluates within one {@link SignatureSet}, so that nested policies share the signature checks
   * already made (the result is the same as evaluating each from scratch, as Fabric does).
   */
  PolicyResult evaluate(SignatureSet signatures);

  /** Evaluates the given signatures from scratch. */
  PolicyResult evaluate(List<SignedData> signedData);
}
