package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fabric's own recorded Deliver requests, replayed against a server holding blocks 0 to 2 of
 * channel {@code vectors}; the answers must be the ones the Go orderer gave
 * ({@code testdata/fabric/README.md}).
 */
class DeliverVectorsTest {
  @TempDir Path data;
  private final TestClock clock = TestClock.atSampleOrgEra();
  private TestOrderer orderer;

  @BeforeEach
  void start() {
    orderer = new TestOrderer(data, DeliverHandler.Settings.defaults(), clock);
    orderer.withVectorsChannel();
  }

  @AfterEach
  void stop() {
    orderer.close();
  }

  @Test
  void oneToTwoSendsBlocksOneAndTwoThenSuccess() throws Exception {
    List<DeliverResponse> got = replay("seek-vectors-1-to-2.env");
    assertThat(got).hasSize(3);
    assertThat(got.get(0).getBlock().toByteArray()).isEqualTo(Vectors.blockBytes("vectors-1.block"));
    assertThat(got.get(1).getBlock().toByteArray()).isEqualTo(Vectors.blockBytes("vectors-2.block"));
    assertThat(got.get(2).getStatus()).isEqualTo(org.hyperledger.fabric.protos.common.Status.SUCCESS);
  }

  @Test
  void newestToNewestSendsBlockTwoThenSuccess() throws Exception {
    List<DeliverResponse> got = replay("seek-vectors-newest-to-newest.env");
    assertThat(got).hasSize(2);
    assertThat(got.get(0).getBlock().toByteArray()).isEqualTo(Vectors.blockBytes("vectors-2.block"));
    assertThat(got.get(1).getStatus()).isEqualTo(org.hyperledger.fabric.protos.common.Status.SUCCESS);
  }

  @Test
  void failIfNotReadyForBlockFiveIsNotFound() throws Exception {
    assertThat(replay("seek-vectors-5-fail-if-not-ready.env"))
        .extracting(DeliverResponse::getStatus)
        .containsExactly(org.hyperledger.fabric.protos.common.Status.NOT_FOUND);
  }

  @Test
  void stopBeforeStartIsBadRequest() throws Exception {
    assertThat(replay("seek-vectors-2-to-1-bad.env"))
        .extracting(DeliverResponse::getStatus)
        .containsExactly(org.hyperledger.fabric.protos.common.Status.BAD_REQUEST);
  }

  @Test
  void anUnknownChannelIsNotFound() throws Exception {
    assertThat(replay("seek-nochannel-oldest.env"))
        .extracting(DeliverResponse::getStatus)
        .containsExactly(org.hyperledger.fabric.protos.common.Status.NOT_FOUND);
  }

  @Test
  void oldestToMaxSendsEveryBlockThenWaitsForTheNext() throws Exception {
    Envelope request = Vectors.parseEnvelope("seek-vectors-oldest-to-max.env");
    clock.set(timestampOf(request));
    try (DeliverClient client = orderer.deliver()) {
      client.send(request);
      for (int i = 0; i < 3; i++) {
        assertThat(client.next(10).getBlock().toByteArray()).isEqualTo(Vectors.blockBytes("vectors-" + i + ".block"));
      }
      // Every block was sent and the request now waits on the ledger for block 3, still open.
      var ledger = orderer.channels.channel("vectors").orElseThrow().ledger();
      org.awaitility.Awaitility.await().atMost(10, java.util.concurrent.TimeUnit.SECONDS)
          .until(() -> ledger.waitingCursors() == 1);
      assertThat(client.poll(0)).isNull();
      assertThat(client.isClosed()).isFalse();
    }
  }

  private List<DeliverResponse> replay(String envelopeFile) throws Exception {
    Envelope request = Vectors.parseEnvelope(envelopeFile);
    clock.set(timestampOf(request));
    try (DeliverClient client = orderer.deliver()) {
      client.send(request);
      List<DeliverResponse> responses = client.untilStatus(10);
      if (responses.get(responses.size() - 1).getStatus() == org.hyperledger.fabric.protos.common.Status.SUCCESS) {
        client.halfClose();
      }
      assertThat(client.awaitClose(10)).extracting(Status::getCode).isEqualTo(Status.Code.OK);
      return responses;
    }
  }

  static Instant timestampOf(Envelope envelope) throws Exception {
    ByteString header = Payload.parseFrom(envelope.getPayload()).getHeader().getChannelHeader();
    var ts = ChannelHeader.parseFrom(header).getTimestamp();
    return Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos());
  }
}
