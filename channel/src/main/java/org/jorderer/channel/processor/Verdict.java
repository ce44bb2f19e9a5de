package org.jorderer.channel.processor;

import org.hyperledger.fabric.protos.common.Status;

/**
 * What the message processor decided about one envelope: the Broadcast status and info text
 * Fabric v2.4 answers with ({@code broadcast.go} sends {@code ClassifyError(err)} and
 * {@code err.Error()}). SUCCESS has an empty info.
 */
public record Verdict(Status status, String info) {
  /** Accepted: SUCCESS, no info. */
  public static final Verdict SUCCESS = new Verdict(Status.SUCCESS, "");

  /**
   * Fabric's answer to a client envelope of type CONFIG or ORDERER_TRANSACTION
   * ({@code multichannel.Registrar.BroadcastChannelSupport}).
   */
  public static final Verdict CANNOT_PROCESS_DIRECTLY =
      new Verdict(Status.BAD_REQUEST, "message is of type that cannot be processed directly");

  public Verdict {
    if (status == null || info == null) {
      throw new IllegalArgumentException("status and info must not be null");
    }
  }

  public boolean accepted() {
    return status == Status.SUCCESS;
  }

  public static Verdict badRequest(String info) {
    return new Verdict(Status.BAD_REQUEST, info);
  }
}
