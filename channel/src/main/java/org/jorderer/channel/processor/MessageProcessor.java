package org.jorderer.channel.processor;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.configtx.ConfigTxValidator;
import org.jorderer.channel.configtx.ConfigUpdateException;
import org.jorderer.channel.configtx.EnvelopeOfType;
import org.jorderer.channel.configtx.ProtoErrors;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one rule for a message arriving on an existing channel: Fabric v2.4's
 * {@code msgprocessor.StandardChannel} with the standard channel filters
 * ({@code CreateStandardChannelFilters}: empty, size, expiry, {@code /Channel/Writers}), the
 * maintenance filter, and {@code ClassifyError}'s statuses. Broadcast calls it on arrival, the chain
 * again at ordering time when the config sequence moved.
 *
 * <p>It reads the channel's current config through the supplier on every call, so a config switch
 * is seen at once. Thread-safe.
 */
public final class MessageProcessor {
  private static final Logger log = LoggerFactory.getLogger(MessageProcessor.class);

  private final String channelId;
  private final Supplier<ChannelConfig> currentConfig;
  private final SignedEnvelopes envelopes;
  private final Clock clock;
  private final boolean expirationChecks;
  private final ConsensusMetadataValidator consensusRules;
  // The validator of the last config seen: flattening a config costs, config changes are rare.
  private volatile ConfigTxValidator validator;

  /**
   * @param channelId the channel this processor serves
   * @param currentConfig the channel's current config (read on every call)
   * @param signer the orderer's own identity: signs the CONFIG envelopes it makes from updates
   * @param clock the time for the creator-expiry filter and the CONFIG envelopes' timestamps
   * @param expirationChecks {@code !General.Authentication.NoExpirationChecks}: whether the expiry
   *     filter is part of the rules at all (it then also needs the orderer capability)
   */
  public MessageProcessor(String channelId, Supplier<ChannelConfig> currentConfig, LocalSigner signer, Clock clock,
      boolean expirationChecks) {
    this(channelId, currentConfig, signer, clock, expirationChecks, ConsensusMetadataValidator.NONE);
  }

  /**
   * As above, with the consensus type's rules for config updates (Fabric's
   * {@code ValidateConsensusMetadata}, e.g. etcdraft's one consenter change at a time).
   */
  public MessageProcessor(String channelId, Supplier<ChannelConfig> currentConfig, LocalSigner signer, Clock clock,
      boolean expirationChecks, ConsensusMetadataValidator consensusRules) {
    this.consensusRules = java.util.Objects.requireNonNull(consensusRules, "consensusRules");
    this.channelId = channelId;
    this.currentConfig = currentConfig;
    this.envelopes = new SignedEnvelopes(signer);
    this.clock = clock;
    this.expirationChecks = expirationChecks;
  }

  public String channelId() {
    return channelId;
  }

  /** The time this processor judges by (a fixed clock in tests). */
  public Clock clock() {
    return clock;
  }

  /** Fabric's {@code StandardChannel.ClassifyMsg}. */
  public static MessageClass classify(ChannelHeader header) {
    int type = header.getType();
    if (type == HeaderType.CONFIG_UPDATE_VALUE) {
      return MessageClass.CONFIG_UPDATE;
    }
    if (type == HeaderType.CONFIG_VALUE || type == HeaderType.ORDERER_TRANSACTION_VALUE) {
      return MessageClass.CONFIG;
    }
    return MessageClass.NORMAL;
  }

  /**
   * Fabric's {@code ProcessNormalMsg}: maintenance mode (SERVICE_UNAVAILABLE "normal transactions
   * are rejected: maintenance mode"), then the standard filters against the current config.
   */
  public NormalResult processNormal(Envelope envelope) {
    return processNormal(envelope, null);
  }

  /**
   * As {@link #processNormal(Envelope)}, for a caller that has already parsed the envelope's
   * payload (Broadcast, which reads the channel header from it): the signature filter uses it
   * instead of parsing the payload again.
   *
   * @param payload {@code Payload.parseFrom(envelope.getPayload())}, or {@code null}
   */
  public NormalResult processNormal(Envelope envelope, Payload payload) {
    return processNormal(envelope, payload, clock.instant());
  }

  /**
   * As {@link #processNormal(Envelope)}, judging the creator's expiry at {@code now} instead of
   * this processor's clock: a Raft chain re-checks an envelope at ordering time with the time its
   * leader stamped on the entry, so that every node decides alike (docs/raft.md, "Re-checking
   * at ordering time").
   */
  public NormalResult processNormalAt(Envelope envelope, Instant now) {
    return processNormal(envelope, null, now);
  }

