package org.jorderer.channel.processor;

import java.time.Clock;
import java.util.function.Supplier;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;

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
  private final String channelId;
  private final Supplier<ChannelConfig> currentConfig;
  private final LocalSigner signer;
  private final Clock clock;
  private final boolean expirationChecks;

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
    this.channelId = channelId;
    this.currentConfig = currentConfig;
    this.signer = signer;
    this.clock = clock;
    this.expirationChecks = expirationChecks;
  }

  public String channelId() {
    return channelId;
  }

  /** Fabric's {@code StandardChannel.ClassifyMsg}. */
  public static MessageClass classify(ChannelHeader header) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Fabric's {@code ProcessNormalMsg}: maintenance mode (SERVICE_UNAVAILABLE "normal transactions
   * are rejected: maintenance mode"), then the standard filters against the current config.
   */
  public NormalResult processNormal(Envelope envelope) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Fabric's {@code ProcessConfigUpdateMsg}: initial filters on the envelope, the configtx
   * validation of the update against the current config, the new CONFIG envelope signed by this
   * orderer, the filters again on it ("final checks") and the maintenance filter.
   */
  public ConfigResult processConfigUpdate(Envelope configUpdateEnvelope) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Fabric's {@code ProcessConfigMsg}: re-validation at ordering time of a CONFIG envelope this
   * orderer made when the config sequence has moved since; the update in its {@code last_update}
   * is processed again against the current config, giving a new CONFIG envelope (or a refusal).
   */
  public ConfigResult processConfig(Envelope configEnvelope) {
    throw new UnsupportedOperationException("not yet");
  }
}
