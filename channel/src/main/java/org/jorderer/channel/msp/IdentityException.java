package org.jorderer.channel.msp;

/**
 * A serialized identity that cannot be used: not a SerializedIdentity, unknown MSP, not a PEM
 * certificate, no chain to the MSP's CAs, ... The message is the text Fabric's MSP gives.
 */
public final class IdentityException extends Exception {
  public IdentityException(String message) {
    // No stack trace: these are routine answers to client input, not programming errors, and
    // building traces would make a flood of bad identities expensive.
    super(message, null, false, false);
  }
}
