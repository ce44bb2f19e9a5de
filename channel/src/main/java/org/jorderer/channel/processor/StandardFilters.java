package org.jorderer.channel.processor;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.policy.Policy;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;

/**
 * Fabric's {@code CreateStandardChannelFilters} rule set, in its order: empty message, size,
 * creator expiry (only without {@code NoExpirationChecks}, and only with the orderer capability),
 * then the signature filter on {@code /Channel/Writers} ({@code /Channel/Orderer/Writers} in
 * maintenance mode). Each rule reads the config given, i.e. the current one.
 */
final class StandardFilters {
  private StandardFilters() {}

  /** Empty when every rule passes. */
  static Optional<Rejection> apply(ChannelConfig config, Envelope envelope, Instant now, boolean expirationChecks) {
    return apply(config, envelope, null, now, expirationChecks);
  }

  /**
   * As above, with the envelope's payload already parsed by the caller ({@code null} when not).
   */
  static Optional<Rejection> apply(ChannelConfig config, Envelope envelope, Payload payload, Instant now,
      boolean expirationChecks) {
    // filter.go EmptyRejectRule
    if (envelope.getPayload().isEmpty()) {
      return Optional.of(Rejection.of("Message was empty"));
    }
    OrdererConfig orderer = ordererOf(config);
    // sizefilter.go: payload + signature against BatchSize.AbsoluteMaxBytes
    long size = (long) envelope.getPayload().size() + envelope.getSignature().size();
    long max = orderer.batchSize().absoluteMaxBytes();
    if (size > max) {
      return Optional.of(Rejection.of("message payload is " + size + " bytes and exceeds maximum allowed " + max + " bytes"));
    }
    List<SignedData> signedData = null;
    // expiration.go
    if (expirationChecks && orderer.capabilities().ordererExpirationCheck()) {
      try {
        signedData = signedData(envelope, payload);
      } catch (IllegalArgumentException e) {
        return Optional.of(Rejection.of("could not convert message to signedData: " + e.getMessage()));
      }
      Optional<Instant> notAfter = EnvelopeChecks.creatorNotAfter(signedData.get(0).identity());
      if (notAfter.isPresent() && !now.isBefore(notAfter.get())) {
        return Optional.of(Rejection.of("broadcast client identity expired"));
      }
    }
    // sigfilter.go
    if (signedData == null) {
      try {
        signedData = signedData(envelope, payload);
      } catch (IllegalArgumentException e) {
        return Optional.of(Rejection.of("could not convert message to signedData: " + e.getMessage()));
      }
    }
    String policyName = orderer.consensusType().maintenance() ? PolicyTree.ORDERER_WRITERS : PolicyTree.CHANNEL_WRITERS;
    Optional<Policy> policy = config.policies().get(policyName);
    if (policy.isEmpty()) {
      return Optional.of(Rejection.of("could not find policy " + policyName));
    }
    PolicyResult result = policy.get().evaluate(signedData);
    if (!result.satisfied()) {
      // errors.Wrap(ErrPermissionDenied, reason): "<reason>: permission denied", classified FORBIDDEN.
      return Optional.of(new Rejection(result.reason() + ": permission denied", Rejection.Cause.PERMISSION_DENIED));
    }
    return Optional.empty();
  }

  private static List<SignedData> signedData(Envelope envelope, Payload payload) {
    return payload == null ? SignedData.fromEnvelope(envelope) : SignedData.fromEnvelope(envelope, payload);
  }

  static OrdererConfig ordererOf(ChannelConfig config) {
    return config.orderer().orElseThrow(() -> new IllegalStateException(
        "channel " + config.channelId() + " has no /Channel/Orderer group; an orderer cannot serve it"));
  }
}
