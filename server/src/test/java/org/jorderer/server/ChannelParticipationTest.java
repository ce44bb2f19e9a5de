package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Status;
import org.jorderer.ledger.testing.Vectors;
import org.jorderer.server.participation.AdminServer;
import org.jorderer.server.participation.ChannelParticipationHandler;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The channel participation API over real HTTP, as osnadmin talks to it. */
class ChannelParticipationTest {
  @TempDir Path data;
  private TestOrderer orderer;
  private AdminServer admin;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    orderer = new TestOrderer(data);
    admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
        new ChannelParticipationHandler(orderer.channels, true, 1024 * 1024));
  }

  @AfterEach
  void stop() {
    admin.close();
    orderer.close();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + admin.port() + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> join(byte[] block) throws Exception {
    return postMultipart("config-block", block);
  }

  /** What osnadmin sends: one file part named config-block. */
  private HttpResponse<String> postMultipart(String field, byte[] content) throws Exception {
    String boundary = "jorderer-test-boundary";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
        + "\"; filename=\"channel.block\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(content);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri("/participation/v1/channels"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void joinListShowAndRemoveAsFabricAnswers() throws Exception {
    HttpResponse<String> empty = get("/participation/v1/channels");
    assertThat(empty.statusCode()).isEqualTo(200);
    assertThat(empty.body()).isEqualTo("{\"systemChannel\":null,\"channels\":null}\n");
    assertThat(empty.headers().firstValue("Content-Type")).contains("application/json");

    HttpResponse<String> joined = join(Vectors.blockBytes("sampleorg-solo-genesis.block"));
    assertThat(joined.statusCode()).isEqualTo(201);
    assertThat(joined.headers().firstValue("Location")).contains("/participation/v1/channels/sampleorg");
    assertThat(joined.body()).isEqualTo("{\"name\":\"sampleorg\",\"url\":\"/participation/v1/channels/sampleorg\","
        + "\"consensusRelation\":\"other\",\"status\":\"active\",\"height\":1}\n");

    assertThat(get("/participation/v1/channels").body()).isEqualTo(
        "{\"systemChannel\":null,\"channels\":[{\"name\":\"sampleorg\",\"url\":\"/participation/v1/channels/sampleorg\"}]}\n");
    HttpResponse<String> one = get("/participation/v1/channels/sampleorg");
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.headers().firstValue("Cache-Control")).contains("no-store");

    HttpResponse<String> again = join(Vectors.blockBytes("sampleorg-solo-genesis.block"));
    assertThat(again.statusCode()).isEqualTo(405);
    assertThat(again.headers().firstValue("Allow")).contains("GET, DELETE");
    assertThat(again.body()).isEqualTo("{\"error\":\"cannot join: channel already exists\"}\n");

    // A Deliver stream waiting on the channel when it is removed ends with SERVICE_UNAVAILABLE.
    try (DeliverClient waiting = orderer.deliver()) {
      waiting.send(new SeekRequests(TestOrderer.SIGNER).envelope("sampleorg", seek(specified(1), specified(1))));
      org.awaitility.Awaitility.await().until(
          () -> orderer.channels.channel("sampleorg").orElseThrow().ledger().waitingCursors() == 1);
      HttpResponse<String> removed = http.send(
          HttpRequest.newBuilder(uri("/participation/v1/channels/sampleorg")).DELETE().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(removed.statusCode()).isEqualTo(204);
      assertThat(waiting.next(10).getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
    }
    assertThat(data.resolve("chains/sampleorg")).doesNotExist();
    assertThat(get("/participation/v1/channels/sampleorg").statusCode()).isEqualTo(404);
    HttpResponse<String> gone = http.send(HttpRequest.newBuilder(uri("/participation/v1/channels/sampleorg")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(gone.body()).isEqualTo("{\"error\":\"cannot remove: channel does not exist\"}\n");
    // and it can be joined again from scratch
    assertThat(join(Vectors.blockBytes("sampleorg-solo-genesis.block")).statusCode()).isEqualTo(201);
  }

  @Test
  void aChannelOfAnotherConsensusTypeIsRefusedAndLeavesNothingBehind() throws Exception {
    org.hyperledger.fabric.protos.common.Block sampleorg = Vectors.parseBlock("sampleorg-solo-genesis.block");
    org.hyperledger.fabric.protos.common.Config config =
        org.jorderer.channel.ChannelConfig.fromConfigBlock(sampleorg).config();
    var channelGroup = config.getChannelGroup().toBuilder();
    var ordererGroup = channelGroup.getGroupsOrThrow("Orderer").toBuilder();
    ordererGroup.putValues("ConsensusType", ordererGroup.getValuesOrThrow("ConsensusType").toBuilder()
        .setValue(org.hyperledger.fabric.protos.orderer.ConsensusType.newBuilder().setType("etcdraft").build().toByteString())
        .build());
    channelGroup.putGroups("Orderer", ordererGroup.build());
    org.hyperledger.fabric.protos.common.Block raft = org.jorderer.channel.genesis.GenesisBlock.of("raftchannel",
        config.toBuilder().setChannelGroup(channelGroup).build(), org.jorderer.server.support.TestClock.SAMPLE_ORG_ERA);

    HttpResponse<String> refused = join(raft.toByteArray());
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).isEqualTo("{\"error\":\"invalid join block: channel raftchannel uses consensus type"
        + " 'etcdraft' and this node has no cluster listener: set General.Cluster.ListenPort, ListenAddress,"
        + " ServerCertificate and ServerPrivateKey in orderer.yaml (jorderer runs Raft on a listener of its own,"
        + " see docs/raft.md)\"}\n");
    assertThat(data.resolve("chains/raftchannel")).doesNotExist();
    assertThat(orderer.channels.channelIds()).isEmpty();
  }

  @Test
  void joinedChannelsComeBackAfterARestart() throws Exception {
    assertThat(join(Vectors.blockBytes("sampleorg-solo-genesis.block")).statusCode()).isEqualTo(201);
    admin.close();
    orderer.close();
    orderer = new TestOrderer(data);
    admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
        new ChannelParticipationHandler(orderer.channels, true, 1024 * 1024));
    assertThat(get("/participation/v1/channels/sampleorg").statusCode()).isEqualTo(200);
  }

  @Test
  void badRequestsGetFabricsErrors() throws Exception {
    HttpResponse<String> notABlock = join("garbage".getBytes(StandardCharsets.UTF_8));
    assertThat(notABlock.statusCode()).isEqualTo(400);
    assertThat(notABlock.body()).startsWith("{\"error\":\"cannot unmarshal file part config-block into a block: ");

    HttpResponse<String> notConfig = join(Vectors.blockBytes("vectors-1.block"));
    assertThat(notConfig.statusCode()).isEqualTo(400);
    assertThat(notConfig.body()).startsWith("{\"error\":\"invalid join block: ");

    HttpResponse<String> system = join(Vectors.blockBytes("system-channel-devmode-solo-genesis.block"));
    assertThat(system.statusCode()).isEqualTo(400);
    assertThat(system.body()).isEqualTo("{\"error\":\"invalid join block: system channel not supported\"}\n");

    HttpResponse<String> wrongField = postMultipart("block", Vectors.blockBytes("sampleorg-solo-genesis.block"));
    assertThat(wrongField.statusCode()).isEqualTo(400);
    assertThat(wrongField.body()).isEqualTo("{\"error\":\"form does not contains part key: config-block\"}\n");

    HttpResponse<String> json = http.send(HttpRequest.newBuilder(uri("/participation/v1/channels"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).isEqualTo(400);
    assertThat(json.body()).isEqualTo("{\"error\":\"unsupported Content-Type: [application/json]\"}\n");

    HttpResponse<String> badId = get("/participation/v1/channels/Bad_ID");
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(badId.body()).contains("invalid channel ID");

    HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri("/participation/v1/channels"))
        .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(put.headers().firstValue("Allow")).contains("GET, POST");
    assertThat(put.body()).isEqualTo("{\"error\":\"invalid request method: PUT\"}\n");
    for (String method : java.util.List.of("POST", "PUT", "DELETE", "PATCH")) {
      HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri("/participation/v1/"))
          .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).as(method + " on the base path").isEqualTo(405);
      assertThat(wrong.headers().firstValue("Allow")).contains("GET");
      HttpResponse<String> one = http.send(HttpRequest.newBuilder(uri("/participation/v1/channels/some"))
          .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(one.statusCode()).as(method + " on a channel").isEqualTo(method.equals("DELETE") ? 404 : 405);
    }

    HttpResponse<String> html = http.send(HttpRequest.newBuilder(uri("/participation/v1/channels"))
        .header("Accept", "text/html").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(html.statusCode()).isEqualTo(406);

    HttpResponse<String> base = http.send(HttpRequest.newBuilder(uri("/participation/v1/")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(base.statusCode()).isEqualTo(302);
    assertThat(orderer.channels.channelIds()).isEmpty();
  }
}
