package org.jorderer.channel.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.common.Status;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.configtx.ConfigTxValidator;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.support.Vectors;
import org.junit.jupiter.api.Test;

/**
 * Replays orderer A's config-update submissions (vectors 2..25 of
 * {@code testdata/fabric/config-updates}) in order, from {@code cfgchan-0.block}, through the
 * message processor: every answer must be Fabric v2.4.9's byte for byte, and every accepted update
 * must produce the config Fabric put into {@code cfgchan-1..4.block}.
 */
class ConfigUpdateVectorsTest {
  // Inside every certificate's validity (SampleOrg until 2027-11-10, cryptogen's from 2026-12-01).
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T20:30:00Z"), ZoneOffset.UTC);

  record Answer(int order, String file, String orderer, Status status, String info) {}

  static Path dir() {
    return Vectors.root().resolve("config-updates");
  }

  static List<Answer> answers() throws IOException {
    ListValue.Builder list = ListValue.newBuilder();
    JsonFormat.parser().merge(Files.readString(dir().resolve("answers.json"), StandardCharsets.UTF_8), list);
    List<Answer> out = new ArrayList<>();
    for (Value value : list.getValuesList()) {
      Struct s = value.getStructValue();
      out.add(new Answer((int) s.getFieldsOrThrow("order").getNumberValue(), s.getFieldsOrThrow("file").getStringValue(),
          s.getFieldsOrThrow("orderer").getStringValue(), Status.valueOf(s.getFieldsOrThrow("status").getStringValue()),
          s.getFieldsOrThrow("info").getStringValue()));
    }
    return out;
  }

  static Envelope envelope(String file) throws IOException {
    return Envelope.parseFrom(Files.readAllBytes(dir().resolve(file)));
  }

  static Block block(String file) throws IOException {
    return Block.parseFrom(Files.readAllBytes(dir().resolve(file)));
  }

  static ConfigEnvelope configEnvelopeOf(Envelope envelope) throws IOException {
    return ConfigEnvelope.parseFrom(Payload.parseFrom(envelope.getPayload()).getData());
  }

  static LocalSigner sampleOrg() throws IOException {
    return LocalSigner.load(Vectors.msp(), "SampleOrg");
  }

  @Test
  void ordererASequenceGivesFabricsAnswersAndConfigs() throws Exception {
    AtomicReference<ChannelConfig> current =
        new AtomicReference<>(ChannelConfig.fromConfigBlock(block("cfgchan-0.block")));
    assertThat(current.get().sequence()).isEqualTo(1);
    LocalSigner signer = sampleOrg();
    MessageProcessor processor = new MessageProcessor("cfgchan", current::get, signer, CLOCK, true);
    int nextBlock = 1;
    List<Integer> replayed = new ArrayList<>();
    for (Answer answer : answers()) {
      // 1 created the channel (through orderer A's system channel); 11 is for an unknown channel:
      // routing it is the server's business. 26.. ran on orderer B.
      if (!answer.orderer().equals("A") || answer.order() < 2 || answer.order() == 11) {
        continue;
      }
      replayed.add(answer.order());
      Envelope envelope = envelope(answer.file());
      ChannelHeader header = ChannelHeader.parseFrom(Payload.parseFrom(envelope.getPayload()).getHeader().getChannelHeader());
      assertThat(header.getChannelId()).isEqualTo("cfgchan");
      Verdict verdict;
      switch (MessageProcessor.classify(header)) {
        case CONFIG -> verdict = Verdict.CANNOT_PROCESS_DIRECTLY;
        case NORMAL -> verdict = processor.processNormal(envelope).verdict();
        case CONFIG_UPDATE -> {
          ConfigResult result = processor.processConfigUpdate(envelope);
          verdict = result.verdict();
          if (result.accepted()) {
            assertThat(result.configSequence()).as("vector %d", answer.order()).isEqualTo(current.get().sequence());
            Envelope config = result.config().orElseThrow();
            ConfigEnvelope ours = configEnvelopeOf(config);
            ConfigEnvelope fabrics = configEnvelopeOf(Envelope.parseFrom(
                block("cfgchan-" + nextBlock + ".block").getData().getData(0)));
            assertThat(ours.getConfig()).as("vector %d -> cfgchan-%d", answer.order(), nextBlock)
                .isEqualTo(fabrics.getConfig());
            assertThat(ours.getLastUpdate().toByteString()).isEqualTo(envelope.toByteString());
            assertThat(fabrics.getLastUpdate().toByteString()).isEqualTo(envelope.toByteString());
            assertOrdererMade(config, signer, fabrics);
            // What the block writer checks before writing it (Fabric's ChainSupport.Validate).
            new ConfigTxValidator(current.get()).validate(ours);
            ChannelConfig next = result.newConfig().orElseThrow();
            assertThat(next.config()).isEqualTo(fabrics.getConfig());
            current.set(next);
            nextBlock++;
          }
        }
        default -> throw new AssertionError();
      }
      assertThat(verdict.status()).as("status of vector %d (%s)", answer.order(), answer.file()).isEqualTo(answer.status());
      assertThat(verdict.info()).as("info of vector %d (%s)", answer.order(), answer.file()).isEqualTo(answer.info());
    }
    assertThat(replayed).hasSize(23);
    assertThat(nextBlock).as("accepted updates").isEqualTo(5);
  }

