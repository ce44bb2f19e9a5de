package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fabric-made blocks go in and come out byte for byte, chained as Fabric chained them. */
class BlockStoreVectorsTest {
  @TempDir Path dir;

  private final byte[][] vectors = {
    Vectors.blockBytes("vectors-0.block"), Vectors.blockBytes("vectors-1.block"), Vectors.blockBytes("vectors-2.block")
  };

  @Test
  void fabricBlocksRoundTripByteIdenticalAcrossReopen() {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      for (byte[] b : vectors) {
        store.append(b);
      }
      assertThat(store.height()).isEqualTo(3);
      for (int i = 0; i < 3; i++) {
        assertThat(store.read(i).toByteArray()).isEqualTo(vectors[i]);
      }
    }
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThat(store.height()).isEqualTo(3);
      assertThat(store.firstBlockNumber()).isZero();
      for (int i = 0; i < 3; i++) {
        assertThat(store.read(i).bytes()).isEqualTo(ByteBuffer.wrap(vectors[i]));
      }
      assertThat(store.lastHeaderHash()).isEqualTo(BlockHeaderHash.of(store.readBlock(2).getHeader()));
      // The stored chain verifies link by link.
      for (int i = 1; i < 3; i++) {
        assertThat(store.readBlock(i).getHeader().getPreviousHash().toByteArray())
            .isEqualTo(BlockHeaderHash.of(store.readBlock(i - 1).getHeader()));
      }
    }
  }

  @Test
  void refusesBlocksOutOfOrder() {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThatThrownBy(() -> store.append(vectors[1]))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessage("expected block number 0 but got 1");
      store.append(vectors[0]);
      assertThatThrownBy(() -> store.append(vectors[2]))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessage("expected block number 1 but got 2");
      assertThatThrownBy(() -> store.append(vectors[0]))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessage("expected block number 1 but got 0");
      assertThat(store.height()).isEqualTo(1);
    }
  }

  @Test
  void refusesAWrongPreviousHash() {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      store.append(vectors[0]);
      Block forged = Vectors.parseBlock("vectors-1.block").toBuilder()
          .setHeader(Vectors.parseBlock("vectors-1.block").getHeader().toBuilder()
              .setPreviousHash(ByteString.copyFrom(new byte[32])))
          .build();
      assertThatThrownBy(() -> store.append(forged))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessageStartingWith("block 1 has previous_hash AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= but the header hash of block 0 is ");
      store.append(vectors[1]);
      assertThat(store.height()).isEqualTo(2);
    }
  }

  @Test
  void refusesBytesThatAreNotABlock() {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThatThrownBy(() -> store.append(new byte[] {(byte) 0xff, 0x01, 0x02}))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessageStartingWith("not a serialized common.Block");
      assertThatThrownBy(() -> store.append(new byte[0]))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessage("block has no header");
      assertThat(store.height()).isZero();
    }
  }
}
