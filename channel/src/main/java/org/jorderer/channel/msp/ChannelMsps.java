package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;

/**
 * The MSPs of one channel configuration (Fabric's channel {@code MSPManager}): turns the
 * {@code creator} bytes of envelopes and block signatures into {@link Identity} objects, caching
 * them by their serialized bytes. A new config gets a new instance, so CA or CRL changes take effect
 * with the config that carries them.
 */
public final class ChannelMsps {
  /** Fabric's MSP cache holds 100 deserialized identities; an orderer sees more distinct clients. */
  public static final int DEFAULT_CACHE_CAPACITY = 4096;

  private final Map<String, FabricMsp> byId;
  private final IdentityCache<Identity> cache;

  public ChannelMsps(Map<String, FabricMsp> byId) {
    this(byId, DEFAULT_CACHE_CAPACITY);
  }

  public ChannelMsps(Map<String, FabricMsp> byId, int cacheCapacity) {
    this.byId = Collections.unmodifiableMap(new LinkedHashMap<>(byId));
    this.cache = new IdentityCache<>(cacheCapacity);
  }

  public Map<String, FabricMsp> msps() {
    return byId;
  }

  public Optional<FabricMsp> msp(String mspId) {
    return Optional.ofNullable(byId.get(mspId));
  }

  /**
   * Deserializes {@code msp.SerializedIdentity} bytes (an envelope's creator) with the MSP it
   * names. Only successes are cached.
   *
   * @throws IdentityException with Fabric's reason: malformed bytes, MSP not on the channel, not a
   *     PEM certificate, or no single chain to that MSP's CAs
   */
  public Identity deserialize(ByteString serializedIdentity) throws IdentityException {
    Identity cached = cache.get(serializedIdentity);
    if (cached != null) {
      return cached;
    }
    SerializedIdentity parsed;
    try {
      parsed = SerializedIdentity.parseFrom(serializedIdentity);
    } catch (InvalidProtocolBufferException e) {
      throw new IdentityException("could not deserialize a SerializedIdentity: " + e.getMessage());
    }
    FabricMsp msp = byId.get(parsed.getMspid());
    if (msp == null) {
      throw new IdentityException("MSP " + parsed.getMspid() + " is not defined on channel");
    }
    Identity identity = msp.deserialize(serializedIdentity, parsed);
    cache.put(serializedIdentity, identity);
    return identity;
  }

  /** The identity already deserialized from these bytes, if it is in the cache; never deserializes. */
  public Optional<Identity> cached(ByteString serializedIdentity) {
    return Optional.ofNullable(cache.get(serializedIdentity));
  }

  int cachedIdentities() {
    return cache.size();
  }
}
