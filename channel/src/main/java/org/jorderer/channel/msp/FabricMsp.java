package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.hyperledger.fabric.protos.common.CombinedPrincipal;
import org.hyperledger.fabric.protos.msp.FabricCryptoConfig;
import org.hyperledger.fabric.protos.msp.FabricMSPConfig;
import org.hyperledger.fabric.protos.msp.FabricNodeOUs;
import org.hyperledger.fabric.protos.msp.FabricOUIdentifier;
import org.hyperledger.fabric.protos.msp.MSPConfig;
import org.hyperledger.fabric.protos.common.MSPIdentityAnonymity;
import org.hyperledger.fabric.protos.common.MSPPrincipal;
import org.hyperledger.fabric.protos.common.MSPRole;
import org.hyperledger.fabric.protos.common.OrganizationUnit;
import org.hyperledger.fabric.protos.msp.SerializedIdentity;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.crypto.EcdsaSignatures;
import org.jorderer.channel.crypto.Pem;

/**
 * One Fabric X.509 MSP (Fabric's {@code bccspmsp}, MSP version 1.4.3, which every channel with
 * the V1_4_3 or V2_0 channel capability uses): root and intermediate CAs, admins, CRLs,
 * OU identifiers and NodeOUs. Deserializes identities, validates them, and decides principals.
 * Immutable after {@link #fromConfig}; safe to share between threads.
 */
public final class FabricMsp {
  private static final String UNKNOWN_AUTHORITY = "x509: certificate signed by unknown authority";
  private static final String SKI_OID = "2.5.29.14";
  private static final String AKI_OID = "2.5.29.35";

  private final String name;
  private final CryptoProvider crypto;
  private final List<X509Certificate> roots;
  private final List<X509Certificate> intermediates;
  private final Set<ByteString> rootDers;
  /** DER of every CA that issued an intermediate: identities must not hang directly under them. */
  private final Set<ByteString> internalNodes;
  private final Set<ByteString> adminDers;
  private final List<X509CRL> crls;
  private final Map<String, List<ByteString>> ouIdentifiers;
  private final boolean nodeOuEnforcement;
  private final OrganizationalUnit clientOu;
  private final OrganizationalUnit peerOu;
  private final OrganizationalUnit adminOu;
  private final OrganizationalUnit ordererOu;
  private final String signatureAlgorithm;
  private final String identityHash;
  /** IDENTITY principals, deserialized once: building their chain costs a signature check. */
  private final IdentityCache<Identity> principalIdentities = new IdentityCache<>(256);

  private FabricMsp(Builder b) {
    this.name = b.name;
    this.crypto = b.crypto;
    this.roots = List.copyOf(b.roots);
    this.intermediates = List.copyOf(b.intermediates);
    this.rootDers = Set.copyOf(b.rootDers);
    this.internalNodes = Set.copyOf(b.internalNodes);
    this.adminDers = Set.copyOf(b.adminDers);
    this.crls = List.copyOf(b.crls);
    this.ouIdentifiers = Collections.unmodifiableMap(new LinkedHashMap<>(b.ouIdentifiers));
    this.nodeOuEnforcement = b.nodeOuEnforcement;
    this.clientOu = b.clientOu;
    this.peerOu = b.peerOu;
    this.adminOu = b.adminOu;
    this.ordererOu = b.ordererOu;
    this.signatureAlgorithm = b.signatureAlgorithm;
    this.identityHash = b.identityHash;
  }

  /** Fabric's MSP ID. */
  public String name() {
    return name;
  }

  public List<X509Certificate> rootCertificates() {
    return roots;
  }

  public List<X509Certificate> intermediateCertificates() {
    return intermediates;
  }

  public List<X509CRL> revocationLists() {
    return crls;
  }

  public boolean nodeOusEnabled() {
    return nodeOuEnforcement;
  }

  /** The JCA signature algorithm Fabric's crypto config implies (SHA2 → SHA256withECDSA). */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  CryptoProvider crypto() {
    return crypto;
  }

