package org.jorderer.server.support;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;

/**
 * An organization generated on the spot the way the embedded default makes its own
 * ({@link MspGenerator}), with certificates valid for a century: credentials for tests whose
 * traffic must not depend on when the suite runs (SampleOrg's certificate expires 2027-11-10).
 *
 * @param orderer the orderer's identity (OU orderer), which signs blocks
 * @param admin an admin identity (OU admin), which reads and writes as a client
 */
public record FreshOrg(String mspId, Path mspDir, LocalSigner orderer, LocalSigner admin) {
  public static final Duration VALIDITY = Duration.ofDays(36_500);

  public static FreshOrg generate(Path dir, String mspId) throws IOException {
    Path ordererMsp = dir.resolve("msp");
    Path adminMsp = dir.resolve("admin-msp");
    MspGenerator.generate(ordererMsp, adminMsp, "fresh.example.com", "orderer.fresh.example.com", VALIDITY);
    return new FreshOrg(mspId, ordererMsp, LocalSigner.load(ordererMsp, mspId), LocalSigner.load(adminMsp, mspId));
  }

  /** A solo channel where this organization orders and transacts; every message is its own block. */
  public Block genesis(String channelId, Instant timestamp) throws IOException {
    SoloChannelProfile defaults = SoloChannelProfile.withDefaults(mspId, MspFolder.readMspConfig(mspDir, mspId),
        List.of("127.0.0.1:7050"));
    SoloChannelProfile oneMessagePerBlock = new SoloChannelProfile(defaults.mspId(), defaults.msp(),
        defaults.ordererEndpoints(), 1, defaults.absoluteMaxBytes(), defaults.preferredMaxBytes(),
        defaults.batchTimeout());
    return GenesisBlock.of(channelId, oneMessagePerBlock.config(), timestamp);
  }
}
