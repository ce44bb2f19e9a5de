package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.time.Instant;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broadcast's refusals ({@code orderer/common/broadcast/broadcast.go} ProcessMessage,
 * docs/broadcast.md), each with Fabric's status and info text, the stream
 * closed after it, and the metric labels Fabric uses.
 */
class BroadcastRejectionTest {
  @TempDir Path data;
  private final TestClock clock = TestClock.atSampleOrgEra();
  private TestOrderer orderer;
  private final SeekRequests signer = new SeekRequests(TestOrderer.SIGNER);

  @BeforeEach
  void start() {
    orderer = new TestOrderer(data, DeliverHandler.Settings.defaults(), clock);
    orderer.withVectorsChannel();
  }

  @AfterEach
  void stop() {
    orderer.close();
  }

  private BroadcastResponse refuse(Envelope envelope) throws Exception {
    try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
      client.send(envelope);
      client.send(envelope); // never answered: the stream ends after the first refusal
      BroadcastResponse response = client.next(10);
      assertThat(client.awaitClose(10).getCode()).isEqualTo(Code.OK);
      assertThat(client.poll(100)).isNull();
      return response;
    }
  }

  private double processed(String channel, String type, String status) {
    return orderer.counter("broadcast_processed_count", "channel", channel, "status", status, "type", type);
  }

  private Envelope withChannelHeader(ChannelHeader header) {
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(header.toByteString()))
        .setData(ByteString.copyFromUtf8("data"))
        .build();
    return signer.signed(payload.toByteString());
  }

  @Test
  void aBadSignatureIsForbiddenWithFabricsText() throws Exception {
    BroadcastResponse response = refuse(Vectors.parseEnvelope("broadcast-vectors-message-badsig.env"));
    assertThat(response.getStatus()).isEqualTo(Status.FORBIDDEN);
    assertThat(response.getInfo()).isEqualTo("implicit policy evaluation failed - 0 sub-policies were satisfied, "
        + "but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied");
    assertThat(processed("vectors", "MESSAGE", "FORBIDDEN")).isEqualTo(1);
  }

  @Test
  void anUnknownChannelIsBadRequestWithUnknownLabels() throws Exception {
    BroadcastResponse response = refuse(withChannelHeader(ChannelHeader.newBuilder().setChannelId("nochannel").build()));
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getInfo())
        .isEqualTo("channel creation request not allowed because the orderer system channel is not defined");
    assertThat(processed("unknown", "unknown", "BAD_REQUEST")).isEqualTo(1);
    assertThat(histogramCount("broadcast_enqueue_duration")).isZero();
  }

  @Test
  void unusableEnvelopesAreBadRequestWithFabricsTexts() throws Exception {
    assertThat(refuse(signer.signed(ByteString.copyFromUtf8("completely-bogus-data"))).getInfo())
        .startsWith("could not determine channel ID: error unmarshalling Payload: ");
    assertThat(refuse(signer.signed(Payload.newBuilder().setData(ByteString.copyFromUtf8("x")).build().toByteString()))
        .getInfo()).isEqualTo("could not determine channel ID: header not set");
    assertThat(refuse(signer.signed(Payload.newBuilder().setHeader(Header.getDefaultInstance()).build().toByteString()))
        .getInfo()).isEqualTo("could not determine channel ID: channel header not set");
    Payload badHeader = Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(ByteString.copyFromUtf8("complete-nonsense")))
        .build();
    BroadcastResponse response = refuse(signer.signed(badHeader.toByteString()));
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getInfo())
        .startsWith("could not determine channel ID: error unmarshalling channel header: error unmarshalling ChannelHeader: ");
    assertThat(processed("unknown", "unknown", "BAD_REQUEST")).isEqualTo(4);
  }

  @Test
  void configMessagesCannotBeSentDirectly() throws Exception {
    for (HeaderType type : new HeaderType[] {HeaderType.CONFIG, HeaderType.ORDERER_TRANSACTION}) {
      BroadcastResponse response = refuse(withChannelHeader(
          ChannelHeader.newBuilder().setChannelId("vectors").setType(type.getNumber()).build()));
      assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
      assertThat(response.getInfo()).isEqualTo("message is of type that cannot be processed directly");
      assertThat(processed("vectors", type.name(), "BAD_REQUEST")).isEqualTo(1);
    }
  }

  @Test
  void anUnsignedConfigUpdateFailsTheInitialChecksAndIsNeverOrdered() throws Exception {
    // The envelope configtxgen made to create channel vectors: an unsigned CONFIG_UPDATE for it,
    // stopped by /Channel/Writers before any config check, as Fabric's ProcessConfigUpdateMsg does.
    BroadcastResponse response = refuse(Vectors.parseEnvelope("create-channel-vectors.tx"));
    assertThat(response.getStatus()).isEqualTo(Status.FORBIDDEN);
    assertThat(response.getInfo()).isEqualTo("config update for existing channel did not pass initial checks: "
        + "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the "
        + "'Writers' sub-policies to be satisfied: permission denied");
    assertThat(processed("vectors", "CONFIG_UPDATE", "FORBIDDEN")).isEqualTo(1);
    assertThat(orderer.channels.channel("vectors").orElseThrow().ledger().height()).isEqualTo(3);
  }

  @Test
  void aMessageOverAbsoluteMaxBytesIsBadRequest() throws Exception {
    long max = orderer.channels.channel("vectors").orElseThrow().config().orderer().orElseThrow()
        .batchSize().absoluteMaxBytes();
    ChannelHeader header = ChannelHeader.newBuilder().setChannelId("vectors").setType(HeaderType.MESSAGE_VALUE).build();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(header.toByteString()))
        .setData(ByteString.copyFrom(new byte[(int) max]))
        .build();
    Envelope big = signer.signed(payload.toByteString());
    long size = big.getPayload().size() + big.getSignature().size();
    BroadcastResponse response = refuse(big);
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getInfo())
        .isEqualTo("message payload is " + size + " bytes and exceeds maximum allowed " + max + " bytes");
  }

  @Test
  void anExpiredCreatorIsBadRequest() throws Exception {
    Instant notAfter = TestOrderer.SIGNER.identity().certificate().getNotAfter().toInstant();
    clock.set(notAfter); // Broadcast refuses at NotAfter already (Deliver only after it)
    BroadcastResponse response = refuse(Vectors.parseEnvelope("broadcast-vectors-message.env"));
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getInfo()).isEqualTo("broadcast client identity expired");
  }

  // Fabric's StandardChannel.ProcessNormalMsg with the ConsensusTypeMigration capability (V2_0): in
  // maintenance mode normal messages fail with ErrMaintenanceMode, which broadcast's ClassifyError
  // answers as SERVICE_UNAVAILABLE.
  @Test
  void inMaintenanceModeANormalMessageIsServiceUnavailable() throws Exception {
    ServedChannel vectors = orderer.channels.channel("vectors").orElseThrow();
    org.hyperledger.fabric.protos.common.Config current = vectors.config().config();
    var ordererGroup = current.getChannelGroup().getGroupsOrThrow("Orderer");
    var consensus = org.hyperledger.fabric.protos.orderer.ConsensusType.parseFrom(
        ordererGroup.getValuesOrThrow("ConsensusType").getValue());
    var maintenance = ordererGroup.toBuilder().putValues("ConsensusType",
        ordererGroup.getValuesOrThrow("ConsensusType").toBuilder().setValue(consensus.toBuilder()
            .setState(org.hyperledger.fabric.protos.orderer.ConsensusType.State.STATE_MAINTENANCE).build()
            .toByteString()).build()).build();
    vectors.updateConfig(org.jorderer.channel.ChannelConfig.fromConfig("vectors", current.toBuilder()
        .setSequence(current.getSequence() + 1)
        .setChannelGroup(current.getChannelGroup().toBuilder().putGroups("Orderer", maintenance))
        .build(), org.jorderer.channel.crypto.CryptoProvider.preferred()));

    BroadcastResponse response = refuse(Vectors.parseEnvelope("broadcast-vectors-message.env"));
    assertThat(response.getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
    assertThat(response.getInfo()).isEqualTo("normal transactions are rejected: maintenance mode");
    assertThat(processed("vectors", "MESSAGE", "SERVICE_UNAVAILABLE")).isEqualTo(1);
    assertThat(vectors.chain().orElseThrow()).isInstanceOf(org.jorderer.consensus.solo.SoloChain.class);
    assertThat(((org.jorderer.consensus.solo.SoloChain) vectors.chain().orElseThrow()).queued()).isZero();
  }

  // Fabric's solo chain after Halt: Order returns "Exiting", which broadcast answers as
  // SERVICE_UNAVAILABLE with that text (orderer/consensus/solo/consensus.go, Order).
  @Test
  void aStoppedChainIsServiceUnavailableExiting() throws Exception {
    ServedChannel vectors = orderer.channels.channel("vectors").orElseThrow();
    vectors.halt("test");
    BroadcastResponse response = refuse(Vectors.parseEnvelope("broadcast-vectors-message.env"));
    assertThat(response.getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
    assertThat(response.getInfo()).isEqualTo("Exiting");
    assertThat(processed("vectors", "MESSAGE", "SERVICE_UNAVAILABLE")).isEqualTo(1);
    assertThat(vectors.ledger().height()).isEqualTo(3);
  }

  // A removed channel is no longer known: the answer is the unknown channel's.
  @Test
  void aRemovedChannelIsAnsweredAsAnUnknownOne() throws Exception {
    orderer.channels.remove("vectors");
    BroadcastResponse response = refuse(Vectors.parseEnvelope("broadcast-vectors-message.env"));
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getInfo())
        .isEqualTo("channel creation request not allowed because the orderer system channel is not defined");
  }

  private long histogramCount(String name) {
    for (MetricSnapshot snapshot : orderer.metrics.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(name) && snapshot instanceof HistogramSnapshot h) {
        return h.getDataPoints().stream().mapToLong(HistogramSnapshot.HistogramDataPointSnapshot::getCount).sum();
      }
    }
    return 0;
  }
}
