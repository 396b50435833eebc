import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation

/// Everything one audit produced, in the shape every renderer reads. Renderers present it; they
/// never re-derive findings.
public struct AuditReport: Sendable, Codable {
    public static let schemaIdentifier = "embargo.report/v1"

    public var schema: String = AuditReport.schemaIdentifier
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
    public var summary: Summary
    public var findings: [Finding]
    /// Problems met during the scan; the scan went on.
    public var errors: [ScanIssue]

    public init(
        tool: ToolInfo, host: HostInfo, scan: ScanInfo, asOf: Date, profile: Profile, policies: PolicySet,
        findings: [Finding], issues: [ScanIssue], packageCount: Int
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
        self.findings = findings
        self.errors = issues
        self.summary = Summary(findings: findings, issues: issues, packageCount: packageCount)
    }

    /// Whether any finding is a violation (exit code 1).
    public var hasViolation: Bool { findings.contains { $0.status == .violation } }
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
    /// An app-specific machine id (never the raw /etc/machine-id).
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
    public var startedAt: String
    public var finishedAt: String
    public var durationSeconds: Double
    /// What was read: each database or directory with the number of items.
    public var sources: [InventorySource]

    public init(id: String, startedAt: Date, finishedAt: Date, sources: [InventorySource]) {
        self.id = id
        self.startedAt = RFC3339.format(startedAt)
        self.finishedAt = RFC3339.format(finishedAt)
        self.durationSeconds = (finishedAt.timeIntervalSince(startedAt) * 1000).rounded() / 1000
        self.sources = sources
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
}

public struct PolicyFileInfo: Sendable, Codable, Hashable {
    public var id: String
    public var version: String
    public var sha256: String
    public var path: String
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
