import EmbargoInventory
import EmbargoPolicy
import Foundation

/// Where a host stands against a restriction for one product, as of the audit instant.
public enum FindingStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// A prohibiting phase of a restriction that binds the profile is in effect.
    case violation
    /// A restriction binds the profile but its first prohibiting phase takes effect later.
    case upcoming
    /// Would be a violation, but an active waiver covers it.
    case waived
    /// Every binding restriction exempts the product (a threat-intelligence product, for example).
    case exempt
    /// Only weak indicators (string markers, generic file names) were found: investigate.
    case suspected
    /// Only configuration remnants of a removed package are left: purge them.
    case remnant
    /// No restriction of the vendor binds the chosen profile.
    case notApplicable = "not-applicable"

    /// Order in reports: what needs action first.
    public var rank: Int {
        switch self {
        case .violation: return 0
        case .suspected: return 1
        case .upcoming: return 2
        case .remnant: return 3
        case .waived: return 4
        case .exempt: return 5
        case .notApplicable: return 6
        }
    }
}

/// How sure the match is.
public enum Confidence: String, Sendable, Codable, Hashable {
    /// A sufficient identifier the vendor documents matched.
    case high
    /// Only third-party sufficient identifiers matched.
    case medium
    /// Only supporting identifiers (markers, generic file names) matched.
    case low
}

/// The kind of thing on the host that a piece of evidence points at.
public enum EvidenceKind: String, Sendable, Codable, Hashable, CaseIterable {
    case package
    case file
    case service
    case certificate
    case repository
    case process
    case kernelModule = "kernel-module"
}

/// One item of the inventory that matched an identifier of the product.
public struct Evidence: Sendable, Codable, Hashable {
    public var kind: EvidenceKind
    /// Package name, absolute path inside the root, unit name, certificate subject, URL, pid.
    public var locator: String
    /// The identifier that matched, as written in the policy.
    public var identifier: MatchedIdentifier
    /// Facts about the item (version, arch, status, owner, sha256, ...), all as text.
    public var detail: [String: String]

    public init(kind: EvidenceKind, locator: String, identifier: MatchedIdentifier, detail: [String: String]) {
        self.kind = kind
        self.locator = locator
        self.identifier = identifier
        self.detail = detail
    }
}

/// The policy identifier behind a piece of evidence.
public struct MatchedIdentifier: Sendable, Codable, Hashable {
    public var kind: String
    public var value: String
    public var strength: String
    public var weight: String
    public var source: String?
    /// `file:line:column` of the identifier in its policy file.
    public var definedAt: String

    init(_ identifier: Identifier) {
        kind = identifier.kind.rawValue
        value = identifier.value
        strength = identifier.strength.rawValue
        weight = identifier.weight.rawValue
        source = identifier.source
        definedAt = identifier.location.description
    }
}

/// One phase of one restriction, judged at the as-of instant for one finding.
public struct PhaseAssessment: Sendable, Codable, Hashable {
    public var restriction: String
    public var restrictionTitle: String
    public var authority: String
    public var phase: String
    public var kind: String
    /// The instant in UTC (RFC 3339).
    public var effective: String
    /// The instant as the policy writes it, with its offset.
    public var effectiveLocal: String
    public var prohibits: String
    public var severity: Severity
    /// Whether presence counts as a violation once the phase is in effect.
    public var violation: Bool
    public var inEffect: Bool
    /// Complete days from the as-of instant until the phase takes effect (0 once in effect or when
    /// less than a day is left).
    public var daysUntilEffective: Int
    /// Whether the product was installed after the phase took effect (nil when unknown).
    public var installedAfter: Bool?
    /// Whether the product was updated after the phase took effect (nil when unknown).
    public var updatedAfter: Bool?
    public var citations: [Citation]
}

/// An exemption that kept a restriction from applying to the product.
public struct AppliedExemption: Sendable, Codable, Hashable {
    public var restriction: String
    public var reason: String
    public var citation: Citation?
}

/// A waiver that turned a violation into `waived` (or has expired).
public struct AppliedWaiver: Sendable, Codable, Hashable {
    public var id: String
    public var reason: String
    public var approver: String?
    public var expires: String
    public var expired: Bool
}

/// A restricted product found on the host, with all its evidence and its dated legal position.
public struct Finding: Sendable, Codable, Hashable {
    public var vendor: String
    public var vendorName: String
    public var product: String
    public var productName: String
    public var status: FindingStatus
    public var severity: Severity
    public var confidence: Confidence
    /// When the product was first installed (earliest package install; file mtime for loose files).
    public var installedAt: Date?
    public var installedAtSource: String?
    /// When the product was last installed, upgraded or modified.
    public var updatedAt: Date?
    public var updatedAtSource: String?
    /// Phases of every restriction that binds the profile and does not exempt the product.
    public var phases: [PhaseAssessment]
    /// The next prohibiting phase, for `upcoming` findings.
    public var nextPhase: PhaseAssessment?
    public var exemptions: [AppliedExemption]
    public var waiver: AppliedWaiver?
    public var evidence: [Evidence]
    /// Commands and steps that remove the product, most specific first.
    public var remediation: [String]

    /// Stable identity across scans: `vendor/product`.
    public var id: String { "\(vendor)/\(product)" }

    /// The latest phase in effect with its date (what the report's "phase" column shows).
    public var phaseInEffect: PhaseAssessment? {
        phases.filter { $0.inEffect && $0.violation }.max { $0.effective < $1.effective }
    }
}

extension Finding {
    enum CodingKeys: String, CodingKey {
        case vendor, vendorName, product, productName, status, severity, confidence, installedAt, installedAtSource
        case updatedAt, updatedAtSource, phases, nextPhase, exemptions, waiver, evidence, remediation
    }

    /// Unknown dates are written as `null`, not left out: "no install date" is information.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(vendor, forKey: .vendor)
        try container.encode(vendorName, forKey: .vendorName)
        try container.encode(product, forKey: .product)
        try container.encode(productName, forKey: .productName)
        try container.encode(status, forKey: .status)
        try container.encode(severity, forKey: .severity)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(installedAt, forKey: .installedAt)
        try container.encode(installedAtSource, forKey: .installedAtSource)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(updatedAtSource, forKey: .updatedAtSource)
        try container.encode(phases, forKey: .phases)
        try container.encode(nextPhase, forKey: .nextPhase)
        try container.encode(exemptions, forKey: .exemptions)
        try container.encode(waiver, forKey: .waiver)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(remediation, forKey: .remediation)
    }
}

extension PhaseAssessment {
    enum CodingKeys: String, CodingKey {
        case restriction, restrictionTitle, authority, phase, kind, effective, effectiveLocal, prohibits, severity
        case violation, inEffect, daysUntilEffective, installedAfter, updatedAfter, citations
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(restriction, forKey: .restriction)
        try container.encode(restrictionTitle, forKey: .restrictionTitle)
        try container.encode(authority, forKey: .authority)
        try container.encode(phase, forKey: .phase)
        try container.encode(kind, forKey: .kind)
        try container.encode(effective, forKey: .effective)
        try container.encode(effectiveLocal, forKey: .effectiveLocal)
        try container.encode(prohibits, forKey: .prohibits)
        try container.encode(severity, forKey: .severity)
        try container.encode(violation, forKey: .violation)
        try container.encode(inEffect, forKey: .inEffect)
        try container.encode(daysUntilEffective, forKey: .daysUntilEffective)
        try container.encode(installedAfter, forKey: .installedAfter)
        try container.encode(updatedAfter, forKey: .updatedAfter)
        try container.encode(citations, forKey: .citations)
    }
}
