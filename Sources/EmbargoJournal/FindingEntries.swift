import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation

/// What every entry of one scan (or re-evaluation) shares.
public struct ScanContext: Sendable, Hashable, Codable {
    public var scanID: String
    /// `scan` or `reevaluation`.
    public var kind: String
    /// What started it: `start`, `periodic`, `package-database`, `phase`, `reload`, `once`.
    public var trigger: String
    public var root: String
    public var profileID: String
    public var policyID: String
    public var policyVersion: String
    public var policySHA256: String
    public var asOf: Date

    public init(
        scanID: String, kind: String, trigger: String, root: String, profileID: String, policyID: String,
        policyVersion: String, policySHA256: String, asOf: Date
    ) {
        self.scanID = scanID
        self.kind = kind
        self.trigger = trigger
        self.root = root
        self.profileID = profileID
        self.policyID = policyID
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.asOf = asOf
    }
}

/// Counts for the one summary entry every scan writes.
public struct ScanSummary: Sendable, Hashable, Codable {
    public var findings: Int
    public var byStatus: [String: Int]
    public var packages: Int
    public var errors: Int
    public var warnings: Int
    public var durationSeconds: Double
    public var found: Int
    public var changed: Int
    public var resolved: Int

    public init(
        findings: [Finding], packages: Int, errors: Int, warnings: Int, durationSeconds: Double, found: Int,
        changed: Int, resolved: Int
    ) {
        self.findings = findings.count
        var counts: [String: Int] = [:]
        for status in FindingStatus.allCases { counts[status.rawValue] = 0 }
        for finding in findings { counts[finding.status.rawValue, default: 0] += 1 }
        self.byStatus = counts
        self.packages = packages
        self.errors = errors
        self.warnings = warnings
        self.durationSeconds = durationSeconds
        self.found = found
        self.changed = changed
        self.resolved = resolved
    }

    public var violations: Int { byStatus[FindingStatus.violation.rawValue] ?? 0 }
}

/// Builds journal entries from ``Finding`` values and scan facts. Sinks never re-derive findings:
/// every field comes from the finding the evaluator produced.
public enum JournalEntries {
    public static let syslogIdentifier = "embargod"

    // MARK: - Findings

    /// Restricted software appeared on the host.
    public static func found(_ finding: Finding, context: ScanContext) -> JournalEntry {
        var entry = base(.findingFound, priority: priority(of: finding.status), message: "Restricted software found: \(headline(finding)) — \(position(finding))")
        appendFinding(finding, to: &entry)
        appendContext(context, to: &entry)
        return entry
    }

    /// A finding's status, phase in effect, severity or package versions changed.
    public static func changed(_ finding: Finding, previous: Finding, context: ScanContext) -> JournalEntry {
        var what: [String] = []
        if previous.status != finding.status {
            what.append("\(previous.status.rawValue) → \(finding.status.rawValue)")
        }
        let oldPhase = phaseKey(previous)
        let newPhase = phaseKey(finding)
        if oldPhase != newPhase, let newPhase {
            what.append("phase \(newPhase)")
        }
        if previous.severity != finding.severity {
            what.append("severity \(previous.severity.rawValue) → \(finding.severity.rawValue)")
        }
        let oldVersions = packageVersions(previous)
        let newVersions = packageVersions(finding)
        if oldVersions != newVersions {
            what.append("packages \(oldVersions.joined(separator: ", ")) → \(newVersions.joined(separator: ", "))")
        }
        let summary = what.isEmpty ? finding.status.rawValue : what.joined(separator: "; ")
        var entry = base(
            .findingChanged, priority: priority(of: finding.status),
            message: "Finding changed: \(headline(finding)) — \(summary) (\(position(finding)))")
        appendFinding(finding, to: &entry)
        entry.append(EmbargoField.previousStatus, previous.status.rawValue)
        entry.append(EmbargoField.previousSeverity, previous.severity.rawValue)
        entry.append(EmbargoField.previousPhase, oldPhase)
        for version in oldVersions { entry.append(EmbargoField.previousVersion, version) }
        appendContext(context, to: &entry)
        return entry
    }

    /// The product is gone: `previous` is the finding as last seen.
    public static func resolved(_ previous: Finding, firstSeen: Date?, context: ScanContext) -> JournalEntry {
        var entry = base(
            .findingResolved, priority: .notice,
            message: "Finding resolved: \(headline(previous)) is no longer on the host (was \(previous.status.rawValue))")
        appendFinding(previous, to: &entry, statusOverride: "resolved")
        entry.append(EmbargoField.previousStatus, previous.status.rawValue)
        entry.append(EmbargoField.firstSeen, firstSeen.map(RFC3339.format))
        appendContext(context, to: &entry)
        return entry
    }

