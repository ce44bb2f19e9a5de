package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigSignature;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jorderer channel config | signconfigtx | update} against a running node. */
class ChannelConfigUpdateCommandTest {
  private static final String NOT_YET = "Status: BAD_REQUEST (400)\nInfo: config updates (CONFIG_UPDATE) are not "
      + "supported by this orderer yet; the channel config was not changed\n";

  @TempDir Path dir;
  private final CommandRun cli = new CommandRun();

  private int run(String... args) {
    return cli.run(args);
  }

  /**
   * An unsigned update envelope as Fabric's test network wraps configtxlator's output: a payload
   * with only a channel header (type CONFIG_UPDATE) and the ConfigUpdateEnvelope without signatures.
   */
  static Envelope unsignedBatchSizeUpdate(ChannelConfig config, String channel, int maxMessageCount) {
    ConfigValue current = config.config().getChannelGroup().getGroupsOrThrow("Orderer").getValuesOrThrow("BatchSize");
    BatchSize size = BatchSize.newBuilder().setMaxMessageCount(maxMessageCount).setAbsoluteMaxBytes(10 * 1024 * 1024)
        .setPreferredMaxBytes(2 * 1024 * 1024).build();
    ConfigUpdate update = ConfigUpdate.newBuilder()
        .setChannelId(channel)
        .setReadSet(ConfigGroup.newBuilder().putGroups("Orderer", ConfigGroup.getDefaultInstance()))
        .setWriteSet(ConfigGroup.newBuilder().putGroups("Orderer", ConfigGroup.newBuilder()
            .putValues("BatchSize", current.toBuilder().setVersion(current.getVersion() + 1)
                .setValue(size.toByteString()).build()).build()))
        .build();
    ChannelHeader header = ChannelHeader.newBuilder().setType(HeaderType.CONFIG_UPDATE_VALUE).setChannelId(channel).build();
    Payload payload = Payload.newBuilder()
        .setHeader(Header.newBuilder().setChannelHeader(header.toByteString()))
        .setData(ConfigUpdateEnvelope.newBuilder().setConfigUpdate(update.toByteString()).build().toByteString())
        .build();
    return Envelope.newBuilder().setPayload(payload.toByteString()).build();
  }

