package org.jorderer.consensus.raft;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;

/**
 * Ratis's side of one channel: hands each committed entry, in log order, to the channel's
 * {@link ChannelOrdering}. Ratis may make it (when it loads a group from its storage) before the
 * channel's chain exists; applying waits until the chain has {@linkplain #bind bound} it.
 *
 * <p>No snapshot is taken yet, so after a restart Ratis applies the whole log again from its first
 * entry; {@link ChannelOrdering} recognizes the blocks it wrote before and writes only new ones.
 */
final class ChannelStateMachine extends BaseStateMachine {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ChannelStateMachine.class);
  private final CompletableFuture<ChannelOrdering> ordering = new CompletableFuture<>();

  void bind(ChannelOrdering channel) {
    ordering.complete(channel);
  }

  /**
   * Logs each leader change, as Fabric's chain does ("Raft leader changed"), so that an operator
   * (and {@code jorderer dev-cluster}) sees who leads after a failure.
   */
  @Override
  public void notifyLeaderChanged(org.apache.ratis.protocol.RaftGroupMemberId member,
      org.apache.ratis.protocol.RaftPeerId newLeader) {
    log.info("Raft leader of group {} is now {}{}", member.getGroupId(), newLeader,
        member.getPeerId().equals(newLeader) ? " (this node)" : "");
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    ChannelOrdering channel;
    try {
      channel = ordering.get(); // Ratis's updater thread of this group only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(e);
    } catch (ExecutionException e) {
      return CompletableFuture.failedFuture(e.getCause());
    }
    try {
      var request = entry.getStateMachineLogEntry();
      String outcome = channel.apply(entry.getIndex(), java.util.HexFormat.of().formatHex(request.getClientId().toByteArray()) + "#" + request.getCallId(),
          RaftEntry.decode(request.getLogData().toByteArray()));
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      return CompletableFuture.completedFuture(Message.valueOf(outcome));
    } catch (ChannelOrdering.ChainStopped e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException | Error e) {
      channel.failed(e);
      return CompletableFuture.failedFuture(e);
    }
  }
}
