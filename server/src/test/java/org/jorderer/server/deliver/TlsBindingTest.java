package org.jorderer.server.deliver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.junit.jupiter.api.Test;

/**
 * Fabric's {@code common/deliver/binding_test.go} (TestBindingInspectorBadInit,
 * TestNoopBindingInspector, TestBindingInspector) without a TLS connection: the inspector's
 * decisions when there is no client certificate to compare with. The cases with a real mutual-TLS
 * connection come with TLS support.
 */
class TlsBindingTest {
  private final ChannelHeader withHash = ChannelHeader.newBuilder()
      .setChannelId("test")
      .setTlsCertHash(ByteString.copyFromUtf8("tls-cert"))
      .build();

  @Test
  void withoutMutualTlsEverythingPassesButANullMessage() {
    TlsBinding off = new TlsBinding(false);
    assertThat(off.inspect(ChannelHeader.getDefaultInstance(), null)).isEmpty();
    assertThat(off.inspect(null, null)).contains("message is nil");
  }

  @Test
  void withMutualTlsTheHashMustBeClaimedAndACertificatePresented() {
    TlsBinding on = new TlsBinding(true);
    assertThat(on.inspect(ChannelHeader.newBuilder().setChannelId("test").setType(1).build(), null))
        .contains("client didn't include its TLS cert hash");
    assertThat(on.inspect(withHash, null)).contains("client didn't send a TLS certificate");
  }

  @Test
  void bytesArePrintedAsGoPrintsThem() {
    assertThat(TlsBinding.goBytes(new byte[] {1, 2, 3})).isEqualTo("[1 2 3]");
    assertThat(TlsBinding.goBytes(new byte[] {(byte) 255, 0})).isEqualTo("[255 0]");
    assertThat(Optional.of(TlsBinding.goBytes(new byte[0]))).contains("[]");
  }
}
