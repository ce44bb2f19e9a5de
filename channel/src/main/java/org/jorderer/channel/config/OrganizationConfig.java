package org.jorderer.channel.config;

import java.util.List;
import org.hyperledger.fabric.protos.msp.MSPConfig;

/**
 * One organization group, e.g. {@code /Channel/Orderer/SampleOrg}.
 *
 * @param name the group key
 * @param mspId the MSP's name (FabricMSPConfig.name)
 * @param msp the MSP definition as configured
 * @param endpoints orderer organizations' {@code Endpoints}; empty elsewhere
 * @param anchorPeers application organizations' {@code AnchorPeers} as host:port; empty elsewhere
 */
public record OrganizationConfig(
    String name, String mspId, MSPConfig msp, List<String> endpoints, List<String> anchorPeers) {
  public OrganizationConfig {
    endpoints = List.copyOf(endpoints);
    anchorPeers = List.copyOf(anchorPeers);
  }
}