  @Test
  void ordererBRaftChannelUpdateAndItsReplay() throws Exception {
    AtomicReference<ChannelConfig> current =
        new AtomicReference<>(ChannelConfig.fromConfigBlock(block("cfgraft-0.block")));
    MessageProcessor processor = new MessageProcessor("cfgraft", current::get, sampleOrg(), CLOCK, true);
    List<Answer> answers = answers().stream().filter(a -> a.order() == 28 || a.order() == 29).toList();
    assertThat(answers).hasSize(2);

    ConfigResult accepted = processor.processConfigUpdate(envelope(answers.get(0).file()));
    assertThat(accepted.verdict()).isEqualTo(new Verdict(answers.get(0).status(), answers.get(0).info()));
    assertThat(configEnvelopeOf(accepted.config().orElseThrow()).getConfig()).isEqualTo(
        configEnvelopeOf(Envelope.parseFrom(block("cfgraft-1.block").getData().getData(0))).getConfig());
    current.set(accepted.newConfig().orElseThrow());

    ConfigResult replay = processor.processConfigUpdate(envelope(answers.get(1).file()));
    assertThat(replay.verdict()).isEqualTo(new Verdict(answers.get(1).status(), answers.get(1).info()));
  }

  /** The CONFIG envelope is shaped as Fabric's CreateSignedEnvelope makes it, and signed by the orderer. */
  static void assertOrdererMade(Envelope config, LocalSigner signer, ConfigEnvelope fabrics) throws Exception {
    Payload payload = Payload.parseFrom(config.getPayload());
    ChannelHeader header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
    assertThat(header.getType()).isEqualTo(HeaderType.CONFIG_VALUE);
    assertThat(header.getChannelId()).isEqualTo("cfgchan");
    assertThat(header.getTxId()).isEmpty();
    assertThat(header.getEpoch()).isZero();
    assertThat(header.getVersion()).isZero();
    assertThat(header.getTimestamp().getSeconds()).isEqualTo(CLOCK.instant().getEpochSecond());
    assertThat(header.getTimestamp().getNanos()).isZero();
    SignatureHeader signatureHeader = SignatureHeader.parseFrom(payload.getHeader().getSignatureHeader());
    assertThat(signatureHeader.getCreator()).isEqualTo(signer.serializedIdentity());
    assertThat(signatureHeader.getNonce().size()).isEqualTo(24);
    assertThat(signer.identity().verify(ByteBuffer.wrap(config.getPayload().toByteArray()), config.getSignature().toByteArray()))
        .isEmpty();
  }
}
