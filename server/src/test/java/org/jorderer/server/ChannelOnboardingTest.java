package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.server.channels.ServedChannel;
import org.jorderer.server.participation.AdminServer;
import org.jorderer.server.participation.ChannelParticipationHandler;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joining with a config block above the genesis block: the new node pulls the channel's blocks
 * from the orderer its config names (a second running jorderer), checks them, and follows.
 */
class ChannelOnboardingTest {
  @TempDir Path data;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aNodeJoinedAtALaterConfigBlockPullsTheChannelAndKeepsFollowing() throws Exception {
    try (TestOrderer source = new TestOrderer(data.resolve("a"))) {
      ServedChannel channel = source.withSampleOrgChannel(8);
      Block joinBlock = source.appendConfigBlockPointingHere(channel);
      source.appendBlocks(channel, 3, 1000);
      long joinNumber = joinBlock.getHeader().getNumber();

      try (TestOrderer node = new TestOrderer(data.resolve("b"));
          AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
              new ChannelParticipationHandler(node.channels, true, 1024 * 1024))) {
        HttpResponse<String> joined = join(admin, joinBlock.toByteArray());
        assertThat(joined.statusCode()).isEqualTo(201);
        assertThat(joined.body()).contains("\"consensusRelation\":\"follower\"");

        org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS).until(
            () -> get(admin, "/participation/v1/channels/sampleorg").contains("\"status\":\"active\""));
        source.appendBlocks(channel, 2, 10);
        long sourceHeight = channel.ledger().height();
        org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS).until(
            () -> get(admin, "/participation/v1/channels/sampleorg").contains("\"height\":" + sourceHeight));
        assertThat(sourceHeight).isGreaterThan(joinNumber + 1);
        // Deliver serves only channels this node orders for, as in Fabric.
        assertThat(node.channels.channel("sampleorg")).isEmpty();
      }

      // The follower's ledger holds the source's blocks byte for byte, and survives a restart.
      try (LedgerDirectory ledgers = LedgerDirectory.open(data.resolve("b"), LedgerOptions.defaults())) {
        BlockStore copy = ledgers.find("sampleorg").orElseThrow();
        assertThat(copy.height()).isEqualTo(channel.ledger().height());
        for (long n = 0; n < copy.height(); n++) {
          assertThat(copy.read(n).toByteArray()).isEqualTo(channel.ledger().read(n).toByteArray());
        }
      }
      try (TestOrderer node = new TestOrderer(data.resolve("b"));
          AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
              new ChannelParticipationHandler(node.channels, true, 1024 * 1024))) {
        assertThat(get(admin, "/participation/v1/channels/sampleorg")).contains("\"consensusRelation\":\"follower\"");
        HttpResponse<String> removed = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin.port() + "/participation/v1/channels/sampleorg")).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(removed.statusCode()).isEqualTo(204);
        assertThat(data.resolve("b/join/sampleorg.join")).doesNotExist();
      }
    }
  }

  @Test
  void aJoinBlockThatIsNotAConfigBlockIsRefused() throws Exception {
    try (TestOrderer source = new TestOrderer(data.resolve("a"))) {
      ServedChannel channel = source.withSampleOrgChannel(3);
      try (TestOrderer node = new TestOrderer(data.resolve("b"));
          AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
              new ChannelParticipationHandler(node.channels, true, 1024 * 1024))) {
        HttpResponse<String> refused = join(admin, channel.ledger().read(2).toByteArray());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).startsWith("{\"error\":\"invalid join block: ");
        assertThat(node.channels.participationIds()).isEmpty();
      }
    }
  }

  private String get(AdminServer admin, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private HttpResponse<String> join(AdminServer admin, byte[] block) throws Exception {
    String boundary = "onboarding-test";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"config-block\"; filename=\"join.block\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(block);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/participation/v1/channels"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
