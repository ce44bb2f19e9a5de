package org.jorderer.channel.config;

import java.util.List;

/** {@code /Channel/OrdererAddresses} (legacy global list; per-org Endpoints supersede it). */
public record OrdererAddresses(List<String> addresses) {
  public OrdererAddresses {
    addresses = List.copyOf(addresses);
  }
}
