package org.jorderer.consensus.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata;
import org.hyperledger.fabric.protos.orderer.etcdraft.Consenter;
import org.hyperledger.fabric.protos.orderer.etcdraft.Options;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.GoDuration;
import org.jorderer.channel.config.OrdererConfig;
import org.jorderer.channel.config.OrganizationConfig;

/**
 * Fabric's rules for the etcdraft metadata of a config update on an existing channel
 * (orderer/consensus/etcdraft/chain.go {@code ValidateConsensusMetadata}, util.go
 * {@code VerifyConfigMetadata} and {@code validateConsenterTLSCerts}, membership.go
 * {@code ComputeMembershipChanges}), with Fabric's error texts:
 *
 * <ul>
 *   <li>the options are set and sane, and the consenter set is not empty;
 *   <li>every consenter's client and server TLS certificates parse and are issued by a TLS root
 *       (or intermediate) CA of an orderer organization (expiry ignored here);
 *   <li>no two consenters share a certificate;
 *   <li>at most one consenter is added and at most one removed (one of each is a certificate
 *       rotation, which keeps the consenter's id);
 *   <li>an added consenter's certificates are also within their validity now;
 * <li>the change does not lose a quorum that enough active consenters could keep (Fabric's
 *     {@code UnacceptableQuorumLoss}), counting the consenters the leader hears from: the leader
 *     knows them, followers have them from the leader ({@link RaftChain#activeNodes}).
 * </ul>
 */
final class ConsenterRules {
  private ConsenterRules() {}

  static Optional<String> validate(ChannelConfig current, ChannelConfig next, Block lastBlock, Instant now) {
    return validate(current, next, lastBlock, now, Optional.empty());
  }

