package org.jorderer.consensus.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockMetadataIndex;
import org.hyperledger.fabric.protos.common.Metadata;
import org.hyperledger.fabric.protos.common.OrdererBlockMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.BlockMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.Consenter;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * A channel's consenters as its config names them (etcdraft {@code ConfigMetadata}), each with
 * Fabric's numeric Raft id, and the Ratis group they form.
 *
 * <p>Ids follow Fabric's {@code ReadBlockMetadata}/{@code CreateConsentersMap}
 * (orderer/consensus/etcdraft/consenter.go, util.go): from the last block's etcdraft
 * {@code BlockMetadata} when it has one, otherwise 1..n in config order.
 *
 * <p>A Ratis peer is a node, not a (node, channel) pair, because one Ratis server hosts every
 * channel's group: its id is derived from the public key of the consenter's server TLS
 * certificate, the same key Fabric identifies a consenter by, so a node has the same peer id in
 * every channel.
 */
record ConsenterSet(String channelId, List<Member> members, long nextConsenterId, ConfigMetadata metadata) {

  /** One consenter: Fabric's id, where its Raft traffic goes, and its Ratis peer id. */
  record Member(long id, Consenter consenter, RaftPeerId peerId) {
    String address() {
      return consenter.getHost() + ":" + consenter.getPort();
    }
  }

  ConsenterSet {
    members = List.copyOf(members);
  }