    /// A prohibiting phase takes effect in `days` days for software on the host.
    public static func upcoming(_ finding: Finding, phase: PhaseAssessment, days: Int, context: ScanContext) -> JournalEntry {
        let when = days == 1 ? "in 1 day" : "in \(days) days"
        var entry = base(
            .phaseUpcoming, priority: .warning,
            message: "Restricted software: \(headline(finding)) — \(phase.restriction)/\(phase.phase) takes effect \(when), at \(phase.effective): \(phase.prohibits)")
        appendFinding(finding, to: &entry, phaseOverride: phase)
        entry.append(EmbargoField.daysUntil, String(days))
        appendContext(context, to: &entry)
        return entry
    }

    /// The waiver that covered a finding has expired.
    public static func waiverExpired(_ finding: Finding, context: ScanContext) -> JournalEntry {
        let waiver = finding.waiver
        var entry = base(
            .waiverExpired, priority: .warning,
            message: "Waiver \(waiver?.id ?? "?") for \(headline(finding)) expired at \(waiver?.expires ?? "?"); the finding is \(finding.status.rawValue) again")
        appendFinding(finding, to: &entry)
        appendContext(context, to: &entry)
        return entry
    }

    // MARK: - Scans

    public static func scanStarted(_ context: ScanContext) -> JournalEntry {
        let what = context.kind == "reevaluation" ? "Re-evaluation of the last inventory" : "Scan of \(context.root)"
        var entry = base(
            .scanStarted, priority: .info,
            message: "\(what) started (\(context.trigger)), policy \(context.policyID) \(context.policyVersion), profile \(context.profileID)")
        appendContext(context, to: &entry)
        return entry
    }

    public static func scanCompleted(_ summary: ScanSummary, context: ScanContext) -> JournalEntry {
        let statuses = FindingStatus.allCases.compactMap { status -> String? in
            let count = summary.byStatus[status.rawValue] ?? 0
            return count > 0 ? "\(count) \(status.rawValue)" : nil
        }
        let findings = summary.findings == 0 ? "no findings" : "\(summary.findings) finding(s) (\(statuses.joined(separator: ", ")))"
        let verdict = summary.violations > 0 ? "non-compliant" : "compliant"
        let what = context.kind == "reevaluation" ? "Re-evaluation" : "Scan"
        let changes = "\(summary.found) new, \(summary.changed) changed, \(summary.resolved) resolved"
        var entry = base(
            .scanCompleted, priority: summary.violations > 0 ? .warning : .info,
            message: "\(what) completed in \(String(format: "%.1f", summary.durationSeconds)) s: \(findings); \(changes); \(summary.packages) packages, \(summary.errors) error(s); \(verdict)")
        entry.append(EmbargoField.findings, String(summary.findings))
        for status in FindingStatus.allCases {
            entry.append(EmbargoField.count(status: status.rawValue), String(summary.byStatus[status.rawValue] ?? 0))
        }
        entry.append(EmbargoField.packages, String(summary.packages))
        entry.append(EmbargoField.errors, String(summary.errors))
        entry.append(EmbargoField.warnings, String(summary.warnings))
        entry.append(EmbargoField.durationMilliseconds, String(Int((summary.durationSeconds * 1000).rounded())))
        entry.append(EmbargoField.found, String(summary.found))
        entry.append(EmbargoField.changed, String(summary.changed))
        entry.append(EmbargoField.resolved, String(summary.resolved))
        entry.append(EmbargoField.verdict, verdict)
        appendContext(context, to: &entry)
        return entry
    }

    /// A scan that could not run, or problems met while reading the root (`issues`).
    public static func scanError(_ message: String, issues: [ScanIssue] = [], context: ScanContext?) -> JournalEntry {
        var entry = base(.scanError, priority: .error, message: message)
        entry.append(EmbargoField.error, message)
        for issue in issues.prefix(100) { entry.append(EmbargoField.issue, issue.description) }
        entry.append(EmbargoField.errors, String(issues.filter { $0.severity == .error }.count))
        if let context { appendContext(context, to: &entry) }
        return entry
    }

    // MARK: - Policies and configuration

