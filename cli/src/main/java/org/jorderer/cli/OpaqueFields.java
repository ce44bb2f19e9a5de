package org.jorderer.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.Map;
import java.util.Set;
import org.hyperledger.fabric.protos.common.BlockData;
import org.hyperledger.fabric.protos.common.BlockDataHashingStructure;
import org.hyperledger.fabric.protos.common.BlockMetadata;
import org.hyperledger.fabric.protos.common.Capabilities;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.CombinedPrincipal;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.ConfigSignature;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigUpdateEnvelope;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Consortium;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HashingAlgorithm;
import org.hyperledger.fabric.protos.common.Header;
import org.hyperledger.fabric.protos.common.ImplicitMetaPolicy;
import org.hyperledger.fabric.protos.common.LastConfig;
import org.hyperledger.fabric.protos.common.MSPIdentityAnonymity;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.hyperledger.fabric.protos.common.MSPRole;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.MetadataSignature;
import org.hyperledger.fabric.protos.common.OrdererAddresses;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.common.Orderers;
import org.hyperledger.fabric.protos.common.OrganizationUnit;
import org.hyperledger.fabric.protos.common.Payload;
import org.hyperledger.fabric.protos.common.Policy;
import org.hyperledger.fabric.protos.common.SignatureHeader;
import org.hyperledger.fabric.protos.common.SignaturePolicyEnvelope;
import org.hyperledger.fabric.protos.ledger.rwset.NsReadWriteSet;
import org.hyperledger.fabric.protos.ledger.rwset.TxReadWriteSet;
import org.hyperledger.fabric.protos.ledger.rwset.kvrwset.KVRWSet;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.msp.FabricOUIdentifier;
import org.hyperledger.fabric.protos.msp.IdemixMSPConfig;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;
import org.hyperledger.fabric.protos.msp.SigningIdentityInfo;
import org.hyperledger.fabric.protos.orderer.BatchSize;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.hyperledger.fabric.protos.orderer.ChannelRestrictions;
import org.hyperledger.fabric.protos.orderer.ConsensusType;
import org.hyperledger.fabric.protos.orderer.KafkaBrokers;
import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.hyperledger.fabric.protos.peer.ACLs;
import org.hyperledger.fabric.protos.peer.AnchorPeers;
import org.hyperledger.fabric.protos.peer.ChaincodeAction;
import org.hyperledger.fabric.protos.peer.ChaincodeActionPayload;
import org.hyperledger.fabric.protos.peer.ChaincodeEndorsedAction;
import org.hyperledger.fabric.protos.peer.ChaincodeEvent;
import org.hyperledger.fabric.protos.peer.ChaincodeInvocationSpec;
import org.hyperledger.fabric.protos.peer.ChaincodeProposalPayload;
import org.hyperledger.fabric.protos.peer.Endorsement;
import org.hyperledger.fabric.protos.peer.ProposalResponsePayload;
import org.hyperledger.fabric.protos.peer.Transaction;
import org.hyperledger.fabric.protos.peer.TransactionAction;

/**
 * What Fabric keeps inside its {@code bytes} fields: the same knowledge as Fabric's protolator
 * extensions ({@code protolator/protoext}), as one table keyed by {@code "proto.Message.field"} (see {@link #field}).
 * A field not listed here stays bytes (base64, as protobuf's JSON mapping writes them).
 */
final class OpaqueFields {
  private OpaqueFields() {}

  /**
   * Where a bytes value sits: the message holding the field, the map key or list index under
   * which that message sits in its own parent (null if none), and the value's own list index or
   * map key (null for a singular field).
   */
  record Place(Message parent, String parentKey, String key) {}

  /** Decodes one bytes value into the message it holds, or returns null to leave it as bytes. */
  @FunctionalInterface
  interface Reader {
    Message read(Place place, ByteString bytes) throws InvalidProtocolBufferException;
  }

  /** Fields holding PEM text (certificates, CRLs), shown as that text rather than base64. */
  static final Set<String> PEM = Set.of(
      field(SerializedIdentity.getDescriptor(), "id_bytes"),
      field(FabricMSPConfig.getDescriptor(), "root_certs"),
      field(FabricMSPConfig.getDescriptor(), "intermediate_certs"),
      field(FabricMSPConfig.getDescriptor(), "admins"),
      field(FabricMSPConfig.getDescriptor(), "revocation_list"),
      field(FabricMSPConfig.getDescriptor(), "tls_root_certs"),
      field(FabricMSPConfig.getDescriptor(), "tls_intermediate_certs"),
      field(SigningIdentityInfo.getDescriptor(), "public_signer"),
      field(FabricOUIdentifier.getDescriptor(), "certificate"),
      field(org.hyperledger.fabric.protos.orderer.etcdraft.Consenter.getDescriptor(), "client_tls_cert"),
      field(org.hyperledger.fabric.protos.orderer.etcdraft.Consenter.getDescriptor(), "server_tls_cert"),
      field(org.hyperledger.fabric.protos.common.Consenter.getDescriptor(), "identity"),
      field(org.hyperledger.fabric.protos.common.Consenter.getDescriptor(), "client_tls_cert"),
      field(org.hyperledger.fabric.protos.common.Consenter.getDescriptor(), "server_tls_cert"));