  /**
   * @param configMetadata the channel config's {@code ConsensusType.metadata}
   * @param lastBlock the ledger's last block, whose etcdraft metadata (if any) assigns the ids
   * @throws IllegalArgumentException when the metadata does not parse, has no options or no
   *     consenters, or names a certificate that does not parse
   */
  static ConsenterSet of(String channelId, ByteString configMetadata, Block lastBlock) {
    ConfigMetadata metadata;
    try {
      metadata = ConfigMetadata.parseFrom(configMetadata);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("channel " + channelId + ": failed to unmarshal consensus metadata: "
          + e.getMessage(), e);
    }
    if (!metadata.hasOptions()) {
      throw new IllegalArgumentException("channel " + channelId + ": etcdraft options have not been provided");
    }
    if (metadata.getConsentersCount() == 0) {
      throw new IllegalArgumentException("channel " + channelId + ": etcdraft metadata names no consenters");
    }
    Optional<BlockMetadata> recorded = blockMetadata(lastBlock);
    List<Long> ids = new ArrayList<>();
    long next;
    if (recorded.isPresent() && recorded.get().getConsenterIdsCount() == metadata.getConsentersCount()) {
      ids.addAll(recorded.get().getConsenterIdsList());
      next = recorded.get().getNextConsenterId();
    } else {
      for (int i = 0; i < metadata.getConsentersCount(); i++) {
        ids.add((long) i + 1);
      }
      next = metadata.getConsentersCount() + 1L;
    }
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < metadata.getConsentersCount(); i++) {
      Consenter consenter = metadata.getConsenters(i);
      members.add(new Member(ids.get(i), consenter, peerId(consenter.getServerTlsCert().toByteArray())));
    }
    return new ConsenterSet(channelId, members, next, metadata);
  }

  /**
   * What a config's new consenters change (Fabric's {@code MembershipChanges}).
   *
   * @param next the new set, with ids: kept for consenters whose client TLS certificate is
   *     already a consenter's, {@code next_consenter_id} for an added one (then incremented), the
   *     removed one's id for a rotation (one added and one removed)
   */
  record Membership(ConsenterSet next, List<Consenter> added, List<Consenter> removed) {
    boolean changed() {
      return !added.isEmpty() || !removed.isEmpty();
    }
  }

  /**
   * Fabric's {@code ComputeMembershipChanges} (orderer/consensus/etcdraft/membership.go).
   *
   * @throws IllegalArgumentException with Fabric's text when more than one consenter would be
   *     added or removed
   */
  Membership next(ConfigMetadata newMetadata) {
    java.util.Map<ByteString, Long> byClientCert = new java.util.HashMap<>();
    for (Member member : members) {
      byClientCert.put(member.consenter().getClientTlsCert(), member.id());
    }
    long[] ids = new long[newMetadata.getConsentersCount()];
    List<Consenter> added = new ArrayList<>();
    int addedIndex = -1;
    java.util.Set<ByteString> newClientCerts = new java.util.HashSet<>();
    for (int i = 0; i < newMetadata.getConsentersCount(); i++) {
      Consenter consenter = newMetadata.getConsenters(i);
      newClientCerts.add(consenter.getClientTlsCert());
      Long id = byClientCert.get(consenter.getClientTlsCert());
      if (id != null) {
        ids[i] = id;
      } else {
        added.add(consenter);
        addedIndex = i;
      }
    }
    List<Consenter> removed = new ArrayList<>();
    long removedId = 0;
    for (Member member : members) {
      if (!newClientCerts.contains(member.consenter().getClientTlsCert())) {
        removed.add(member.consenter());
        removedId = member.id();
      }
    }
    long next = nextConsenterId;
    if (added.size() == 1 && removed.size() == 1) {
      ids[addedIndex] = removedId;
    } else if (added.size() == 1 && removed.isEmpty()) {
      ids[addedIndex] = next++;
    } else if (added.size() > 1 || removed.size() > 1) {
      throw new IllegalArgumentException("update of more than one consenter at a time is not supported, requested changes: add "
          + added.size() + " node(s), remove " + removed.size() + " node(s)");
    }
    List<Member> newMembers = new ArrayList<>();
    for (int i = 0; i < newMetadata.getConsentersCount(); i++) {
      Consenter consenter = newMetadata.getConsenters(i);
      newMembers.add(new Member(ids[i], consenter, peerId(consenter.getServerTlsCert().toByteArray())));
    }
    return new Membership(new ConsenterSet(channelId, newMembers, next, newMetadata), List.copyOf(added),
        List.copyOf(removed));
  }

  /**
   * Fabric's {@code detectSelfID}: the member whose server TLS certificate has the public key of
   * this node's cluster certificate.
   */
  Optional<Member> self(byte[] nodeCertificatePem) {
    byte[] key = publicKey(nodeCertificatePem);
    for (Member member : members) {
      if (java.util.Arrays.equals(key, publicKey(member.consenter().getServerTlsCert().toByteArray()))) {
        return Optional.of(member);
      }
    }
    return Optional.empty();
  }

  /** The same group id on every node for a channel: a name-based UUID of the channel id. */
  static RaftGroupId groupId(String channelId) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("jorderer/etcdraft/" + channelId).getBytes(StandardCharsets.UTF_8)));
  }

  RaftGroup group() {
    List<RaftPeer> peers = new ArrayList<>();
    for (Member member : members) {
      peers.add(RaftPeer.newBuilder().setId(member.peerId()).setAddress(member.address()).build());
    }
    return RaftGroup.valueOf(groupId(channelId), peers);
  }

  /** What each block's consenter metadata carries (Fabric's etcdraft {@code BlockMetadata}). */
  BlockMetadata blockMetadata(long raftIndex) {
    BlockMetadata.Builder builder = BlockMetadata.newBuilder().setNextConsenterId(nextConsenterId).setRaftIndex(raftIndex);
    members.forEach(m -> builder.addConsenterIds(m.id()));
    return builder.build();
  }

  /** A node's Ratis peer id: 16 hex digits of the SHA-256 of its certificate's public key. */
  static RaftPeerId peerId(byte[] certificatePem) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKey(certificatePem));
      return RaftPeerId.valueOf("n" + HexFormat.of().formatHex(digest, 0, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  /** The etcdraft metadata Fabric v2 keeps in SIGNATURES' OrdererBlockMetadata.consenter_metadata. */
  static Optional<BlockMetadata> blockMetadata(Block block) {
    try {
      if (block.getMetadata().getMetadataCount() <= BlockMetadataIndex.SIGNATURES_VALUE) {
        return Optional.empty();
      }
      Metadata signatures = Metadata.parseFrom(block.getMetadata().getMetadata(BlockMetadataIndex.SIGNATURES_VALUE));
      if (signatures.getValue().isEmpty()) {
        return Optional.empty();
      }
      OrdererBlockMetadata orderer = OrdererBlockMetadata.parseFrom(signatures.getValue());
      ByteString value = Metadata.parseFrom(orderer.getConsenterMetadata()).getValue();
      return value.isEmpty() ? Optional.empty() : Optional.of(BlockMetadata.parseFrom(value));
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  static byte[] publicKey(byte[] certificatePem) {
    try {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(certificatePem));
      return certificate.getPublicKey().getEncoded();
    } catch (CertificateException | ClassCastException e) {
      throw new IllegalArgumentException("not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }
}
