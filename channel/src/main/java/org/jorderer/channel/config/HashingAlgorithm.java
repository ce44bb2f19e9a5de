package org.jorderer.channel.config;

/**
 * {@code /Channel/HashingAlgorithm}. Fabric accepts only SHA256 (and SHA3_256 in old configs);
 * block header and data hashes are SHA-256 regardless ({@code protoutil/blockutils.go}
 * BlockHeaderHash, BlockDataHash).
 */
public record HashingAlgorithm(String name) {}