  /**
   * Builds an MSP from its channel-config definition, checking it as Fabric's {@code Setup} does.
   *
   * @throws IllegalArgumentException with the reason when the definition is unusable
   */
  public static FabricMsp fromConfig(MSPConfig config, CryptoProvider crypto) {
    if (config.getType() != 0) {
      throw new IllegalArgumentException(
          "MSP type " + config.getType() + " (Idemix) is not supported; only X.509 (type 0) MSPs are");
    }
    FabricMSPConfig fabric;
    try {
      fabric = FabricMSPConfig.parseFrom(config.getConfig());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("failed unmarshalling fabric msp config: " + e.getMessage(), e);
    }
    return fromConfig(fabric, crypto);
  }

  public static FabricMsp fromConfig(FabricMSPConfig config, CryptoProvider crypto) {
    Builder b = new Builder();
    b.crypto = crypto;
    b.name = config.getName();
    if (b.name.isEmpty()) {
      throw new IllegalArgumentException("MSP name cannot be empty");
    }
    setupCrypto(b, config.hasCryptoConfig() ? config.getCryptoConfig() : FabricCryptoConfig.getDefaultInstance());
    if (config.getRootCertsCount() == 0) {
      throw new IllegalArgumentException("expected at least one CA certificate");
    }
    for (ByteString pem : config.getRootCertsList()) {
      X509Certificate root = certificateFromPem(pem, "root CA");
      b.roots.add(root);
      b.rootDers.add(der(root));
    }
    for (ByteString pem : config.getIntermediateCertsList()) {
      b.intermediates.add(certificateFromPem(pem, "intermediate CA"));
    }
    FabricMsp partial = new FabricMsp(b);
    for (X509Certificate ca : concat(b.roots, b.intermediates)) {
      if (ca.getBasicConstraints() < 0 || ca.getExtensionValue(SKI_OID) == null) {
        throw new IllegalArgumentException(
            "CA Certificate did not have the Subject Key Identifier extension, (SN: " + ca.getSerialNumber() + ")");
      }
    }
    for (X509Certificate intermediate : b.intermediates) {
      ChainResult chain = partial.uniqueChain(intermediate);
      if (chain.error != null) {
        throw new IllegalArgumentException("CA Certificate is not valid, (SN: "
            + intermediate.getSerialNumber() + ") [could not obtain certification chain: " + chain.error + "]");
      }
      for (int i = 1; i < chain.chain.size(); i++) {
        b.internalNodes.add(der(chain.chain.get(i)));
      }
    }
    partial = new FabricMsp(b);
    for (ByteString pem : config.getAdminsList()) {
      X509Certificate admin = certificateFromPem(pem, "admin");
      ChainResult chain = partial.uniqueChain(admin);
      b.adminDers.add(ByteString.copyFrom(chain.error == null ? partial.sanitize(admin, chain.chain) : encoded(admin)));
    }
    CertificateFactory factory = x509Factory();
    for (ByteString crl : config.getRevocationListList()) {
      try {
        b.crls.add((X509CRL) factory.generateCRL(new ByteArrayInputStream(crl.toByteArray())));
      } catch (CRLException e) {
        throw new IllegalArgumentException("could not parse RevocationList: " + e.getMessage(), e);
      }
    }
    partial = new FabricMsp(b);
    for (FabricOUIdentifier ou : config.getOrganizationalUnitIdentifiersList()) {
      ByteString certifiers = partial.certifiersIdentifier(ou.getCertificate(), "OU " + ou.getOrganizationalUnitIdentifier());
      List<ByteString> known = b.ouIdentifiers.computeIfAbsent(ou.getOrganizationalUnitIdentifier(), k -> new ArrayList<>());
      if (!known.contains(certifiers)) {
        known.add(certifiers);
      }
    }
    if (config.hasFabricNodeOus() && config.getFabricNodeOus().getEnable()) {
      FabricNodeOUs nodeOus = config.getFabricNodeOus();
      b.nodeOuEnforcement = true;
      b.clientOu = nodeOus.hasClientOuIdentifier() ? partial.nodeOu(nodeOus.getClientOuIdentifier()) : null;
      b.peerOu = nodeOus.hasPeerOuIdentifier() ? partial.nodeOu(nodeOus.getPeerOuIdentifier()) : null;
      b.adminOu = nodeOus.hasAdminOuIdentifier() ? partial.nodeOu(nodeOus.getAdminOuIdentifier()) : null;
      b.ordererOu = nodeOus.hasOrdererOuIdentifier() ? partial.nodeOu(nodeOus.getOrdererOuIdentifier()) : null;
    }
    return new FabricMsp(b);
  }