    public static func policyLoaded(_ policies: PolicySet, profileID: String, reason: String) -> JournalEntry {
        let products = policies.vendors.reduce(0) { $0 + $1.products.count }
        var entry = base(
            .policyLoaded, priority: .info,
            message: "Policy loaded (\(reason)): \(policies.id) \(policies.version), sha256 \(policies.sha256.prefix(12)), \(policies.vendors.count) vendor(s), \(products) product(s), profile \(profileID)")
        entry.append(EmbargoField.policyID, policies.id)
        entry.append(EmbargoField.policyVersion, policies.version)
        entry.append(EmbargoField.policySHA256, policies.sha256)
        entry.append(EmbargoField.profile, profileID)
        for document in policies.documents {
            entry.append(EmbargoField.policyFile, "\(document.id) \(document.version) \(document.sha256) \(document.path)")
        }
        return entry
    }

    /// An invalid policy was not loaded; `keeping` is the set still in force (nil at start-up).
    public static func policyRejected(problems: [String], paths: [String], keeping: PolicySet?) -> JournalEntry {
        let kept = keeping.map { "keeping \($0.id) \($0.version) (sha256 \($0.sha256.prefix(12)))" } ?? "no policy is in force"
        var entry = base(
            .policyRejected, priority: .error,
            message: "Policy rejected: \(problems.count) problem(s), \(kept); first: \(problems.first ?? "?")")
        for problem in problems.prefix(100) { entry.append(EmbargoField.problem, problem) }
        for path in paths { entry.append(EmbargoField.policyFile, path) }
        if let keeping {
            entry.append(EmbargoField.policyID, keeping.id)
            entry.append(EmbargoField.policyVersion, keeping.version)
            entry.append(EmbargoField.policySHA256, keeping.sha256)
        }
        return entry
    }

    public static func configurationRejected(problems: [String], file: String) -> JournalEntry {
        var entry = base(
            .configurationRejected, priority: .error,
            message: "Configuration \(file) rejected: \(problems.count) problem(s), the previous configuration stays in force; first: \(problems.first ?? "?")")
        for problem in problems.prefix(100) { entry.append(EmbargoField.problem, problem) }
        entry.append(EmbargoField.configFile, file)
        return entry
    }

    // MARK: - Pieces

    /// `restriction/phase` of the phase that decides the status: the latest in effect, or the
    /// next one for an upcoming finding.
    public static func phaseKey(_ finding: Finding) -> String? {
        decidingPhase(finding).map { "\($0.restriction)/\($0.phase)" }
    }

    public static func decidingPhase(_ finding: Finding) -> PhaseAssessment? {
        finding.phaseInEffect ?? finding.nextPhase
    }

    /// `name version` of every package evidence item, sorted.
    public static func packageVersions(_ finding: Finding) -> [String] {
        Array(Set(finding.evidence.filter { $0.kind == .package }.map { "\($0.locator) \($0.detail["version"] ?? "?")" })).sorted()
    }

    static func base(_ event: JournalEvent, priority: JournalPriority, message: String) -> JournalEntry {
        var entry = JournalEntry()
        entry.append("MESSAGE", SingleLine.of(message))
        entry.append("MESSAGE_ID", event.messageID)
        entry.append("PRIORITY", String(priority.rawValue))
        entry.append("SYSLOG_IDENTIFIER", syslogIdentifier)
        entry.append(EmbargoField.event, event.rawValue)
        return entry
    }

    static func priority(of status: FindingStatus) -> JournalPriority {
        switch status {
        case .violation: return .error
        case .suspected, .remnant, .upcoming: return .warning
        case .waived: return .notice
        case .exempt, .notApplicable: return .info
        }
    }

    static func headline(_ finding: Finding) -> String {
        let packages = packageVersions(finding)
        let what = packages.isEmpty ? finding.evidence.first.map { "\($0.kind.rawValue) \($0.locator)" } : packages.joined(separator: ", ")
        return "\(finding.productName) (\(finding.vendor)/\(finding.product)\(what.map { ", " + $0 } ?? ""))"
    }

    static func position(_ finding: Finding) -> String {
        switch finding.status {
        case .violation:
            if let phase = finding.phaseInEffect {
                return "violation of \(phase.restriction)/\(phase.phase) in effect since \(phase.effective), severity \(finding.severity.rawValue)"
            }
            return "violation, severity \(finding.severity.rawValue)"
        case .upcoming:
            if let phase = finding.nextPhase {
                return "upcoming: \(phase.restriction)/\(phase.phase) takes effect \(phase.effective) (in \(phase.daysUntilEffective) day(s))"
            }
            return "upcoming"
        case .waived:
            return "waived by \(finding.waiver?.id ?? "?") until \(finding.waiver?.expires ?? "?")"
        case .remnant: return "remnant: only configuration files are left"
        case .suspected: return "suspected: only weak indicators matched, investigate"
        case .exempt: return "exempt: \(finding.exemptions.first?.reason ?? "an exemption applies")"
        case .notApplicable: return "not applicable to the profile"
        }
    }

