package org.jorderer.consensus.raft;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.ReadIndexRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

/**
 * Keeps the other consenters' Raft traffic for a group away from this node's member of it until
 * that member has started: a group being added answers its peers as a group this node does not
 * host yet (an error; the leader tries again, as it does for a node that is down).
 *
 * <p>Why. A node adds a channel's group to a Ratis server that is already listening (its other
 * channels', or the one it just started), and the leader of a running group may already count
 * this node a member (the config block that added it is committed). Ratis 3.3.0 makes the
 * group's division reachable as soon as it is constructed ({@code RaftServerProxy.ImplMap.addNew}),
 * before {@code RaftServerImpl.start} has initialized its storage, log and role, and it accepts
 * installSnapshot in that window (appendEntries waits for the end of the start, "The server role
 * is not yet initialized"; requestVote for the RUNNING state). The leader's first message to a
 * new member is an installSnapshot notification. Taken in that window, it either starts the
 * division's follower timer before the start does, so the start fails ("previous != null",
 * {@code RoleInfo.startFollowerState}), or it marks the snapshot installation in progress
 * ({@code SnapshotInstallationHandler.notifyStateMachineToInstallSnapshot}) and then fails reading
 * the log ("log is uninitialized") before anything could clear the mark: the member then answers
 * every later notification IN_PROGRESS and every append INCONSISTENCY, and stays at index 0 until
 * it is restarted. Refusing the group's server RPCs until the add returned (the division's start
 * complete) removes the window; Ratis's own fix would be to check that the start completed in
 * installSnapshot as it does in appendEntries. All of the group's server RPCs are held back, not
 * only installSnapshot: none has anything to do with a member that has not started. Groups a
 * server loads from its storage need no gate: Ratis starts them before it opens its port
 * ({@code RaftServerProxy.start}).
 */
final class GroupStartGate implements GrpcServices.Customizer, ServerInterceptor {
  private final Set<RaftGroupId> starting = ConcurrentHashMap.newKeySet();

  /** From now until {@link #started}, peers' Raft RPCs for {@code group} are refused. */
  void starting(RaftGroupId group) {
    starting.add(group);
  }

  /** The group's division has started (or its add failed): its RPCs pass again. */
  void started(RaftGroupId group) {
    starting.remove(group);
  }

  @Override
  public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
    return types.contains(GrpcServices.Type.SERVER) ? builder.intercept(this) : builder;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    if (!RaftServerProtocolServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers); // clients' and admin calls: not a peer's traffic
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      // gRPC calls one call's listener one callback at a time.
      private boolean passed;
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        // Judged by a call's first message: a leader's appendEntries and installSnapshot are
        // streams of one group each, and a stream that got through is Ratis's to end (it does,
        // with an error, if the group leaves this node), never closed under Ratis's replies.
        if (!passed) {
          RaftGroupId group = groupOf(message);
          if (group != null && starting.contains(group)) {
            refused = true;
            call.close(Status.UNAVAILABLE.withDescription(group + " is starting on this node"), new Metadata());
            return;
          }
          passed = true;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) { // a unary call's handler would answer the request it never got
          super.onHalfClose();
        }
      }
    };
  }

  private static RaftGroupId groupOf(Object message) {
    RaftRpcRequestProto request;
    if (message instanceof AppendEntriesRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof InstallSnapshotRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof RequestVoteRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof StartLeaderElectionRequestProto m) {
      request = m.getServerRequest();
    } else if (message instanceof ReadIndexRequestProto m) {
      request = m.getServerRequest();
    } else {
      return null;
    }
    return request.hasRaftGroupId() ? RaftGroupId.valueOf(request.getRaftGroupId().getId()) : null;
  }
}
