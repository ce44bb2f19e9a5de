package org.jorderer.channel.configtx;

import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;

/**
 * Fabric v2.4's {@code configtx.ValidatorImpl} for one config (one sequence): applies a
 * CONFIG_UPDATE to it (read set, delta set, mod_policies evaluated on the update's
 * ConfigSignatures) and produces the next config. Immutable; build one per config.
 */
public final class ConfigTxValidator {
  private final ChannelConfig current;

  public ConfigTxValidator(ChannelConfig current) {
    this.current = current;
  }

  /** The config this validator applies updates to. */
  public ChannelConfig current() {
    return current;
  }

  /**
   * Fabric's {@code ProposeConfigUpdate}: the {@code ConfigEnvelope{config (sequence + 1),
   * last_update = envelope}} the update produces. Only the configtx rules: the resulting config is
   * not parsed here (see {@link #newChannelConfig}).
   *
   * @throws ConfigUpdateException with Fabric's text, e.g. "error authorizing update: error validating
   *     DeltaSet: ..."
   */
  public ConfigEnvelope proposeConfigUpdate(Envelope configUpdateEnvelope) throws ConfigUpdateException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Fabric's {@code Validate}: whether {@code configEnvelope} is the next config of this one (its
   * sequence is current + 1 and its last_update, applied to this config, yields exactly its config),
   * as the block writer checks before writing a config block.
   *
   * @throws ConfigUpdateException with Fabric's text, e.g. "config currently at sequence 2, cannot
   *     validate config at sequence 4"
   */
  public void validate(ConfigEnvelope configEnvelope) throws ConfigUpdateException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Fabric's {@code channelconfig.NewBundle} on a proposed config: the parsed and validated channel
   * config, or Fabric's text ("initializing channelconfig failed: could not create channel Orderer
   * sub-group config: ...").
   */
  public ChannelConfig newChannelConfig(ConfigEnvelope proposed) throws ConfigUpdateException {
    throw new UnsupportedOperationException("not yet");
  }
}
