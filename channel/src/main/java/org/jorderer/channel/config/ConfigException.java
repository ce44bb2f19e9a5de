package org.jorderer.channel.config;

/**
 * A channel configuration that cannot be used: a missing, unknown or malformed value. The message
 * starts with the config path of the offending element (e.g. {@code /Channel/Orderer/BatchSize}).
 */
public final class ConfigException extends RuntimeException {
  private final String path;

  public ConfigException(String path, String detail) {
    super(path + ": " + detail);
    this.path = path;
  }

  public ConfigException(String path, String detail, Throwable cause) {
    super(path + ": " + detail, cause);
    this.path = path;
  }

  /** The config path of the element at fault, e.g. {@code /Channel/Orderer/BatchTimeout}. */
  public String path() {
    return path;
  }
}
