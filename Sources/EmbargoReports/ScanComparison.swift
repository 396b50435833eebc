import EmbargoEvaluation
import EmbargoInventory
import Foundation

/// What changed between two scans, in osquery's differential model: what was added, what was
/// removed, and what changed in place. Packages are matched by type, name and architecture (a
/// new version of the same package is a change, not a removal and an addition); findings by
/// their stable id `vendor/product`.
public struct ScanComparison: Sendable, Codable, Hashable {
    /// The earlier scan (the baseline).
    public var from: ScanReference
    /// The later scan.
    public var to: ScanReference
    public var findings: FindingChanges
    public var packages: PackageChanges

    public init(from: ScanReference, to: ScanReference, findings: FindingChanges, packages: PackageChanges) {
        self.from = from
        self.to = to
        self.findings = findings
        self.packages = packages
    }

    /// Compares two scans' findings and (when both are known) their package lists.
    public static func compare(
        from: ScanReference, fromFindings: [Finding], fromPackages: [PackageID]?,
        to: ScanReference, toFindings: [Finding], toPackages: [PackageID]?
    ) -> ScanComparison {
        let packages: PackageChanges
        if let fromPackages, let toPackages {
            packages = PackageChanges.compare(fromPackages, toPackages)
        } else {
            let missing = [fromPackages == nil ? from.id : nil, toPackages == nil ? to.id : nil].compactMap { $0 }
            packages = PackageChanges.notCompared(
                "the package list of scan \(missing.joined(separator: " and ")) is not kept (scans recorded before "
                    + "per-scan package lists were kept, or pruned); only findings are compared")
        }
        return ScanComparison(
            from: from, to: to, findings: FindingChanges.compare(fromFindings, toFindings), packages: packages)
    }

    /// Whether anything at all changed.
    public var isEmpty: Bool {
        findings.added.isEmpty && findings.removed.isEmpty && findings.changed.isEmpty && packages.added.isEmpty
            && packages.removed.isEmpty && packages.changed.isEmpty
    }
}

/// A scan named in a comparison.
public struct ScanReference: Sendable, Codable, Hashable {
    public var id: String
    public var startedAt: String
    public var finishedAt: String

    public init(id: String, startedAt: Date, finishedAt: Date) {
        self.id = id
        self.startedAt = RFC3339.format(startedAt)
        self.finishedAt = RFC3339.format(finishedAt)
    }

    public init(_ scan: ScanInfo) {
        id = scan.id
        startedAt = scan.startedAt
        finishedAt = scan.finishedAt
    }
}

public struct FindingChanges: Sendable, Codable, Hashable {
    public var added: [FindingBrief]
    public var removed: [FindingBrief]
    public var changed: [FindingChange]

    public init(added: [FindingBrief], removed: [FindingBrief], changed: [FindingChange]) {
        self.added = added
        self.removed = removed
        self.changed = changed
    }

