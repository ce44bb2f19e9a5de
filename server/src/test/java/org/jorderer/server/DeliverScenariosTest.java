package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.newest;
import static org.jorderer.server.support.SeekRequests.nextCommit;
import static org.jorderer.server.support.SeekRequests.oldest;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Deliver scenarios of Fabric's {@code common/deliver/deliver_test.go} (Handle) and the behaviour
 * described in docs/deliver.md, against a real server over a real ledger: channel
 * {@code sampleorg} with 10 blocks (0 to 9), requests signed by SampleOrg. Each test names the
 * scenario it covers and asserts what the client sees and what the metrics count.
 */
class DeliverScenariosTest {
  private static final String CH = "sampleorg";
  private static final int HEIGHT = 10;

  @TempDir Path data;
  private final TestClock clock = TestClock.atSampleOrgEra();
  private TestOrderer orderer;
  private ServedChannel channel;
  private final SeekRequests requests = new SeekRequests(TestOrderer.SIGNER);

  @BeforeEach
  void start() {
    orderer = new TestOrderer(data, new DeliverHandler.Settings(Duration.ofMinutes(15), false, true), clock);
    channel = orderer.withSampleOrgChannel(HEIGHT);
  }

  @AfterEach
  void stop() {
    orderer.close();
  }

  private Envelope request(SeekInfo seek) {
    return requests.envelope(CH, seek, clock.instant());
  }