  @Test
  void readSignAndSubmitAConfigUpdate() throws Exception {
    Path data = dir.resolve("data");
    try (StartCommandTest.Running node = StartCommandTest.Running.start(data)) {
      String grpc = "127.0.0.1:" + node.orderer().port();
      Path adminMsp = data.resolve("admin-msp");
      String[] as = {"--address", grpc, "--msp-dir", adminMsp.toString()};

      Path configBlock = dir.resolve("config.block");
      assertThat(run(concat(new String[] {"channel", "config", "-c", "demo", "--block", configBlock.toString()}, as)))
          .as(cli.err()).isZero();
      assertThat(cli.out()).contains("\"channel_group\"").contains("\"max_message_count\": 500");
      ChannelConfig config = ChannelConfig.fromConfigBlock(Block.parseFrom(Files.readAllBytes(configBlock)));

      // signconfigtx: one ConfigSignature by the admin, re-wrapped into an envelope it signed.
      Path update = dir.resolve("update.pb");
      Envelope unsigned = unsignedBatchSizeUpdate(config, "demo", 100);
      Files.write(update, unsigned.toByteArray());
      assertThat(run(concat(new String[] {"channel", "signconfigtx", "-f", update.toString()}, as)))
          .as(cli.err()).isZero();
      LocalSigner admin = LocalSigner.load(adminMsp, "JordererMSP");
      Envelope signed = Envelope.parseFrom(Files.readAllBytes(update));
      Payload payload = Payload.parseFrom(signed.getPayload());
      ChannelHeader header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
      assertThat(header.getType()).isEqualTo(HeaderType.CONFIG_UPDATE_VALUE);
      assertThat(header.getChannelId()).isEqualTo("demo");
      assertThat(header.getTxId()).isEmpty();
      assertThat(header.getTimestamp().getNanos()).isZero();
      assertThat(SignatureHeader.parseFrom(payload.getHeader().getSignatureHeader()).getCreator())
          .isEqualTo(admin.serializedIdentity());
      assertThat(admin.identity().verify(ByteBuffer.wrap(signed.getPayload().toByteArray()),
          signed.getSignature().toByteArray())).isEmpty();
      ConfigUpdateEnvelope updateEnvelope = ConfigUpdateEnvelope.parseFrom(payload.getData());
      assertThat(updateEnvelope.getConfigUpdate())
          .isEqualTo(ConfigUpdateEnvelope.parseFrom(Payload.parseFrom(unsigned.getPayload()).getData()).getConfigUpdate());
      assertThat(updateEnvelope.getSignaturesCount()).isOne();
      ConfigSignature signature = updateEnvelope.getSignatures(0);
      assertThat(SignatureHeader.parseFrom(signature.getSignatureHeader()).getCreator()).isEqualTo(admin.serializedIdentity());
      assertThat(admin.identity().verify(
          ByteBuffer.wrap(signature.getSignatureHeader().concat(updateEnvelope.getConfigUpdate()).toByteArray()),
          signature.getSignature().toByteArray())).isEmpty();

      // update, for another channel than the file's: refused before sending, as peer does.
      assertThat(run(concat(new String[] {"channel", "update", "-c", "other", "-f", update.toString()}, as))).isOne();
      assertThat(cli.err()).contains("mismatched channel ID demo != other");

      // update of an unknown channel: the orderer's answer for a channel it does not serve.
      Path nowhere = dir.resolve("nowhere.pb");
      Files.write(nowhere, unsignedBatchSizeUpdate(config, "nosuch", 100).toByteArray());
      assertThat(run(concat(new String[] {"channel", "update", "-c", "nosuch", "-f", nowhere.toString()}, as))).isOne();
      assertThat(cli.out()).isEqualTo("Status: BAD_REQUEST (400)\nInfo: channel creation request not allowed "
          + "because the orderer system channel is not defined\n");

      // update of demo: the orderer's answer printed; SUCCESS once the server processes config updates.
      int code = run(concat(new String[] {"channel", "update", "-c", "demo", "-f", update.toString(), "--as-is"}, as));
      assertThat(cli.out()).isIn("Status: SUCCESS (200)\n", NOT_YET);
      assertThat(code).isEqualTo(cli.out().equals(NOT_YET) ? 1 : 0);
      if (code == 0) {
        // The config block is written after the answer: poll until it is there.
        long deadline = System.nanoTime() + 20_000_000_000L;
        boolean updated = false;
        while (!updated && System.nanoTime() < deadline) {
          updated = run(concat(new String[] {"channel", "config", "-c", "demo"}, as)) == 0
              && cli.out().contains("\"max_message_count\": 100");
        }
        assertThat(updated).as("config block with max_message_count 100").isTrue();
      }
    }
  }

  @Test
  void signconfigtxRefusesWhatIsNotAConfigUpdate() throws Exception {
    Path file = dir.resolve("not-an-update.pb");
    Envelope message = Envelope.newBuilder().setPayload(Payload.newBuilder().setHeader(Header.newBuilder()
        .setChannelHeader(ChannelHeader.newBuilder().setType(HeaderType.MESSAGE_VALUE).setChannelId("demo").build()
            .toByteString())).build().toByteString()).build();
    Files.write(file, message.toByteArray());
    Path msp = Path.of(System.getProperty("jorderer.vectors")).resolve("msp");
    assertThat(run("channel", "signconfigtx", "-f", file.toString(), "--msp-dir", msp.toString(), "--msp-id", "SampleOrg"))
        .isOne();
    assertThat(cli.err()).isEqualTo("Error: Invalid channel create transaction : bad type\n");
    assertThat(Files.readAllBytes(file)).isEqualTo(message.toByteArray());
  }

  @Test
  void helpShowsExamples() {
    assertThat(run("channel", "update", "--help")).isZero();
    assertThat(cli.out()).contains("jorderer channel update -c mychannel -f update.pb");
    assertThat(run("channel", "signconfigtx", "--help")).isZero();
    assertThat(cli.out()).contains("jorderer channel signconfigtx -f update.pb");
    assertThat(run("channel", "config", "--help")).isZero();
    assertThat(cli.out()).contains("jorderer channel config -c mychannel");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
