package org.jorderer.channel.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jorderer.channel.msp.ChannelMsps;
import org.jorderer.channel.msp.Identity;
import org.jorderer.channel.msp.IdentityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signatures presented for one policy evaluation, turned into identities once.
 *
 * <p>Fabric's {@code SignatureSetToValidIdentities}, memoised: every signature policy of a channel
 * uses the same deserializer, so an implicit-meta policy over N organizations would otherwise
 * verify each signature N times. Not thread-safe: one evaluation, one thread.
 */
public final class SignatureSet {
  private static final Logger LOG = LoggerFactory.getLogger(SignatureSet.class);

  private final List<SignedData> signedData;
  private final ChannelMsps msps;
  private List<Identity> valid;
  private final List<String> rejections = new ArrayList<>();

  public SignatureSet(List<SignedData> signedData, ChannelMsps msps) {
    this.signedData = List.copyOf(signedData);
    this.msps = msps;
  }

  /**
   * Identities whose signature verified, in order, each identity (MSP ID + certificate hash) at
   * most once. As in Fabric, the duplicate check comes before signature verification, and a
   * signature that fails does not mark its identity as seen.
   */
  public List<Identity> validIdentities() {
    if (valid == null) {
      valid = computeValid();
    }
    return valid;
  }

  /** Why signatures were dropped by {@link #validIdentities()}, one line each; for diagnostics. */
  public List<String> rejections() {
    validIdentities();
    return List.copyOf(rejections);
  }

  private List<Identity> computeValid() {
    List<Identity> identities = new ArrayList<>(signedData.size());
    Set<String> seen = signedData.size() > 1 ? new HashSet<>() : null;
    for (int i = 0; i < signedData.size(); i++) {
      SignedData sd = signedData.get(i);
      Identity identity;
      try {
        identity = msps.deserialize(sd.identity());
      } catch (IdentityException e) {
        reject("invalid identity at index " + i + ": " + e.getMessage());
        continue;
      }
      String key = identity.mspId() + identity.id();
      if (seen != null && seen.contains(key)) {
        reject("De-duplicating identity [" + key + "] at index " + i + " in signature set");
        continue;
      }
      Optional<String> bad = identity.verify(sd.data().asReadOnlyByteBuffer(), sd.signature().toByteArray());
      if (bad.isPresent()) {
        reject("signature for identity " + i + " is invalid: " + bad.get());
        continue;
      }
      if (seen != null) {
        seen.add(key);
      }
      identities.add(identity);
    }
    return identities;
  }

  private void reject(String reason) {
    rejections.add(reason);
    LOG.debug("{}", reason);
  }
}
