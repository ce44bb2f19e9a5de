package org.jorderer.channel.config;

/**
 * {@code /Channel/Orderer/BatchSize}. The proto fields are uint32, hence longs here.
 *
 * @param maxMessageCount envelopes per block, at most
 * @param absoluteMaxBytes bytes of one envelope (payload + signature), at most; also the block limit
 * @param preferredMaxBytes the block cutter's soft target
 */
public record BatchSize(long maxMessageCount, long absoluteMaxBytes, long preferredMaxBytes) {}
