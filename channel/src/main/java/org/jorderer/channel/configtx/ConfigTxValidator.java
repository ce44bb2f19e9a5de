package org.jorderer.channel.configtx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigSignature;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.ConfigException;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.config.OrganizationConfig;
import org.jorderer.channel.policy.Policy;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.SignedData;

/**
 * Fabric v2.4's {@code configtx.ValidatorImpl} for one config (one sequence): applies a
 * CONFIG_UPDATE to it (read set, delta set, mod_policies evaluated on the update's
 * ConfigSignatures) and produces the next config. Immutable; build one per config.
 */
public final class ConfigTxValidator {
  private final ChannelConfig current;
  private final Map<String, ConfigElement> configMap;

  /**
   * @throws IllegalArgumentException when the current config itself cannot be flattened (a name
   *     that is not a valid config ID; Fabric refuses such a config when it is first loaded)
   */
  public ConfigTxValidator(ChannelConfig current) {
    this.current = current;
    try {
      this.configMap = ConfigMap.of(current.config().getChannelGroup(), current.config().hasChannelGroup());
    } catch (ConfigUpdateException e) {
      throw new IllegalArgumentException("error converting config to map: " + e.getMessage(), e);
    }
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
    ConfigUpdateEnvelope update;
    try {
      update = toConfigUpdate(configUpdateEnvelope);
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("error converting envelope to config update: " + e.getMessage());
    }
    Map<String, ConfigElement> proposed;
    try {
      proposed = authorizeUpdate(update);
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("error authorizing update: " + e.getMessage());
    }
    ConfigGroup channelGroup;
    try {
      channelGroup = ConfigMap.toChannelGroup(proposed);
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("could not turn configMap back to channelGroup: " + e.getMessage());
    }
    return ConfigEnvelope.newBuilder()
        .setConfig(Config.newBuilder().setSequence(current.sequence() + 1).setChannelGroup(channelGroup))
        .setLastUpdate(configUpdateEnvelope)
        .build();
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
    if (configEnvelope == null) {
      throw new ConfigUpdateException("config envelope is nil");
    }
    if (!configEnvelope.hasConfig()) {
      throw new ConfigUpdateException("config envelope has nil config");
    }
    long sequence = configEnvelope.getConfig().getSequence();
    if (sequence != current.sequence() + 1) {
      throw new ConfigUpdateException("config currently at sequence " + Long.toUnsignedString(current.sequence())
          + ", cannot validate config at sequence " + Long.toUnsignedString(sequence));
    }
    ConfigUpdateEnvelope update = toConfigUpdate(configEnvelope.getLastUpdate());
    Map<String, ConfigElement> proposed = authorizeUpdate(update);
    ConfigGroup channelGroup;
    try {
      channelGroup = ConfigMap.toChannelGroup(proposed);
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("could not turn configMap back to channelGroup: " + e.getMessage());
    }
    if (!channelGroup.equals(configEnvelope.getConfig().getChannelGroup())) {
      throw new ConfigUpdateException("ConfigEnvelope LastUpdate did not produce the supplied config result");
    }
  }

  /**
   * What the orderer checks of a proposed config beyond configtx ({@code ChainSupport.ProposeConfigUpdate}
   * after the validator): {@code channelconfig.NewBundle} (the config parses and validates),
   * {@code checkResources} (capabilities this orderer supports) and {@code Bundle.ValidateNew}
   * (sections and MSP IDs kept).
   *
   * @return the parsed new config
   * @throws ConfigUpdateException with Fabric's text ("initializing channelconfig failed: could not
   *     create channel Orderer sub-group config: ...")
   */
  public ChannelConfig newChannelConfig(ConfigEnvelope proposed) throws ConfigUpdateException {
    ChannelConfig next;
    try {
      next = ChannelConfig.fromConfig(current.channelId(), proposed.getConfig(), current.crypto());
    } catch (ConfigException e) {
      throw new ConfigUpdateException(e.fabricText(), e);
    }
    if (next.orderer().isEmpty()) {
      throw new ConfigUpdateException("config update is not compatible: config does not contain orderer config");
    }
    validateNew(next);
    return next;
  }

