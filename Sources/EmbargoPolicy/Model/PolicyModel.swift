import EmbargoInventory
import Foundation

/// A position in a policy file, for error messages and evidence.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// How trustworthy the source of an identifier is.
public enum IdentifierStrength: String, Sendable, Hashable, Codable, CaseIterable {
    /// Stated by the vendor's own documentation.
    case vendorDocumented = "vendor-documented"
    /// Seen only in third-party scripts, packaging recipes or detection lists.
    case thirdParty = "third-party"
}

/// Whether one match of an identifier is enough to report a product.
public enum EvidenceWeight: String, Sendable, Hashable, Codable, CaseIterable {
    /// A match alone establishes the product (a package name, a unit, a product path).
    case sufficient
    /// A match only supports other evidence (a string marker, a generic file name).
    case supporting
}

/// What an identifier is matched against.
public enum IdentifierKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Package name in one or more ecosystems (exact or glob).
    case package
    /// Pattern on a package's vendor, maintainer, packager or publisher field.
    case maintainer
    /// Path glob inside the root (`/opt/kaspersky/kesl/**`).
    case path
    /// Base name of a file found anywhere the scan walks.
    case fileName
    /// SHA-256 of a file's content.
    case sha256
    /// Byte string found as a whole token inside a binary.
    case marker
    /// systemd unit name or SysV init script name.
    case unit
    /// Pattern on a trusted certificate's subject or issuer.
    case certificateSubject
    /// Pattern on a configured repository's host (`*.kaspersky-labs.com`).
    case repositoryHost
    /// Pattern on a running process's command name or executable.
    case process
    /// Kernel module name.
    case kernelModule

    /// Identifiers that never establish a product on their own unless the policy says so.
    var defaultWeight: EvidenceWeight {
        switch self {
        case .marker, .fileName: return .supporting
        default: return .sufficient
        }
    }
}

/// One way to recognise a product on a host.
public struct Identifier: Sendable, Hashable {
    public var kind: IdentifierKind
    /// The pattern as written in the policy.
    public var value: String
    /// The compiled pattern (exact values compile to a literal glob).
    public var glob: Glob?
    /// For `package`: the ecosystems the name applies to; empty means every ecosystem.
    public var ecosystems: [PackageType]
    public var strength: IdentifierStrength
    public var weight: EvidenceWeight
    /// Where the fact comes from (a URL or a citation).
    public var source: String?
    public var note: String?
    public var location: SourceLocation

    public init(
        kind: IdentifierKind, value: String, glob: Glob?, ecosystems: [PackageType] = [],
        strength: IdentifierStrength, weight: EvidenceWeight, source: String?, note: String? = nil,
        location: SourceLocation
    ) {
        self.kind = kind
        self.value = value
        self.glob = glob
        self.ecosystems = ecosystems
        self.strength = strength
        self.weight = weight
        self.source = source
        self.note = note
        self.location = location
    }

    /// Whether the identifier matches a text value of its kind.
    public func matches(_ text: String) -> Bool {
        if let glob { return glob.matches(text) }
        return text == value
    }
}

/// A product of a restricted vendor.
public struct Product: Sendable, Hashable {
    public var id: String
    public var name: String
    /// Free-form category; exemptions can name categories (`threat-intelligence`).
    public var category: String?
    public var description: String?
    /// Advice beyond the generated package-manager command.
    public var remediation: String?
    public var identifiers: [Identifier]
    /// A catch-all product: its identifiers are used only for evidence no specific product claims.
    public var isGeneric: Bool
    public var location: SourceLocation

    public init(
        id: String, name: String, category: String? = nil, description: String? = nil, remediation: String? = nil,
        identifiers: [Identifier], isGeneric: Bool = false, location: SourceLocation
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.description = description
        self.remediation = remediation
        self.identifiers = identifiers
        self.isGeneric = isGeneric
        self.location = location
    }
}

/// A legal citation: the Federal Register cite, statute or notice, with a URL where one exists.
public struct Citation: Sendable, Hashable, Codable {
    public var cite: String
    public var url: String?
    public var document: String?
    public var published: String?

    public init(cite: String, url: String? = nil, document: String? = nil, published: String? = nil) {
        self.cite = cite
        self.url = url
        self.document = document
        self.published = published
    }
}

/// What a phase of a restriction prohibits or requires.
public enum PhaseKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// New purchases, agreements or licences.
    case acquisition
    /// Signature, codebase or other updates from the vendor.
    case updates
    /// Use of the product at all.
    case use
    /// Removal of the product is required.
    case removal
    /// Identify and report presence (an inventory obligation).
    case identification
    /// Plan the removal.
    case planning
    /// Government procurement.
    case procurement
    /// Subsidies (FCC Universal Service Fund) for covered items.
    case subsidy
    /// Equipment authorisation of devices that integrate the product.
    case equipmentAuthorization = "equipment-authorization"
    /// Any transaction or dealing (blocking sanctions).
    case transactions
    /// Exports to the vendor (Entity List).
    case exports
    /// Resale, integration or relicensing.
    case resale
}

