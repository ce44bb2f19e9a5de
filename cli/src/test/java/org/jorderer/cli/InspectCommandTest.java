package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.ledger.rwset.NsReadWriteSet;
import org.hyperledger.fabric.protos.ledger.rwset.TxReadWriteSet;
import org.hyperledger.fabric.protos.ledger.rwset.kvrwset.KVRWSet;
import org.hyperledger.fabric.protos.ledger.rwset.kvrwset.KVWrite;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.Consenter;
import org.hyperledger.fabric.protos.peer.ChaincodeAction;
import org.hyperledger.fabric.protos.peer.ChaincodeActionPayload;
import org.hyperledger.fabric.protos.peer.ChaincodeEndorsedAction;
import org.hyperledger.fabric.protos.peer.ProposalResponsePayload;
import org.hyperledger.fabric.protos.peer.Transaction;
import org.hyperledger.fabric.protos.peer.TransactionAction;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
  @TempDir Path dir;
  private final CommandRun cli = new CommandRun();

  private int run(String... args) {
    return cli.run(args);
  }

  private JsonObject inspect(Path file, String... options) {
    String[] args = new String[options.length + 2];
    args[0] = "inspect";
    System.arraycopy(options, 0, args, 1, options.length);
    args[args.length - 1] = file.toString();
    assertThat(run(args)).as(cli.err()).isZero();
    return JsonParser.parseString(cli.out()).getAsJsonObject();
  }

  /** Walks a path like {@code data.data[0].payload}; fails with the path if a step is missing. */
  private static JsonElement at(JsonElement root, String path) {
    JsonElement e = root;
    for (String step : path.split("\\.")) {
      String name = step.contains("[") ? step.substring(0, step.indexOf('[')) : step;
      assertThat(e.isJsonObject()).as("%s: parent of %s is not an object", path, step).isTrue();
      assertThat(e.getAsJsonObject().has(name)).as("%s: no %s", path, name).isTrue();
      e = e.getAsJsonObject().get(name);
      if (step.contains("[")) {
        e = e.getAsJsonArray().get(Integer.parseInt(step.substring(step.indexOf('[') + 1, step.indexOf(']'))));
      }
    }
    return e;
  }

  private static String str(JsonElement root, String path) {
    return at(root, path).getAsString();
  }

  @Test
  void genesisBlockShowsTheDecodedConfig() {
    JsonObject block = inspect(Vectors.block("vectors-0.block"));
    assertThat(str(block, "header.number")).isEqualTo("0");
    JsonElement payload = at(block, "data.data[0].payload");
    assertThat(str(payload, "header.channel_header.channel_id")).isEqualTo("vectors");
    assertThat(at(payload, "header.channel_header.type").getAsInt()).isEqualTo(1); // CONFIG
    assertThat(str(payload, "header.signature_header.creator.mspid")).isEqualTo("SampleOrg");
    assertThat(str(payload, "header.signature_header.creator.id_bytes")).startsWith("-----BEGIN CERTIFICATE-----\n");

    JsonElement channel = at(payload, "data.config.channel_group");
    JsonElement orderer = at(channel, "groups.Orderer.values");
    assertThat(at(orderer, "BatchSize.value.max_message_count").getAsInt()).isEqualTo(500);
    assertThat(str(orderer, "BatchTimeout.value.timeout")).isEqualTo("2s");
    assertThat(str(orderer, "ConsensusType.value.type")).isEqualTo("solo");
    assertThat(str(channel, "values.HashingAlgorithm.value.name")).isEqualTo("SHA256");
    assertThat(at(channel, "values.Capabilities.value.capabilities").getAsJsonObject().has("V2_0")).isTrue();

    JsonElement msp = at(channel, "groups.Application.groups.SampleOrg.values.MSP.value");
    assertThat(at(msp, "type").getAsInt()).isZero();
    assertThat(str(msp, "config.name")).isEqualTo("SampleOrg");
    assertThat(at(msp, "config.root_certs").getAsJsonArray().get(0).getAsString())
        .startsWith("-----BEGIN CERTIFICATE-----");
    JsonElement admins = at(channel, "groups.Application.groups.SampleOrg.policies.Admins.policy");
    assertThat(at(admins, "type").getAsInt()).isEqualTo(1); // SIGNATURE
    assertThat(str(admins, "value.identities[0].principal.msp_identifier")).isEqualTo("SampleOrg");
    assertThat(str(admins, "value.identities[0].principal.role")).isEqualTo("MEMBER");
    assertThat(str(channel, "groups.Orderer.policies.Admins.policy.value.rule")).isEqualTo("MAJORITY");

    // The genesis block's last_update is absent; slot 1 (LAST_CONFIG) points at block 0.
    assertThat(str(block, "metadata.metadata[1].value.index")).isEqualTo("0");
    assertThat(at(block, "metadata.metadata[0].value").isJsonObject()).isTrue();
  }

  @Test
  void aBlockOfMessagesShowsEachEnvelopeAndTheSignedMetadata() {
    JsonObject block = inspect(Vectors.block("vectors-1.block"));
    assertThat(str(block, "header.number")).isEqualTo("1");
    JsonArray envelopes = at(block, "data.data").getAsJsonArray();
    assertThat(envelopes).hasSize(5);
    for (JsonElement envelope : envelopes) {
      assertThat(at(envelope, "payload.header.channel_header.type").getAsInt()).isZero(); // MESSAGE
      assertThat(str(envelope, "payload.header.channel_header.channel_id")).isEqualTo("vectors");
      // A MESSAGE payload is opaque: base64, as protobuf's JSON mapping writes bytes.
      assertThat(Base64.getDecoder().decode(str(envelope, "payload.data"))).isNotEmpty();
    }
    assertThat(str(block, "metadata.metadata[0].value.last_config.index")).isEqualTo("0");
    assertThat(str(block, "metadata.metadata[0].signatures[0].signature_header.creator.mspid")).isEqualTo("SampleOrg");
    assertThat(str(block, "metadata.metadata[1].value.index")).isEqualTo("0");
  }

  @Test
  void aBroadcastMessageEnvelope() {
    JsonObject env = inspect(Vectors.envelope("broadcast-vectors-message.env"));
    assertThat(str(env, "payload.header.channel_header.channel_id")).isEqualTo("vectors");
    assertThat(at(env, "payload.header.channel_header.type").getAsInt()).isZero();
    assertThat(Base64.getDecoder().decode(str(env, "signature"))).isNotEmpty();
  }

  @Test
  void aSeekEnvelopeShowsItsSeekInfo() {
    JsonObject env = inspect(Vectors.envelope("seek-vectors-1-to-2.env"));
    assertThat(at(env, "payload.header.channel_header.type").getAsInt()).isEqualTo(5); // DELIVER_SEEK_INFO
    JsonElement seek = at(env, "payload.data");
    assertThat(str(seek, "start.specified.number")).isEqualTo("1");
    assertThat(str(seek, "stop.specified.number")).isEqualTo("2");
    assertThat(str(seek, "behavior")).isEqualTo("BLOCK_UNTIL_READY");
  }

  @Test
  void aChannelCreationTransactionShowsItsWriteSet() {
    JsonObject env = inspect(Vectors.envelope("create-channel-vectors.tx"));
    assertThat(at(env, "payload.header.channel_header.type").getAsInt()).isEqualTo(2); // CONFIG_UPDATE
    JsonElement update = at(env, "payload.data.config_update");
    assertThat(str(update, "channel_id")).isEqualTo("vectors");
    assertThat(str(update, "write_set.values.Consortium.value.name")).isEqualTo("SampleConsortium");
    JsonElement app = at(update, "write_set.groups.Application");
    assertThat(str(app, "version")).isEqualTo("1");
    assertThat(app.getAsJsonObject().getAsJsonObject("groups").has("SampleOrg")).isTrue();
    assertThat(str(app, "policies.Readers.policy.value.rule")).isEqualTo("ANY");
    assertThat(str(app, "values.ACLs.value.acls.peer/Propose.policy_ref")).isEqualTo("/Channel/Application/Writers");
  }

  @Test
  void typeCanBeForcedAndOutputWrittenToAFile() throws Exception {
    Path json = dir.resolve("out.json");
    assertThat(run("inspect", "--type", "envelope", "--output", json.toString(),
        Vectors.envelope("seek-vectors-1-to-2.env").toString())).as(cli.err()).isZero();
    assertThat(cli.out()).isEmpty();
    JsonObject env = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertThat(str(env, "payload.data.start.specified.number")).isEqualTo("1");
  }

  @Test
  void anEndorserTransactionIsDecodedDownToItsWrites() throws Exception {
    KVRWSet kv = KVRWSet.newBuilder()
        .addWrites(KVWrite.newBuilder().setKey("asset1").setValue(ByteString.copyFromUtf8("blue"))).build();
    ChaincodeAction action = ChaincodeAction.newBuilder()
        .setResults(TxReadWriteSet.newBuilder()
            .addNsRwset(NsReadWriteSet.newBuilder().setNamespace("basic").setRwset(kv.toByteString()))
            .build().toByteString())
        .build();
    ChaincodeActionPayload cap = ChaincodeActionPayload.newBuilder()
        .setAction(ChaincodeEndorsedAction.newBuilder().setProposalResponsePayload(
            ProposalResponsePayload.newBuilder().setExtension(action.toByteString()).build().toByteString()))
        .build();
    Transaction tx = Transaction.newBuilder()
        .addActions(TransactionAction.newBuilder().setPayload(cap.toByteString())).build();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(
            ChannelHeader.newBuilder().setType(3).setChannelId("vectors").build().toByteString()))
        .setData(tx.toByteString())
        .build();
    Path file = dir.resolve("tx.env");
    Files.write(file, Envelope.newBuilder().setPayload(payload.toByteString()).build().toByteArray());

    JsonObject env = inspect(file);
    JsonElement write = at(env, "payload.data.actions[0].payload.action.proposal_response_payload"
        + ".extension.results.ns_rwset[0].rwset.writes[0]");
    assertThat(str(write, "key")).isEqualTo("asset1");
    assertThat(new String(Base64.getDecoder().decode(str(write, "value")), StandardCharsets.UTF_8)).isEqualTo("blue");
  }

  @Test
  void raftConsensusMetadataIsDecodedWithItsCertificatesAsPem() throws Exception {
    String pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    ConfigMetadata raft = ConfigMetadata.newBuilder()
        .addConsenters(Consenter.newBuilder().setHost("orderer0.example.com").setPort(7050)
            .setClientTlsCert(ByteString.copyFromUtf8(pem)).setServerTlsCert(ByteString.copyFromUtf8(pem)))
        .build();
    ConsensusType consensus = ConsensusType.newBuilder().setType("etcdraft").setMetadata(raft.toByteString()).build();
    Config config = Config.newBuilder().setSequence(3).setChannelGroup(ConfigGroup.newBuilder()
        .putGroups("Orderer", ConfigGroup.newBuilder()
            .putValues("ConsensusType", ConfigValue.newBuilder().setValue(consensus.toByteString()).build())
            .putValues("Unheard", ConfigValue.newBuilder().setValue(ByteString.copyFromUtf8("?")).build())
            .build()))
        .build();
    Path file = dir.resolve("config.pb");
    Files.write(file, config.toByteArray());

    JsonObject json = inspect(file, "--type", "config");
    assertThat(str(json, "sequence")).isEqualTo("3");
    JsonElement values = at(json, "channel_group.groups.Orderer.values");
    assertThat(str(values, "ConsensusType.value.type")).isEqualTo("etcdraft");
    JsonElement consenter = at(values, "ConsensusType.value.metadata.consenters[0]");
    assertThat(str(consenter, "host")).isEqualTo("orderer0.example.com");
    assertThat(at(consenter, "port").getAsInt()).isEqualTo(7050);
    assertThat(str(consenter, "client_tls_cert")).isEqualTo(pem);
    // A key protolator knows nothing of keeps its bytes, base64.
    assertThat(str(values, "Unheard.value")).isEqualTo(Base64.getEncoder().encodeToString("?".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void garbageIsRefusedWithAMessage() throws Exception {
    Path file = dir.resolve("garbage.bin");
    Files.write(file, new byte[] {(byte) 0xff, 0x00, 0x13});
    assertThat(run("inspect", file.toString())).isOne();
    assertThat(cli.err()).contains("neither a common.Block nor a common.Envelope").doesNotContain("Exception");
    assertThat(cli.out()).isEmpty();

    Files.writeString(file, "hello, not protobuf\n");
    assertThat(run("inspect", file.toString())).isOne();

    assertThat(run("inspect", "--type", "block", file.toString())).isOne();
    assertThat(cli.err()).contains("not a common.Block");
  }

  @Test
  void aMissingFileIsRefusedWithAMessage() {
    assertThat(run("inspect", dir.resolve("nope.block").toString())).isOne();
    assertThat(cli.err()).contains("nope.block: cannot read");
  }
}
