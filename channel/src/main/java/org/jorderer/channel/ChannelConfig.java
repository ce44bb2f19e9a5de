package org.jorderer.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Consortium;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.peer.AnchorPeers;
import org.jorderer.channel.config.ApplicationConfig;
import org.jorderer.channel.config.BatchSize;
import org.jorderer.channel.config.BatchTimeout;
import org.jorderer.channel.config.BlockDataHashingStructure;
import org.jorderer.channel.config.Capabilities;
import org.jorderer.channel.config.ChannelRestrictions;
import org.jorderer.channel.config.ConfigException;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.channel.config.ConsortiumConfig;
import org.jorderer.channel.config.GoDuration;
import org.jorderer.channel.config.HashingAlgorithm;
import org.jorderer.channel.config.OrdererAddresses;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.config.OrganizationConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.ChannelMsps;
import org.jorderer.channel.msp.FabricMsp;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;

/**
 * One channel configuration (one config sequence): typed values, the channel's MSPs and its
 * compiled policies. Built from any config block, genesis or later. Immutable and thread-safe; a
 * config update produces a new instance.
 */
public final class ChannelConfig {
  private static final Set<String> CHANNEL_CAPABILITIES = Set.of("V1_1", "V1_3", "V1_4_2", "V1_4_3", "V2_0");
  private static final Set<String> ORDERER_CAPABILITIES = Set.of("V1_1", "V1_4_2", "V2_0");
  private static final long MAX_UINT32 = 0xffffffffL;

  private final String channelId;
  private final Config config;
  private final HashingAlgorithm hashingAlgorithm;
  private final BlockDataHashingStructure blockDataHashingStructure;
  private final Optional<OrdererAddresses> ordererAddresses;
  private final Optional<String> consortium;
  private final Capabilities capabilities;
  private final Optional<OrdererConfig> orderer;
  private final Optional<ApplicationConfig> application;
  private final Map<String, ConsortiumConfig> consortiums;
  private final ChannelMsps msps;
  private final PolicyTree policies;
  private final CryptoProvider crypto;

  private ChannelConfig(Parsed p) {
    this.crypto = p.crypto;
    this.channelId = p.channelId;
    this.config = p.config;
    this.hashingAlgorithm = p.hashingAlgorithm;
    this.blockDataHashingStructure = p.blockDataHashingStructure;
    this.ordererAddresses = Optional.ofNullable(p.ordererAddresses);
    this.consortium = Optional.ofNullable(p.consortium);
    this.capabilities = p.capabilities;
    this.orderer = Optional.ofNullable(p.orderer);
    this.application = Optional.ofNullable(p.application);
    this.consortiums = Collections.unmodifiableMap(p.consortiums);
    this.msps = p.msps;
    this.policies = p.policies;
  }

  /** Reads the config carried by a config block, using {@link CryptoProvider#preferred()}. */
  public static ChannelConfig fromConfigBlock(Block block) {
    return fromConfigBlock(block, CryptoProvider.preferred());
  }

  /**
   * Reads the config carried by a config block: envelope 0 → payload (type CONFIG) →
   * ConfigEnvelope → Config.
   *
   * @throws IllegalArgumentException when the block is not a config block
   * @throws ConfigException naming the config path when the configuration itself is unusable
   */
  public static ChannelConfig fromConfigBlock(Block block, CryptoProvider crypto) {
    long number = block.getHeader().getNumber();
    if (block.getData().getDataCount() == 0) {
      throw new IllegalArgumentException("block " + number + " is not a config block: it holds no envelope");
    }
    try {
      Envelope envelope = Envelope.parseFrom(block.getData().getData(0));
      Payload payload = Payload.parseFrom(envelope.getPayload());
      if (!payload.hasHeader()) {
        throw new IllegalArgumentException("block " + number + " is not a config block: payload header missing");
      }
      ChannelHeader header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
      if (header.getType() != HeaderType.CONFIG_VALUE) {
        throw new IllegalArgumentException("block " + number + " is not a config block: envelope type is "
            + HeaderType.forNumber(header.getType()) + " (" + header.getType() + ")");
      }
      ConfigEnvelope configEnvelope = ConfigEnvelope.parseFrom(payload.getData());
      if (!configEnvelope.hasConfig()) {
        throw new IllegalArgumentException("block " + number + " is not a config block: ConfigEnvelope has no config");
      }
      return fromConfig(header.getChannelId(), configEnvelope.getConfig(), crypto);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("block " + number + " is not a config block: " + e.getMessage(), e);
    }
  }

