package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.oldest;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.consensus.solo.SoloChain;
import org.jorderer.ledger.BlockHeaderHash;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broadcast to Deliver through a real solo chain, over gRPC, across a restart. */
class BroadcastEndToEndTest {
  @TempDir Path data;

  @Test
  void fabricsRecordedMessageIsAcceptedAndDeliveredInTheNextBlock() throws Exception {
    try (TestOrderer orderer = new TestOrderer(data, org.jorderer.server.deliver.DeliverHandler.Settings.defaults(),
        new org.jorderer.server.support.TestClock(recordedTime()))) {
      orderer.withVectorsChannel();
      Envelope message = Vectors.parseEnvelope("broadcast-vectors-message.env");
      try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
        BroadcastResponse response = client.send(message).next(10);
        assertThat(response.getStatus()).isEqualTo(Status.SUCCESS);
        assertThat(response.getInfo()).isEmpty();
        assertThat(response.toByteArray()).containsExactly(0x08, 0xc8, 0x01); // Fabric's exact bytes
      }
      // Cut by the 2 s batch timeout into block 3, signed by the orderer, chained to Fabric's block 2.
      ServedChannel vectors = orderer.channels.channel("vectors").orElseThrow();
      try (DeliverClient deliver = orderer.deliver()) {
        deliver.send(new SeekRequests(TestOrderer.SIGNER).envelope("vectors", seek(specified(3), specified(3)), recordedTime()));
        Block block3 = deliver.next(10).getBlock();
        assertThat(block3.getData().getDataList()).containsExactly(message.toByteString());
        assertThat(block3.getHeader().getPreviousHash().toByteArray())
            .isEqualTo(BlockHeaderHash.of(Vectors.parseBlock("vectors-2.block").getHeader()));
        assertThat(BlockSignatureVerifier.verify(block3, vectors.config()).satisfied()).isTrue();
        assertThat(orderer.counter("broadcast_processed_count", "channel", "vectors", "type", "MESSAGE", "status", "SUCCESS"))
            .isEqualTo(1);
      }
    }
  }

  @Test
  void tenThousandEnvelopesOverSeveralStreamsAcrossARestartAreEachDeliveredOnce() throws Exception {
    int total = 10_000;
    int streams = 4;
    List<Envelope> envelopes = new ArrayList<>(total);
    Set<String> sent = new HashSet<>();
    for (int i = 0; i < total; i++) {
      SignedEnvelopes.SignedEnvelope m = message("sampleorg", 200);
      envelopes.add(m.envelope());
      sent.add(m.txId());
    }
    ChannelConfig config;
    try (TestOrderer orderer = new TestOrderer(data)) {
      config = orderer.withSampleOrgChannel(1).config();
      assertThat(broadcast(orderer, envelopes.subList(0, total / 2), streams)).isEqualTo(total / 2);
    } // a clean stop: everything acknowledged is written before the chain halts

    try (TestOrderer orderer = new TestOrderer(data)) {
      ServedChannel channel = orderer.channels.channel("sampleorg").orElseThrow();
      assertThat(broadcast(orderer, envelopes.subList(total / 2, total), streams)).isEqualTo(total / 2);

      Set<String> seen = new HashSet<>();
      long maxCount = config.orderer().orElseThrow().batchSize().maxMessageCount();
      long preferred = config.orderer().orElseThrow().batchSize().preferredMaxBytes();
      long lastDelivered = -1;
      try (DeliverClient deliver = orderer.deliver()) {
        deliver.send(new SeekRequests(TestOrderer.SIGNER).envelope("sampleorg", seek(oldest(), specified(Long.MAX_VALUE))));
        byte[] previousHash = new byte[0];
        while (seen.size() < total) {
          DeliverResponse response = deliver.next(15);
          Block block = response.getBlock();
          assertThat(block.getHeader().getPreviousHash().toByteArray()).isEqualTo(previousHash);
          previousHash = BlockHeaderHash.of(block.getHeader());
          if (block.getHeader().getNumber() == 0) {
            continue;
          }
          assertThat(BlockSignatureVerifier.verify(block, channel.config()).satisfied()).isTrue();
          assertThat((long) block.getData().getDataCount()).isBetween(1L, maxCount);
          long bytes = 0;
          for (ByteString entry : block.getData().getDataList()) {
            Envelope envelope = Envelope.parseFrom(entry);
            bytes += envelope.getPayload().size() + envelope.getSignature().size();
            assertThat(seen.add(txId(envelope))).as("delivered once").isTrue();
          }
          assertThat(bytes <= preferred || block.getData().getDataCount() == 1).isTrue();
          lastDelivered = block.getHeader().getNumber();
        }
      }
      // Nothing beyond what was sent: the blocks delivered are all the ledger holds.
      assertThat(seen).isEqualTo(sent);
      assertThat(lastDelivered).isEqualTo(channel.ledger().height() - 1);
      assertThat(countEnvelopes(channel)).isEqualTo(total);
    }
  }

  @Test
  void manyFastClientsAreHeldBackByTheBoundedQueueAndLoseNothing() throws Exception {
    int streams = 16;
    int perStream = 400;
    try (TestOrderer orderer = new TestOrderer(data)) {
      ServedChannel channel = orderer.withSampleOrgChannel(1);
      SoloChain chain = (SoloChain) channel.chain().orElseThrow();
      List<Envelope> envelopes = new ArrayList<>();
      for (int i = 0; i < streams * perStream; i++) {
        envelopes.add(message("sampleorg", 100).envelope());
      }
      List<BroadcastClient> clients = new ArrayList<>();
      // The ordering loop stalls on its first ledger append while the test holds the ledger's write
      // lock, so the queue fills however fast the machine is: then every stream must be held with
      // exactly one envelope waiting (a stream reading ahead would pile up more), and the queue at
      // its capacity, not beyond.
      Object ledgerWriteLock = writeLockOf(channel.ledger());
      synchronized (ledgerWriteLock) {
        // Every client connected before any sends, and the sends interleaved: the clients are
        // fast at the same time. (Sent one client after the other, the first could have all its
        // envelopes accepted, up to the queue's capacity plus the ordering loop's first batch,
        // before the last had connected: nothing would be left to hold it back.)
        for (int s = 0; s < streams; s++) {
          io.grpc.ManagedChannel connection = orderer.connect();
          connection.getState(true);
          org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS)
              .until(() -> connection.getState(false) == io.grpc.ConnectivityState.READY);
          clients.add(new BroadcastClient(connection));
        }
        for (int i = 0; i < envelopes.size(); i++) {
          clients.get(i % streams).send(envelopes.get(i));
        }
        org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS)
            .until(() -> chain.waitingHandOffs() == streams);
        assertThat(chain.queued()).isEqualTo(org.jorderer.consensus.solo.SoloOptions.DEFAULT_QUEUE_CAPACITY);
        assertThat(chain.waitingHandOffs()).as("one held envelope per stream").isEqualTo(streams);
      }
      int success = 0;
      for (BroadcastClient client : clients) {
        for (int i = 0; i < perStream; i++) {
          BroadcastResponse r = client.next(60);
          assertThat(r.getStatus()).as(r.getInfo()).isEqualTo(Status.SUCCESS);
          success++;
        }
        client.halfClose();
        client.awaitClose(10);
      }
      assertThat(success).isEqualTo(envelopes.size());
      org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> countEnvelopes(channel) == envelopes.size());
    }
  }

  private static Object writeLockOf(org.jorderer.ledger.BlockStore store) throws Exception {
    java.lang.reflect.Field field = org.jorderer.ledger.BlockStore.class.getDeclaredField("writeLock");
    field.setAccessible(true);
    return field.get(store);
  }

  private static long countEnvelopes(ServedChannel channel) {
    long n = 0;
    for (long b = 1; b < channel.ledger().height(); b++) {
      n += channel.ledger().readBlock(b).getData().getDataCount();
    }
    return n;
  }

  /** Sends all envelopes over {@code streams} streams at once; returns how many got SUCCESS. */
  private static int broadcast(TestOrderer orderer, List<Envelope> envelopes, int streams) throws Exception {
    List<BroadcastClient> clients = new ArrayList<>();
    List<List<Envelope>> parts = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      clients.add(new BroadcastClient(orderer.connect()));
      parts.add(new ArrayList<>());
    }
    for (int i = 0; i < envelopes.size(); i++) {
      parts.get(i % streams).add(envelopes.get(i));
    }
    for (int s = 0; s < streams; s++) {
      for (Envelope e : parts.get(s)) {
        clients.get(s).send(e);
      }
    }
    int success = 0;
    for (int s = 0; s < streams; s++) {
      for (int i = 0; i < parts.get(s).size(); i++) {
        BroadcastResponse r = clients.get(s).next(30);
        assertThat(r.getStatus()).as(r.getInfo()).isEqualTo(Status.SUCCESS);
        success++;
      }
      clients.get(s).halfClose();
      clients.get(s).awaitClose(10);
    }
    return success;
  }

  private static SignedEnvelopes.SignedEnvelope message(String channelId, int dataBytes) {
    return ENVELOPES.message(channelId, ByteString.copyFrom(new byte[dataBytes]), TestClock.SAMPLE_ORG_ERA);
  }

  private static final SignedEnvelopes ENVELOPES = new SignedEnvelopes(TestOrderer.SIGNER);

  private static String txId(Envelope envelope) throws Exception {
    Payload payload = Payload.parseFrom(envelope.getPayload());
    return ChannelHeader.parseFrom(payload.getHeader().getChannelHeader()).getTxId();
  }

  private static Instant recordedTime() throws Exception {
    return DeliverVectorsTest.timestampOf(Vectors.parseEnvelope("seek-vectors-1-to-2.env"));
  }
}
