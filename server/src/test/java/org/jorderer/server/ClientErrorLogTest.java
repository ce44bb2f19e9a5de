package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.support.TestOrderer;
import org.jorderer.server.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Requests whose 5-byte gRPC frame header claims a 2 GB message, sent as raw HTTP/2 frames: each is
 * refused, and the log gets at most a few one-line warnings for all of them, no stack trace.
 */
class ClientErrorLogTest {
  private static final int REQUESTS = 200;

  @TempDir Path data;
  private TestOrderer orderer;
  private final ListAppender<ILoggingEvent> ours = new ListAppender<>();
  private final List<LogRecord> grpcRecords = new ArrayList<>();
  private final java.util.logging.Logger grpcLogger = java.util.logging.Logger.getLogger("io.grpc");
  private final Handler grpcCapture = new Handler() {
    @Override
    public synchronized void publish(LogRecord record) {
      grpcRecords.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void start() {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ClientErrorLog.class)).addAppender(ours);
    ours.start();
    grpcLogger.addHandler(grpcCapture);
    orderer = new TestOrderer(data, DeliverHandler.Settings.defaults(), Clock.systemUTC(), TlsSettings.DISABLED,
        OrdererServer.Settings.DEFAULT_MAX_MESSAGE_BYTES);
    ClientErrorLog.resetWindow(); // other tests in this JVM may have used part of the window
  }

  @AfterEach
  void stop() {
    orderer.close();
    grpcLogger.removeHandler(grpcCapture);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ClientErrorLog.class)).detachAppender(ours);
  }

  @Test
  void twoHundredFramesClaimingTwoGigabytesLogAtMostTheRateLimitOfOneLiners() throws Exception {
    int refused = 0;
    try (Socket socket = new Socket("127.0.0.1", orderer.server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frame(out, 0x4, 0, 0, new byte[0]); // SETTINGS, all defaults
      for (int i = 0; i < REQUESTS; i++) {
        int stream = 2 * i + 1;
        frame(out, 0x1, 0x4, stream, requestHeaders()); // HEADERS, END_HEADERS
        frame(out, 0x0, 0, stream, new byte[] {0, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}); // DATA: 5 bytes
      }
      out.flush();
      socket.setSoTimeout(30_000);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      while (refused < REQUESTS) {
        int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        in.readFully(new byte[length]);
        if (type == 0x4 && (flags & 0x1) == 0) {
          frame(out, 0x4, 0x1, 0, new byte[0]); // acknowledge the server's SETTINGS
        }
        boolean endsStream = (type == 0x1 && (flags & 0x1) != 0) || type == 0x3; // trailers, or RST_STREAM
        if (stream != 0 && endsStream) {
          refused++;
        }
      }
    }
    assertThat(refused).isEqualTo(REQUESTS);
    List<ILoggingEvent> lines = List.copyOf(ours.list);
    assertThat(lines).hasSizeBetween(1, ClientErrorLog.LINES_PER_WINDOW);
    assertThat(lines).allSatisfy(e -> {
      assertThat(e.getThrowableProxy()).isNull();
      assertThat(e.getFormattedMessage()).doesNotContain("\n").contains("RESOURCE_EXHAUSTED");
    });
    synchronized (grpcCapture) {
      assertThat(grpcRecords).as("grpc-java's own records with a stack trace")
          .noneMatch(r -> r.getThrown() != null && r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue());
    }
  }

  private static byte[] requestHeaders() throws IOException {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    header(block, ":method", "POST");
    header(block, ":scheme", "http");
    header(block, ":path", "/orderer.AtomicBroadcast/Broadcast");
    header(block, ":authority", "127.0.0.1");
    header(block, "content-type", "application/grpc");
    header(block, "te", "trailers");
    return block.toByteArray();
  }

  /** HPACK "literal header field without indexing, new name", no Huffman coding (RFC 7541, 6.2.2). */
  private static void header(ByteArrayOutputStream block, String name, String value) throws IOException {
    block.write(0);
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    block.write(n.length);
    block.write(n);
    block.write(v.length);
    block.write(v);
  }

  private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
    byte[] header = {
        (byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
        (byte) type, (byte) flags,
        (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
    synchronized (out) {
      out.write(header);
      out.write(payload);
    }
  }
}