  /**
   * Builds the configuration of {@code channelId} from a {@code Config} message.
   *
   * @throws ConfigException naming the config path of the first unusable element
   */
  public static ChannelConfig fromConfig(String channelId, Config config, CryptoProvider crypto) {
    if (!config.hasChannelGroup()) {
      throw new ConfigException("/Channel", "config has no channel group");
    }
    Parsed p = new Parsed();
    p.channelId = channelId;
    p.config = config;
    p.crypto = crypto;
    parseChannelGroup(p, config.getChannelGroup());
    p.msps = new ChannelMsps(p.mspsById);
    try {
      p.policies = PolicyTree.build(config.getChannelGroup(), p.msps);
    } catch (ConfigException e) {
      // channelconfig.NewBundle builds the policy manager after the channel config.
      throw new ConfigException(e.path(), e.detail(), "initializing policymanager failed: " + e.detail(), e);
    }
    return new ChannelConfig(p);
  }

  // ---------------------------------------------------------------- accessors

  public String channelId() {
    return channelId;
  }

  /** Config.sequence: incremented by every config update. */
  public long sequence() {
    return config.getSequence();
  }

  /** The configuration message this was built from. */
  public Config config() {
    return config;
  }

  public HashingAlgorithm hashingAlgorithm() {
    return hashingAlgorithm;
  }

  public BlockDataHashingStructure blockDataHashingStructure() {
    return blockDataHashingStructure;
  }

  public Optional<OrdererAddresses> ordererAddresses() {
    return ordererAddresses;
  }

  /** {@code /Channel/Consortium}: set on application channels created through a system channel. */
  public Optional<String> consortium() {
    return consortium;
  }

  /** {@code /Channel/Capabilities}. */
  public Capabilities capabilities() {
    return capabilities;
  }

  /** {@code /Channel/Orderer}; absent only in peer-side configs an orderer never serves. */
  public Optional<OrdererConfig> orderer() {
    return orderer;
  }

  /** {@code /Channel/Application}; absent on a system channel. */
  public Optional<ApplicationConfig> application() {
    return application;
  }

  /** {@code /Channel/Consortiums} of a legacy system channel; empty otherwise. */
  public Map<String, ConsortiumConfig> consortiums() {
    return consortiums;
  }

  /** Every MSP of the channel (orderer, application and consortium orgs), by MSP ID. */
  public ChannelMsps msps() {
    return msps;
  }

  public PolicyTree policies() {
    return policies;
  }

  /** The crypto provider this config's MSPs verify with (and a config built from it should). */
  public CryptoProvider crypto() {
    return crypto;
  }

  /** Shorthand for {@code policies().evaluate(path, signedData)}. */
  public PolicyResult evaluate(String policyPath, List<SignedData> signedData) {
    return policies.evaluate(policyPath, signedData);
  }

  // ---------------------------------------------------------------- parsing

  private static final class Parsed {
    String channelId;
    Config config;
    CryptoProvider crypto;
    HashingAlgorithm hashingAlgorithm;
    BlockDataHashingStructure blockDataHashingStructure;
    OrdererAddresses ordererAddresses;
    String consortium;
    Capabilities capabilities = Capabilities.NONE;
    OrdererConfig orderer;
    ApplicationConfig application;
    final Map<String, ConsortiumConfig> consortiums = new TreeMap<>();
    final Map<String, FabricMsp> mspsById = new TreeMap<>();
    final Map<String, MSPConfig> mspDefinitions = new LinkedHashMap<>();
    ChannelMsps msps;
    PolicyTree policies;
  }

