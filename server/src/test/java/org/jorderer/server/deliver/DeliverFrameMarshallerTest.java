package org.jorderer.server.deliver;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Drainable;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.junit.jupiter.api.Test;

class DeliverFrameMarshallerTest {
  private final DeliverFrameMarshaller marshaller = new DeliverFrameMarshaller();

  private static Block block() {
    return Block.newBuilder().setHeader(BlockHeader.newBuilder().setNumber(7)).build();
  }

  @Test
  void aDrainedFrameIsTheDeliverResponseOfTheStoredBytesAndSaysItWasConsumed() throws Exception {
    Block block = block();
    DeliverFrame frame = DeliverFrame.block(ByteBuffer.wrap(block.toByteArray()));
    InputStream stream = marshaller.stream(frame);
    assertThat(frame.drained()).isFalse();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int written = ((Drainable) stream).drainTo(out);
    assertThat(written).isEqualTo(frame.size());
    assertThat(frame.drained()).isTrue();
    assertThat(out.toByteArray()).isEqualTo(DeliverResponse.newBuilder().setBlock(block).build().toByteArray());
  }

  @Test
  void aFrameReadPartlyIsNotConsumedUntilItsLastByte() throws Exception {
    Block block = block();
    DeliverFrame frame = DeliverFrame.block(ByteBuffer.wrap(block.toByteArray()));
    InputStream stream = marshaller.stream(frame);
    byte[] all = new byte[frame.size()];
    int n = stream.read(all, 0, all.length - 1);
    assertThat(n).isEqualTo(all.length - 1);
    assertThat(frame.drained()).isFalse();
    all[all.length - 1] = (byte) stream.read();
    assertThat(frame.drained()).isTrue();
    assertThat(stream.read()).isEqualTo(-1);
    assertThat(DeliverResponse.parseFrom(all).getBlock()).isEqualTo(block);
  }
}