  private NormalResult processNormal(Envelope envelope, Payload payload, Instant now) {
    ChannelConfig config = currentConfig.get();
    OrdererConfig orderer = StandardFilters.ordererOf(config);
    if (orderer.capabilities().ordererConsensusTypeMigration() && orderer.consensusType().maintenance()) {
      return new NormalResult(new Rejection("normal transactions are rejected: maintenance mode",
          Rejection.Cause.MAINTENANCE_MODE).verdict(), 0);
    }
    long sequence = config.sequence();
    Optional<Rejection> rejected = StandardFilters.apply(config, envelope, payload, now, expirationChecks);
    return new NormalResult(rejected.map(Rejection::verdict).orElse(Verdict.SUCCESS), sequence);
  }

  /**
   * Fabric's {@code ProcessConfigUpdateMsg}: initial filters on the envelope, the configtx
   * validation of the update against the current config, the new CONFIG envelope signed by this
   * orderer, the filters again on it ("final checks") and the maintenance filter.
   */
  public ConfigResult processConfigUpdate(Envelope configUpdateEnvelope) {
    ChannelConfig config = currentConfig.get();
    log.debug("Processing config update message for existing channel {}", channelId);
    long sequence = config.sequence();
    Instant now = clock.instant();
    Optional<Rejection> initial = StandardFilters.apply(config, configUpdateEnvelope, now, expirationChecks);
    if (initial.isPresent()) {
      return ConfigResult.refused(initial.get().wrap("config update for existing channel did not pass initial checks").verdict());
    }
    ConfigTxValidator validator = validatorFor(config);
    ConfigEnvelope proposed;
    ChannelConfig next;
    try {
      proposed = validator.proposeConfigUpdate(configUpdateEnvelope);
      next = validator.newChannelConfig(proposed);
      // Fabric's ChainSupport.ProposeConfigUpdate: the consenter's ValidateConsensusMetadata last.
      Optional<String> consensus = consensusRules.validate(config, next, now);
      if (consensus.isPresent()) {
        throw new ConfigUpdateException("consensus metadata update for channel config update is invalid: "
            + consensus.get());
      }
    } catch (ConfigUpdateException e) {
      return ConfigResult.refused(Verdict.badRequest(
          "error applying config update to existing channel '" + channelId + "': " + e.getMessage()));
    }
    Envelope signed = configEnvelope(proposed, now);
    Optional<Rejection> fin = StandardFilters.apply(config, signed, now, expirationChecks);
    if (fin.isPresent()) {
      return ConfigResult.refused(fin.get().wrap("config update for existing channel did not pass final checks").verdict());
    }
    Optional<String> maintenance = MaintenanceFilter.inspect(config, next, configUpdateEnvelope);
    if (maintenance.isPresent()) {
      return ConfigResult.refused(Verdict.badRequest(
          "config update for existing channel did not pass maintenance checks: config transaction inspection failed: "
              + maintenance.get()));
    }
    return new ConfigResult(Verdict.SUCCESS, Optional.of(signed), sequence, Optional.of(next));
  }

  /**
   * Fabric's {@code ProcessConfigMsg}: re-validation at ordering time of a CONFIG envelope this
   * orderer made when the config sequence has moved since; the update in its {@code last_update}
   * is processed again against the current config, giving a new CONFIG envelope (or a refusal).
   */
  public ConfigResult processConfig(Envelope configEnvelope) {
    ConfigEnvelope parsed;
    try {
      parsed = configEnvelopeOf(configEnvelope);
    } catch (ConfigUpdateException e) {
      return ConfigResult.refused(Verdict.badRequest(e.getMessage()));
    }
    return processConfigUpdate(parsed.getLastUpdate());
  }

  /** The configtx validator of {@code config}, built once per config. */
  private ConfigTxValidator validatorFor(ChannelConfig config) {
    ConfigTxValidator known = validator;
    if (known != null && known.current() == config) {
      return known;
    }
    ConfigTxValidator fresh = new ConfigTxValidator(config);
    validator = fresh;
    return fresh;
  }

  /**
   * Fabric's {@code protoutil.CreateSignedEnvelope(CONFIG, channel, signer, configEnvelope, 0, 0)}:
   * a channel header with whole-second timestamp, empty tx ID, epoch 0; signed by this orderer.
   */
  private Envelope configEnvelope(ConfigEnvelope proposed, Instant now) {
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(HeaderType.CONFIG_VALUE)
        .setVersion(0)
        .setChannelId(channelId)
        .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
        .setEpoch(0)
        .build();
    return envelopes.sign(header, proposed.toByteString());
  }

  /** Fabric's {@code UnmarshalEnvelopeOfType(env, CONFIG, ...)} with its error texts. */
  private static ConfigEnvelope configEnvelopeOf(Envelope envelope) throws ConfigUpdateException {
    ByteString data = EnvelopeOfType.data(envelope, HeaderType.CONFIG);
    try {
      return ConfigEnvelope.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw EnvelopeOfType.unparsable(HeaderType.CONFIG, e);
    }
  }
}