  private static void parseChannelGroup(Parsed p, ConfigGroup channel) {
    String path = "/Channel";
    for (Map.Entry<String, ConfigValue> entry : sorted(channel.getValuesMap()).entrySet()) {
      String where = path + "/" + entry.getKey();
      ByteString value = entry.getValue().getValue();
      switch (entry.getKey()) {
        case "HashingAlgorithm": {
          String name = parse(where, value, org.hyperledger.fabric.protos.common.HashingAlgorithm.parser()).getName();
          if (!name.equals("SHA256") && !name.equals("SHA3_256")) {
            throw new ConfigException(where, "Unknown hashing algorithm type: " + name);
          }
          p.hashingAlgorithm = new HashingAlgorithm(name);
          break;
        }
        case "BlockDataHashingStructure": {
          long width = Integer.toUnsignedLong(
              parse(where, value, org.hyperledger.fabric.protos.common.BlockDataHashingStructure.parser()).getWidth());
          if (width != MAX_UINT32) {
            throw new ConfigException(where, "BlockDataHashStructure width only supported at MaxUint32 in this version");
          }
          p.blockDataHashingStructure = new BlockDataHashingStructure(width);
          break;
        }
        case "OrdererAddresses":
          p.ordererAddresses = new OrdererAddresses(
              parse(where, value, org.hyperledger.fabric.protos.common.OrdererAddresses.parser()).getAddressesList());
          break;
        case "Consortium":
          p.consortium = parse(where, value, Consortium.parser()).getName();
          break;
        case "Capabilities":
          p.capabilities = capabilities(where, value, CHANNEL_CAPABILITIES, "Channel");
          break;
        default:
          throw unknownKey(where, entry.getKey());
      }
    }
    if (p.hashingAlgorithm == null) {
      throw new ConfigException(path + "/HashingAlgorithm", "missing value: Unknown hashing algorithm type: ");
    }
    if (p.blockDataHashingStructure == null) {
      throw new ConfigException(path + "/BlockDataHashingStructure", "missing value: "
          + "BlockDataHashStructure width only supported at MaxUint32 in this version");
    }
    for (Map.Entry<String, ConfigGroup> group : sorted(channel.getGroupsMap()).entrySet()) {
      String where = path + "/" + group.getKey();
      switch (group.getKey()) {
        case "Orderer":
          p.orderer = parseOrderer(p, where, group.getValue());
          break;
        case "Application":
          p.application = parseApplication(p, where, group.getValue());
          break;
        case "Consortiums":
          for (Map.Entry<String, ConfigGroup> consortium : sorted(group.getValue().getGroupsMap()).entrySet()) {
            String consortiumPath = where + "/" + consortium.getKey();
            for (Map.Entry<String, ConfigValue> v : consortium.getValue().getValuesMap().entrySet()) {
              if (!v.getKey().equals("ChannelCreationPolicy")) {
                throw unknownKey(consortiumPath + "/" + v.getKey(), v.getKey());
              }
            }
            p.consortiums.put(consortium.getKey(), new ConsortiumConfig(consortium.getKey(),
                parseOrganizations(p, consortiumPath, consortium.getValue(), Set.of())));
          }
          break;
        default:
          throw new ConfigException(where, "Disallowed channel group: " + group.getKey());
      }
    }
  }

