package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;

/**
 * Fabric's {@code OUIdentifier}: an OU value of a certificate subject, qualified by the hash of the
 * certification chain that issued it ({@code certifiersIdentifier}; empty means "any chain" in a
 * NodeOU definition).
 */
public record OrganizationalUnit(String identifier, ByteString certifiersIdentifier) {
  /** Go's {@code OUIDs.String()} element: {@code COP(8A739122...)} with the first 8 bytes in hex. */
  @Override
  public String toString() {
    StringBuilder hex = new StringBuilder();
    int n = Math.min(8, certifiersIdentifier.size());
    for (int i = 0; i < n; i++) {
      hex.append(String.format("%02X", certifiersIdentifier.byteAt(i) & 0xff));
    }
    return identifier + "(" + hex + ")";
  }
}
