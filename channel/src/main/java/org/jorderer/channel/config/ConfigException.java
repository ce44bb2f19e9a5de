package org.jorderer.channel.config;

/**
 * A channel configuration that cannot be used: a missing, unknown or malformed value. The message
 * starts with the config path of the offending element (e.g. {@code /Channel/Orderer/BatchSize}).
 */
public final class ConfigException extends RuntimeException {
  private final String path;
  private final String detail;
  private final String fabricText;

  public ConfigException(String path, String detail) {
    this(path, detail, null, null);
  }

  public ConfigException(String path, String detail, Throwable cause) {
    this(path, detail, null, cause);
  }

  /**
   * @param fabricText what Fabric's orderer says when a config update would produce this config
   *     (see {@link #fabricText()}); null to derive it from path and detail
   */
  public ConfigException(String path, String detail, String fabricText, Throwable cause) {
    super(path + ": " + detail, cause);
    this.path = path;
    this.detail = detail;
    this.fabricText = fabricText;
  }

  /**
   * A failure Fabric states differently from our detail: {@code fabricDetail} is Fabric's reason,
   * wrapped as {@link #fabricText()} wraps a detail (e.g. "failed to deserialize values: Unexpected
   * key Foo" under "could not create channel Orderer sub-group config: ").
   */
  public static ConfigException withFabricDetail(String path, String detail, String fabricDetail, Throwable cause) {
    return new ConfigException(path, detail, bundleText(path, fabricDetail), cause);
  }

  /** The config path of the element at fault, e.g. {@code /Channel/Orderer/BatchTimeout}. */
  public String path() {
    return path;
  }

  /** The reason without the path, e.g. "Attempted to set the batch size max message count to an invalid value: 0". */
  public String detail() {
    return detail;
  }

  /**
   * Fabric v2.4's text for a config update whose resulting config fails like this (what follows
   * "error applying config update to existing channel 'ch': "): bundle creation wraps it as
   * "initializing channelconfig failed: could not create channel Orderer sub-group config: ..."
   * ({@code channelconfig.NewBundle} and {@code NewChannelConfig}).
   */
  public String fabricText() {
    return fabricText != null ? fabricText : bundleText(path, detail);
  }

  private static String bundleText(String path, String detail) {
    String[] parts = path.split("/");
    // "/Channel/Orderer/BatchSize" -> ["", "Channel", "Orderer", "BatchSize"]: a sub-group's failure.
    String group = parts.length >= 4 ? "could not create channel " + parts[2] + " sub-group config: " : "";
    return "initializing channelconfig failed: " + group + detail;
  }
}