  private static OrdererConfig parseOrderer(Parsed p, String path, ConfigGroup group) {
    ConsensusType consensusType = null;
    BatchSize batchSize = null;
    BatchTimeout batchTimeout = null;
    ChannelRestrictions restrictions = null;
    Capabilities capabilities = Capabilities.NONE;
    for (Map.Entry<String, ConfigValue> entry : sorted(group.getValuesMap()).entrySet()) {
      String where = path + "/" + entry.getKey();
      ByteString value = entry.getValue().getValue();
      switch (entry.getKey()) {
        case "ConsensusType": {
          org.hyperledger.fabric.protos.orderer.ConsensusType proto =
              parse(where, value, org.hyperledger.fabric.protos.orderer.ConsensusType.parser());
          if (proto.getType().isEmpty()) {
            throw new ConfigException(where, "consensus type must not be empty");
          }
          ConsensusType.State state;
          switch (proto.getStateValue()) {
            case 0:
              state = ConsensusType.State.NORMAL;
              break;
            case 1:
              state = ConsensusType.State.MAINTENANCE;
              break;
            default:
              throw new ConfigException(where, "unknown consensus state " + proto.getStateValue());
          }
          consensusType = new ConsensusType(proto.getType(), proto.getMetadata(), state);
          break;
        }
        case "BatchSize": {
          org.hyperledger.fabric.protos.orderer.BatchSize proto =
              parse(where, value, org.hyperledger.fabric.protos.orderer.BatchSize.parser());
          long max = Integer.toUnsignedLong(proto.getMaxMessageCount());
          long absolute = Integer.toUnsignedLong(proto.getAbsoluteMaxBytes());
          long preferred = Integer.toUnsignedLong(proto.getPreferredMaxBytes());
          if (max == 0) {
            throw new ConfigException(where, "Attempted to set the batch size max message count to an invalid value: 0");
          }
          if (absolute == 0) {
            throw new ConfigException(where, "Attempted to set the batch size absolute max bytes to an invalid value: 0");
          }
          if (preferred == 0) {
            throw new ConfigException(where, "Attempted to set the batch size preferred max bytes to an invalid value: 0");
          }
          if (preferred > absolute) {
            throw new ConfigException(where, "Attempted to set the batch size preferred max bytes (" + preferred
                + ") greater than the absolute max bytes (" + absolute + ").");
          }
          batchSize = new BatchSize(max, absolute, preferred);
          break;
        }
        case "BatchTimeout": {
          String text = parse(where, value, org.hyperledger.fabric.protos.orderer.BatchTimeout.parser()).getTimeout();
          Duration duration;
          try {
            duration = GoDuration.parse(text);
          } catch (IllegalArgumentException e) {
            throw new ConfigException(where, "Attempted to set the batch timeout to a invalid value: " + e.getMessage(), e);
          }
          if (duration.isZero() || duration.isNegative()) {
            throw new ConfigException(where, "Attempted to set the batch timeout to a non-positive value: "
                + GoDuration.format(duration));
          }
          batchTimeout = new BatchTimeout(text, duration);
          break;
        }
        case "ChannelRestrictions":
          restrictions = new ChannelRestrictions(
              parse(where, value, org.hyperledger.fabric.protos.orderer.ChannelRestrictions.parser()).getMaxCount());
          break;
        case "KafkaBrokers":
          parse(where, value, org.hyperledger.fabric.protos.orderer.KafkaBrokers.parser());
          break;
        case "Capabilities":
          capabilities = capabilities(where, value, ORDERER_CAPABILITIES, "Orderer");
          break;
        default:
          throw unknownKey(where, entry.getKey());
      }
    }
    if (consensusType == null) {
      throw new ConfigException(path + "/ConsensusType", "missing value");
    }
    if (batchSize == null) {
      throw new ConfigException(path + "/BatchSize", "missing value");
    }
    if (batchTimeout == null) {
      throw new ConfigException(path + "/BatchTimeout", "missing value");
    }
    Map<String, OrganizationConfig> orgs = parseOrganizations(p, path, group, Set.of("Endpoints"));
    return new OrdererConfig(consensusType, batchSize, batchTimeout, Optional.ofNullable(restrictions), capabilities, orgs);
  }

  private static ApplicationConfig parseApplication(Parsed p, String path, ConfigGroup group) {
    Capabilities capabilities = Capabilities.NONE;
    for (Map.Entry<String, ConfigValue> entry : sorted(group.getValuesMap()).entrySet()) {
      String where = path + "/" + entry.getKey();
      switch (entry.getKey()) {
        case "Capabilities":
          // Application capabilities are the peers' business: recorded, not vetted.
          capabilities = capabilities(where, entry.getValue().getValue(), null, "Application");
          break;
        case "ACLs":
          parse(where, entry.getValue().getValue(), org.hyperledger.fabric.protos.peer.ACLs.parser());
          break;
        default:
          throw unknownKey(where, entry.getKey());
      }
    }
    return new ApplicationConfig(capabilities, parseOrganizations(p, path, group, Set.of("AnchorPeers")));
  }

