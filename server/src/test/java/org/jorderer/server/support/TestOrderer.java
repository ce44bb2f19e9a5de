package org.jorderer.server.support;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import com.google.protobuf.ByteString;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.ledger.BlockStore;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.server.Orderer;
import org.jorderer.server.OrdererServer;
import org.jorderer.server.broadcast.BroadcastHandler;
import org.jorderer.server.broadcast.BroadcastMetrics;
import org.jorderer.server.broadcast.BroadcastableChannel;
import org.jorderer.server.channels.ChannelRegistry;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.deliver.DeliverMetrics;
import org.jorderer.server.tls.TlsSettings;

/** A real orderer on a loopback port over a real data directory, and clients for it. */
public final class TestOrderer implements AutoCloseable {
  public final LedgerDirectory ledgers;
  public final ChannelRegistry channels;
  public final PrometheusRegistry metrics = new PrometheusRegistry();
  public final OrdererServer server;
  public final DeliverHandler deliverHandler;
  private final ExecutorService executor = new ForkJoinPool(4, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
  private final List<ManagedChannel> clients = new ArrayList<>();

  public TestOrderer(Path dataDir, DeliverHandler.Settings settings, Clock clock) {
    this(dataDir, settings, clock, TlsSettings.DISABLED);
  }

  public TestOrderer(Path dataDir, DeliverHandler.Settings settings, Clock clock, TlsSettings tls) {
    this(dataDir, settings, clock, tls, OrdererServer.Settings.DEFAULT_MAX_MESSAGE_BYTES);
  }

  public TestOrderer(Path dataDir, DeliverHandler.Settings settings, Clock clock, TlsSettings tls, int maxRecvBytes) {
    this(dataDir, settings, clock, tls, maxRecvBytes, SIGNER);
  }

  /** @param signer the orderer's own identity, which signs the blocks it cuts */
  public TestOrderer(Path dataDir, DeliverHandler.Settings settings, Clock clock, TlsSettings tls, int maxRecvBytes,
      LocalSigner signer) {
    ledgers = LedgerDirectory.open(dataDir, LedgerOptions.defaults());
    channels = ChannelRegistry.open(ledgers, CryptoProvider.preferred(),
        Orderer.chainFactory(signer, new ConsensusMetrics(metrics), clock, settings.expirationChecks()), signer);
    DeliverHandler deliver = new DeliverHandler(channels, settings, new DeliverMetrics(metrics), executor, clock);
    deliverHandler = deliver;
    BroadcastHandler broadcast = new BroadcastHandler(id -> channels.channel(id).map(BroadcastableChannel.class::cast),
        new BroadcastMetrics(metrics), executor);
    server = OrdererServer.start(new OrdererServer.Settings(new InetSocketAddress("127.0.0.1", 0),
        maxRecvBytes, tls), deliver, broadcast, executor);
  }

  public TestOrderer(Path dataDir) {
    this(dataDir, DeliverHandler.Settings.defaults(), TestClock.atSampleOrgEra());
  }

  /** Channel {@code vectors} holding Fabric's blocks 0, 1 and 2. */
  public ServedChannel withVectorsChannel() {
    return channels.create(Vectors.parseBlock("vectors-0.block"),
        List.of(Vectors.blockBytes("vectors-1.block"), Vectors.blockBytes("vectors-2.block")));
  }

  public ServedChannel create(Block genesis) {
    return channels.create(genesis);
  }

  /** Channel {@code sampleorg} (SampleOrg reads and writes) with {@code height} blocks. */
  public ServedChannel withSampleOrgChannel(int height) {
    ServedChannel channel = channels.create(Vectors.parseBlock("sampleorg-solo-genesis.block"));
    appendBlocks(channel, height - 1, 64);
    return channel;
  }

  /**
   * Appends a config block carrying the channel's current config at the next sequence, with the
   * orderer endpoints replaced by this server's address (what a config update pointing peers and
   * orderers at this node would produce). For onboarding tests.
   */
  public Block appendConfigBlockPointingHere(ServedChannel channel) {
    BlockStore store = channel.ledger();
    org.hyperledger.fabric.protos.common.Config current = channel.config().config();
    var group = current.getChannelGroup().toBuilder();
    String here = "127.0.0.1:" + server.port();
    ByteString addresses =
        org.hyperledger.fabric.protos.common.OrdererAddresses.newBuilder().addAddresses(here).build().toByteString();
    group.putValues("OrdererAddresses", org.hyperledger.fabric.protos.common.ConfigValue.newBuilder()
        .setModPolicy("/Channel/Orderer/Admins").setValue(addresses).build());
    var orderer = group.getGroupsOrThrow("Orderer").toBuilder();
    for (var org : orderer.getGroupsMap().entrySet()) {
      if (org.getValue().containsValues("Endpoints")) {
        var value = org.getValue().getValuesOrThrow("Endpoints").toBuilder().setValue(addresses).build();
        orderer.putGroups(org.getKey(), org.getValue().toBuilder().putValues("Endpoints", value).build());
      }
    }
    group.putGroups("Orderer", orderer.build());
    org.hyperledger.fabric.protos.common.Config next = current.toBuilder()
        .setSequence(current.getSequence() + 1).setChannelGroup(group).build();
    org.hyperledger.fabric.protos.common.Payload payload = org.hyperledger.fabric.protos.common.Payload.newBuilder()
        .setHeader(org.hyperledger.fabric.protos.common.Header.newBuilder()
            .setChannelHeader(org.hyperledger.fabric.protos.common.ChannelHeader.newBuilder()
                .setType(org.hyperledger.fabric.protos.common.HeaderType.CONFIG_VALUE)
                .setChannelId(channel.channelId())
                .build().toByteString()))
        .setData(org.hyperledger.fabric.protos.common.ConfigEnvelope.newBuilder().setConfig(next).build().toByteString())
        .build();
    Envelope envelope = Envelope.newBuilder().setPayload(payload.toByteString()).build();
    BlockBuilder builder = new BlockBuilder(store.readBlock(store.height() - 1), channel.configSequence(), SIGNER);
    Block block = builder.commit(builder.createNextBlock(List.of(envelope)), next.getSequence(), ByteString.EMPTY);
    store.append(block);
    return block;
  }

  /**
   * Appends {@code count} signed blocks, each with one envelope of {@code payloadBytes}, straight
   * to the ledger behind the channel's chain: for Deliver tests, which order nothing themselves.
   */
  public void appendBlocks(ServedChannel channel, int count, int payloadBytes) {
    BlockStore store = channel.ledger();
    BlockBuilder builder = new BlockBuilder(store.readBlock(store.height() - 1), channel.configSequence(), SIGNER);
    byte[] payload = new byte[payloadBytes];
    for (int i = 0; i < count; i++) {
      payload[0] = (byte) i;
      Envelope envelope = Envelope.newBuilder().setPayload(ByteString.copyFrom(payload)).build();
      Block block = builder.commit(builder.createNextBlock(List.of(envelope)), channel.configSequence(), ByteString.EMPTY);
      store.append(block);
    }
  }

  /** SampleOrg's peer identity from Fabric's sampleconfig; its certificate expires 2027-11-10. */
  public static final LocalSigner SIGNER = loadSampleOrg();

  private static LocalSigner loadSampleOrg() {
    try {
      return LocalSigner.load(Vectors.msp(), "SampleOrg");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ManagedChannel connect() {
    return track(NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext()
        .maxInboundMessageSize(OrdererServer.Settings.DEFAULT_MAX_MESSAGE_BYTES)
        .build());
  }

  /**
   * A plaintext connection whose HTTP/2 flow-control window stays at {@code windowBytes}: setting
   * it turns grpc-java's window auto-tuning (BDP pings) off, which otherwise may grow a window to
   * 8 MiB on a busy machine, so a test that fills a stream's window on purpose knows its size.
   */
  public ManagedChannel connectWithFixedWindow(int windowBytes) {
    return track(NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext()
        .maxInboundMessageSize(OrdererServer.Settings.DEFAULT_MAX_MESSAGE_BYTES)
        .flowControlWindow(windowBytes)
        .build());
  }

  /** A connection with these TLS credentials (server trust, and a client certificate if any). */
  public ManagedChannel connect(io.grpc.ChannelCredentials credentials) {
    return track(io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), credentials).build());
  }

  private ManagedChannel track(ManagedChannel channel) {
    synchronized (clients) {
      clients.add(channel);
    }
    return channel;
  }

  public DeliverClient deliver() {
    return new DeliverClient(connect());
  }

  /** A counter's value for these label values (0 when the series does not exist yet). */
  public double counter(String name, String... labelPairs) {
    for (MetricSnapshot snapshot : metrics.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(name) && snapshot instanceof CounterSnapshot counter) {
        Labels wanted = Labels.of(labelPairs);
        for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
          if (point.getLabels().equals(wanted)) {
            return point.getValue();
          }
        }
        return 0;
      }
    }
    throw new AssertionError("no metric " + name);
  }

  @Override
  public void close() {
    synchronized (clients) {
      for (ManagedChannel c : clients) {
        c.shutdownNow();
      }
    }
    server.close();
    channels.close();
    ledgers.close();
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