  private List<DeliverResponse> exchange(Envelope request) throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request);
      List<DeliverResponse> got = client.untilStatus(10);
      client.halfClose();
      assertThat(client.awaitClose(10).getCode()).isEqualTo(Code.OK);
      return got;
    }
  }

  /** Until the one request under test waits on the ledger for a block not cut yet. */
  private void awaitWaitingRequest() {
    org.awaitility.Awaitility.await().atMost(10, java.util.concurrent.TimeUnit.SECONDS)
        .until(() -> channel.ledger().waitingCursors() == 1);
  }

  private static List<Long> blockNumbers(List<DeliverResponse> responses) {
    return responses.stream()
        .filter(r -> r.getTypeCase() == DeliverResponse.TypeCase.BLOCK)
        .map(r -> r.getBlock().getHeader().getNumber())
        .toList();
  }

  private static Status finalStatus(List<DeliverResponse> responses) {
    return responses.get(responses.size() - 1).getStatus();
  }

  private double counted(String metric, String... labels) {
    return orderer.counter(metric, labels);
  }

  private double received() {
    return counted("deliver_requests_received", "channel", CH, "filtered", "false", "data_type", "block");
  }

  private double completed(boolean success) {
    return counted("deliver_requests_completed", "channel", CH, "filtered", "false", "data_type", "block",
        "success", Boolean.toString(success));
  }

  private double blocksSent() {
    return counted("deliver_blocks_sent", "channel", CH, "filtered", "false", "data_type", "block");
  }

  // Fabric deliver_test.go "records streams opened before streams closed", "receives messages until
  // io.EOF is returned", "sends a success response": one request, one block, SUCCESS; the stream is
  // counted open and closed once.
  @Test
  void aSpecifiedBlockIsSentThenSuccess() throws Exception {
    List<DeliverResponse> got = exchange(request(seek(specified(5), specified(5))));
    assertThat(blockNumbers(got)).containsExactly(5L);
    assertThat(finalStatus(got)).isEqualTo(Status.SUCCESS);
    assertThat(got.get(0).getBlock().toByteArray()).isEqualTo(channel.ledger().read(5).toByteArray());
    assertThat(counted("deliver_streams_opened")).isEqualTo(1);
    assertThat(counted("deliver_streams_closed")).isEqualTo(1);
  }

  // Fabric deliver_test.go "when multiple blocks are requested": start 5, stop newest on height 10 ->
  // blocks 5..9; metrics with Fabric's labels.
  @Test
  void startToNewestSendsEachBlockOnceAndCountsThem() throws Exception {
    List<DeliverResponse> got = exchange(request(seek(specified(5), newest())));
    assertThat(blockNumbers(got)).containsExactly(5L, 6L, 7L, 8L, 9L);
    assertThat(finalStatus(got)).isEqualTo(Status.SUCCESS);
    assertThat(received()).isEqualTo(1);
    assertThat(blocksSent()).isEqualTo(5);
    assertThat(completed(true)).isEqualTo(1);
    assertThat(completed(false)).isZero();
  }

  // docs/deliver.md "Start and stop positions": oldest to newest is the whole chain as of the request.
  @Test
  void oldestToNewestSendsTheWholeChain() throws Exception {
    assertThat(blockNumbers(exchange(request(seek(oldest(), newest())))))
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
  }

  // Fabric deliver_test.go "when seek info is configured to stop at the oldest/newest block", on the
  // file ledger: an unset start is fileledger/impl.go's "not found" iterator.
  @Test
  void anUnsetStartIsNotFound() throws Exception {
    SeekInfo unsetStart = SeekInfo.newBuilder().setStart(SeekPosition.getDefaultInstance()).setStop(oldest()).build();
    assertThat(exchange(request(unsetStart))).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
    SeekInfo toNewest = SeekInfo.newBuilder().setStart(SeekPosition.getDefaultInstance()).setStop(newest()).build();
    assertThat(exchange(request(toNewest))).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
    assertThat(completed(false)).isEqualTo(2);
  }

  // docs/deliver.md "Start and stop positions": stop oldest delivers exactly the start block.
  @Test
  void stopOldestDeliversOnlyTheStartBlock() throws Exception {
    assertThat(blockNumbers(exchange(request(seek(newest(), oldest()))))).containsExactly(9L);
  }

  // Fabric deliver_test.go "when seek info is configured to send just the newest block and a new block
  // is committed ...": newest to newest is one block, the newest when the request arrived.
  @Test
  void newestToNewestIsOneBlock() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(newest(), newest())));
      DeliverResponse first = client.next(10);
      orderer.appendBlocks(channel, 2, 10);
      assertThat(first.getBlock().getHeader().getNumber()).isEqualTo(9);
      assertThat(client.next(10).getStatus()).isEqualTo(Status.SUCCESS);
    }
  }

  // Fabric deliver.go Handle: SUCCESS keeps the stream open for the next request; others end it.
  @Test
  void severalRequestsShareOneStream() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(specified(1), specified(2))));
      assertThat(blockNumbers(client.untilStatus(10))).containsExactly(1L, 2L);
      client.send(request(seek(specified(7), specified(7))));
      List<DeliverResponse> second = client.untilStatus(10);
      assertThat(blockNumbers(second)).containsExactly(7L);
      assertThat(finalStatus(second)).isEqualTo(Status.SUCCESS);
      client.send(request(seek(specified(50), specified(50)).toBuilder()
          .setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY).build()));
      assertThat(client.untilStatus(10)).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
      assertThat(client.awaitClose(10).getCode()).isEqualTo(Code.OK);
    }
    assertThat(received()).isEqualTo(3);
    assertThat(completed(true)).isEqualTo(2);
    assertThat(completed(false)).isEqualTo(1);
    assertThat(counted("deliver_streams_opened")).isEqualTo(1);
    assertThat(counted("deliver_streams_closed")).isEqualTo(1);
  }

  // Fabric deliver.go deliverBlocks: BLOCK_UNTIL_READY waits for a block not yet cut, holding no thread.
  @Test
  void blockUntilReadyWaitsForTheNextBlock() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(specified(HEIGHT), specified(HEIGHT + 1))));
      awaitWaitingRequest();
      orderer.appendBlocks(channel, 2, 10);
      List<DeliverResponse> got = client.untilStatus(10);
      assertThat(blockNumbers(got)).containsExactly(10L, 11L);
      assertThat(finalStatus(got)).isEqualTo(Status.SUCCESS);
    }
  }

  // fileledger/impl.go Iterator (docs/deliver.md "Start and stop positions"): next_commit starts at the
  // height.
  @Test
  void nextCommitWaitsForTheNextBlock() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(nextCommit(), specified(HEIGHT))));
      awaitWaitingRequest();
      orderer.appendBlocks(channel, 1, 10);
      assertThat(blockNumbers(client.untilStatus(10))).containsExactly(10L);
    }
  }

  // Fabric deliver.go deliverBlocks: FAIL_IF_NOT_READY sends what exists, then NOT_FOUND.
  @Test
  void failIfNotReadySendsWhatExistsThenNotFound() throws Exception {
    SeekInfo seek = seek(specified(8), specified(12)).toBuilder().setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY).build();
    List<DeliverResponse> got = exchange(request(seek));
    assertThat(blockNumbers(got)).containsExactly(8L, 9L);
    assertThat(finalStatus(got)).isEqualTo(Status.NOT_FOUND);
    assertThat(blocksSent()).isEqualTo(2);
    assertThat(completed(false)).isEqualTo(1);
  }

  // Fabric deliver_test.go "when fail if not ready is set and the next block is unavailable":
  // FAIL_IF_NOT_READY past the height.
  @Test
  void failIfNotReadyPastTheHeightIsNotFound() throws Exception {
    SeekInfo seek = seek(specified(HEIGHT + 2), specified(HEIGHT + 3)).toBuilder()
        .setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY).build();
    assertThat(exchange(request(seek))).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
    SeekInfo atHeight = seek(specified(HEIGHT), specified(HEIGHT)).toBuilder()
        .setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY).build();
    assertThat(exchange(request(atHeight))).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
  }

  // docs/deliver.md "Start and stop positions": a start past the height is NOT_FOUND even with a stop
  // before it.
  @Test
  void aStartPastTheHeightIsNotFoundNotBadRequest() throws Exception {
    assertThat(exchange(request(seek(specified(HEIGHT + 5), specified(1)))))
        .extracting(DeliverResponse::getStatus)
        .containsExactly(Status.NOT_FOUND);
  }

  // Fabric deliver_test.go "when seek info start number is greater than stop number": stop before start.
  @Test
  void aStopBeforeTheStartIsBadRequest() throws Exception {
    assertThat(exchange(request(seek(newest(), specified(HEIGHT - 2)))))
        .extracting(DeliverResponse::getStatus)
        .containsExactly(Status.BAD_REQUEST);
    assertThat(received()).isEqualTo(1);
    assertThat(completed(false)).isEqualTo(1);
  }

  // Fabric deliver_test.go "when seek start and stop are nil": start and stop absent.
  @Test
  void missingStartOrStopIsBadRequest() throws Exception {
    assertThat(exchange(request(SeekInfo.getDefaultInstance())))
        .extracting(DeliverResponse::getStatus).containsExactly(Status.BAD_REQUEST);
    assertThat(exchange(request(SeekInfo.newBuilder().setStart(oldest()).build())))
        .extracting(DeliverResponse::getStatus).containsExactly(Status.BAD_REQUEST);
  }

  // Fabric deliver_test.go "when unmarshalling seek info fails": a SeekInfo that does not parse;
  // counted, since the channel was found.
  @Test
  void aMalformedSeekInfoIsBadRequest() throws Exception {
    Envelope bad = requests.envelope(CH, ByteString.copyFromUtf8("complete-nonsense"), clock.instant());
    assertThat(exchange(bad)).extracting(DeliverResponse::getStatus).containsExactly(Status.BAD_REQUEST);
    assertThat(received()).isEqualTo(1);
    assertThat(completed(false)).isEqualTo(1);
  }

  // Fabric deliver_test.go "when unmarshalling the payload fails", "when the payload header is nil",
  // "when unmarshalling the channel header fails", "when the channel header timestamp is nil" and
  // "... is out of the time window" (both sides): refused before the channel is looked up, not counted.
  @Test
  void malformedEnvelopesAreBadRequestAndNotCounted() throws Exception {
    SeekInfo seek = seek(oldest(), oldest());
    List<Envelope> bad = List.of(
        requests.signed(ByteString.copyFromUtf8("completely-bogus-data")),
        requests.signed(Payload.newBuilder().setData(seek.toByteString()).build().toByteString()),
        requests.envelope(ByteString.copyFromUtf8("complete-nonsense"), seek.toByteString()),
        requests.envelope(ChannelHeader.newBuilder().setChannelId(CH).build().toByteString(), seek.toByteString()),
        requests.envelope(CH, seek, Instant.EPOCH),
        requests.envelope(CH, seek, clock.instant().plus(Duration.ofMinutes(16))));
    for (Envelope envelope : bad) {
      assertThat(exchange(envelope)).extracting(DeliverResponse::getStatus).containsExactly(Status.BAD_REQUEST);
    }
    assertThat(received()).isZero();
    assertThat(completed(false)).isZero();
    assertThat(counted("deliver_streams_opened")).isEqualTo(bad.size());
    assertThat(counted("deliver_streams_closed")).isEqualTo(bad.size());
  }

  // Fabric deliver.go Handle's time-window check (docs/deliver.md): the window is inclusive.
  @Test
  void aTimestampExactlyAtTheWindowEdgeIsAccepted() throws Exception {
    Envelope edge = requests.envelope(CH, seek(oldest(), oldest()), clock.instant().minus(Duration.ofMinutes(15)));
    assertThat(blockNumbers(exchange(edge))).containsExactly(0L);
  }

  // Fabric deliver_test.go "when the channel is not found": unknown channel, not counted.
  @Test
  void anUnknownChannelIsNotFound() throws Exception {
    Envelope unknown = requests.envelope("nochannel", seek(oldest(), oldest()), clock.instant());
    assertThat(exchange(unknown)).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
    Envelope empty = requests.envelope("", seek(oldest(), oldest()), clock.instant());
    assertThat(exchange(empty)).extracting(DeliverResponse::getStatus).containsExactly(Status.NOT_FOUND);
    assertThat(received()).isZero();
  }

  // Fabric deliver_test.go "when the chain errors before reading from the chain": consensus already
  // failed -> SERVICE_UNAVAILABLE before the ledger is touched.
  @Test
  void aFailedChainIsServiceUnavailable() throws Exception {
    channel.halt("test");
    assertThat(exchange(request(seek(oldest(), oldest()))))
        .extracting(DeliverResponse::getStatus).containsExactly(Status.SERVICE_UNAVAILABLE);
    assertThat(completed(false)).isEqualTo(1);
  }

  // Fabric deliver_test.go "when the seek info requests a best effort error response": BEST_EFFORT
  // ignores the failed chain.
  @Test
  void bestEffortIgnoresAFailedChain() throws Exception {
    channel.halt("test");
    SeekInfo seek = seek(oldest(), oldest()).toBuilder().setErrorResponse(SeekInfo.SeekErrorResponse.BEST_EFFORT).build();
    List<DeliverResponse> got = exchange(request(seek));
    assertThat(blockNumbers(got)).containsExactly(0L);
    assertThat(finalStatus(got)).isEqualTo(Status.SUCCESS);
  }

  // Fabric deliver_test.go "when the chain errors while reading from the chain": consensus fails while
  // a request waits.
  @Test
  void aChainFailingWhileWaitingEndsTheWaitWithServiceUnavailable() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(specified(HEIGHT), specified(HEIGHT))));
      awaitWaitingRequest(); // the request is parked on the ledger when the chain fails
      assertThat(client.poll(0)).isNull();
      channel.halt("test");
      assertThat(client.next(10).getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
      assertThat(client.awaitClose(10).getCode()).isEqualTo(Code.OK);
    }
    assertThat(channel.ledger().waitingCursors()).isZero();
  }

  // Fabric deliver_test.go "when the access evaluation fails": the Readers policy refuses a bad
  // signature.
  @Test
  void aBadSignatureIsForbidden() throws Exception {
    Envelope good = request(seek(oldest(), oldest()));
    byte[] signature = good.getSignature().toByteArray();
    signature[signature.length - 1] ^= 1;
    Envelope forged = good.toBuilder().setSignature(ByteString.copyFrom(signature)).build();
    assertThat(exchange(forged)).extracting(DeliverResponse::getStatus).containsExactly(Status.FORBIDDEN);
    assertThat(received()).isEqualTo(1);
    assertThat(blocksSent()).isZero();
    assertThat(completed(false)).isEqualTo(1);
  }

  // Fabric deliver.go Handle checks no header type (docs/deliver.md): any type is served when the
  // policy passes.
  @Test
  void theHeaderTypeIsNotChecked() throws Exception {
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(3) // ENDORSER_TRANSACTION
        .setChannelId(CH)
        .setTimestamp(com.google.protobuf.Timestamp.newBuilder().setSeconds(clock.instant().getEpochSecond()))
        .build();
    Envelope odd = requests.envelope(header.toByteString(), seek(oldest(), oldest()).toByteString());
    assertThat(blockNumbers(exchange(odd))).containsExactly(0L);
  }

  // Fabric deliver_test.go "when the client disconnects before reading from the chain": the client
  // cancels while waiting: the wait ends, nothing leaks, metrics record a failure.
  @Test
  void cancellingWhileWaitingReleasesEverything() throws Exception {
    DeliverClient client = orderer.deliver();
    client.send(request(seek(specified(HEIGHT), specified(HEIGHT))));
    org.awaitility.Awaitility.await().until(() -> channel.ledger().waitingCursors() == 1);
    client.cancel();
    org.awaitility.Awaitility.await().until(() -> counted("deliver_streams_closed") == 1);
    assertThat(channel.ledger().waitingCursors()).isZero();
    assertThat(completed(false)).isEqualTo(1);
    assertThat(channel.errored().fired()).isFalse();
  }

  // Fabric v3's deliver_test.go HEADER_WITH_SIG cases: HEADER_WITH_SIG strips the data except from
  // config blocks.
  @Test
  void headerWithSigSendsHeadersAndMetadataButConfigBlocksWhole() throws Exception {
    SeekInfo seek = seek(oldest(), specified(3)).toBuilder()
        .setContentType(SeekInfo.SeekContentType.HEADER_WITH_SIG).build();
    List<DeliverResponse> got = exchange(request(seek));
    assertThat(blockNumbers(got)).containsExactly(0L, 1L, 2L, 3L);
    Block genesis = got.get(0).getBlock();
    assertThat(genesis.toByteArray()).isEqualTo(channel.ledger().read(0).toByteArray());
    for (int i = 1; i <= 3; i++) {
      Block sent = got.get(i).getBlock();
      Block stored = channel.ledger().readBlock(i);
      assertThat(sent.hasData()).isFalse();
      assertThat(sent.getHeader()).isEqualTo(stored.getHeader());
      assertThat(sent.getMetadata()).isEqualTo(stored.getMetadata());
      assertThat(stored.getData().getDataCount()).isEqualTo(1); // the ledger's copy is untouched
    }
  }

  // Fabric acl.go SessionAccessControl.Evaluate (docs/deliver.md "Access during a stream"): the
  // signer's certificate expiring mid-stream ends the session at the next block.
  @Test
  void anIdentityThatExpiresMidStreamIsForbiddenAtTheNextBlock() throws Exception {
    Instant notAfter = TestOrderer.SIGNER.identity().certificate().getNotAfter().toInstant();
    clock.set(notAfter.minusSeconds(60));
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(specified(HEIGHT - 1), specified(HEIGHT + 5))));
      assertThat(client.next(10).getBlock().getHeader().getNumber()).isEqualTo(HEIGHT - 1);
      clock.set(notAfter.plusSeconds(1));
      orderer.appendBlocks(channel, 1, 10);
      assertThat(client.next(10).getStatus()).isEqualTo(Status.FORBIDDEN);
    }
  }

  // Fabric deliver_test.go "when the access expires" and acl.go SessionAccessControl.Evaluate: a
  // config change that takes the signer out of /Channel/Readers ends its session at the
  // next block, which is not sent.
  @Test
  void aConfigChangeRevokingReadAccessIsForbiddenAtTheNextBlock() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(request(seek(specified(HEIGHT - 1), specified(HEIGHT + 5))));
      assertThat(client.next(10).getBlock().getHeader().getNumber()).isEqualTo(HEIGHT - 1);

      org.hyperledger.fabric.protos.common.Config current = channel.config().config();
      var onlyOtherOrg = org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope.newBuilder()
          .setRule(org.hyperledger.fabric.protos.common.SignaturePolicy.newBuilder().setSignedBy(0))
          .addIdentities(org.hyperledger.fabric.protos.common.MSPPrincipal.newBuilder()
              .setPrincipalClassification(org.hyperledger.fabric.protos.common.MSPPrincipal.Classification.ROLE)
              .setPrincipal(org.hyperledger.fabric.protos.common.MSPRole.newBuilder().setMspIdentifier("OtherOrg")
                  .setRole(org.hyperledger.fabric.protos.common.MSPRole.MSPRoleType.MEMBER).build().toByteString()))
          .build();
      var group = current.getChannelGroup().toBuilder().putPolicies("Readers",
          org.hyperledger.fabric.protos.common.ConfigPolicy.newBuilder().setModPolicy("Admins")
              .setPolicy(org.hyperledger.fabric.protos.common.Policy.newBuilder()
                  .setType(org.hyperledger.fabric.protos.common.Policy.PolicyType.SIGNATURE_VALUE)
                  .setValue(onlyOtherOrg.toByteString()))
              .build());
      channel.updateConfig(org.jorderer.channel.ChannelConfig.fromConfig(CH,
          current.toBuilder().setSequence(current.getSequence() + 1).setChannelGroup(group).build(),
          org.jorderer.channel.crypto.CryptoProvider.preferred()));

      orderer.appendBlocks(channel, 1, 10);
      assertThat(client.next(10).getStatus()).isEqualTo(Status.FORBIDDEN);
      assertThat(client.awaitClose(10).getCode()).isEqualTo(Code.OK);
    }
    // A new request is refused at once, before any block.
    assertThat(exchange(request(seek(oldest(), oldest())))).extracting(DeliverResponse::getStatus)
        .containsExactly(Status.FORBIDDEN);
  }

  // Fabric acl.go SessionAccessControl.Evaluate at the start: a signer already expired when the
  // request arrives gets FORBIDDEN and no block
  // (Fabric's SessionAccessControl.Evaluate runs before the first block).
  @Test
  void aSignerAlreadyExpiredAtRequestTimeIsForbiddenBeforeAnyBlock() throws Exception {
    Instant notAfter = TestOrderer.SIGNER.identity().certificate().getNotAfter().toInstant();
    clock.set(notAfter.plusSeconds(3600));
    assertThat(exchange(request(seek(oldest(), newest())))).extracting(DeliverResponse::getStatus)
        .containsExactly(Status.FORBIDDEN);
    assertThat(completed(false)).isEqualTo(1);
  }

  // Fabric's deliver parseEnvelope: a signature header that does not unmarshal is BAD_REQUEST.
  @Test
  void anUnparsableSignatureHeaderIsBadRequest() throws Exception {
    ChannelHeader header = ChannelHeader.newBuilder()
        .setType(org.hyperledger.fabric.protos.common.HeaderType.DELIVER_SEEK_INFO_VALUE)
        .setChannelId(CH)
        .setTimestamp(com.google.protobuf.Timestamp.newBuilder().setSeconds(clock.instant().getEpochSecond()))
        .build();
    Payload payload = Payload.newBuilder()
        .setHeader(org.hyperledger.fabric.protos.common.Header.newBuilder()
            .setChannelHeader(header.toByteString())
            .setSignatureHeader(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01})))
        .setData(seek(oldest(), oldest()).toByteString())
        .build();
    assertThat(exchange(requests.signed(payload.toByteString()))).extracting(DeliverResponse::getStatus)
        .containsExactly(Status.BAD_REQUEST);
    assertThat(received()).isZero();
  }

  // Fabric deliver_test.go "Handler is initialized without expiration checks": with expiration checks
  // off, an expired signer keeps reading.
  @Test
  void withExpirationChecksOffAnExpiredSignerIsServed() throws Exception {
    Instant notAfter = TestOrderer.SIGNER.identity().certificate().getNotAfter().toInstant();
    TestClock late = new TestClock(notAfter.plusSeconds(3600));
    try (TestOrderer lenient = new TestOrderer(data.resolve("lenient"),
        new DeliverHandler.Settings(Duration.ofMinutes(15), false, false), late)) {
      lenient.withSampleOrgChannel(2);
      try (DeliverClient client = lenient.deliver()) {
        client.send(requests.envelope(CH, seek(oldest(), specified(1)), late.instant()));
        assertThat(blockNumbers(client.untilStatus(10))).containsExactly(0L, 1L);
      }
    }
  }

  // Protection of others: a request's errors never touch other streams on the channel.
  @Test
  void aRefusedStreamLeavesOthersServed() throws Exception {
    try (DeliverClient waiting = orderer.deliver()) {
      waiting.send(request(seek(specified(HEIGHT), specified(HEIGHT))));
      exchange(requests.signed(ByteString.copyFromUtf8("garbage")));
      orderer.appendBlocks(channel, 1, 10);
      assertThat(blockNumbers(waiting.untilStatus(10))).containsExactly((long) HEIGHT);
    }
  }
}