  /** Fabric's {@code Bundle.ValidateNew}. */
  private void validateNew(ChannelConfig next) throws ConfigUpdateException {
    Optional<OrdererConfig> orderer = current.orderer();
    if (orderer.isPresent()) {
      OrdererConfig newOrderer = next.orderer().orElseThrow(
          () -> new ConfigUpdateException("current config has orderer section, but new config does not"));
      if (!orderer.get().capabilities().ordererConsensusTypeMigration()
          && !orderer.get().consensusType().type().equals(newOrderer.consensusType().type())) {
        throw new ConfigUpdateException("attempted to change consensus type from " + orderer.get().consensusType().type()
            + " to " + newOrderer.consensusType().type());
      }
      sameMspIds("orderer", orderer.get().organizations(), newOrderer.organizations());
    }
    if (current.application().isPresent()) {
      if (next.application().isEmpty()) {
        throw new ConfigUpdateException("current config has application section, but new config does not");
      }
      sameMspIds("application", current.application().get().organizations(), next.application().get().organizations());
    }
    if (!current.config().getChannelGroup().containsGroups("Consortiums")
        && next.config().getChannelGroup().containsGroups("Consortiums")) {
      throw new ConfigUpdateException("current config has no consortiums section, but new config does");
    }
  }

  private static void sameMspIds(String kind, Map<String, OrganizationConfig> before, Map<String, OrganizationConfig> after)
      throws ConfigUpdateException {
    for (Map.Entry<String, OrganizationConfig> org : new TreeMap<>(before).entrySet()) {
      OrganizationConfig now = after.get(org.getKey());
      if (now != null && !now.mspId().equals(org.getValue().mspId())) {
        throw new ConfigUpdateException(kind + " org " + org.getKey() + " attempted to change MSP ID from "
            + org.getValue().mspId() + " to " + now.mspId());
      }
    }
  }

  // ---------------------------------------------------------------- update.go

  private Map<String, ConfigElement> authorizeUpdate(ConfigUpdateEnvelope envelope) throws ConfigUpdateException {
    ConfigUpdate update;
    try {
      update = ConfigUpdate.parseFrom(envelope.getConfigUpdate());
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigUpdateException(ProtoErrors.text(e));
    }
    if (!update.getChannelId().equals(current.channelId())) {
      throw new ConfigUpdateException("ConfigUpdate for channel '" + update.getChannelId() + "' but envelope for channel '"
          + current.channelId() + "'");
    }
    Map<String, ConfigElement> readSet;
    try {
      readSet = ConfigMap.of(update.getReadSet(), update.hasReadSet());
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("error mapping ReadSet: " + e.getMessage());
    }
    verifyReadSet(readSet);
    Map<String, ConfigElement> writeSet;
    try {
      writeSet = ConfigMap.of(update.getWriteSet(), update.hasWriteSet());
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("error mapping WriteSet: " + e.getMessage());
    }
    Map<String, ConfigElement> deltaSet = new TreeMap<>();
    for (Map.Entry<String, ConfigElement> written : writeSet.entrySet()) {
      ConfigElement read = readSet.get(written.getKey());
      if (read != null && read.version() == written.getValue().version()) {
        continue;
      }
      deltaSet.put(written.getKey(), written.getValue());
    }
    List<SignedData> signedData = signedData(envelope);
    try {
      verifyDeltaSet(deltaSet, signedData);
    } catch (ConfigUpdateException e) {
      throw new ConfigUpdateException("error validating DeltaSet: " + e.getMessage());
    }
    Map<String, ConfigElement> proposed = new TreeMap<>(configMap);
    proposed.putAll(deltaSet);
    for (String key : writeSet.keySet()) {
      if (!proposed.containsKey(key)) {
        throw new ConfigUpdateException("full config did not verify: writeset contained key " + key
            + " which did not appear in proposed config");
      }
    }
    return proposed;
  }

  private void verifyReadSet(Map<String, ConfigElement> readSet) throws ConfigUpdateException {
    for (Map.Entry<String, ConfigElement> read : readSet.entrySet()) {
      ConfigElement existing = configMap.get(read.getKey());
      if (existing == null) {
        throw new ConfigUpdateException("error validating ReadSet: existing config does not contain element for "
            + read.getKey() + " but was in the read set");
      }
      if (existing.version() != read.getValue().version()) {
        throw new ConfigUpdateException("error validating ReadSet: proposed update requires that key " + read.getKey()
            + " be at version " + Long.toUnsignedString(read.getValue().version()) + ", but it is currently at version "
            + Long.toUnsignedString(existing.version()));
      }
    }
  }

