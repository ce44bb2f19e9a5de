package org.jorderer.channel.config;

/** {@code /Channel/Orderer/ChannelRestrictions}: 0 means no limit on the number of channels. */
public record ChannelRestrictions(long maxCount) {}