  private static void setupCrypto(Builder b, FabricCryptoConfig crypto) {
    String family = crypto.getSignatureHashFamily().isEmpty() ? "SHA2" : crypto.getSignatureHashFamily();
    switch (family) {
      case "SHA2":
        b.signatureAlgorithm = "SHA256withECDSA";
        break;
      case "SHA3":
        b.signatureAlgorithm = "SHA3-256withECDSA";
        break;
      default:
        throw new IllegalArgumentException("unsupported signature hash family " + family);
    }
    String function = crypto.getIdentityIdentifierHashFunction().isEmpty() ? "SHA256" : crypto.getIdentityIdentifierHashFunction();
    switch (function) {
      case "SHA256":
      case "SHA2":
        b.identityHash = "SHA-256";
        break;
      case "SHA384":
        b.identityHash = "SHA-384";
        break;
      case "SHA3_256":
      case "SHA3":
        b.identityHash = "SHA3-256";
        break;
      case "SHA3_384":
        b.identityHash = "SHA3-384";
        break;
      default:
        throw new IllegalArgumentException("unsupported identity identifier hash function " + function);
    }
  }

  private OrganizationalUnit nodeOu(FabricOUIdentifier ou) {
    ByteString certifiers = ou.getCertificate().isEmpty()
        ? ByteString.EMPTY
        : certifiersIdentifier(ou.getCertificate(), "NodeOU " + ou.getOrganizationalUnitIdentifier());
    return new OrganizationalUnit(ou.getOrganizationalUnitIdentifier(), certifiers);
  }

  /** Fabric's {@code getCertifiersIdentifier}: hash of the chain from a listed CA to its root. */
  private ByteString certifiersIdentifier(ByteString pem, String what) {
    X509Certificate cert = certificateFromPem(pem, what + " certificate");
    boolean root = roots.contains(cert);
    if (!root && !intermediates.contains(cert)) {
      throw new IllegalArgumentException("Failed adding OU. Certificate [" + cert.getSubjectX500Principal()
          + "] not in root or intermediate certs.");
    }
    if (root) {
      return chainIdentifier(List.of(cert));
    }
    ChainResult chain = uniqueChain(cert);
    if (chain.error != null) {
      throw new IllegalArgumentException("Failed computing Certifiers Identifier for [" + what + "]: " + chain.error);
    }
    return chainIdentifier(chain.chain);
  }

  // ---------------------------------------------------------------- deserialization

  /**
   * Fabric's {@code bccspmsp.DeserializeIdentity} for an identity already known to name this MSP:
   * PEM certificate, EC public key, a unique chain to this MSP's CAs (needed to sanitize the
   * certificate's own signature to low-S, as Fabric does before hashing it into the identity ID).
   */
  Identity deserialize(ByteString serialized, SerializedIdentity parsed) throws IdentityException {
    if (!parsed.getMspid().equals(name)) {
      throw new IdentityException("expected MSP ID " + name + ", received " + parsed.getMspid());
    }
    Pem.Block block = Pem.decodeFirst(parsed.getIdBytes().toByteArray());
    if (block == null) {
      throw new IdentityException("could not decode the PEM structure");
    }
    X509Certificate cert;
    try {
      cert = Pem.certificate(block.der());
    } catch (CertificateException | RuntimeException e) {
      throw new IdentityException("parseCertificate failed: " + e.getMessage());
    }
    PublicKey key;
    try {
      if (!(cert.getPublicKey() instanceof ECPublicKey)) {
        throw new InvalidKeyException("certificate's public key type not supported: "
            + cert.getPublicKey().getAlgorithm() + " (ECDSA only)");
      }
      key = crypto.importPublicKey(cert.getPublicKey());
    } catch (InvalidKeyException e) {
      throw new IdentityException("failed to import certificate's public key: " + e.getMessage());
    }
    ChainResult chain = uniqueChain(cert);
    if (chain.error != null) {
      throw new IdentityException(chain.error);
    }
    byte[] sanitized = sanitize(cert, chain.chain);
    String id = HexFormat.of().formatHex(digest(identityHash, sanitized));
    return new Identity(this, serialized, cert, sanitized, id, key, chain.chain, organizationalUnitsOf(cert, chain.chain));
  }