  /**
   * @param active Fabric's ids of the leader and the consenters it hears from, when this node
   *     knows them (it leads, or the leader answered it recently)
   */
  static Optional<String> validate(ChannelConfig current, ChannelConfig next, Block lastBlock, Instant now,
      Optional<Set<Long>> active) {
    Optional<OrdererConfig> orderer = next.orderer();
    if (orderer.isEmpty() || !RaftConsenter.TYPE.equals(orderer.get().consensusType().type())) {
      return Optional.empty(); // a migration away from etcdraft: the maintenance filter rules
    }
    ByteString newBytes = orderer.get().consensusType().metadata();
    ConfigMetadata newMetadata;
    try {
      newMetadata = ConfigMetadata.parseFrom(newBytes);
    } catch (InvalidProtocolBufferException e) {
      return Optional.of("failed to unmarshal new etcdraft metadata configuration: proto: cannot parse invalid wire-format data");
    }
    List<X509Certificate> roots = new ArrayList<>();
    List<X509Certificate> intermediates = new ArrayList<>();
    Optional<String> anchors = tlsAnchors(orderer.get(), roots, intermediates);
    if (anchors.isPresent()) {
      return Optional.of("failed to create x509 verify options from old and new orderer config: " + anchors.get());
    }
    Optional<String> invalid = verifyConfigMetadata(newMetadata, roots, intermediates, now);
    if (invalid.isPresent()) {
      return Optional.of("invalid new config metadata: " + invalid.get());
    }
    ConsenterSet old = ConsenterSet.of(current.channelId(), current.orderer().orElseThrow().consensusType().metadata(),
        lastBlock);
    ConsenterSet.Membership changes;
    try {
      changes = old.next(newMetadata);
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    for (Consenter added : changes.added()) {
      Optional<String> bad = verifyConsenter(added, roots, intermediates, now, false);
      if (bad.isPresent()) {
        return Optional.of("consenter " + added.getHost() + ":" + added.getPort() + " has invalid certificates: "
            + bad.get());
      }
    }
    if (active.isPresent() && unacceptableQuorumLoss(old, changes, active.get())) {
      return Optional.of(active.get().size() + " out of " + old.members().size()
          + " nodes are alive, configuration will result in quorum loss");
    }
    return Optional.empty();
  }

  /**
   * Fabric's {@code MembershipChanges.UnacceptableQuorumLoss}: whether the change loses the quorum
   * although more consenters could be started to keep it.
   */
  static boolean unacceptableQuorumLoss(ConsenterSet old, ConsenterSet.Membership changes, Set<Long> active) {
    int size = changes.next().members().size();
    boolean faultTolerant = size > 2; // a cluster of one or two tolerates no fault anyway
    int quorum = size / 2 + 1;
    Set<Long> alive = new HashSet<>(active);
    if (changes.added().size() == 1 && changes.removed().isEmpty()) {
      return faultTolerant && alive.size() < quorum;
    }
    if (changes.removed().size() == 1) {
      long removedId = old.members().stream()
          .filter(m -> m.consenter().getClientTlsCert().equals(changes.removed().get(0).getClientTlsCert()))
          .findFirst().orElseThrow().id();
      alive.remove(removedId);
      boolean rotation = changes.added().size() == 1;
      return rotation ? faultTolerant && alive.size() < quorum : alive.size() < quorum;
    }
    return false;
  }

  /** Fabric's {@code VerifyConfigMetadata}: options, non-empty set, certificates (expiry ignored), no duplicates. */
  static Optional<String> verifyConfigMetadata(ConfigMetadata metadata, List<X509Certificate> roots,
      List<X509Certificate> intermediates, Instant now) {
    if (!metadata.hasOptions()) {
      return Optional.of("nil Raft config metadata options");
    }
    Options o = metadata.getOptions();
    if (o.getHeartbeatTick() == 0 || o.getElectionTick() == 0 || o.getMaxInflightBlocks() == 0) {
      return Optional.of("none of HeartbeatTick (" + o.getHeartbeatTick() + "), ElectionTick (" + o.getElectionTick()
          + ") and MaxInflightBlocks (" + o.getMaxInflightBlocks() + ") can be zero");
    }
    if (Integer.toUnsignedLong(o.getElectionTick()) <= Integer.toUnsignedLong(o.getHeartbeatTick())) {
      return Optional.of("ElectionTick (" + o.getElectionTick() + ") must be greater than HeartbeatTick ("
          + o.getHeartbeatTick() + ")");
    }
    try {
      if (GoDuration.parse(o.getTickInterval()).isZero()) {
        return Optional.of("TickInterval cannot be zero");
      }
    } catch (IllegalArgumentException e) {
      return Optional.of("failed to parse TickInterval (" + o.getTickInterval() + ") to time duration: " + e.getMessage());
    }
    if (metadata.getConsentersCount() == 0) {
      return Optional.of("empty consenter set");
    }
    for (Consenter consenter : metadata.getConsentersList()) {
      Optional<String> bad = verifyConsenter(consenter, roots, intermediates, now, true);
      if (bad.isPresent()) {
        return Optional.of("consenter " + consenter.getHost() + ":" + consenter.getPort() + " has invalid certificate: "
            + bad.get());
      }
    }
    Set<ByteString> seen = new HashSet<>();
    for (Consenter consenter : metadata.getConsentersList()) {
      boolean duplicate = seen.contains(consenter.getServerTlsCert()) || seen.contains(consenter.getClientTlsCert());
      if (duplicate) {
        return Optional.of("duplicate consenter: server cert: " + consenter.getServerTlsCert().toStringUtf8()
            + ", client cert: " + consenter.getClientTlsCert().toStringUtf8());
      }
      seen.add(consenter.getServerTlsCert());
      seen.add(consenter.getClientTlsCert());
    }
    return Optional.empty();
  }

  /** Fabric's {@code validateConsenterTLSCerts}: both certificates parse and chain to a TLS CA. */
  private static Optional<String> verifyConsenter(Consenter consenter, List<X509Certificate> roots,
      List<X509Certificate> intermediates, Instant now, boolean ignoreExpiration) {
    String where = consenter.getHost() + ":" + consenter.getPort();
    X509Certificate client;
    X509Certificate server;
    try {
      client = parse(consenter.getClientTlsCert());
    } catch (IllegalArgumentException e) {
      return Optional.of("parsing tls client cert of " + where + ": " + e.getMessage());
    }
    try {
      server = parse(consenter.getServerTlsCert());
    } catch (IllegalArgumentException e) {
      return Optional.of("parsing tls server cert of " + where + ": " + e.getMessage());
    }
    Optional<String> bad = verify(client, roots, intermediates, now, ignoreExpiration);
    if (bad.isPresent()) {
      return Optional.of("verifying tls client cert with serial number " + client.getSerialNumber() + ": " + bad.get());
    }
    bad = verify(server, roots, intermediates, now, ignoreExpiration);
    if (bad.isPresent()) {
      return Optional.of("verifying tls server cert with serial number " + server.getSerialNumber() + ": " + bad.get());
    }
    return Optional.empty();
  }

  /**
   * Go's {@code x509.Certificate.Verify} reduced to what Fabric relies on: a chain of signatures
   * from the certificate through intermediates to a root, each within its validity at {@code now}
   * unless expiry is ignored.
   */
  private static Optional<String> verify(X509Certificate leaf, List<X509Certificate> roots,
      List<X509Certificate> intermediates, Instant now, boolean ignoreExpiration) {
    if (!ignoreExpiration) {
      try {
        leaf.checkValidity(Date.from(now));
      } catch (CertificateExpiredException | CertificateNotYetValidException e) {
        String when = now.isAfter(leaf.getNotAfter().toInstant())
            ? "current time " + now + " is after " + leaf.getNotAfter().toInstant()
            : "current time " + now + " is before " + leaf.getNotBefore().toInstant();
        return Optional.of("x509: certificate has expired or is not yet valid: " + when);
      }
    }
    X509Certificate at = leaf;
    for (int depth = 0; depth < 8; depth++) {
      if (issuedBy(at, roots).isPresent()) {
        return Optional.empty();
      }
      Optional<X509Certificate> parent = issuedBy(at, intermediates);
      if (parent.isEmpty() || parent.get().equals(at)) {
        break;
      }
      at = parent.get();
    }
    return Optional.of("x509: certificate signed by unknown authority");
  }

  private static Optional<X509Certificate> issuedBy(X509Certificate cert, List<X509Certificate> cas) {
    for (X509Certificate ca : cas) {
      if (!ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
        continue;
      }
      try {
        cert.verify(ca.getPublicKey());
        return Optional.of(ca);
      } catch (GeneralSecurityException e) {
        // another CA with the same name, or a bad signature: keep looking
      }
    }
    return Optional.empty();
  }

  /** The orderer organizations' TLS root and intermediate CAs (Fabric's {@code createX509VerifyOptions}). */
  private static Optional<String> tlsAnchors(OrdererConfig orderer, List<X509Certificate> roots,
      List<X509Certificate> intermediates) {
    for (OrganizationConfig org : orderer.organizations().values()) {
      FabricMSPConfig msp;
      try {
        msp = FabricMSPConfig.parseFrom(org.msp().getConfig());
      } catch (InvalidProtocolBufferException e) {
        continue; // the channel config's own validation refuses such an MSP
      }
      try {
        for (ByteString pem : msp.getTlsRootCertsList()) {
          roots.add(parse(pem));
        }
      } catch (IllegalArgumentException e) {
        return Optional.of("parsing tls root certs: " + e.getMessage());
      }
      try {
        for (ByteString pem : msp.getTlsIntermediateCertsList()) {
          intermediates.add(parse(pem));
        }
      } catch (IllegalArgumentException e) {
        return Optional.of("parsing tls intermediate certs: " + e.getMessage());
      }
    }
    return Optional.empty();
  }

  private static X509Certificate parse(ByteString pem) {
    String text = pem.toStringUtf8();
    if (!text.contains("-----BEGIN")) {
      throw new IllegalArgumentException("no PEM data found in cert[" + hexSpaced(pem) + "]");
    }
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(pem.toByteArray()));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalArgumentException("x509: malformed certificate TLS certificate has invalid ASN1 structure");
    }
  }

  private static String hexSpaced(ByteString bytes) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < bytes.size(); i++) {
      out.append(i == 0 ? "" : " ").append(String.format("%02x", bytes.byteAt(i)));
    }
    return out.toString();
  }
}
