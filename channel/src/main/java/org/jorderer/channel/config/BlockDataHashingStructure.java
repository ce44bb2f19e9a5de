package org.jorderer.channel.config;

/** {@code /Channel/BlockDataHashingStructure}; Fabric requires width = 2^32-1 (a flat hash). */
public record BlockDataHashingStructure(long width) {}
