package org.jorderer.cli;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.server.OrdererSettings;
import picocli.CommandLine.Option;

/** What every command that talks to an orderer as a client needs: where it is, and who signs. */
final class ClientOptions {
  @Option(names = "--address", paramLabel = "HOST:PORT", converter = HostPort.class, defaultValue = "127.0.0.1:7050",
      description = "The orderer (default: ${DEFAULT-VALUE}).")
  InetSocketAddress address;

  @Option(names = "--msp-dir", paramLabel = "DIR", defaultValue = "data/admin-msp",
      description = "MSP folder to sign requests with (default: ${DEFAULT-VALUE}).")
  Path mspDir;

  @Option(names = "--msp-id", paramLabel = "ID", defaultValue = OrdererSettings.DEFAULT_MSP_ID,
      description = "Its MSP ID (default: ${DEFAULT-VALUE}).")
  String mspId;

  LocalSigner signer() throws IOException {
    return LocalSigner.load(mspDir, mspId);
  }

  SignedEnvelopes envelopes() throws IOException {
    return new SignedEnvelopes(signer());
  }

  /** A plaintext connection that accepts blocks of any size. */
  ManagedChannel connect() {
    return connect(NettyChannelBuilder.DEFAULT_FLOW_CONTROL_WINDOW);
  }

  ManagedChannel connect(int flowControlWindow) {
    return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
        .usePlaintext()
        .flowControlWindow(flowControlWindow)
        .maxInboundMessageSize(Integer.MAX_VALUE)
        .build();
  }
}