    static func appendFinding(
        _ finding: Finding, to entry: inout JournalEntry, statusOverride: String? = nil, phaseOverride: PhaseAssessment? = nil
    ) {
        entry.append(EmbargoField.findingID, finding.id)
        entry.append(EmbargoField.vendor, finding.vendor)
        entry.append(EmbargoField.vendorName, finding.vendorName)
        entry.append(EmbargoField.product, finding.product)
        entry.append(EmbargoField.productName, finding.productName)
        entry.append(EmbargoField.status, statusOverride ?? finding.status.rawValue)
        entry.append(EmbargoField.severity, finding.severity.rawValue)
        entry.append(EmbargoField.confidence, finding.confidence.rawValue)
        if let phase = phaseOverride ?? decidingPhase(finding) {
            entry.append(EmbargoField.phase, "\(phase.restriction)/\(phase.phase)")
            entry.append(EmbargoField.phaseTitle, phase.prohibits)
            entry.append(EmbargoField.authority, phase.authority)
            entry.append(EmbargoField.effective, phase.effective)
            if let citation = phase.citations.first {
                entry.append(EmbargoField.citation, citation.cite + (citation.url.map { " " + $0 } ?? ""))
            }
            entry.append(EmbargoField.installedAfterPhase, phase.installedAfter.map { $0 ? "yes" : "no" })
            entry.append(EmbargoField.updatedAfterPhase, phase.updatedAfter.map { $0 ? "yes" : "no" })
        }
        for evidence in finding.evidence.prefix(200) {
            entry.append(EmbargoField.evidence, evidenceText(evidence))
        }
        var seenPackages = Set<String>()
        for evidence in finding.evidence where evidence.kind == .package {
            let version = evidence.detail["version"] ?? ""
            let key = "\(evidence.locator)\u{0}\(version)"
            guard seenPackages.insert(key).inserted else { continue }
            entry.append(EmbargoField.package, evidence.locator)
            if !version.isEmpty { entry.append(EmbargoField.version, version) }
            if let type = evidence.detail["type"] {
                let arch = evidence.detail["arch"].map { ":" + $0 } ?? ""
                entry.append(EmbargoField.packageID, "\(type):\(evidence.locator)\(arch)@\(version)")
            }
        }
        entry.append(EmbargoField.installedAt, finding.installedAt.map(RFC3339.format))
        entry.append(EmbargoField.installedAtSource, finding.installedAtSource)
        entry.append(EmbargoField.updatedAt, finding.updatedAt.map(RFC3339.format))
        entry.append(EmbargoField.remediation, finding.remediation.first)
        if let waiver = finding.waiver {
            entry.append(EmbargoField.waiverID, waiver.id)
            entry.append(EmbargoField.waiverExpires, waiver.expires)
        }
    }

    static func appendContext(_ context: ScanContext, to entry: inout JournalEntry) {
        entry.append(EmbargoField.scanID, context.scanID)
        entry.append(EmbargoField.scanKind, context.kind)
        entry.append(EmbargoField.trigger, context.trigger)
        entry.append(EmbargoField.root, context.root)
        entry.append(EmbargoField.profile, context.profileID)
        entry.append(EmbargoField.policyID, context.policyID)
        entry.append(EmbargoField.policyVersion, context.policyVersion)
        entry.append(EmbargoField.policySHA256, context.policySHA256)
        entry.append(EmbargoField.asOf, RFC3339.format(context.asOf))
    }

    /// `kind locator [identifier-kind=value, strength] key=value ...` on one line.
    static func evidenceText(_ evidence: Evidence) -> String {
        let keys = ["version", "arch", "state", "sha256", "ownedBy", "manager", "enabled", "path", "executable"]
        let details = keys.compactMap { key in evidence.detail[key].map { "\(key)=\($0)" } }
        let identifier = "[\(evidence.identifier.kind)=\(evidence.identifier.value), \(evidence.identifier.strength)]"
        return SingleLine.of(([evidence.kind.rawValue, evidence.locator, identifier] + details).joined(separator: " "))
    }
}
