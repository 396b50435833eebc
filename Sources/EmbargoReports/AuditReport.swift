import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation

/// Everything one audit produced, in the shape every renderer reads. Renderers present it; they
/// never re-derive findings.
///
/// The header fields that belong to a rendered document rather than to the audit (``reportID``,
/// ``generatedAt``, ``reportSHA256``) are nil until ``ReportRenderer`` stamps them; the
/// comparison with an earlier scan (``changes``) and the period (``period``) are filled by
/// whoever knows the history (the `embargo report` command).
public struct AuditReport: Sendable, Codable {
    public static let schemaIdentifier = "embargo.report/v2"

    public var schema: String = AuditReport.schemaIdentifier
    /// A name-based UUID derived from the report's inputs (see ``ReportIdentity``).
    public var reportID: String?
    /// The instant the report's content was fixed: the end of the scan it reports (never the
    /// wall clock at rendering, so rendering again gives the same bytes).
    public var generatedAt: String?
    public var tool: ToolInfo
    public var host: HostInfo
    public var scan: ScanInfo
    /// The instant findings are judged at (RFC 3339, UTC).
    public var asOf: String
    public var profile: ProfileInfo
    /// The loaded policy set as one identity.
    public var policy: PolicyIdentity
    /// Each loaded policy file.
    public var policies: [PolicyFileInfo]
    /// What the scan covered; nil when unknown (a report recorded before scopes were kept).
    public var scope: ScanScope?
    public var summary: Summary
    public var findings: [Finding]
    /// Every waiver loaded for the audit, with its state at the as-of instant.
    public var waivers: [WaiverRecord]
    /// What changed since an earlier scan; nil when there is none to compare with.
    public var changes: ScanComparison?
    /// The scans and finding events of a reporting period (`embargo report --since`).
    public var period: ReportPeriod?
    /// Problems met during the scan; the scan went on.
    public var errors: [ScanIssue]
    /// SHA-256 of the rendered document with this value written as 64 `0` characters.
    public var reportSHA256: String?

    public init(
        tool: ToolInfo, host: HostInfo, scan: ScanInfo, asOf: Date, profile: Profile, policies: PolicySet,
        findings: [Finding], issues: [ScanIssue], packageCount: Int, scope: ScanScope? = nil,
        waivers: [WaiverRecord] = []
    ) {
        self.tool = tool
        self.host = host
        self.scan = scan
        self.asOf = RFC3339.format(asOf)
        self.profile = ProfileInfo(id: profile.id, title: profile.title)
        self.policy = PolicyIdentity(id: policies.id, version: policies.version, sha256: policies.sha256)
        self.policies = policies.documents.map {
            PolicyFileInfo(id: $0.id, version: $0.version, sha256: $0.sha256, path: $0.path)
        }
        self.scope = scope
        self.findings = findings
        self.waivers = waivers
        self.errors = issues
        self.summary = Summary(findings: findings, issues: issues, packageCount: packageCount)
    }

    /// Whether any finding is a violation (exit code 1).
    public var hasViolation: Bool { findings.contains { $0.status == .violation } }

    /// The policy document that defines an identifier (`definedAt` is `file:line:column`).
    public func policyFile(definingIdentifierAt definedAt: String) -> PolicyFileInfo? {
        policies.first { definedAt.hasPrefix($0.path + ":") }
    }

    enum CodingKeys: String, CodingKey {
        case schema, tool, host, scan, asOf, profile, policy, policies, scope, summary, findings, waivers, changes
        case period, errors, generatedAt
        case reportID = "reportId"
        case reportSHA256 = "reportSha256"
    }