  private List<OrganizationalUnit> organizationalUnitsOf(X509Certificate cert, List<X509Certificate> chain) {
    // Fabric derives OUs through getCertificationChain, which refuses CA certificates and
    // identities hanging under an internal node; it then reports no OUs at all.
    if (cert.getBasicConstraints() >= 0 || chain.size() < 2 || internalNodes.contains(der(chain.get(1)))) {
      return List.of();
    }
    ByteString certifiers = chainIdentifier(chain.subList(1, chain.size()));
    List<OrganizationalUnit> units = new ArrayList<>();
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    for (RDN rdn : subject.getRDNs()) {
      for (org.bouncycastle.asn1.x500.AttributeTypeAndValue value : rdn.getTypesAndValues()) {
        if (value.getType().equals(BCStyle.OU)) {
          units.add(new OrganizationalUnit(IETFUtils.valueToString(value.getValue()), certifiers));
        }
      }
    }
    return units;
  }

  private ByteString chainIdentifier(List<X509Certificate> chain) {
    try {
      MessageDigest md = MessageDigest.getInstance(identityHash);
      for (X509Certificate c : chain) {
        md.update(encoded(c));
      }
      return ByteString.copyFrom(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(identityHash + " is not available", e);
    }
  }

  /**
   * Fabric's {@code sanitizeCert}: if the certificate's ECDSA signature is high-S, the same
   * certificate with {@code n - s}. Identity IDs and admin/identity comparisons use these bytes.
   */
  private byte[] sanitize(X509Certificate cert, List<X509Certificate> chain) {
    byte[] original = encoded(cert);
    if (!cert.getSigAlgName().toUpperCase(java.util.Locale.ROOT).contains("ECDSA")) {
      return original;
    }
    X509Certificate parent = chain.size() > 1 ? chain.get(1) : cert;
    if (!(parent.getPublicKey() instanceof ECPublicKey)) {
      return original;
    }
    try {
      EcdsaSignatures.RawSignature signature = EcdsaSignatures.decode(cert.getSignature());
      BigInteger order = EcdsaSignatures.curveOrder(parent.getPublicKey());
      if (EcdsaSignatures.isLowS(signature.s(), order)) {
        return original;
      }
      ASN1Sequence outer = ASN1Sequence.getInstance(original);
      ASN1EncodableVector rebuilt = new ASN1EncodableVector();
      rebuilt.add(outer.getObjectAt(0));
      rebuilt.add(outer.getObjectAt(1));
      rebuilt.add(new DERBitString(EcdsaSignatures.encode(signature.r(), order.subtract(signature.s()))));
      return new DERSequence(rebuilt).getEncoded(ASN1Encoding.DER);
    } catch (IOException | IllegalArgumentException e) {
      return original;
    }
  }

  // ---------------------------------------------------------------- chains

  private static final class ChainResult {
    final List<X509Certificate> chain;
    final String error;

    ChainResult(List<X509Certificate> chain, String error) {
      this.chain = chain;
      this.error = error;
    }
  }

  /**
   * Fabric's {@code getUniqueValidationChain} with {@code getValidityOptsForCert}: Go's
   * {@code x509.Verify} against this MSP's roots and intermediates at the certificate's own
   * NotBefore + 1 second (Fabric's deliberate workaround FAB-3678: expiry is checked elsewhere).
   */
  private ChainResult uniqueChain(X509Certificate cert) {
    Date at = new Date(cert.getNotBefore().getTime() + 1000);
    try {
      cert.checkValidity(at);
    } catch (java.security.cert.CertificateExpiredException | java.security.cert.CertificateNotYetValidException e) {
      return new ChainResult(null, "the supplied identity is not valid: x509: certificate has expired or is not yet valid");
    }
    List<List<X509Certificate>> chains = new ArrayList<>();
    if (rootDers.contains(der(cert))) {
      chains.add(List.of(cert));
    } else {
      List<X509Certificate> current = new ArrayList<>();
      current.add(cert);
      extend(current, at, chains);
    }
    if (chains.isEmpty()) {
      return new ChainResult(null, "the supplied identity is not valid: " + UNKNOWN_AUTHORITY);
    }
    if (chains.size() != 1) {
      return new ChainResult(null, "this MSP only supports a single validation chain, got " + chains.size());
    }
    return new ChainResult(chains.get(0), null);
  }

  private void extend(List<X509Certificate> current, Date at, List<List<X509Certificate>> found) {
    if (current.size() > 10 || found.size() > 4) {
      return;
    }
    X509Certificate child = current.get(current.size() - 1);
    for (X509Certificate root : roots) {
      if (isParent(root, child, current, at)) {
        List<X509Certificate> chain = new ArrayList<>(current);
        chain.add(root);
        found.add(List.copyOf(chain));
      }
    }
    for (X509Certificate intermediate : intermediates) {
      if (current.contains(intermediate) || rootDers.contains(der(intermediate))) {
        continue;
      }
      if (isParent(intermediate, child, current, at)) {
        current.add(intermediate);
        extend(current, at, found);
        current.remove(current.size() - 1);
      }
    }
  }

  /** Go's name match, CheckSignatureFrom and isValid, as far as Fabric's MSPs exercise them. */
  private boolean isParent(X509Certificate parent, X509Certificate child, List<X509Certificate> current, Date at) {
    if (!Arrays.equals(parent.getSubjectX500Principal().getEncoded(), child.getIssuerX500Principal().getEncoded())) {
      return false;
    }
    if (parent.getVersion() == 3 && parent.getBasicConstraints() < 0) {
      return false;
    }
    boolean[] keyUsage = parent.getKeyUsage();
    if (keyUsage != null && (keyUsage.length <= 5 || !keyUsage[5])) {
      return false;
    }
    int intermediatesBelow = current.size() - 1;
    if (parent.getBasicConstraints() >= 0 && intermediatesBelow > parent.getBasicConstraints()) {
      return false;
    }
    try {
      parent.checkValidity(at);
    } catch (java.security.cert.CertificateExpiredException | java.security.cert.CertificateNotYetValidException e) {
      return false;
    }
    return crypto.verifiesCertificate(child, parent.getPublicKey());
  }

  // ---------------------------------------------------------------- validation

  /** Fabric's {@code validateIdentity} (v1.4.3 OU rules). */
  Optional<String> validate(Identity id) {
    X509Certificate cert = id.certificate();
    if (cert.getBasicConstraints() >= 0) {
      return Optional.of("could not obtain certification chain: An X509 certificate with Basic Constraint: "
          + "Certificate Authority equals true cannot be used as an identity");
    }
    List<X509Certificate> chain = id.chain();
    if (chain.size() < 2) {
      return Optional.of("could not obtain certification chain: failed getting validation chain: "
          + "expected a chain of length at least 2, got " + chain.size());
    }
    if (internalNodes.contains(der(chain.get(1)))) {
      return Optional.of("could not obtain certification chain: invalid validation chain. "
          + "Parent certificate should be a leaf of the certification tree " + goBytes(id.sanitizedDer()));
    }
    Optional<String> revoked = checkRevocation(cert, chain.get(1));
    if (revoked.isPresent()) {
      return Optional.of("could not validate identity against certification chain: " + revoked.get());
    }
    Optional<String> ous = validateOus(id);
    if (ous.isPresent()) {
      return Optional.of("could not validate identity's OUs: " + ous.get());
    }
    return Optional.empty();
  }

  /** Fabric's {@code validateCertAgainstChain}: CRLs whose AKI is the issuer's SKI. */
  private Optional<String> checkRevocation(X509Certificate cert, X509Certificate issuer) {
    byte[] ski = subjectKeyIdentifier(issuer);
    if (ski == null) {
      return Optional.of("could not obtain Subject Key Identifier for signer cert: subjectKeyIdentifier not found in certificate");
    }
    for (X509CRL crl : crls) {
      byte[] aki = authorityKeyIdentifier(crl);
      if (aki == null) {
        return Optional.of("could not obtain Authority Key Identifier for crl: authorityKeyIdentifier not found in certificate");
      }
      if (!Arrays.equals(aki, ski)) {
        continue;
      }
      X509CRLEntry entry = crl.getRevokedCertificate(cert.getSerialNumber());
      if (entry == null) {
        continue;
      }
      try {
        crl.verify(issuer.getPublicKey());
      } catch (java.security.GeneralSecurityException e) {
        // Not signed by the issuing CA: Fabric skips such a CRL.
        continue;
      }
      return Optional.of("The certificate has been revoked");
    }
    return Optional.empty();
  }

  private Optional<String> validateOus(Identity id) {
    List<OrganizationalUnit> units = id.organizationalUnits();
    if (!nodeOuEnforcement) {
      if (ouIdentifiers.isEmpty()) {
        return Optional.empty();
      }
      for (OrganizationalUnit unit : units) {
        List<ByteString> certifiers = ouIdentifiers.get(unit.identifier());
        if (certifiers != null && certifiers.contains(unit.certifiersIdentifier())) {
          return Optional.empty();
        }
      }
      if (units.isEmpty()) {
        return Optional.of("the identity certificate does not contain an Organizational Unit (OU)");
      }
      return Optional.of("none of the identity's organizational units " + goList(units) + " are in MSP " + name);
    }
    Map<String, OrganizationalUnit> nodeOus = new LinkedHashMap<>();
    for (OrganizationalUnit ou : new OrganizationalUnit[] {clientOu, peerOu, adminOu, ordererOu}) {
      if (ou != null) {
        nodeOus.put(ou.identifier(), ou);
      }
    }
    int counter = 0;
    for (OrganizationalUnit unit : units) {
      OrganizationalUnit nodeOu = nodeOus.get(unit.identifier());
      if (nodeOu == null) {
        continue;
      }
      if (!nodeOu.certifiersIdentifier().isEmpty() && !nodeOu.certifiersIdentifier().equals(unit.certifiersIdentifier())) {
        return Optional.of("certifiersIdentifier does not match: " + goList(units) + ", MSP: [" + name + "]");
      }
      counter++;
      if (counter > 1) {
        break;
      }
    }
    if (counter != 1) {
      return Optional.of("the identity must be a client, a peer, an orderer or an admin identity to be valid, "
          + "not a combination of them. OUs: " + goList(units) + ", MSP: [" + name + "]");
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- principals

  /** Fabric's {@code satisfiesPrincipalInternalV142} falling back to V13 / pre-V13. */
  Optional<String> satisfiesPrincipal(Identity id, MSPPrincipal principal) {
    if (nodeOuEnforcement && principal.getPrincipalClassification() == MSPPrincipal.Classification.ROLE) {
      MSPRole role;
      try {
        role = MSPRole.parseFrom(principal.getPrincipal());
      } catch (InvalidProtocolBufferException e) {
        return Optional.of("could not unmarshal MSPRole from principal: " + e.getMessage());
      }
      if (!role.getMspIdentifier().equals(name)) {
        return Optional.of(differentMsp(role.getMspIdentifier(), id));
      }
      if (role.getRole() == MSPRole.MSPRoleType.ADMIN) {
        if (isAdmin(id)) {
          return Optional.empty();
        }
        Optional<String> invalid = id.validate();
        if (invalid.isPresent()) {
          return Optional.of("The identity is not valid under this MSP [" + name + "]: " + invalid.get());
        }
        return hasOuRole(id, MSPRole.MSPRoleType.ADMIN)
            .map(e -> "The identity is not an admin under this MSP [" + name + "]: " + e);
      }
      if (role.getRole() == MSPRole.MSPRoleType.ORDERER) {
        return validAndRole(id, role.getRole());
      }
    }
    return satisfiesPrincipalV13(id, principal);
  }

  private Optional<String> satisfiesPrincipalV13(Identity id, MSPPrincipal principal) {
    switch (principal.getPrincipalClassification()) {
      case COMBINED: {
        CombinedPrincipal combined;
        try {
          combined = CombinedPrincipal.parseFrom(principal.getPrincipal());
        } catch (InvalidProtocolBufferException e) {
          return Optional.of("could not unmarshal CombinedPrincipal from principal: " + e.getMessage());
        }
        if (combined.getPrincipalsCount() == 0) {
          return Optional.of("No principals in CombinedPrincipal");
        }
        for (MSPPrincipal inner : combined.getPrincipalsList()) {
          Optional<String> failure = satisfiesPrincipalV13(id, inner);
          if (failure.isPresent()) {
            return failure;
          }
        }
        return Optional.empty();
      }
      case ANONYMITY: {
        MSPIdentityAnonymity anonymity;
        try {
          anonymity = MSPIdentityAnonymity.parseFrom(principal.getPrincipal());
        } catch (InvalidProtocolBufferException e) {
          return Optional.of("could not unmarshal MSPIdentityAnonymity from principal: " + e.getMessage());
        }
        switch (anonymity.getAnonymityTypeValue()) {
          case MSPIdentityAnonymity.MSPIdentityAnonymityType.ANONYMOUS_VALUE:
            return Optional.of("Principal is anonymous, but X.509 MSP does not support anonymous identities");
          case MSPIdentityAnonymity.MSPIdentityAnonymityType.NOMINAL_VALUE:
            return Optional.empty();
          default:
            return Optional.of("Unknown principal anonymity type: " + anonymity.getAnonymityTypeValue());
        }
      }
      default:
        return satisfiesPrincipalPreV13(id, principal);
    }
  }

  private Optional<String> satisfiesPrincipalPreV13(Identity id, MSPPrincipal principal) {
    switch (principal.getPrincipalClassification()) {
      case ROLE: {
        MSPRole role;
        try {
          role = MSPRole.parseFrom(principal.getPrincipal());
        } catch (InvalidProtocolBufferException e) {
          return Optional.of("could not unmarshal MSPRole from principal: " + e.getMessage());
        }
        if (!role.getMspIdentifier().equals(name)) {
          return Optional.of(differentMsp(role.getMspIdentifier(), id));
        }
        switch (role.getRoleValue()) {
          case MSPRole.MSPRoleType.MEMBER_VALUE:
            return id.validate();
          case MSPRole.MSPRoleType.ADMIN_VALUE:
            return isAdmin(id) ? Optional.empty() : Optional.of("This identity is not an admin");
          case MSPRole.MSPRoleType.CLIENT_VALUE:
          case MSPRole.MSPRoleType.PEER_VALUE:
            return validAndRole(id, role.getRole());
          default:
            return Optional.of("invalid MSP role type " + role.getRoleValue());
        }
      }
      case IDENTITY: {
        SerializedIdentity other;
        try {
          other = SerializedIdentity.parseFrom(principal.getPrincipal());
        } catch (InvalidProtocolBufferException e) {
          return Optional.of("invalid identity principal, not a certificate: could not deserialize a SerializedIdentity: "
              + e.getMessage());
        }
        Identity principalIdentity = principalIdentities.get(principal.getPrincipal());
        if (principalIdentity == null) {
          try {
            principalIdentity = deserialize(principal.getPrincipal(), other);
          } catch (IdentityException e) {
            return Optional.of("invalid identity principal, not a certificate: " + e.getMessage());
          }
          principalIdentities.put(principal.getPrincipal(), principalIdentity);
        }
        if (Arrays.equals(id.sanitizedDer(), principalIdentity.sanitizedDer())) {
          return principalIdentity.validate();
        }
        return Optional.of("The identities do not match");
      }
      case ORGANIZATION_UNIT: {
        OrganizationUnit unit;
        try {
          unit = OrganizationUnit.parseFrom(principal.getPrincipal());
        } catch (InvalidProtocolBufferException e) {
          return Optional.of("could not unmarshal OrganizationUnit from principal: " + e.getMessage());
        }
        if (!unit.getMspIdentifier().equals(name)) {
          return Optional.of(differentMsp(unit.getMspIdentifier(), id));
        }
        Optional<String> invalid = id.validate();
        if (invalid.isPresent()) {
          return invalid;
        }
        for (OrganizationalUnit ou : id.organizationalUnits()) {
          if (ou.identifier().equals(unit.getOrganizationalUnitIdentifier())
              && ou.certifiersIdentifier().equals(unit.getCertifiersIdentifier())) {
            return Optional.empty();
          }
        }
        return Optional.of("The identities do not match");
      }
      default:
        return Optional.of("invalid principal type " + principal.getPrincipalClassificationValue());
    }
  }

  private Optional<String> validAndRole(Identity id, MSPRole.MSPRoleType role) {
    Optional<String> invalid = id.validate();
    if (invalid.isPresent()) {
      return Optional.of("The identity is not valid under this MSP [" + name + "]: " + invalid.get());
    }
    return hasOuRole(id, role).map(e -> "The identity is not a [" + role + "] under this MSP [" + name + "]: " + e);
  }

  private Optional<String> hasOuRole(Identity id, MSPRole.MSPRoleType role) {
    if (!nodeOuEnforcement) {
      return Optional.of("NodeOUs not activated. Cannot tell apart identities.");
    }
    OrganizationalUnit nodeOu;
    switch (role) {
      case CLIENT:
        nodeOu = clientOu;
        break;
      case PEER:
        nodeOu = peerOu;
        break;
      case ADMIN:
        nodeOu = adminOu;
        break;
      case ORDERER:
        nodeOu = ordererOu;
        break;
      default:
        return Optional.of("Invalid MSPRoleType. It must be CLIENT, PEER, ADMIN or ORDERER");
    }
    if (nodeOu == null) {
      return Optional.of("cannot test for classification, node ou for type [" + role + "], not defined, msp: [" + name + "]");
    }
    for (OrganizationalUnit ou : id.organizationalUnits()) {
      if (ou.identifier().equals(nodeOu.identifier())) {
        return Optional.empty();
      }
    }
    return Optional.of("The identity does not contain OU [" + role + "], MSP: [" + name + "]");
  }

  private boolean isAdmin(Identity id) {
    return adminDers.contains(ByteString.copyFrom(id.sanitizedDer()));
  }

  private static String differentMsp(String expected, Identity id) {
    return "the identity is a member of a different MSP (expected " + expected + ", got " + id.mspId() + ")";
  }

  // ---------------------------------------------------------------- helpers

  private static byte[] subjectKeyIdentifier(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(SKI_OID);
    if (ext == null) {
      return null;
    }
    ASN1OctetString outer = ASN1OctetString.getInstance(ext);
    return ASN1OctetString.getInstance(outer.getOctets()).getOctets();
  }

  private static byte[] authorityKeyIdentifier(X509CRL crl) {
    byte[] ext = crl.getExtensionValue(AKI_OID);
    if (ext == null) {
      return null;
    }
    ASN1OctetString outer = ASN1OctetString.getInstance(ext);
    byte[] id = AuthorityKeyIdentifier.getInstance(outer.getOctets()).getKeyIdentifier();
    return id == null ? new byte[0] : id;
  }

  private static X509Certificate certificateFromPem(ByteString pem, String what) {
    Pem.Block block = Pem.decodeFirst(pem.toByteArray());
    if (block == null) {
      throw new IllegalArgumentException("could not decode the PEM structure of the " + what + " certificate");
    }
    try {
      return Pem.certificate(block.der());
    } catch (CertificateException e) {
      throw new IllegalArgumentException("could not parse the " + what + " certificate: " + e.getMessage(), e);
    }
  }

  private static CertificateFactory x509Factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("every Java runtime provides X.509", e);
    }
  }

  static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException("a parsed certificate re-encodes", e);
    }
  }

  private static ByteString der(X509Certificate cert) {
    return ByteString.copyFrom(encoded(cert));
  }

  private static byte[] digest(String algorithm, byte[] data) {
    try {
      return MessageDigest.getInstance(algorithm).digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is not available", e);
    }
  }

  private static List<X509Certificate> concat(List<X509Certificate> a, List<X509Certificate> b) {
    List<X509Certificate> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Go's {@code fmt.Sprintf("%s", []string)}: "[a b c]". */
  private static String goList(List<OrganizationalUnit> units) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < units.size(); i++) {
      out.append(i == 0 ? "" : " ").append(units.get(i));
    }
    return out.append(']').toString();
  }

  /** Go's {@code %v} of a byte slice: "[48 130 2 ...]". */
  private static String goBytes(byte[] bytes) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < bytes.length; i++) {
      out.append(i == 0 ? "" : " ").append(bytes[i] & 0xff);
    }
    return out.append(']').toString();
  }

  private static final class Builder {
    String name;
    CryptoProvider crypto;
    final List<X509Certificate> roots = new ArrayList<>();
    final List<X509Certificate> intermediates = new ArrayList<>();
    final Set<ByteString> rootDers = new HashSet<>();
    final Set<ByteString> internalNodes = new HashSet<>();
    final Set<ByteString> adminDers = new HashSet<>();
    final List<X509CRL> crls = new ArrayList<>();
    final Map<String, List<ByteString>> ouIdentifiers = new LinkedHashMap<>();
    boolean nodeOuEnforcement;
    OrganizationalUnit clientOu;
    OrganizationalUnit peerOu;
    OrganizationalUnit adminOu;
    OrganizationalUnit ordererOu;
    String signatureAlgorithm;
    String identityHash;
  }

}
