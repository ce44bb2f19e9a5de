package org.jorderer.channel.configtx;

/** A config update or config envelope refused; the message is Fabric v2.4's error text. */
public final class ConfigUpdateException extends Exception {
  public ConfigUpdateException(String message) {
    super(message, null, false, false);
  }

  public ConfigUpdateException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