    /// Reads reports of every schema version the state database may hold: fields added in v2
    /// are absent from v1 reports and read as nil or empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schema = try container.decodeIfPresent(String.self, forKey: .schema) ?? "embargo.report/v1"
        reportID = try container.decodeIfPresent(String.self, forKey: .reportID)
        generatedAt = try container.decodeIfPresent(String.self, forKey: .generatedAt)
        tool = try container.decode(ToolInfo.self, forKey: .tool)
        host = try container.decode(HostInfo.self, forKey: .host)
        scan = try container.decode(ScanInfo.self, forKey: .scan)
        asOf = try container.decode(String.self, forKey: .asOf)
        profile = try container.decode(ProfileInfo.self, forKey: .profile)
        policy = try container.decode(PolicyIdentity.self, forKey: .policy)
        policies = try container.decode([PolicyFileInfo].self, forKey: .policies)
        scope = try container.decodeIfPresent(ScanScope.self, forKey: .scope)
        summary = try container.decode(Summary.self, forKey: .summary)
        findings = try container.decode([Finding].self, forKey: .findings)
        waivers = try container.decodeIfPresent([WaiverRecord].self, forKey: .waivers) ?? []
        changes = try container.decodeIfPresent(ScanComparison.self, forKey: .changes)
        period = try container.decodeIfPresent(ReportPeriod.self, forKey: .period)
        errors = try container.decode([ScanIssue].self, forKey: .errors)
        reportSHA256 = try container.decodeIfPresent(String.self, forKey: .reportSHA256)
    }

    /// Optional members are written as `null`, so every report has the same keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schema, forKey: .schema)
        try container.encode(reportID, forKey: .reportID)
        try container.encode(generatedAt, forKey: .generatedAt)
        try container.encode(tool, forKey: .tool)
        try container.encode(host, forKey: .host)
        try container.encode(scan, forKey: .scan)
        try container.encode(asOf, forKey: .asOf)
        try container.encode(profile, forKey: .profile)
        try container.encode(policy, forKey: .policy)
        try container.encode(policies, forKey: .policies)
        try container.encode(scope, forKey: .scope)
        try container.encode(summary, forKey: .summary)
        try container.encode(findings, forKey: .findings)
        try container.encode(waivers, forKey: .waivers)
        try container.encode(changes, forKey: .changes)
        try container.encode(period, forKey: .period)
        try container.encode(errors, forKey: .errors)
        try container.encode(reportSHA256, forKey: .reportSHA256)
    }
}

public struct ToolInfo: Sendable, Codable, Hashable {
    public var name: String
    public var version: String

    public init(name: String = "embargo", version: String) {
        self.name = name
        self.version = version
    }
}

public struct OSRelease: Sendable, Codable, Hashable {
    public var id: String?
    public var versionID: String?
    public var prettyName: String?

    public init(id: String?, versionID: String?, prettyName: String?) {
        self.id = id
        self.versionID = versionID
        self.prettyName = prettyName
    }

    enum CodingKeys: String, CodingKey {
        case id
        case versionID = "versionId"
        case prettyName
    }
}

public struct HostInfo: Sendable, Codable, Hashable {
    public var hostname: String?
    public var osRelease: OSRelease?
    /// Kernel release; only for the live root.
    public var kernel: String?
    public var architecture: String?
    /// The scanned root as a host path (`/` for the live system).
    public var root: String
    /// embargo's app-specific machine id (never the raw /etc/machine-id; see `MachineIdentity`).
    public var machineID: String?

    public init(
        hostname: String?, osRelease: OSRelease?, kernel: String?, architecture: String?, root: String,
        machineID: String? = nil
    ) {
        self.hostname = hostname
        self.osRelease = osRelease
        self.kernel = kernel
        self.architecture = architecture
        self.root = root
        self.machineID = machineID
    }

    enum CodingKeys: String, CodingKey {
        case hostname, osRelease, kernel, architecture, root
        case machineID = "machineId"
    }
}

public struct ScanInfo: Sendable, Codable, Hashable {
    public var id: String
    /// `scan` read the root; `reevaluation` judged the inventory of ``inventoryScanID`` again.
    public var kind: String
    /// What started it (embargod's triggers: `start`, `periodic`, `package-database`, ...); nil
    /// for a scan run from the command line.
    public var trigger: String?
    /// The scan whose inventory was judged (this scan's own id unless it is a re-evaluation).
    public var inventoryScanID: String
    public var startedAt: String
    public var finishedAt: String
    public var durationSeconds: Double
    /// What was read: each database or directory with the number of items.
    public var sources: [InventorySource]

