package org.jorderer.server.channels;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.config.OrganizationConfig;
import org.jorderer.channel.envelope.SeekPositions;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls a channel's blocks from one other orderer over Deliver, with a Deliver request signed by
 * this node (Fabric's {@code BlockPuller} in orderer/common/cluster/deliver.go). What it hands over
 * is not yet checked: callers pass each block through a {@link PulledBlockVerifier} first.
 */
final class BlockPuller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockPuller.class);

  /**
   * An orderer's client endpoint and the TLS CAs its certificate must chain to: those of the
   * orderer organization that lists it (Fabric's {@code EndpointCriteria}).
   */
  record Endpoint(String address, List<X509Certificate> tlsRoots) {
    Endpoint {
      tlsRoots = List.copyOf(tlsRoots);
    }

    @Override
    public String toString() {
      return address;
    }
  }

  private final String channelId;
  private final SignedEnvelopes requests;
  private final Clock clock;
  private final OrdererClientTls tls;
  // One connection per orderer, kept from the probe for its newest block to the pull that follows
  // and from one pull to the next, as Fabric's BlockPuller keeps its gRPC connection: each new one
  // cost a TCP and, across orderers, a TLS handshake (docs/raft.md, "Snapshots and onboarding").
  // A connection whose stream failed is dropped, so the next attempt dials afresh.
  private final java.util.concurrent.ConcurrentHashMap<String, ManagedChannel> connections =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean cancelled;

  /**
   * @param clock stamps the Deliver requests (the node's clock)
   * @param tls the TLS to dial with, or null to dial in plaintext (the node's own client listener
   *     has no TLS: jorderer's plaintext networks, never Fabric's)
   */
  BlockPuller(String channelId, SignedEnvelopes requests, Clock clock, OrdererClientTls tls) {
    this.channelId = channelId;
    this.requests = requests;
    this.clock = clock;
    this.tls = tls;
  }

  /**
   * Streams blocks {@code from} to {@code to} (inclusive; -1 for no end) from {@code endpoint} to
   * {@code accept}, on the calling thread. Returns once block {@code to} was handed over, or when
   * {@code running} turns false.
   *
   * @param idle how long to wait for the next block before giving up on this orderer (null: wait
   *     as long as {@code running} holds, as a follower that keeps following does)
   * @throws IllegalStateException when the orderer ends the stream, answers a status, fails, or is
   *     idle too long; or when {@code accept} throws
   */
  void pull(Endpoint endpoint, long from, long to, Duration idle, BooleanSupplier running, Consumer<Block> accept)
      throws InterruptedException {
    stream(endpoint, SeekPositions.specified(from), to, idle, running, accept);
  }

  /**
   * The number of the newest block {@code endpoint} holds, asked with a Deliver request for its
   * newest block (Fabric's {@code BlockPuller.probeEndpoint} and {@code fetchLastBlockSeq}).
   *
   * @throws IllegalStateException when it fails, answers a status, or sends nothing for {@code idle}
   */
  long newestBlock(Endpoint endpoint, Duration idle, BooleanSupplier running) throws InterruptedException {
    long[] newest = {-1};
    stream(endpoint, SeekPositions.NEWEST, 0, idle, running, block -> newest[0] = block.getHeader().getNumber());
    if (newest[0] < 0) {
      throw new IllegalStateException(endpoint + ": the probe for its newest block was stopped");
    }
    return newest[0];
  }

  /** Streams from {@code start} until a block numbered {@code to} or above arrives (to: -1 for no end). */
  private void stream(Endpoint endpoint, org.hyperledger.fabric.protos.orderer.SeekPosition start, long to,
      Duration idle, BooleanSupplier running, Consumer<Block> accept) throws InterruptedException {
    // Blocks received and not yet taken: enough to keep the stream going while one is verified and
    // written, few enough that the collector does not copy tens of MB of waiting blocks at each
    // young collection of a small heap (64 before; docs/raft.md, "Snapshots and onboarding").
    LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>(16);
    ManagedChannel channel = connection(endpoint);
    boolean failed = true;
    io.grpc.stub.ClientCallStreamObserver<Envelope> call = null;
    try {
      StreamObserver<Envelope> stream = AtomicBroadcastGrpc.newStub(channel).deliver(new StreamObserver<>() {
        @Override
        public void onNext(DeliverResponse value) {
          putQuietly(responses, value);
        }

        @Override
        public void onError(Throwable t) {
          putQuietly(responses, t);
        }

        @Override
        public void onCompleted() {
          putQuietly(responses, "closed");
        }
      });
      call = (io.grpc.stub.ClientCallStreamObserver<Envelope>) stream;
      stream.onNext(seek(start, to));
      if (start.hasSpecified()) {
        log.info("[channel: {}] Pulling blocks from {} starting at block {}", channelId, endpoint,
            start.getSpecified().getNumber());
      }
      long idleSince = System.nanoTime();
      while (running.getAsBoolean()) {
        Object next = responses.poll(200, TimeUnit.MILLISECONDS);
        if (next == null) {
          if (idle != null && System.nanoTime() - idleSince > idle.toNanos()) {
            throw new IllegalStateException(endpoint + " sent no block for " + idle.toMillis() + " ms");
          }
          continue;
        }
        idleSince = System.nanoTime();
        if (next instanceof DeliverResponse response && response.hasBlock()) {
          accept.accept(response.getBlock());
          if (to >= 0 && response.getBlock().getHeader().getNumber() >= to) {
            failed = false;
            return;
          }
        } else if (next instanceof DeliverResponse response) {
          throw new IllegalStateException(endpoint + " answered " + response.getStatus());
        } else if (next instanceof Throwable t) {
          throw new IllegalStateException(endpoint + ": " + describe(io.grpc.Status.fromThrowable(t)));
        } else {
          throw new IllegalStateException(endpoint + " ended the stream");
        }
      }
    } finally {
      if (call != null) {
        call.cancel("the pull is over", null); // the stream, not the connection
      }
      if (failed || cancelled) {
        drop(endpoint.address(), channel);
      }
    }
  }

  /** The kept connection to {@code endpoint}, dialed when there is none. */
  private ManagedChannel connection(Endpoint endpoint) {
    if (cancelled) {
      throw new IllegalStateException(endpoint + ": the pull was cancelled");
    }
    ManagedChannel kept = connections.get(endpoint.address());
    if (kept != null && !kept.isShutdown()) {
      return kept;
    }
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(endpoint.address())
        .maxInboundMessageSize(Integer.MAX_VALUE);
    if (tls == null) {
      builder.usePlaintext();
    } else if (endpoint.tlsRoots().isEmpty()) {
      throw new IllegalStateException(endpoint + ": its orderer organization has no TLS root CA to check it by");
    } else {
      builder.sslContext(tls.context(endpoint.tlsRoots()));
    }
    ManagedChannel channel = builder.build();
    connections.put(endpoint.address(), channel);
    if (cancelled) { // cancel() ran while this one was dialed
      drop(endpoint.address(), channel);
    }
    return channel;
  }

  private void drop(String address, ManagedChannel channel) {
    connections.remove(address, channel);
    channel.shutdownNow();
  }

  /** A status in one line: its code, description and innermost cause (a TLS alert, a refused connection). */
  private static String describe(io.grpc.Status status) {
    StringBuilder out = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null) {
      out.append(": ").append(status.getDescription());
    }
    Throwable cause = status.getCause();
    while (cause != null && cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    if (cause != null) {
      out.append(" (").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage()).append(')');
    }
    return out.toString();
  }

  /** Ends the pull under way, if any (its stream fails at once), and every later one. */
  void cancel() {
    cancelled = true;
    close();
  }

  /** Closes the kept connections; a later pull dials again (unless cancelled). */
  @Override
  public void close() {
    for (var kept : connections.entrySet()) {
      drop(kept.getKey(), kept.getValue());
    }
  }

  /**
   * The Deliver request for blocks {@code from} to {@code to}, signed by this node. Over TLS its
   * channel header carries the SHA-256 of the client certificate (Fabric's
   * {@code CreateSignedEnvelopeWithTLSBinding}, as its {@code BlockPuller} sends it).
   */
  private Envelope seek(org.hyperledger.fabric.protos.orderer.SeekPosition start, long to) {
    var seek = SeekPositions.seek(start, start.hasNewest() ? start : SeekPositions.specified(to));
    if (tls == null) {
      return requests.seek(channelId, seek, clock.instant());
    }
    Instant now = clock.instant();
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(HeaderType.DELIVER_SEEK_INFO_VALUE)
        .setChannelId(channelId)
        .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
        .setTlsCertHash(ByteString.copyFrom(tls.certificateHash()))
        .build();
    return requests.sign(header, seek.toByteString());
  }

  /**
   * Where a channel's blocks are pulled from, as Fabric's {@code EndpointconfigFromConfigBlock}
   * lists them: the orderer organizations' endpoints, each with its organization's TLS root and
   * intermediate CAs; only when no organization lists one, the channel-level OrdererAddresses
   * (deprecated), each with every orderer organization's CAs.
   */
  static List<Endpoint> endpoints(ChannelConfig config) {
    List<Endpoint> perOrganization = new ArrayList<>();
    List<X509Certificate> every = new ArrayList<>();
    config.orderer().map(OrdererConfig::organizations).ifPresent(orgs -> {
      for (OrganizationConfig org : orgs.values()) {
        List<X509Certificate> cas = tlsCas(org);
        every.addAll(cas);
        for (String address : new LinkedHashSet<>(org.endpoints())) {
          perOrganization.add(new Endpoint(address, cas));
        }
      }
    });
    if (!perOrganization.isEmpty()) {
      return perOrganization;
    }
    List<Endpoint> global = new ArrayList<>();
    config.ordererAddresses().ifPresent(a -> new LinkedHashSet<>(a.addresses())
        .forEach(address -> global.add(new Endpoint(address, every))));
    return global;
  }

  /** An organization's TLS intermediate and root CAs (its MSP's {@code tls_intermediate_certs}, {@code tls_root_certs}). */
  private static List<X509Certificate> tlsCas(OrganizationConfig org) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      FabricMSPConfig msp = FabricMSPConfig.parseFrom(org.msp().getConfig());
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<ByteString> pems = new ArrayList<>(msp.getTlsIntermediateCertsList());
      pems.addAll(msp.getTlsRootCertsList());
      for (ByteString pem : pems) {
        for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(pem.toByteArray()))) {
          out.add((X509Certificate) c);
        }
      }
    } catch (InvalidProtocolBufferException | CertificateException e) {
      log.warn("Orderer organization {}: cannot read its TLS CAs ({}); its endpoints cannot be dialed over TLS",
          org.name(), e.getMessage());
    }
    return out;
  }

  private static void putQuietly(LinkedBlockingQueue<Object> queue, Object item) {
    try {
      queue.put(item); // bounded: a fast source waits for the puller, never fills the heap
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
