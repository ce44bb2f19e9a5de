package org.jorderer.server.deliver;

import java.util.Optional;

/** Finds the channels this orderer serves through Deliver (consensus chains only, as in Fabric). */
@FunctionalInterface
public interface ChannelLookup {
  Optional<DeliverableChannel> find(String channelId);
}