  /**
   * ConfigValue.value by the key the value sits under in its group; the keys do not repeat
   * across channel, orderer, application and organization groups, so the key alone decides.
   */
  private static final Map<String, Reader> CONFIG_VALUES = Map.ofEntries(
      Map.entry("HashingAlgorithm", (p, b) -> HashingAlgorithm.parseFrom(b)),
      Map.entry("BlockDataHashingStructure", (p, b) -> BlockDataHashingStructure.parseFrom(b)),
      Map.entry("OrdererAddresses", (p, b) -> OrdererAddresses.parseFrom(b)),
      Map.entry("Consortium", (p, b) -> Consortium.parseFrom(b)),
      Map.entry("Capabilities", (p, b) -> Capabilities.parseFrom(b)),
      Map.entry("BatchSize", (p, b) -> BatchSize.parseFrom(b)),
      Map.entry("BatchTimeout", (p, b) -> BatchTimeout.parseFrom(b)),
      Map.entry("ConsensusType", (p, b) -> ConsensusType.parseFrom(b)),
      Map.entry("KafkaBrokers", (p, b) -> KafkaBrokers.parseFrom(b)),
      Map.entry("ChannelRestrictions", (p, b) -> ChannelRestrictions.parseFrom(b)),
      Map.entry("Orderers", (p, b) -> Orderers.parseFrom(b)),
      Map.entry("MSP", (p, b) -> MSPConfig.parseFrom(b)),
      Map.entry("Endpoints", (p, b) -> OrdererAddresses.parseFrom(b)),
      Map.entry("AnchorPeers", (p, b) -> AnchorPeers.parseFrom(b)),
      Map.entry("ACLs", (p, b) -> ACLs.parseFrom(b)),
      Map.entry("ChannelCreationPolicy", (p, b) -> Policy.parseFrom(b)));

