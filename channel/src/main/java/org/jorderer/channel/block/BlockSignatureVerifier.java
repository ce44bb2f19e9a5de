package org.jorderer.channel.block;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.MetadataSignature;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.policy.Policy;
import org.jorderer.channel.policy.PolicyResult;
import org.jorderer.channel.policy.PolicyTree;
import org.jorderer.channel.policy.SignedData;
import org.jorderer.ledger.BlockHeaderHash;

/**
 * Checks a block as a Fabric peer or client does before trusting it: the data hash matches the
 * data, and the orderer signatures in the SIGNATURES slot satisfy a policy (normally
 * {@code /Channel/Orderer/BlockValidation}). The same code checks blocks made by Fabric and by us.
 */
public final class BlockSignatureVerifier {
  private BlockSignatureVerifier() {}

  /** Verifies against the config's {@code /Channel/Orderer/BlockValidation}. */
  public static PolicyResult verify(Block block, ChannelConfig config) {
    return verify(block, config.policies().getOrReject(PolicyTree.BLOCK_VALIDATION));
  }

  public static PolicyResult verify(Block block, Policy policy) {
    long number = block.getHeader().getNumber();
    if (!ByteString.copyFrom(BlockHashes.dataHash(block.getData())).equals(block.getHeader().getDataHash())) {
      return PolicyResult.failed("Header.DataHash is different from Hash(block.Data) for block with id [" + number + "]");
    }
    List<SignedData> signedData;
    try {
      signedData = signedData(block);
    } catch (IllegalArgumentException e) {
      return PolicyResult.failed(e.getMessage());
    }
    return policy.evaluate(signedData);
  }

  /**
   * One SignedData per MetadataSignature: {data = Metadata.value || signature_header || header DER,
   * identity = SignatureHeader.creator, signature}.
   */
  public static List<SignedData> signedData(Block block) {
    long number = block.getHeader().getNumber();
    Metadata metadata = BlockMetadataReader.metadata(block, BlockMetadataIndex.SIGNATURES_VALUE);
    byte[] headerDer = BlockHeaderHash.derEncoding(block.getHeader());
    List<SignedData> out = new ArrayList<>();
    for (MetadataSignature signature : metadata.getSignaturesList()) {
      SignatureHeader header;
      try {
        header = SignatureHeader.parseFrom(signature.getSignatureHeader());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("block " + number + ": failed unmarshalling signature header: " + e.getMessage(), e);
      }
      byte[] data = BlockBuilder.signedBytes(metadata.getValue(), signature.getSignatureHeader(), headerDer);
      out.add(new SignedData(ByteString.copyFrom(data), header.getCreator(), signature.getSignature()));
    }
    return out;
  }
}
