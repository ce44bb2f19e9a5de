package org.jorderer.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.channel.config.GoDuration;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.crypto.Pem;
import org.jorderer.channel.policy.Policy;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;

/**
 * The per-envelope checks Deliver makes against a channel config, with Fabric's messages: the
 * signature filter on {@code /Channel/Readers} and the creator's expiry. Broadcast's checks are
 * {@link org.jorderer.channel.processor.MessageProcessor}'s, and only its.
 */
public final class EnvelopeChecks {
  private EnvelopeChecks() {}

  /** What a check decided; the message is the text Fabric gives the client. */
  public record Verdict(Outcome outcome, String message) {
    private static final Verdict ACCEPTED = new Verdict(Outcome.ACCEPTED, "");

    public static Verdict accept() {
      return ACCEPTED;
    }

    public boolean accepted() {
      return outcome == Outcome.ACCEPTED;
    }
  }

  /** Maps onto Fabric's statuses: FORBIDDEN only for policy failures. */
  public enum Outcome {
    ACCEPTED,
    FORBIDDEN,
    BAD_REQUEST
  }

  /**
   * Deliver's policy check (the orderer wires Deliver's PolicyChecker to the same SigFilter):
   * {@code /Channel/Readers}, or {@code /Channel/Orderer/Readers} in maintenance mode. Creator expiry
   * is a separate, per-block check: see {@link #creatorNotAfter} and {@link #deliverExpiry}.
   */
  public static Verdict deliver(ChannelConfig config, Envelope envelope) {
    return signatureFilter(config, envelope, PolicyTree.CHANNEL_READERS, PolicyTree.ORDERER_READERS);
  }

  /** Fabric's {@code SigFilter.Apply}. */
  public static Verdict signatureFilter(ChannelConfig config, Envelope envelope, String normalPolicy, String maintenancePolicy) {
    List<SignedData> signedData;
    try {
      signedData = SignedData.fromEnvelope(envelope);
    } catch (IllegalArgumentException e) {
      return new Verdict(Outcome.BAD_REQUEST, "could not convert message to signedData: " + e.getMessage());
    }
    return policy(config, signedData, normalPolicy, maintenancePolicy);
  }

  private static Verdict policy(ChannelConfig config, List<SignedData> signedData, String normalPolicy,
      String maintenancePolicy) {
    String policyName = ordererOf(config).consensusType().state() == ConsensusType.State.MAINTENANCE
        ? maintenancePolicy
        : normalPolicy;
    Optional<Policy> policy = config.policies().get(policyName);
    if (policy.isEmpty()) {
      return new Verdict(Outcome.BAD_REQUEST, "could not find policy " + policyName);
    }
    PolicyResult result = policy.get().evaluate(signedData);
    if (!result.satisfied()) {
      return new Verdict(Outcome.FORBIDDEN, result.reason() + ": permission denied");
    }
    return Verdict.accept();
  }

  private static Verdict expiry(ChannelConfig config, ByteString creator, Instant now) {
    Optional<Instant> notAfter = creatorNotAfter(creator); // cached per creator
    if (notAfter.isPresent() && !now.isBefore(notAfter.get())) {
      return new Verdict(Outcome.BAD_REQUEST, "broadcast client identity expired");
    }
    return Verdict.accept();
  }

  /**
   * Deliver's session check (Fabric's {@code common/deliver/acl.go} SessionAccessControl),
   * made before every block: refused only when now is strictly
   * after NotAfter, with Fabric's text "deliver client identity expired 1h0m0s before".
   */
  public static Optional<String> deliverExpiry(Optional<Instant> notAfter, Instant now) {
    if (notAfter.isPresent() && now.isAfter(notAfter.get())) {
      return Optional.of("deliver client identity expired "
          + GoDuration.format(Duration.between(notAfter.get(), now)) + " before");
    }
    return Optional.empty();
  }

  /**
   * Fabric's {@code crypto.ExpiresAt(creator)}: the NotAfter of the PEM certificate inside a
   * serialized identity; empty ("never expires") when it is not one (Idemix, garbage). No MSP is
   * consulted, so it works before and independently of any policy check.
   */
  public static Optional<Instant> creatorNotAfter(ByteString serializedIdentity) {
    // Every envelope of a client carries the same creator; parsing its certificate each time would
    // cost more than the rest of Broadcast's checks but the signature.
    Optional<Instant> known = NOT_AFTER.get(serializedIdentity);
    if (known == null) {
      known = parseNotAfter(serializedIdentity);
      NOT_AFTER.put(serializedIdentity, known);
    }
    return known;
  }

  private static final org.jorderer.channel.msp.IdentityCache<Optional<Instant>> NOT_AFTER =
      new org.jorderer.channel.msp.IdentityCache<>(4096);

  private static Optional<Instant> parseNotAfter(ByteString serializedIdentity) {
    try {
      SerializedIdentity identity = SerializedIdentity.parseFrom(serializedIdentity);
      Pem.Block block = Pem.decodeFirst(identity.getIdBytes().toByteArray());
      if (block == null) {
        return Optional.empty();
      }
      X509Certificate cert = Pem.certificate(block.der());
      return Optional.of(cert.getNotAfter().toInstant());
    } catch (InvalidProtocolBufferException | java.security.cert.CertificateException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static OrdererConfig ordererOf(ChannelConfig config) {
    return config.orderer().orElseThrow(() -> new IllegalStateException(
        "channel " + config.channelId() + " has no /Channel/Orderer group; an orderer cannot serve it"));
  }
}
