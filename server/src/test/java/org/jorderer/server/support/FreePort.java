package org.jorderer.server.support;

import java.io.IOException;
import java.net.ServerSocket;

/** A loopback port free at the time of asking: for listeners a test must name before it starts them (Raft peers). */
public final class FreePort {
  private FreePort() {}

  public static int pick() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