    public init(
        id: String, startedAt: Date, finishedAt: Date, sources: [InventorySource], kind: String = "scan",
        trigger: String? = nil, inventoryScanID: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.trigger = trigger
        self.inventoryScanID = inventoryScanID ?? id
        self.startedAt = RFC3339.format(startedAt)
        self.finishedAt = RFC3339.format(finishedAt)
        self.durationSeconds = (finishedAt.timeIntervalSince(startedAt) * 1000).rounded() / 1000
        self.sources = sources
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, trigger, startedAt, finishedAt, durationSeconds, sources
        case inventoryScanID = "inventoryScanId"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "scan"
        trigger = try container.decodeIfPresent(String.self, forKey: .trigger)
        inventoryScanID = try container.decodeIfPresent(String.self, forKey: .inventoryScanID) ?? id
        startedAt = try container.decode(String.self, forKey: .startedAt)
        finishedAt = try container.decode(String.self, forKey: .finishedAt)
        durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
        sources = try container.decode([InventorySource].self, forKey: .sources)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(inventoryScanID, forKey: .inventoryScanID)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(sources, forKey: .sources)
    }
}

public struct ProfileInfo: Sendable, Codable, Hashable {
    public var id: String
    public var title: String
}

public struct PolicyIdentity: Sendable, Codable, Hashable {
    public var id: String
    public var version: String
    public var sha256: String

    public init(id: String, version: String, sha256: String) {
        self.id = id
        self.version = version
        self.sha256 = sha256
    }
}

public struct PolicyFileInfo: Sendable, Codable, Hashable {
    public var id: String
    public var version: String
    public var sha256: String
    public var path: String
}

/// What a scan looked at: the root, the collectors that read something, and the file walk's
/// starting directories and exclusions as they were in force (defaults resolved).
public struct ScanScope: Sendable, Codable, Hashable {
    /// The scanned root as a host path.
    public var root: String
    /// Collectors that read at least one source, sorted.
    public var collectors: [String]
    public var walk: WalkScope

    public init(root: String, collectors: [String], walk: WalkScope) {
        self.root = root
        self.collectors = collectors
        self.walk = walk
    }

    public struct WalkScope: Sendable, Codable, Hashable {
        /// Whether the file walk for loose binaries ran.
        public var enabled: Bool
        /// Directories walked (paths inside the root).
        public var paths: [String]
        /// Paths and name patterns skipped.
        public var exclusions: [String]
        public var crossFileSystems: Bool

        public init(enabled: Bool, paths: [String], exclusions: [String], crossFileSystems: Bool) {
            self.enabled = enabled
            self.paths = paths
            self.exclusions = exclusions
            self.crossFileSystems = crossFileSystems
        }
    }
}

/// One waiver as loaded for the audit, judged at the as-of instant.
public struct WaiverRecord: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable, Hashable {
        /// In force: it turns the violations it covers into `waived`.
        case active
        /// Past its expiry date: the findings it covered are open again.
        case expired
        /// Its `created` date is after the as-of instant (the same word `embargo waiver list` uses).
        case notYetValid = "not-yet-valid"
    }

    public var id: String
    public var vendor: String?
    public var product: String?
    public var package: String?
    public var path: String?
    public var host: String?
    public var reason: String
    public var approver: String?
    public var created: String?
    public var expires: String
    public var state: State
    public var definedAt: String?
    /// Ids (`vendor/product`) of the report's findings the waiver's scope covers.
    public var covers: [String]

    public init(_ waiver: Waiver, asOf: Date, findings: [Finding], hostName: String?) {
        id = waiver.id
        vendor = waiver.vendor
        product = waiver.product
        package = waiver.package
        path = waiver.path
        host = waiver.host
        reason = waiver.reason
        approver = waiver.approver
        created = waiver.created.map(RFC3339.format)
        expires = RFC3339.format(waiver.expires)
        if waiver.isActive(at: asOf) {
            state = .active
        } else if let created = waiver.created, created > asOf {
            state = .notYetValid
        } else {
            state = .expired
        }
        definedAt = waiver.definedAt
        covers = findings.filter { waiver.covers($0, hostName: hostName) }.map(\.id)
    }

    enum CodingKeys: String, CodingKey {
        case id, vendor, product, package, path, host, reason, approver, created, expires, state, definedAt, covers
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(vendor, forKey: .vendor)
        try container.encode(product, forKey: .product)
        try container.encode(package, forKey: .package)
        try container.encode(path, forKey: .path)
        try container.encode(host, forKey: .host)
        try container.encode(reason, forKey: .reason)
        try container.encode(approver, forKey: .approver)
        try container.encode(created, forKey: .created)
        try container.encode(expires, forKey: .expires)
        try container.encode(state, forKey: .state)
        try container.encode(definedAt, forKey: .definedAt)
        try container.encode(covers, forKey: .covers)
    }
}

