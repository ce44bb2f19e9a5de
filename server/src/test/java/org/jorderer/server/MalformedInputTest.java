package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jorderer.server.support.SeekRequests.oldest;
import static org.jorderer.server.support.SeekRequests.seek;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.RawBytesMarshaller;
import org.jorderer.server.support.SeekRequests;
import org.jorderer.server.support.TestClock;
import org.jorderer.server.support.TestOrderer;
import org.jorderer.server.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes that are not a protobuf Envelope, and messages over the size limit: the offending RPC ends
 * with a clear gRPC status, no stack trace reaches the client, and other streams go on.
 */
class MalformedInputTest {
  private static final int MAX_BYTES = 64 * 1024;

  @TempDir Path data;
  private TestOrderer orderer;

  @BeforeEach
  void start() {
    orderer = new TestOrderer(data, DeliverHandler.Settings.defaults(), TestClock.atSampleOrgEra(), TlsSettings.DISABLED, MAX_BYTES);
    orderer.withSampleOrgChannel(2);
  }

  @AfterEach
  void stop() {
    orderer.close();
  }

  @Test
  void garbageInsteadOfAnEnvelopeEndsThatRpcOnly() throws Exception {
    for (String method : new String[] {"Deliver", "Broadcast"}) {
      Status status = sendRaw(method, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
      assertThat(status.getCode()).as(method).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription()).as(method).doesNotContain("Exception").doesNotContain("\tat ");
    }
    assertThatOthersAreServed();
  }

  @Test
  void aMessageOverTheLimitIsRefusedByTheTransport() throws Exception {
    Status status = sendRaw("Broadcast", envelopeOfSize(MAX_BYTES + 1024));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThatOthersAreServed();
  }

  @Test
  void aBlockOverMaxSendMsgSizeEndsTheDeliverStreamWithResourceExhausted() throws Exception {
    DeliverHandler.Settings smallSends = new DeliverHandler.Settings(java.time.Duration.ofMinutes(15), false, true, 4096);
    try (TestOrderer small = new TestOrderer(data.resolve("small"), smallSends, TestClock.atSampleOrgEra())) {
      var channel = small.withSampleOrgChannel(1);
      small.appendBlocks(channel, 1, 10_000);
      try (DeliverClient client = small.deliver()) {
        client.send(new SeekRequests(TestOrderer.SIGNER).envelope("sampleorg", seek(SeekRequests.specified(1),
            SeekRequests.specified(1))));
        Status status = client.awaitClose(10);
        assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status.getDescription()).startsWith("trying to send message larger than max");
      }
      assertThat(small.counter("deliver_requests_completed", "channel", "sampleorg", "filtered", "false",
          "data_type", "block", "success", "false")).isEqualTo(1);
    }
  }

  private void assertThatOthersAreServed() throws Exception {
    try (DeliverClient client = orderer.deliver()) {
      client.send(new SeekRequests(TestOrderer.SIGNER).envelope("sampleorg", seek(oldest(), oldest())));
      assertThat(client.untilStatus(10)).extracting(DeliverResponse::getStatus)
          .containsExactly(org.hyperledger.fabric.protos.common.Status.UNKNOWN,
              org.hyperledger.fabric.protos.common.Status.SUCCESS);
    }
  }

  private static byte[] envelopeOfSize(int bytes) {
    return org.hyperledger.fabric.protos.common.Envelope.newBuilder()
        .setPayload(ByteString.copyFrom(new byte[bytes]))
        .build()
        .toByteArray();
  }

  /** Sends these bytes as the request of {@code method} and returns how the RPC ended. */
  private Status sendRaw(String method, byte[] request) throws Exception {
    MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(AtomicBroadcastGrpc.SERVICE_NAME, method))
        .setRequestMarshaller(new RawBytesMarshaller())
        .setResponseMarshaller(new RawBytesMarshaller())
        .build();
    ManagedChannel channel = orderer.connect();
    ClientCall<byte[], byte[]> call = channel.newCall(descriptor, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(10);
    call.sendMessage(request);
    call.halfClose();
    return closed.get(10, TimeUnit.SECONDS);
  }
}
