package org.jorderer.channel.bench;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.msp.LocalSigner;
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

/** Blocks of 500 envelopes (1.2 KB each) created, hashed and signed per second, on one thread. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
public class BlockBuildBenchmark {
  @Param({"CONSCRYPT", "BOUNCY_CASTLE"})
  public String provider;

  private BlockBuilder builder;
  private List<Envelope> envelopes;
  private List<ByteString> serialized;
  private long sequence;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path vectors = Path.of(System.getProperty("jorderer.vectors", "testdata/fabric"));
    CryptoProvider crypto = CryptoProvider.of(CryptoProvider.Kind.valueOf(provider));
    LocalSigner signer = LocalSigner.load(vectors.resolve("msp"), "SampleOrg", crypto);
    Block genesis = Block.parseFrom(Files.readAllBytes(vectors.resolve("blocks/vectors-0.block")));
    sequence = 1;
    builder = new BlockBuilder(genesis, sequence, signer);
    envelopes = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      Payload payload = Payload.newBuilder()
          .setHeader(Header.newBuilder()
              .setChannelHeader(ChannelHeader.newBuilder().setType(HeaderType.MESSAGE_VALUE).setChannelId("vectors")
                  .setTxId("tx" + i).build().toByteString())
              .setSignatureHeader(SignatureHeader.newBuilder().setCreator(signer.serializedIdentity())
                  .setNonce(ByteString.copyFrom(new byte[24])).build().toByteString()))
          .setData(ByteString.copyFrom(new byte[1200 - 900]))
          .build();
      byte[] bytes = payload.toByteArray();
      envelopes.add(Envelope.newBuilder().setPayload(ByteString.copyFrom(bytes))
          .setSignature(ByteString.copyFrom(signer.sign(bytes))).build());
    }
    serialized = envelopes.stream().map(Envelope::toByteString).toList();
  }

  /** Fabric's path: envelopes re-serialized into the block, data hash, header hash, one signature. */
  @Benchmark
  public Block buildAndSign500() {
    return builder.commit(builder.createNextBlock(envelopes), sequence, ByteString.EMPTY);
  }

  /** Same, reusing the bytes as received (no re-serialization). */
  @Benchmark
  public Block buildAndSign500FromBytes() {
    return builder.commit(builder.createNextBlockFromBytes(serialized), sequence, ByteString.EMPTY);
  }
}
