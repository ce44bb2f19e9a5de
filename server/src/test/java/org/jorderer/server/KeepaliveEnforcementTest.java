package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.seek;
import static org.jorderer.server.support.SeekRequests.specified;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fabric's server keepalive enforcement (internal/pkg/comm/server.go: a keepalive.EnforcementPolicy
 * with MinTime = General.Keepalive.ServerMinInterval, 60 s by default): a client that pings more
 * often is sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings" after a few strikes (about 40 s here) and its
 * calls end.
 */
class KeepaliveEnforcementTest {
  @TempDir Path data;

  @Test
  void aClientPingingMoreOftenThanTheMinimumIntervalIsSentGoaway() throws Exception {
    try (TestOrderer orderer = new TestOrderer(data)) {
      orderer.withSampleOrgChannel(1);
      // gRPC Java's client pings at most every 10 s; the server allows one per 60 s.
      ManagedChannel eager = NettyChannelBuilder.forAddress("127.0.0.1", orderer.server.port())
          .usePlaintext()
          .keepAliveTime(10, TimeUnit.SECONDS)
          .keepAliveWithoutCalls(true)
          .build();
      try (DeliverClient waiting = new DeliverClient(eager)) {
        // Waits for block 1, which never comes: only the server's GOAWAY can end this call.
        waiting.send(new SeekRequests(TestOrderer.SIGNER).envelope("sampleorg", seek(specified(1), specified(1))));
        Status end = waiting.awaitClose(120);
        // gRPC Java reports an ENHANCE_YOUR_CALM GOAWAY as RESOURCE_EXHAUSTED, with the server's
        // debug data, which both gRPC Go (Fabric) and gRPC Java servers set to "too_many_pings".
        assertThat(end.getCode()).as("%s", end).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(end.getDescription()).as("%s", end).contains("too_many_pings");
      } finally {
        eager.shutdownNow();
      }
    }
  }
}
