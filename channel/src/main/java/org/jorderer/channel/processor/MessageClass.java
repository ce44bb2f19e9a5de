package org.jorderer.channel.processor;

/**
 * How an incoming Broadcast envelope is processed, from its channel header type (Fabric's
 * {@code msgprocessor.Classification}, decided by {@code StandardChannel.ClassifyMsg}).
 */
public enum MessageClass {
  /** Any type but CONFIG_UPDATE, CONFIG and ORDERER_TRANSACTION: {@link MessageProcessor#processNormal}. */
  NORMAL,
  /** CONFIG_UPDATE: {@link MessageProcessor#processConfigUpdate}. */
  CONFIG_UPDATE,
  /**
   * CONFIG or ORDERER_TRANSACTION: never accepted from a client (Broadcast answers {@link
   * Verdict#CANNOT_PROCESS_DIRECTLY}); a CONFIG envelope the orderer made itself is re-validated at
   * ordering time with {@link MessageProcessor#processConfig}.
   */
  CONFIG
}