  private void verifyDeltaSet(Map<String, ConfigElement> deltaSet, List<SignedData> signedData)
      throws ConfigUpdateException {
    if (deltaSet.isEmpty()) {
      throw new ConfigUpdateException("delta set was empty -- update would have no effect");
    }
    for (Map.Entry<String, ConfigElement> delta : deltaSet.entrySet()) {
      String key = delta.getKey();
      ConfigElement value = delta.getValue();
      String invalid = validateModPolicy(value.modPolicy());
      if (invalid != null) {
        throw new ConfigUpdateException("invalid mod_policy for element " + key + ": " + invalid);
      }
      ConfigElement existing = configMap.get(key);
      if (existing == null) {
        if (value.version() != 0) {
          throw new ConfigUpdateException("attempted to set key " + key + " to version "
              + Long.toUnsignedString(value.version()) + ", but key does not exist");
        }
        continue;
      }
      if (value.version() != existing.version() + 1) {
        throw new ConfigUpdateException("attempt to set key " + key + " to version " + Long.toUnsignedString(value.version())
            + ", but key is at version " + Long.toUnsignedString(existing.version()));
      }
      Optional<Policy> policy = policyForItem(existing);
      if (policy.isEmpty()) {
        throw new ConfigUpdateException("unexpected missing policy " + existing.modPolicy() + " for item " + key);
      }
      PolicyResult result = policy.get().evaluate(signedData);
      if (!result.satisfied()) {
        throw new ConfigUpdateException("policy for " + key + " not satisfied: " + result.reason());
      }
    }
  }

  /** Fabric's {@code validateModPolicy}: null when valid, else its error text. */
  static String validateModPolicy(String modPolicy) {
    if (modPolicy.isEmpty()) {
      return "mod_policy not set";
    }
    String trimmed = modPolicy.charAt(0) == '/' ? modPolicy.substring(1) : modPolicy;
    String[] elements = trimmed.split("/", -1);
    for (int i = 0; i < elements.length; i++) {
      String invalid = ConfigMap.validateConfigId(elements[i]);
      if (invalid != null) {
        return "path element at " + i + " is invalid: " + invalid;
      }
    }
    return null;
  }

  /**
   * Fabric's {@code policyForItem}: a relative mod_policy names a policy of the element's own group
   * (for a group: the group itself), an absolute one ("/Channel/...") a policy anywhere.
   */
  private Optional<Policy> policyForItem(ConfigElement item) {
    String modPolicy = item.modPolicy();
    if (modPolicy.isEmpty()) {
      return Optional.empty();
    }
    if (modPolicy.charAt(0) == '/' || item.path().isEmpty()) {
      return current.policies().get(modPolicy);
    }
    // The policy tree addresses policies relative to /Channel: "Orderer/Admins".
    List<String> group = new ArrayList<>(item.path().subList(1, item.path().size()));
    if (item.isGroup()) {
      group.add(item.key());
    }
    String prefix = group.isEmpty() ? "" : String.join("/", group) + "/";
    return current.policies().get(prefix + modPolicy);
  }

  /** Fabric's {@code ConfigUpdateEnvelopeAsSignedData}: one entry per ConfigSignature. */
  private static List<SignedData> signedData(ConfigUpdateEnvelope envelope) throws ConfigUpdateException {
    List<SignedData> result = new ArrayList<>(envelope.getSignaturesCount());
    for (ConfigSignature signature : envelope.getSignaturesList()) {
      SignatureHeader header;
      try {
        header = SignatureHeader.parseFrom(signature.getSignatureHeader());
      } catch (InvalidProtocolBufferException e) {
        throw new ConfigUpdateException(ProtoErrors.text(e));
      }
      ByteString data = signature.getSignatureHeader().concat(envelope.getConfigUpdate());
      result.add(new SignedData(data, header.getCreator(), signature.getSignature()));
    }
    return result;
  }

  /** Fabric's {@code protoutil.EnvelopeToConfigUpdate} with its error texts. */
  static ConfigUpdateEnvelope toConfigUpdate(Envelope envelope) throws ConfigUpdateException {
    ByteString data = EnvelopeOfType.data(envelope, HeaderType.CONFIG_UPDATE);
    try {
      return ConfigUpdateEnvelope.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw EnvelopeOfType.unparsable(HeaderType.CONFIG_UPDATE, e);
    }
  }
}
