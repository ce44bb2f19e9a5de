package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.oldest;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.FreshOrg;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.jorderer.server.tls.TlsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The suite's answer to SampleOrg's certificate expiring on 2027-11-10: an orderer whose clock stands
 * in 2028, with expiry checks on, serves traffic signed by generated credentials, and refuses
 * SampleOrg's, which shows the clock really is past that date.
 */
class AfterSampleOrgExpiryTest {
  private static final Instant IN_2028 = Instant.parse("2028-06-01T00:00:00Z");

  @TempDir Path dir;

  @Test
  void generatedCredentialsOrderAndReadIn2028WhileSampleOrgIsRefused() throws Exception {
    assertThat(TestOrderer.SIGNER.identity().certificate().getNotAfter().toInstant()).isBefore(IN_2028);
    FreshOrg org = FreshOrg.generate(dir.resolve("org"), "FreshMSP");
    TestClock clock = new TestClock(IN_2028);
    try (TestOrderer orderer = new TestOrderer(dir.resolve("data"), DeliverHandler.Settings.defaults(), clock,
        TlsSettings.DISABLED, OrdererServer.Settings.DEFAULT_MAX_MESSAGE_BYTES, org.orderer())) {
      ServedChannel fresh = orderer.create(org.genesis("fresh", clock.instant()));
      orderer.withSampleOrgChannel(1);

      SignedEnvelopes.SignedEnvelope message =
          new SignedEnvelopes(org.admin()).message("fresh", ByteString.copyFromUtf8("after 2027"), clock.instant());
      try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
        BroadcastResponse response = client.send(message.envelope()).next(10);
        assertThat(response.getStatus()).as(response.getInfo()).isEqualTo(Status.SUCCESS);
      }
      try (DeliverClient client = orderer.deliver()) {
        client.send(new SeekRequests(org.admin()).envelope("fresh", seek(specified(1), specified(1)), clock.instant()));
        List<DeliverResponse> got = client.untilStatus(10);
        assertThat(got).hasSize(2);
        Block block = got.get(0).getBlock();
        assertThat(block.getData().getDataList()).containsExactly(message.envelope().toByteString());
        assertThat(BlockSignatureVerifier.verify(block, fresh.config()).satisfied()).isTrue();
        assertThat(got.get(1).getStatus()).isEqualTo(Status.SUCCESS);
      }

      // The same orderer, the same moment: SampleOrg's certificate is expired by then.
      try (BroadcastClient client = new BroadcastClient(orderer.connect())) {
        BroadcastResponse response = client.send(new SignedEnvelopes(TestOrderer.SIGNER)
            .message("sampleorg", ByteString.copyFromUtf8("too late"), clock.instant()).envelope()).next(10);
        assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
        assertThat(response.getInfo()).isEqualTo("broadcast client identity expired");
      }
      try (DeliverClient client = orderer.deliver()) {
        client.send(new SeekRequests(TestOrderer.SIGNER).envelope("sampleorg", seek(oldest(), oldest()), clock.instant()));
        assertThat(client.untilStatus(10)).extracting(DeliverResponse::getStatus).containsExactly(Status.FORBIDDEN);
      }
    }
  }
}
