package org.jorderer.consensus.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.jorderer.channel.ChannelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's one Ratis server, hosting the Raft group of every etcdraft channel it is a consenter
 * of. Started by the first chain that joins, closed when the last one leaves. At start Ratis loads
 * the groups already in its storage directory and asks {@link #stateMachine} for each one's state
 * machine, possibly before that channel's chain exists: the state machine is made then and the
 * chain binds to it later.
 */
final class RatisNode {
  private static final Logger log = LoggerFactory.getLogger(RatisNode.class);
  /** How long stopping waits for Ratis's server to close before leaving it behind. */
  static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(20);

  private final ClusterSettings settings;
  private final RaftPeerId id;
  /** Made when the server starts, with the timers of the first channel that joins. */
  private volatile RaftProperties properties;
  private RaftTiming timing; // guarded by this
  private final Parameters parameters = new Parameters();
  /** The consenters and TLS roots of every channel joined: who is accepted over TLS. */
  private final ClusterTrust trust;
  private final Map<RaftGroupId, ChannelStateMachine> machines = new ConcurrentHashMap<>();
  private final AtomicLong callIds = new AtomicLong();
  /** Refuses peers' Raft RPCs for a group while this node adds it (see {@link GroupStartGate}). */
  private final GroupStartGate startGate = new GroupStartGate();
  private final ClientId adminClient = ClientId.randomId();
  private RaftServer server; // guarded by this
  private int chains; // guarded by this

  static {
    // Ratis 3.3.0 ends the process (System.exit(1), GrpcServicesImpl.startImpl through ExitUtils)
    // when its gRPC server cannot bind: every channel of the node would go down with one Raft
    // listener. Disabled, the failure is thrown to the chain's start, which refuses and is tried
    // again (ChannelRegistry). Nothing else in Ratis 3.3.0 calls ExitUtils.terminate.
    org.apache.ratis.util.ExitUtils.disableSystemExit();
  }

  RatisNode(ClusterSettings settings) {
    this.settings = settings;
    this.id = ConsenterSet.peerId(settings.serverCertificatePem());
    this.trust = new ClusterTrust(settings.tls() == null ? List.of() : settings.tls().rootCas());
    PeerAddresses.install();
    GrpcConfigKeys.Server.setServicesCustomizer(parameters, startGate);
    if (settings.tls() != null) {
      GrpcTlsConfig tls = new GrpcTlsConfig(settings.tls().keyManager(), trust.trustManager(), true);
      GrpcConfigKeys.TLS.setConf(parameters, tls);
      GrpcConfigKeys.Server.setTlsConf(parameters, tls);
      GrpcConfigKeys.Client.setTlsConf(parameters, tls);
      GrpcConfigKeys.Admin.setTlsConf(parameters, tls);
    }
  }

  /**
   * Accepts the consenters of a channel over TLS (their server and client certificates, each in
   * its role) and trusts the TLS roots of the channel's orderer organizations, in place of what
   * the channel had before (docs/raft.md, "Membership changes").
   */
  void trust(ConsenterSet consenters, ChannelConfig config) {
    trust(consenters.channelId(), consenters.members().stream().map(ConsenterSet.Member::consenter).toList(), config);
  }

  /** As above, for a list of consenters (a set and the ones it is replacing, while the group changes). */
  void trust(String channelId, java.util.Collection<org.hyperledger.fabric.protos.orderer.etcdraft.Consenter> consenters,
      ChannelConfig config) {
    trust.channel(channelId, consenters, config);
  }

  /** Stops accepting what {@code channelId} contributed: the channel left this node. */
  void forgetTrust(String channelId) {
    trust.forget(channelId);
  }

  RaftPeerId id() {
    return id;
  }

  ClusterSettings settings() {
    return settings;
  }

  /** The state machine of a channel's group, made on first ask. */
  ChannelStateMachine stateMachine(RaftGroupId group) {
    return machines.computeIfAbsent(group, g -> new ChannelStateMachine());
  }

  /**
   * Starts the server if needed and makes it a member of {@code group}. Returns whether the group
   * is new on this node (false: Ratis had it in its storage already).
   *
   * <p>{@code running}: the group already runs on other nodes (this node was added to it, or its
   * Raft storage here was lost). This node's member then starts without a configuration, as Ratis
   * starts a server added to a running group ("start with initializing state" in
   * {@code RaftServerImpl.start}; {@code MiniRaftCluster.addNewPeers} with empty peers in Ratis's
   * tests): it has no election timer and waits for the leader, and learns the group's members from
   * the leader's log. Started with the consenters of its config block instead, it counts itself a
   * voter before the leader does: the leader's first message, an installSnapshot notification,
   * carries the configuration the leader has committed (the old one, without this node, while the
   * new member catches up), Ratis sets it, the member's election timer (running since its start)
   * fires while the notification is handled, and its pre-vote finds it NOT_IN_CONF, after which
   * Ratis 3.3.0 closes the division for good ("current state is CLOSED" to every later append).
   * A group made with the channel ({@code running} false) starts with its consenters, which is
   * how its first leader is elected.
   *
   * <p>Ratis's timers are settings of the server, not of a group: the server runs with the timers
   * of the channel that started it ({@code options}), and a channel joined later with other
   * Options runs with those too (logged).
   */
  synchronized boolean join(RaftGroup group, boolean running, RaftTiming channelTiming) {
    try {
      if (server == null) {
        RaftProperties made = properties(settings, channelTiming);
        RaftServer starting = RaftServer.newBuilder()
            .setServerId(id)
            .setProperties(made)
            .setParameters(parameters)
            .setStateMachineRegistry(this::stateMachine)
            .build();
        try {
          starting.start();
        } catch (IOException | RuntimeException e) {
          // A server that failed to start (its port taken, say) is closed, not kept: kept, every
          // later join would add groups to a server that never runs, and the chain could never
          // start again (ChannelRegistry retries a consenter's chain start).
          closeQuietly(starting);
          // No chain runs on this node (the server was not running): the machines it may have
          // initialized for the groups in its storage are closed with it; the next start makes new ones.
          machines.clear();
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          throw new IllegalStateException("cannot start the Raft node " + id + " on " + settings.listenHost() + ":"
              + settings.listenPort() + ": " + e.getMessage() + (cause != e ? " (" + cause + ")" : ""), e);
        }
        timing = channelTiming;
        properties = made;
        server = starting;
        log.info("Raft node {} listening on {}:{} (storage {}; {})", id, settings.listenHost(), settings.listenPort(),
            settings.storageDir(), timing);
      } else if (!timing.electionTimeoutMin().equals(channelTiming.electionTimeoutMin())) {
        log.warn("Group {} asks for {}; this node's Raft server runs every channel with {} (Ratis timers are "
            + "per server)", group.getGroupId(), channelTiming, timing);
      }
      for (RaftGroupId existing : server.getGroupIds()) {
        if (existing.equals(group.getGroupId())) {
          chains++;
          return false;
        }
      }
      java.nio.file.Path groupDir = groupDir(group.getGroupId());
      boolean hadFiles = java.nio.file.Files.exists(groupDir);
      RaftGroup initial = running ? RaftGroup.valueOf(group.getGroupId()) : group;
      RaftServer.Division added;
      RaftClientReply reply;
      startGate.starting(group.getGroupId());
      try {
        CompletableFuture<RaftClientReply> adding = server.groupManagementAsync(
            GroupManagementRequest.newAdd(adminClient, id, callIds.incrementAndGet(), initial));
        // Held so that a failed add's division can be closed: Ratis forgets it, but not its threads.
        added = divisionBeingAdded(group.getGroupId());
        try {
          reply = adding.join(); // returns once the division has started (RaftServerProxy.groupAddAsync)
        } catch (java.util.concurrent.CompletionException e) {
          discardFailedAdd(group.getGroupId(), added, groupDir, hadFiles);
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          throw cause instanceof IOException io ? io : new IOException(cause);
        }
      } finally {
        startGate.started(group.getGroupId());
      }
      if (!reply.isSuccess()) {
        // Ratis drops a group whose add failed (RaftServerProxy.groupAddAsync): a later join adds it again.
        discardFailedAdd(group.getGroupId(), added, groupDir, hadFiles);
        throw new IllegalStateException("Ratis refused to add group " + group.getGroupId() + ": " + reply.getException());
      }
      // Counted only once joined: a chain whose start failed does not call leave().
      chains++;
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Raft node " + id + " on " + settings.listenHost() + ":"
          + settings.listenPort() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The storage a failed group add created is deleted, so that the next add (the registry retries
   * a consenter's chain start) can format it again. Ratis drops the group from its server when its
   * start fails (RaftServerProxy.groupAddAsync) but leaves the directory it formatted, and every
   * later add then fails with "Failed to FORMAT: One or more existing directories found": the chain
   * could never start again. One way the start failed before {@link GroupStartGate} kept peers'
   * RPCs away from a starting division: the leader, which already counted this node a member, sent
   * an installSnapshot while the new division initialized; Ratis turned the division into a
   * follower from that request and its own start then failed ("previous != null",
   * RoleInfo.startFollowerState). Any other failed start (storage, a bug) is handled the same
   * way. The failed add's division is closed first (Ratis drops it from
   * its server without closing it, and its timers would write the group's metadata again). Only a
   * directory that did not exist before the add is deleted: nothing of it was ever acknowledged to
   * the group, as the division never started.
   */
  private void discardFailedAdd(RaftGroupId group, RaftServer.Division added, java.nio.file.Path groupDir,
      boolean hadFiles) {
    try {
      for (RaftGroupId hosted : server.getGroupIds()) {
        if (hosted.equals(group)) {
          return; // Ratis kept it after all: its files are in use
        }
      }
      if (added != null) {
        // Dropped by Ratis but not closed: its follower timer and the leader's installSnapshot it
        // took would keep running and write the group's metadata again, recreating the directory.
        try {
          added.close();
        } catch (RuntimeException e) { // RaftServerImpl.close throws nothing checked
          log.warn("Raft node {}: closing the division of the failed add of group {}: {}", id, group, e.toString());
        }
      }
      if (hadFiles || !java.nio.file.Files.exists(groupDir)) {
        return;
      }
      deleteRecursively(groupDir);
      log.warn("Raft node {}: adding group {} failed; deleted the storage the failed add created ({}), so that the "
          + "next attempt starts afresh", id, group, groupDir);
    } catch (RuntimeException e) {
      log.warn("Raft node {}: could not delete the storage of the failed add of group {}: {}", id, group, e.toString());
    }
  }

  /** The division Ratis is adding for {@code group} (made before it starts), or null once it is gone. */
  private RaftServer.Division divisionBeingAdded(RaftGroupId group) {
    try {
      return server.getDivision(group);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private java.nio.file.Path groupDir(RaftGroupId group) {
    return settings.storageDir().resolve("ratis").resolve(group.getUuid().toString());
  }

  private void closeQuietly(RaftServer closing) {
    try {
      closing.close();
    } catch (IOException | RuntimeException e) {
      log.warn("Closing Raft node {} after a failed start: {}", id, e.toString());
    }
  }

  /**
   * Forgets the state machine of a group the server does not host: a chain whose start failed
   * before its group was added leaves it bound to an ordering that never ran, and the next
   * chain must start from a fresh one.
   */
  synchronized void forgetUnhostedMachine(RaftGroupId group) {
    if (server != null) {
      try {
        for (RaftGroupId existing : server.getGroupIds()) {
          if (existing.equals(group)) {
            return;
          }
        }
      } catch (RuntimeException e) {
        return;
      }
    }
    machines.remove(group);
  }

  /** This node's member of the group, or null before it joined or after it closed. */
  synchronized RaftServer.Division division(RaftGroupId group) {
    if (server == null) {
      return null;
    }
    try {
      return server.getDivision(group);
    } catch (IOException e) {
      return null;
    }
  }

  /** A client that finds the group's leader by itself and retries within the submit timeout. */
  RaftClient client(RaftGroup group) {
    long sleepMillis = 100;
    int attempts = (int) Math.max(1, settings.submitTimeout().toMillis() / sleepMillis);
    return client(group, RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
        TimeDuration.valueOf(sleepMillis, TimeUnit.MILLISECONDS)));
  }

  /** A client that finds the group's leader by itself and retries as {@code retry} decides. */
  RaftClient client(RaftGroup group, org.apache.ratis.retry.RetryPolicy retry) {
    return RaftClient.newBuilder()
        .setProperties(properties)
        .setParameters(parameters)
        .setRaftGroup(group)
        .setRetryPolicy(retry)
        .build();
  }

  /**
   * Asks the server to take a snapshot of {@code group} soon (Ratis calls the group's state
   * machine between two entries, then purges the log behind it); {@code done} runs when it was
   * taken or refused. Asked from another thread than the one applying entries, which Ratis uses
   * to take the snapshot.
   */
  void requestSnapshot(RaftGroupId group, Runnable done) {
    RaftServer current;
    synchronized (this) {
      current = server;
    }
    if (current == null) {
      done.run();
      return;
    }
    CompletableFuture.runAsync(() -> {
      try {
        current.snapshotManagementAsync(SnapshotManagementRequest.newCreate(adminClient, id, group,
                callIds.incrementAndGet(), settings.submitTimeout().toMillis(), 1))
            .whenComplete((reply, failure) -> {
              if (failure != null || !reply.isSuccess()) {
                log.warn("Raft node {}: snapshot of group {} not taken: {}", id, group,
                    failure != null ? failure.toString() : reply.getException());
              }
              done.run();
            });
      } catch (RuntimeException e) {
        log.warn("Raft node {}: cannot ask for a snapshot of group {}: {}", id, group, e.toString());
        done.run();
      }
    });
  }

  /**
   * {@code peer}'s latest snapshot of {@code group}, or null when it has none (a read from that
   * one server, which answers from its state machine without going through the log).
   */
  ChannelSnapshot latestSnapshot(RaftGroup group, RaftPeerId peer) throws IOException {
    try (RaftClient client = RaftClient.newBuilder()
        .setProperties(properties)
        .setParameters(parameters)
        .setRaftGroup(group)
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
            TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
        .build()) {
      RaftClientReply reply = client.io().sendStaleRead(Message.valueOf(ChannelStateMachine.LATEST_SNAPSHOT), 0, peer);
      if (!reply.isSuccess()) {
        throw new IOException("consenter " + peer + " answered " + reply.getException());
      }
      byte[] bytes = reply.getMessage().getContent().toByteArray();
      return bytes.length == 0 ? null : ChannelSnapshot.decode(bytes);
    }
  }

  /**
   * Removes {@code group} from this node with its directory (log, snapshots, metadata), as Ratis's
   * group remove with deleteDirectory does; when the server is not running, the directory is
   * deleted directly. The group's state machine is forgotten, so joining it again starts afresh.
   */
  synchronized void removeGroup(RaftGroupId group) {
    machines.remove(group);
    boolean hosted = false;
    if (server != null) {
      for (RaftGroupId existing : server.getGroupIds()) {
        hosted |= existing.equals(group);
      }
    }
    if (hosted) {
      try {
        RaftClientReply reply = server.groupManagement(
            GroupManagementRequest.newRemove(adminClient, id, callIds.incrementAndGet(), group, true, false));
        if (!reply.isSuccess()) {
          throw new IllegalStateException("Ratis refused to remove group " + group + ": " + reply.getException());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove Raft group " + group + ": " + e.getMessage(), e);
      }
    }
    java.nio.file.Path dir = groupDir(group);
    if (java.nio.file.Files.exists(dir)) {
      deleteRecursively(dir);
    }
    log.info("Raft node {} removed group {} and its files", id, group);
  }

  private static void deleteRecursively(java.nio.file.Path dir) {
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (java.nio.file.Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }

  /** A chain left: the last one closes the server. */
  synchronized void leave() {
    if (--chains > 0 || server == null) {
      return;
    }
    RaftServer closing = server;
    server = null;
    // Bounded: a Ratis thread stuck in a state machine call must not keep the node from stopping
    // (a node whose SIGTERM never completed, docs/performance.md "Raft, 3 nodes"). The server's
    // threads that are left end with the process.
    Thread closer = new Thread(() -> {
      try {
        closing.close();
      } catch (IOException e) {
        log.warn("Closing Raft node {}: {}", id, e.toString());
      }
    }, "raft-close-" + id);
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(CLOSE_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      log.warn("Raft node {} did not stop within {} s; leaving its threads behind", id, CLOSE_WAIT.toSeconds());
      return;
    }
    log.info("Raft node {} stopped", id);
  }

  /** The timers the server runs with, or null before it started. */
  synchronized RaftTiming timing() {
    return timing;
  }

  static RaftProperties properties(ClusterSettings settings, RaftTiming timing) {
    RaftProperties p = new RaftProperties();
    GrpcConfigKeys.Server.setHost(p, settings.listenHost());
    GrpcConfigKeys.Server.setPort(p, settings.listenPort());
    RaftServerConfigKeys.setStorageDir(p, List.of(settings.storageDir().resolve("ratis").toFile()));
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, duration(timing.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, duration(timing.electionTimeoutMax()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, duration(timing.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, duration(timing.electionTimeoutMax()));
    // The channel's MaxInflightBlocks (etcd/raft's MaxInflightMsgs in Fabric) has a Ratis equivalent,
    // GrpcConfigKeys.Server.setLeaderOutstandingAppendsMax, but with it set to configtxgen's 5
    // RaftMembershipTest failed 2 runs of 2 (its added consenter), so Ratis's default of 8 stays
    // until the cause is known (docs/raft.md, "Timers"). Ratis has no
    // heartbeat key: its leader sends them at half the minimum election timeout.
    // Entries carry up to maxEntryBytes of envelopes, and a config envelope may be as large as
    // AbsoluteMaxBytes allows: leave room above Ratis's defaults.
    long appendBuffer = Math.max(16L << 20, 4L * settings.maxEntryBytes());
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(appendBuffer + "B"));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf((appendBuffer + (1L << 20)) + "B"));
    // Ratis wants its gRPC message limit at least 1 MiB above the append buffer.
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf((appendBuffer + (2L << 20)) + "B"));
    // Snapshots (docs/raft.md, "Snapshots and onboarding"): taken when a channel asks, after
    // SnapshotIntervalSize bytes of entries; the log is then purged up to the snapshot even when
    // a follower still needs older entries, as Fabric's etcdraft compacts. Such a follower is
    // only notified (installSnapshotEnabled false) and pulls the blocks over Deliver itself.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, false);
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, ChannelStateMachine.RETAINED_SNAPSHOTS);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, 1);
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
    // A follower the leader cannot reach is tried again after each failure, 10 times at once, then
    // at the channel's heartbeat interval (TickInterval × HeartbeatTick, 500 ms with Fabric's
    // Options), as etcdraft keeps sending to it. Ratis's default backs off to 1 s and then 5 s
    // per failure, so a node restarting after a minute waited up to 5 s more for the leader's
    // first message before it could catch up (docs/raft.md, "Snapshots and onboarding").
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p,
        "1ms,10, " + Math.max(1, timing.heartbeat().toMillis()) + "ms," + Integer.MAX_VALUE);
    // Ratis purges closed segments only: segments of a few entries' size let a snapshot free most
    // of the log behind it (4 MiB with 1 MiB entries, against Fabric's 16 MB snapshot interval).
    long segment = Math.max(64L << 10, 4L * settings.maxEntryBytes());
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segment + "B"));
    RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(segment, 4L << 20) + "B"));
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, duration(timing.electionTimeoutMax().multipliedBy(2)));
    return p;
  }

  private static TimeDuration duration(java.time.Duration d) {
    return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
  }
}