  private static Map<String, OrganizationConfig> parseOrganizations(
      Parsed p, String parentPath, ConfigGroup parent, Set<String> extraKeys) {
    Map<String, OrganizationConfig> orgs = new TreeMap<>();
    for (Map.Entry<String, ConfigGroup> orgEntry : sorted(parent.getGroupsMap()).entrySet()) {
      String path = parentPath + "/" + orgEntry.getKey();
      ConfigGroup orgGroup = orgEntry.getValue();
      if (orgGroup.getGroupsCount() > 0) {
        throw new ConfigException(path, "organization groups cannot have sub-groups, found "
            + new TreeMap<>(orgGroup.getGroupsMap()).keySet());
      }
      MSPConfig mspConfig = null;
      List<String> endpoints = List.of();
      List<String> anchors = new ArrayList<>();
      for (Map.Entry<String, ConfigValue> entry : sorted(orgGroup.getValuesMap()).entrySet()) {
        String where = path + "/" + entry.getKey();
        ByteString value = entry.getValue().getValue();
        String key = entry.getKey();
        if (key.equals("MSP")) {
          mspConfig = parse(where, value, MSPConfig.parser());
        } else if (key.equals("Endpoints") && extraKeys.contains(key)) {
          endpoints = parse(where, value, org.hyperledger.fabric.protos.common.OrdererAddresses.parser()).getAddressesList();
        } else if (key.equals("AnchorPeers") && extraKeys.contains(key)) {
          for (org.hyperledger.fabric.protos.peer.AnchorPeer anchor : parse(where, value, AnchorPeers.parser()).getAnchorPeersList()) {
            anchors.add(anchor.getHost() + ":" + anchor.getPort());
          }
        } else {
          throw unknownKey(where, key);
        }
      }
      if (mspConfig == null) {
        throw new ConfigException(path + "/MSP", "missing value: every organization needs an MSP definition");
      }
      FabricMsp msp;
      try {
        msp = FabricMsp.fromConfig(mspConfig, p.crypto);
      } catch (IllegalArgumentException e) {
        // Fabric: channelconfig MSPConfigHandler.ProposeMSP wraps the MSP's Setup error, and
        // NewChannelConfig the sub-group's ("could not create channel Application sub-group config").
        String group = parentPath.split("/")[2];
        throw new ConfigException(path + "/MSP", "MSP setup failed: " + e.getMessage(),
            "initializing channelconfig failed: could not create channel " + group
                + " sub-group config: setting up the MSP manager failed: " + e.getMessage(), e);
      }
      MSPConfig earlier = p.mspDefinitions.putIfAbsent(msp.name(), mspConfig);
      if (earlier != null && !earlier.equals(mspConfig)) {
        throw new ConfigException(path + "/MSP", "Attempted to define two different versions of MSP: " + msp.name());
      }
      p.mspsById.putIfAbsent(msp.name(), msp);
      orgs.put(orgEntry.getKey(), new OrganizationConfig(orgEntry.getKey(), msp.name(), mspConfig, endpoints, anchors));
    }
    return orgs;
  }

  private static Capabilities capabilities(String where, ByteString value, Set<String> supported, String level) {
    Set<String> names = new java.util.TreeSet<>(
        parse(where, value, org.hyperledger.fabric.protos.common.Capabilities.parser()).getCapabilitiesMap().keySet());
    if (supported != null) {
      for (String name : names) {
        if (!supported.contains(name)) {
          String detail = level + " capability " + name + " is required but not supported";
          // Fabric parses the config, then refuses it in the orderer's checkResources (multichannel/util.go).
          throw new ConfigException(where, detail, "config update is not compatible: config requires unsupported "
              + level.toLowerCase(java.util.Locale.ROOT) + " capabilities: " + detail + ": " + detail, null);
        }
      }
    }
    return new Capabilities(names);
  }

  private static <T extends Message> T parse(String where, ByteString value, Parser<T> parser) {
    try {
      return parser.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      // channelconfig.DeserializeProtoValuesFromGroup; Go's protobuf words its reason differently.
      throw ConfigException.withFabricDetail(where, "malformed value: " + e.getMessage(),
          "failed to deserialize values: proto: cannot parse invalid wire-format data", e);
    }
  }

  /** channelconfig.StandardValues.Deserialize's refusal of a key the group does not define. */
  private static ConfigException unknownKey(String where, String key) {
    return ConfigException.withFabricDetail(where, "unknown value key: " + key,
        "failed to deserialize values: Unexpected key " + key, null);
  }

  private static <V> Map<String, V> sorted(Map<String, V> map) {
    return new TreeMap<>(map);
  }
}