/// The scans and finding events of a reporting period.
public struct ReportPeriod: Sendable, Codable, Hashable {
    /// Start of the period (RFC 3339, UTC).
    public var since: String
    /// Every scan in the period, oldest first.
    public var scans: [ScanSummary]
    /// Finding events recorded in the period (found, changed, resolved, reminders, waiver
    /// expiry), oldest first.
    public var events: [FindingEvent]

    public init(since: Date, scans: [ScanSummary], events: [FindingEvent]) {
        self.since = RFC3339.format(since)
        self.scans = scans
        self.events = events
    }

    public struct ScanSummary: Sendable, Codable, Hashable {
        public var id: String
        public var kind: String
        public var trigger: String?
        public var startedAt: String
        public var finishedAt: String
        public var findings: Int
        public var byStatus: [String: Int]
        public var packages: Int
        public var errors: Int

        public init(
            id: String, kind: String, trigger: String?, startedAt: Date, finishedAt: Date, findings: Int,
            byStatus: [String: Int], packages: Int, errors: Int
        ) {
            self.id = id
            self.kind = kind
            self.trigger = trigger
            self.startedAt = RFC3339.format(startedAt)
            self.finishedAt = RFC3339.format(finishedAt)
            self.findings = findings
            var counts: [String: Int] = [:]
            for status in FindingStatus.allCases { counts[status.rawValue] = byStatus[status.rawValue] ?? 0 }
            self.byStatus = counts
            self.packages = packages
            self.errors = errors
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, trigger, startedAt, finishedAt, findings, byStatus, packages, errors
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(kind, forKey: .kind)
            try container.encode(trigger, forKey: .trigger)
            try container.encode(startedAt, forKey: .startedAt)
            try container.encode(finishedAt, forKey: .finishedAt)
            try container.encode(findings, forKey: .findings)
            try container.encode(byStatus, forKey: .byStatus)
            try container.encode(packages, forKey: .packages)
            try container.encode(errors, forKey: .errors)
        }
    }

    public struct FindingEvent: Sendable, Codable, Hashable {
        public var at: String
        public var findingID: String
        public var scanID: String
        public var event: String
        public var oldStatus: String?
        public var newStatus: String?
        public var detail: String?

        public init(
            at: Date, findingID: String, scanID: String, event: String, oldStatus: String?, newStatus: String?,
            detail: String?
        ) {
            self.at = RFC3339.format(at)
            self.findingID = findingID
            self.scanID = scanID
            self.event = event
            self.oldStatus = oldStatus
            self.newStatus = newStatus
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey {
            case at, event, oldStatus, newStatus, detail
            case findingID = "findingId"
            case scanID = "scanId"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at, forKey: .at)
            try container.encode(findingID, forKey: .findingID)
            try container.encode(scanID, forKey: .scanID)
            try container.encode(event, forKey: .event)
            try container.encode(oldStatus, forKey: .oldStatus)
            try container.encode(newStatus, forKey: .newStatus)
            try container.encode(detail, forKey: .detail)
        }
    }
}

public struct Summary: Sendable, Codable, Hashable {
    public var findings: Int
    /// Findings per status; every status is present, zero included.
    public var byStatus: [String: Int]
    public var packages: Int
    public var errors: Int
    public var warnings: Int
    /// `compliant` when no finding is a violation, else `non-compliant`.
    public var verdict: String

    init(findings: [Finding], issues: [ScanIssue], packageCount: Int) {
        self.findings = findings.count
        var counts: [String: Int] = [:]
        for status in FindingStatus.allCases { counts[status.rawValue] = 0 }
        for finding in findings { counts[finding.status.rawValue, default: 0] += 1 }
        byStatus = counts
        packages = packageCount
        errors = issues.filter { $0.severity == .error }.count
        warnings = issues.filter { $0.severity == .warning }.count
        verdict = findings.contains { $0.status == .violation } ? "non-compliant" : "compliant"
    }
}