/// How serious a finding is.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case info
    case low
    case medium
    case high
    case critical

    private var rank: Int {
        switch self {
        case .info: return 0
        case .low: return 1
        case .medium: return 2
        case .high: return 3
        case .critical: return 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One dated step of a restriction.
public struct Phase: Sendable, Hashable {
    public var id: String
    public var title: String?
    /// The instant the phase takes effect.
    public var effective: Date
    /// The instant as written in the policy, with its offset (`2024-09-29T00:00:00-04:00`).
    public var effectiveText: String
    public var kind: PhaseKind
    /// What the phase prohibits or requires, in one or two sentences.
    public var prohibits: String
    public var severity: Severity
    /// Whether presence of a covered product counts as a violation once this phase is in effect.
    /// Obligations such as "identify within 30 days" are phases that do not.
    public var violation: Bool
    public var citation: Citation?
    public var location: SourceLocation

    public init(
        id: String, title: String? = nil, effective: Date, effectiveText: String, kind: PhaseKind, prohibits: String,
        severity: Severity, violation: Bool, citation: Citation? = nil, location: SourceLocation
    ) {
        self.id = id
        self.title = title
        self.effective = effective
        self.effectiveText = effectiveText
        self.kind = kind
        self.prohibits = prohibits
        self.severity = severity
        self.violation = violation
        self.citation = citation
        self.location = location
    }
}

/// Products a restriction does not cover, with the reason and its citation.
public struct Exemption: Sendable, Hashable {
    public var products: [String]
    public var categories: [String]
    public var reason: String
    public var citation: Citation?
    /// Where each product id of ``products`` is written, for errors about unknown products.
    var productLocations: [String: SourceLocation] = [:]

    public init(products: [String], categories: [String], reason: String, citation: Citation?) {
        self.products = products
        self.categories = categories
        self.reason = reason
        self.citation = citation
    }

    public func covers(_ product: Product) -> Bool {
        products.contains(product.id) || (product.category.map { categories.contains($0) } ?? false)
    }
}

/// A legal restriction on a vendor: who it binds and its dated phases.
public struct Restriction: Sendable, Hashable {
    public var id: String
    public var title: String
    public var authority: String
    public var instrument: String?
    public var citations: [Citation]
    /// Profile ids the restriction binds.
    public var binds: [String]
    public var exemptions: [Exemption]
    /// Phases in order of their effective instant.
    public var phases: [Phase]
    public var note: String?
    public var location: SourceLocation
    /// Where each profile id of ``binds`` is written, for errors about unknown profiles.
    var bindLocations: [String: SourceLocation] = [:]

    public init(
        id: String, title: String, authority: String, instrument: String? = nil, citations: [Citation], binds: [String],
        exemptions: [Exemption], phases: [Phase], note: String? = nil, location: SourceLocation
    ) {
        self.id = id
        self.title = title
        self.authority = authority
        self.instrument = instrument
        self.citations = citations
        self.binds = binds
        self.exemptions = exemptions
        self.phases = phases.sorted { $0.effective < $1.effective }
        self.note = note
        self.location = location
    }

    /// The exemption that covers a product, if any.
    public func exemption(for product: Product) -> Exemption? {
        exemptions.first { $0.covers(product) }
    }
}

/// A legal entity of a vendor (for vendor-string matching and reports).
public struct LegalEntity: Sendable, Hashable, Codable {
    public var name: String
    public var country: String?

    public init(name: String, country: String? = nil) {
        self.name = name
        self.country = country
    }
}

/// A restricted vendor.
public struct Vendor: Sendable, Hashable {
    public var id: String
    public var name: String
    public var legalEntities: [LegalEntity]
    public var aliases: [String]
    public var products: [Product]
    public var restrictions: [Restriction]
    public var location: SourceLocation

    public init(
        id: String, name: String, legalEntities: [LegalEntity], aliases: [String], products: [Product],
        restrictions: [Restriction], location: SourceLocation
    ) {
        self.id = id
        self.name = name
        self.legalEntities = legalEntities
        self.aliases = aliases
        self.products = products
        self.restrictions = restrictions
        self.location = location
    }
}

/// Who the audited host belongs to; selects which restrictions bind it.
public struct Profile: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var description: String?
    public var isDefault: Bool
    /// Where the profile is defined, for errors about duplicates; not part of its JSON form.
    var location: SourceLocation?

    private enum CodingKeys: String, CodingKey {
        case id, title, description, isDefault
    }

    public init(id: String, title: String, description: String? = nil, isDefault: Bool = false) {
        self.id = id
        self.title = title
        self.description = description
        self.isDefault = isDefault
    }

    // Where a profile is written does not change what it is.
    public static func == (lhs: Profile, rhs: Profile) -> Bool {
        lhs.id == rhs.id && lhs.title == rhs.title && lhs.description == rhs.description && lhs.isDefault == rhs.isDefault
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(title)
        hasher.combine(description)
        hasher.combine(isDefault)
    }
}

/// One policy file, as loaded.
public struct PolicyDocument: Sendable, Hashable {
    public var id: String
    public var version: String
    public var title: String?
    /// Host path of the file.
    public var path: String
    /// SHA-256 of the file's bytes, lower-case hex.
    public var sha256: String
    public var vendors: [Vendor]
    public var profiles: [Profile]

    public init(
        id: String, version: String, title: String?, path: String, sha256: String, vendors: [Vendor], profiles: [Profile]
    ) {
        self.id = id
        self.version = version
        self.title = title
        self.path = path
        self.sha256 = sha256
        self.vendors = vendors
        self.profiles = profiles
    }
}
