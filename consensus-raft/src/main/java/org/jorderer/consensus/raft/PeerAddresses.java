package org.jorderer.consensus.raft;

import java.net.URI;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.io.grpc.NameResolver;
import org.apache.ratis.thirdparty.io.grpc.NameResolverProvider;
import org.apache.ratis.thirdparty.io.grpc.NameResolverRegistry;
import org.apache.ratis.thirdparty.io.grpc.internal.DnsNameResolverProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each Raft peer is now, for the gRPC connections Ratis makes to it.
 *
 * <p>Fabric matches consenters by their client TLS certificate ({@code ComputeMembershipChanges}
 * in orderer/consensus/etcdraft/membership.go), so a config update that only gives a consenter a
 * new host or port is no membership change; Fabric's cluster communication then dials the new
 * endpoint ({@code Comm.applyMembershipConfig} in orderer/common/cluster/comm.go). Ratis cannot
 * follow on its own: it keeps one connection per peer id for the whole server and never changes
 * the address it first saw for an id (Ratis 3.3.0's {@code PeerProxyMap} adds a peer only when
 * absent), and its group configuration changes only when ids do (its {@code RaftPeer} equality is
 * by id). A consenter's peer id is derived from its certificate's key, so it stays.
 *
 * <p>So Ratis's gRPC resolves the addresses it dials through here: this is a name resolver for
 * the {@code dns} scheme (what gRPC uses for a bare {@code host:port}) registered in Ratis's own
 * copy of gRPC ahead of gRPC's DNS resolver. An address a peer had before resolves to where the
 * peer is now, according to the consenters of the channels' latest config blocks; anything else
 * resolves as before. A connection that fails is resolved again, and Ratis makes a new one after
 * a failed call, so a peer that moved is reached at its new address.
 *
 * <p>One registry for the JVM, as gRPC's is: nodes run in one JVM in tests share it. They read the
 * same config blocks, but not at the same time, so each node's view of a channel is kept apart and
 * only a change within one view moves a peer ({@link #update}).
 */
final class PeerAddresses extends NameResolverProvider {
  private static final Logger log = LoggerFactory.getLogger(PeerAddresses.class);
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();
  private static final DnsNameResolverProvider DNS = new DnsNameResolverProvider();

  /** Every address a peer was known by in this JVM, to the peer. */
  private static final Map<String, RaftPeerId> KNOWN = new ConcurrentHashMap<>();
  /** Each peer's address now: the one its channels' configs changed to last. */
  private static final Map<RaftPeerId, String> CURRENT = new ConcurrentHashMap<>();
  /** Each node's view of each channel ("channel/node"): each peer's address as its latest config block names it. */
  private static final Map<String, Map<RaftPeerId, String>> BY_CHANNEL = new ConcurrentHashMap<>();

  /** Registers the resolver with Ratis's gRPC, once per JVM, before Ratis makes any connection. */
  static void install() {
    if (INSTALLED.compareAndSet(false, true)) {
      NameResolverRegistry.getDefaultRegistry().register(new PeerAddresses());
    }
  }

  /**
   * Learns where the members of {@code consenters} (a channel's latest config as node
   * {@code viewer} holds it) are, and which addresses the Ratis group's configuration
   * ({@code groupPeers}) still names them by.
   *
   * <p>Only a change in one node's own view of a channel moves a peer: the first view a node
   * reports never overrides what is known. A node that restarts behind the others (its ledger
   * still at an older config) would otherwise move a peer back to its old address; in one JVM
   * (tests) that sent the leader's connections to a port nobody listened on any more.
   */
  static void update(RaftPeerId viewer, ConsenterSet consenters, Collection<RaftPeer> groupPeers) {
    Map<RaftPeerId, String> channel = BY_CHANNEL.computeIfAbsent(consenters.channelId() + "/" + viewer,
        c -> new ConcurrentHashMap<>());
    for (ConsenterSet.Member member : consenters.members()) {
      String before = channel.put(member.peerId(), member.address());
      // Channels may disagree on a node's address while an update has reached only some of them:
      // the address a channel changed to last wins, so they do not take turns.
      if (before == null) {
        CURRENT.putIfAbsent(member.peerId(), member.address());
      } else if (!before.equals(member.address())) {
        CURRENT.put(member.peerId(), member.address());
        KNOWN.put(before, member.peerId());
        log.info("[channel: {}] Raft peer {} (consenter {}) moved from {} to {}: connections to it go to the new "
            + "address", consenters.channelId(), member.peerId(), member.id(), before, member.address());
      }
      KNOWN.put(member.address(), member.peerId());
    }
    for (RaftPeer peer : groupPeers) {
      if (peer.getAddress() != null && CURRENT.containsKey(peer.getId())) {
        KNOWN.putIfAbsent(peer.getAddress(), peer.getId());
      }
    }
  }

  /** Where {@code address} ({@code host:port}) leads now: the current address of the peer once known by it. */
  static String resolve(String address) {
    RaftPeerId peer = KNOWN.get(address);
    String now = peer == null ? null : CURRENT.get(peer);
    return now == null ? address : now;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  /** Above gRPC's DNS resolver (5), so Ratis's connections resolve through here. */
  @Override
  protected int priority() {
    return 6;
  }

  @Override
  public String getDefaultScheme() {
    return DNS.getDefaultScheme();
  }

  @Override
  public NameResolver newNameResolver(URI target, NameResolver.Args args) {
    if (!DNS.getDefaultScheme().equals(target.getScheme()) || target.getPath() == null
        || target.getPath().length() < 2) {
      return DNS.newNameResolver(target, args);
    }
    return new Redirecting(target.getPath().substring(1), args);
  }

  /**
   * Resolves {@code address}'s current address with gRPC's DNS resolver, and on each refresh
   * (a connection failed) switches to a new one when the peer moved meanwhile.
   */
  private static final class Redirecting extends NameResolver {
    private final String address;
    private final NameResolver.Args args;
    private NameResolver inner; // guarded by this
    private String innerAddress; // guarded by this
    private Listener2 listener; // guarded by this

    Redirecting(String address, NameResolver.Args args) {
      this.address = address;
      this.args = args;
      this.innerAddress = resolve(address);
      this.inner = dns(innerAddress);
    }

    private NameResolver dns(String to) {
      return Objects.requireNonNull(DNS.newNameResolver(URI.create("dns:///" + to), args),
          () -> "gRPC's DNS resolver does not take " + to);
    }

    /** The authority as Ratis named the peer: TLS here checks pinned keys, not host names. */
    @Override
    public String getServiceAuthority() {
      return address;
    }

    @Override
    public synchronized void start(Listener2 listener) {
      this.listener = listener;
      inner.start(listener);
    }

    @Override
    public synchronized void refresh() {
      String now = resolve(address);
      if (listener != null && !now.equals(innerAddress)) {
        log.info("Raft peer address {} now resolves to {}", address, now);
        inner.shutdown();
        inner = dns(now);
        innerAddress = now;
        inner.start(listener);
      } else {
        inner.refresh();
      }
    }

    @Override
    public synchronized void shutdown() {
      inner.shutdown();
    }
  }
}
