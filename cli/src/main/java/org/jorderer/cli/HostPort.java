package org.jorderer.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine;

/** {@code host:port}, as Fabric writes listen addresses; {@code [::1]:7050} for IPv6. */
final class HostPort implements CommandLine.ITypeConverter<InetSocketAddress> {
  @Override
  public InetSocketAddress convert(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new CommandLine.TypeConversionException("expected HOST:PORT, got '" + value + "'");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("port must be a number in '" + value + "'");
    }
    if (port < 0 || port > 65535) {
      throw new CommandLine.TypeConversionException("port out of range in '" + value + "'");
    }
    return new InetSocketAddress(host, port);
  }
}
