package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HexFormat;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BlockHeaderHashTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String E = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  // Header hashes as Fabric's protoutil/blockutils.go BlockHeaderHash computes them, produced
  // with Go's encoding/asn1 and crypto/sha256.
  @ParameterizedTest
  @CsvSource({
    "0, '', '', 300702010004000400, 1d1c288c6851505be0b47a0f8e7dfb91ab2abe6ad71cef63a3791d14588d1d0e",
    "127, '', '', 300702017f04000400, 484b0d9e2cea40ec3868d49a98ebfca0797fa5d97cdfaa5246c5eb8d5d69a446",
    "128, '', '', 30080202008004000400, 2fc899e6fa44ba5e41f8476f1f3955b5794feee49c827d251dcf3196e3d8af71",
    "255, '', '', 3008020200ff04000400, cf5ce161ac375224a9858c49095993d6f01bbd54fad0643571421c38512c91ef",
    "256, '', '', 30080202010004000400, 3dea8319b68bbee6c105036d945e3d8e0defbc4d6b7418c5204c28a4e89eed67",
    "-9223372036854775808, '', '', 300f020900800000000000000004000400, 3c99078af37560c5f70db1f8366eac13bddbeb421841cd407345a350874969ad",
    "-1, '', '', 300f020900ffffffffffffffff04000400, 0f867fa41161925c3205313d2156753c9ca578818e2e1b80a940aeff9317dafb",
  })
  void matchesGoEncodingAsn1(long number, String prev, String data, String der, String sha) {
    byte[] encoded = BlockHeaderHash.derEncoding(number, HEX.parseHex(prev), HEX.parseHex(data));
    assertThat(HEX.formatHex(encoded)).isEqualTo(der);
    assertThat(HEX.formatHex(BlockHeaderHash.of(number, HEX.parseHex(prev), HEX.parseHex(data)))).isEqualTo(sha);
  }

  @Test
  void hashesWithThirtyTwoByteFields() {
    byte[] e = HEX.parseHex(E);
    assertThat(HEX.formatHex(BlockHeaderHash.derEncoding(0, new byte[0], e))).isEqualTo("302702010004000420" + E);
    assertThat(HEX.formatHex(BlockHeaderHash.of(0, new byte[0], e)))
        .isEqualTo("9cae6f5c10756febc407bba95fc23853774c1f65f10354895bfdab6443d66ed3");
    assertThat(HEX.formatHex(BlockHeaderHash.of(1, e, e)))
        .isEqualTo("36d6d41601649abb65dcbab37794e7f3aa36989533eb6eaa6aadda1755adefb0");
  }

  @Test
  void usesLongFormLengthsPastOneHundredTwentySevenBytes() {
    byte[] der = BlockHeaderHash.derEncoding(5, new byte[200], new byte[0]);
    assertThat(HEX.formatHex(der, 0, 8)).isEqualTo("3081d00201050481");
    assertThat(HEX.formatHex(BlockHeaderHash.of(5, new byte[200], new byte[0])))
        .isEqualTo("455a8c8dca1e7f41ebbb14baae4d309a2440b65203527fd2d2e0f23a03562dff");
  }

  @Test
  void reproducesThePreviousHashesFabricWrote() {
    Block b0 = Vectors.parseBlock("vectors-0.block");
    Block b1 = Vectors.parseBlock("vectors-1.block");
    Block b2 = Vectors.parseBlock("vectors-2.block");
    assertThat(b1.getHeader().getPreviousHash().toByteArray()).isEqualTo(BlockHeaderHash.of(b0.getHeader()));
    assertThat(b2.getHeader().getPreviousHash().toByteArray()).isEqualTo(BlockHeaderHash.of(b1.getHeader()));
    assertThat(Base64.getEncoder().encodeToString(b2.getHeader().getPreviousHash().toByteArray()))
        .isEqualTo("h0+dFoKMZ2unr4k9cVVGUrvEoxaTgces/zLJjR/4w+s=");
  }
}