  static final Map<String, Reader> DECODERS = Map.ofEntries(
      // Blocks and envelopes.
      Map.entry(field(BlockData.getDescriptor(), "data"), (p, b) -> Envelope.parseFrom(b)),
      // Slot 2 (TRANSACTIONS_FILTER) holds one validation code per transaction, not a Metadata.
      Map.entry(field(BlockMetadata.getDescriptor(), "metadata"), (p, b) -> "2".equals(p.key()) ? null : Metadata.parseFrom(b)),
      Map.entry(field(Metadata.getDescriptor(), "value"), (p, b) -> switch (String.valueOf(p.parentKey())) {
        case "0" -> OrdererBlockMetadata.parseFrom(b); // SIGNATURES
        case "1" -> LastConfig.parseFrom(b); // LAST_CONFIG, still written by Fabric 2.x orderers
        default -> null;
      }),
      Map.entry(field(MetadataSignature.getDescriptor(), "signature_header"), (p, b) -> SignatureHeader.parseFrom(b)),
      Map.entry(field(Envelope.getDescriptor(), "payload"), (p, b) -> Payload.parseFrom(b)),
      Map.entry(field(Header.getDescriptor(), "channel_header"), (p, b) -> ChannelHeader.parseFrom(b)),
      Map.entry(field(Header.getDescriptor(), "signature_header"), (p, b) -> SignatureHeader.parseFrom(b)),
      Map.entry(field(SignatureHeader.getDescriptor(), "creator"), (p, b) -> SerializedIdentity.parseFrom(b)),
      Map.entry(field(Payload.getDescriptor(), "data"), OpaqueFields::payloadData),
      // Configuration.
      Map.entry(field(ConfigUpdateEnvelope.getDescriptor(), "config_update"), (p, b) -> ConfigUpdate.parseFrom(b)),
      Map.entry(field(ConfigSignature.getDescriptor(), "signature_header"), (p, b) -> SignatureHeader.parseFrom(b)),
      Map.entry(field(ConfigValue.getDescriptor(), "value"), (p, b) -> {
        Reader r = CONFIG_VALUES.get(p.parentKey());
        return r == null ? null : r.read(p, b);
      }),
      Map.entry(field(ConsensusType.getDescriptor(), "metadata"), (p, b) -> switch (((ConsensusType) p.parent()).getType()) {
        case "etcdraft" -> org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata.parseFrom(b);
        case "BFT" -> org.hyperledger.fabric.protos.orderer.smartbft.Options.parseFrom(b);
        default -> null;
      }),
      Map.entry(field(MSPConfig.getDescriptor(), "config"), (p, b) -> switch (((MSPConfig) p.parent()).getType()) {
        case 0 -> FabricMSPConfig.parseFrom(b);
        case 1 -> IdemixMSPConfig.parseFrom(b);
        default -> null;
      }),
      Map.entry(field(Policy.getDescriptor(), "value"), (p, b) -> switch (((Policy) p.parent()).getType()) {
        case Policy.PolicyType.SIGNATURE_VALUE -> SignaturePolicyEnvelope.parseFrom(b);
        case Policy.PolicyType.IMPLICIT_META_VALUE -> ImplicitMetaPolicy.parseFrom(b);
        default -> null;
      }),
      Map.entry(field(MSPPrincipal.getDescriptor(), "principal"), (p, b) -> switch (((MSPPrincipal) p.parent()).getPrincipalClassification()) {
        case ROLE -> MSPRole.parseFrom(b);
        case ORGANIZATION_UNIT -> OrganizationUnit.parseFrom(b);
        case IDENTITY -> SerializedIdentity.parseFrom(b);
        case ANONYMITY -> MSPIdentityAnonymity.parseFrom(b);
        case COMBINED -> CombinedPrincipal.parseFrom(b);
        default -> null;
      }),
      // Endorser transactions, as far as the committed key-value read-write sets.
      Map.entry(field(TransactionAction.getDescriptor(), "header"), (p, b) -> SignatureHeader.parseFrom(b)),
      Map.entry(field(TransactionAction.getDescriptor(), "payload"), (p, b) -> ChaincodeActionPayload.parseFrom(b)),
      Map.entry(field(ChaincodeActionPayload.getDescriptor(), "chaincode_proposal_payload"), (p, b) -> ChaincodeProposalPayload.parseFrom(b)),
      Map.entry(field(ChaincodeProposalPayload.getDescriptor(), "input"), (p, b) -> ChaincodeInvocationSpec.parseFrom(b)),
      Map.entry(field(ChaincodeEndorsedAction.getDescriptor(), "proposal_response_payload"), (p, b) -> ProposalResponsePayload.parseFrom(b)),
      Map.entry(field(ProposalResponsePayload.getDescriptor(), "extension"), (p, b) -> ChaincodeAction.parseFrom(b)),
      Map.entry(field(ChaincodeAction.getDescriptor(), "results"), (p, b) -> TxReadWriteSet.parseFrom(b)),
      Map.entry(field(ChaincodeAction.getDescriptor(), "events"), (p, b) -> ChaincodeEvent.parseFrom(b)),
      Map.entry(field(NsReadWriteSet.getDescriptor(), "rwset"), (p, b) -> KVRWSet.parseFrom(b)),
      Map.entry(field(Endorsement.getDescriptor(), "endorser"), (p, b) -> SerializedIdentity.parseFrom(b)));

  /**
   * The table key for a bytes field, {@code "proto.Message.field"} as the walker builds it; built
   * from the generated descriptor so that a misspelt message or field fails here, at class load.
   */
  static String field(Descriptor message, String name) {
    FieldDescriptor fd = message.findFieldByName(name);
    if (fd == null || fd.getType() != FieldDescriptor.Type.BYTES) {
      throw new IllegalArgumentException(message.getFullName() + " has no bytes field " + name);
    }
    return message.getFullName() + "." + name;
  }

  /** Payload.data by the type in the payload's own channel header, as Fabric's protolator does. */
  private static Message payloadData(Place place, ByteString bytes) throws InvalidProtocolBufferException {
    ChannelHeader ch = ChannelHeader.parseFrom(((Payload) place.parent()).getHeader().getChannelHeader());
    return switch (ch.getType()) {
      case 1 -> ConfigEnvelope.parseFrom(bytes); // CONFIG
      case 2 -> ConfigUpdateEnvelope.parseFrom(bytes); // CONFIG_UPDATE
      case 3 -> Transaction.parseFrom(bytes); // ENDORSER_TRANSACTION
      case 4 -> Envelope.parseFrom(bytes); // ORDERER_TRANSACTION: a wrapped config transaction
      case 5 -> SeekInfo.parseFrom(bytes); // DELIVER_SEEK_INFO
      default -> null; // MESSAGE and anything else: opaque application bytes
    };
  }
}