    public static func compare(_ before: [Finding], _ after: [Finding]) -> FindingChanges {
        let old = Dictionary(before.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(after.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let added = after.filter { old[$0.id] == nil }.map(FindingBrief.init)
        let removed = before.filter { new[$0.id] == nil }.map(FindingBrief.init)
        var changed: [FindingChange] = []
        for finding in after {
            guard let previous = old[finding.id] else { continue }
            let fields = FieldChange.between(previous, finding)
            if !fields.isEmpty {
                changed.append(FindingChange(id: finding.id, productName: finding.productName, changes: fields))
            }
        }
        return FindingChanges(added: added, removed: removed, changed: changed)
    }
}

/// A finding in a list of additions or removals.
public struct FindingBrief: Sendable, Codable, Hashable {
    public var id: String
    public var vendor: String
    public var product: String
    public var productName: String
    public var status: String
    public var severity: String
    /// Package evidence as `name version`.
    public var packages: [String]

    public init(_ finding: Finding) {
        id = finding.id
        vendor = finding.vendor
        product = finding.product
        productName = finding.productName
        status = finding.status.rawValue
        severity = finding.severity.rawValue
        packages = finding.evidence.filter { $0.kind == .package }.map { evidence in
            evidence.detail["version"].map { "\(evidence.locator) \($0)" } ?? evidence.locator
        }
    }
}

/// A finding present in both scans that changed.
public struct FindingChange: Sendable, Codable, Hashable {
    public var id: String
    public var productName: String
    public var changes: [FieldChange]
}

/// One changed property; `from` or `to` is nil when the property appeared or disappeared
/// (an evidence item found or gone).
public struct FieldChange: Sendable, Codable, Hashable {
    public var field: String
    public var from: String?
    public var to: String?

    public init(field: String, from: String?, to: String?) {
        self.field = field
        self.from = from
        self.to = to
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(field, forKey: .field)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
    }

    static func between(_ old: Finding, _ new: Finding) -> [FieldChange] {
        var changes: [FieldChange] = []
        func compare(_ field: String, _ before: String?, _ after: String?) {
            if before != after { changes.append(FieldChange(field: field, from: before, to: after)) }
        }
        compare("status", old.status.rawValue, new.status.rawValue)
        compare("severity", old.severity.rawValue, new.severity.rawValue)
        compare("confidence", old.confidence.rawValue, new.confidence.rawValue)
        compare("phase", phase(old), phase(new))
        compare("waiver", waiver(old), waiver(new))
        compare("installedAt", old.installedAt.map(RFC3339.format), new.installedAt.map(RFC3339.format))
        compare("updatedAt", old.updatedAt.map(RFC3339.format), new.updatedAt.map(RFC3339.format))
        let oldEvidence = Dictionary(old.evidence.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let newEvidence = Dictionary(new.evidence.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        for evidence in old.evidence where newEvidence[key(evidence)] == nil {
            changes.append(FieldChange(field: "evidence", from: key(evidence), to: nil))
        }
        for evidence in new.evidence {
            guard let previous = oldEvidence[key(evidence)] else {
                changes.append(FieldChange(field: "evidence", from: nil, to: key(evidence)))
                continue
            }
            if previous.detail["version"] != evidence.detail["version"] {
                changes.append(
                    FieldChange(field: "version \(key(evidence))", from: previous.detail["version"], to: evidence.detail["version"]))
            }
        }
        return changes
    }

    static func key(_ evidence: Evidence) -> String { "\(evidence.kind.rawValue) \(evidence.locator)" }

    static func phase(_ finding: Finding) -> String? {
        (finding.phaseInEffect ?? finding.nextPhase).map { "\($0.restriction)/\($0.phase)" }
    }

    static func waiver(_ finding: Finding) -> String? {
        finding.waiver.map { "\($0.id) (\($0.expired ? "expired" : "active"))" }
    }
}

public struct PackageChanges: Sendable, Codable, Hashable {
    /// Whether both package lists were known; when false the lists below are empty and
    /// ``note`` says why.
    public var compared: Bool
    public var note: String?
    public var added: [PackageEntry]
    public var removed: [PackageEntry]
    public var changed: [PackageUpdate]

    public init(compared: Bool, note: String?, added: [PackageEntry], removed: [PackageEntry], changed: [PackageUpdate]) {
        self.compared = compared
        self.note = note
        self.added = added
        self.removed = removed
        self.changed = changed
    }

    public static func notCompared(_ note: String) -> PackageChanges {
        PackageChanges(compared: false, note: note, added: [], removed: [], changed: [])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(compared, forKey: .compared)
        try container.encode(note, forKey: .note)
        try container.encode(added, forKey: .added)
        try container.encode(removed, forKey: .removed)
        try container.encode(changed, forKey: .changed)
    }

    /// Packages by (type, name, arch): one version on each side that differs is an update;
    /// otherwise versions on one side only are additions or removals (several kernels of
    /// the same name stay apart).
    public static func compare(_ before: [PackageID], _ after: [PackageID]) -> PackageChanges {
        struct Key: Hashable {
            var type: PackageType
            var name: String
            var arch: String?
        }
        func group(_ ids: [PackageID]) -> [Key: Set<String>] {
            var groups: [Key: Set<String>] = [:]
            for id in ids { groups[Key(type: id.type, name: id.name, arch: id.arch), default: []].insert(id.version) }
            return groups
        }
        let old = group(before)
        let new = group(after)
        var added: [PackageEntry] = []
        var removed: [PackageEntry] = []
        var changed: [PackageUpdate] = []
        for key in Set(old.keys).union(new.keys) {
            let oldVersions = old[key] ?? []
            let newVersions = new[key] ?? []
            let gone = oldVersions.subtracting(newVersions)
            let appeared = newVersions.subtracting(oldVersions)
            if gone.count == 1, appeared.count == 1, let from = gone.first, let to = appeared.first {
                changed.append(PackageUpdate(type: key.type.rawValue, name: key.name, arch: key.arch, from: from, to: to))
                continue
            }
            removed += gone.map { PackageEntry(PackageID(type: key.type, name: key.name, arch: key.arch, version: $0)) }
            added += appeared.map { PackageEntry(PackageID(type: key.type, name: key.name, arch: key.arch, version: $0)) }
        }
        return PackageChanges(
            compared: true, note: nil, added: added.sorted { $0.id < $1.id }, removed: removed.sorted { $0.id < $1.id },
            changed: changed.sorted { ($0.type, $0.name, $0.arch ?? "") < ($1.type, $1.name, $1.arch ?? "") })
    }
}

public struct PackageEntry: Sendable, Codable, Hashable {
    /// `type:name:arch@version`.
    public var id: String
    public var type: String
    public var name: String
    public var arch: String?
    public var version: String

    public init(_ package: PackageID) {
        id = package.description
        type = package.type.rawValue
        name = package.name
        arch = package.arch
        version = package.version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(name, forKey: .name)
        try container.encode(arch, forKey: .arch)
        try container.encode(version, forKey: .version)
    }
}

public struct PackageUpdate: Sendable, Codable, Hashable {
    public var type: String
    public var name: String
    public var arch: String?
    public var from: String
    public var to: String

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(name, forKey: .name)
        try container.encode(arch, forKey: .arch)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
    }
}
