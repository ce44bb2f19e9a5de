package org.jorderer.channel.bench;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Signature checks per second on one thread, per provider: a bare JCA verify of an envelope's
 * payload, against the same envelope going through the identity cache and the channel's
 * /Channel/Writers policy (the Broadcast path). The vectors channel and the sample MSP are used;
 * payloads are 1.2 KB.
 *
 * <p>Run: {@code java -cp <test classpath> org.openjdk.jmh.Main SignatureVerificationBenchmark
 * -Djorderer.vectors=testdata/fabric} (the property is passed to the fork via
 * {@code -jvmArgsAppend}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
public class SignatureVerificationBenchmark {
  @Param({"CONSCRYPT", "BOUNCY_CASTLE", "JDK"})
  public String provider;

  private CryptoProvider crypto;
  private ChannelConfig config;
  private Envelope envelope;
  private List<SignedData> signedData;
  private PublicKey key;
  private ByteBuffer payload;
  private byte[] signature;
  private Instant now;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path vectors = Path.of(System.getProperty("jorderer.vectors", "testdata/fabric"));
    crypto = CryptoProvider.of(CryptoProvider.Kind.valueOf(provider));
    config = ChannelConfig.fromConfigBlock(Block.parseFrom(Files.readAllBytes(vectors.resolve("blocks/vectors-0.block"))), crypto);
    LocalSigner signer = LocalSigner.load(vectors.resolve("msp"), "SampleOrg", crypto);
    Payload body = Payload.newBuilder()
        .setHeader(Header.newBuilder()
            .setChannelHeader(ChannelHeader.newBuilder().setType(HeaderType.MESSAGE_VALUE).setChannelId("vectors")
                .build().toByteString())
            .setSignatureHeader(SignatureHeader.newBuilder().setCreator(signer.serializedIdentity())
                .setNonce(ByteString.copyFrom(new byte[24])).build().toByteString()))
        .setData(ByteString.copyFrom(new byte[1200 - 900]))
        .build();
    byte[] payloadBytes = body.toByteArray();
    signature = signer.sign(payloadBytes);
    envelope = Envelope.newBuilder().setPayload(ByteString.copyFrom(payloadBytes)).setSignature(ByteString.copyFrom(signature)).build();
    signedData = SignedData.fromEnvelope(envelope);
    key = crypto.importPublicKey(signer.identity().certificate().getPublicKey());
    payload = ByteBuffer.wrap(payloadBytes);
    now = Instant.parse("2026-11-26T00:00:00Z");
    if (!config.evaluate(PolicyTree.CHANNEL_WRITERS, signedData).satisfied() || !bareVerify()) {
      throw new IllegalStateException("benchmark fixture does not verify");
    }
  }

  /** One JCA verify of the payload: the floor for everything else. */
  @Benchmark
  public boolean bareVerify() throws Exception {
    payload.rewind();
    return crypto.verify(key, "SHA256withECDSA", payload, signature);
  }

  /** Identity cache + low-S + verify + principal checks, via /Channel/Writers (implicit → org policy). */
  @Benchmark
  public PolicyResult writersPolicy() {
    return config.evaluate(PolicyTree.CHANNEL_WRITERS, signedData);
  }

  /**
   * What Broadcast runs per envelope, through the channel's message processor: maintenance, empty,
   * size, expiry, payload parse, then the Writers policy.
   */
  @Benchmark
  public org.jorderer.channel.processor.Verdict broadcastChecks() {
    return org.jorderer.channel.support.BroadcastRules.verdict(config, envelope, now);
  }
}
