import EmbargoAudit
import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import EmbargoReports
import Foundation
import TestSupport

/// A realistic report built by the real evaluator from an inventory written here: a violation
/// with package, file and unit evidence installed before one phase and updated after another; a
/// waived finding; a violation whose waiver expired; an exempt product; a file name with
/// characters every format must escape; scan errors; the change since a baseline scan.
///
/// Everything is fixed (scan ids, times, host, tool version), and policy paths are made
/// relative to the checkout, so the rendered documents are the same on every machine.
enum ReportFixtures {
    static let policyDirectory = ProjectPaths.fixture("policy", target: "EmbargoReportsTests")
    static let shownPolicyDirectory = "/etc/embargo/policies"

    static let policies: PolicySet = {
        (try? PolicySet.load(paths: [policyDirectory.appendingPathComponent("test-kaspersky.yaml").path]))
            ?? PolicySet(documents: [])
    }()

    static func date(_ text: String) -> Date { (try? RFC3339.parse(text)) ?? Date(timeIntervalSince1970: 0) }

    static let asOf = date("2024-11-01T00:00:00Z")
    static let baselineAsOf = date("2024-10-01T00:00:00Z")
    static let hostName = "db-01.example.org"
    /// A fixed machine id's derivation (the raw id is never written).
    static let machineID = MachineIdentity.derive(machineID: Array(0..<16).map { UInt8($0 * 17) })

    /// The control character (ESC) and the quoting characters every renderer must neutralise.
    static let awkwardPath = "/opt/kaspersky/kesl/share/notes, \"v2\" <b>&amp;\u{1B}[31m"

    static func deb(
        _ name: String, _ version: String, installed: String, updated: String? = nil, maintainer: String = "Debian <debian@example.org>",
        state: PackageState = .installed
    ) -> InstalledPackage {
        InstalledPackage(
            type: .deb, name: name, version: version, arch: "amd64", maintainer: maintainer,
            status: state == .installed ? "install ok installed" : "deinstall ok config-files", state: state,
            installedAt: RecordedDate(date(installed), source: .dpkgLog),
            updatedAt: RecordedDate(date(updated ?? installed), source: .dpkgLog), source: "/var/lib/dpkg/status")
    }

    static let kaspersky = "AO Kaspersky Lab <support@kaspersky.com>"

    static func inventory(baseline: Bool) -> Inventory {
        let kesl = baseline
            ? deb("kesl", "11.4.0.1096", installed: "2024-06-01T09:00:00Z", maintainer: kaspersky)
            : deb("kesl", "12.1.0.1297", installed: "2024-06-01T09:00:00Z", updated: "2024-10-15T12:00:00Z", maintainer: kaspersky)
        var packages = [
            deb("bash", "5.2.15-2+b7", installed: "2023-06-10T08:00:00Z"),
            deb("libc6", "2.36-9+deb12u8", installed: "2023-06-10T08:00:00Z"),
            kesl,
            deb("kwts", "6.1.0.4762", installed: "2024-05-02T10:00:00Z", maintainer: kaspersky),
            deb("kti-agent", "1.0.3", installed: "2024-03-01T10:00:00Z", maintainer: kaspersky),
        ]
        if baseline {
            packages.append(deb("oldlib", "1.0-1", installed: "2023-06-10T08:00:00Z"))
        } else {
            packages.append(deb("klnagent64", "15.0.0.12912", installed: "2024-10-20T07:30:00Z", maintainer: kaspersky))
        }
        let keslID = kesl.id
        let files = [
            FileRecord(
                path: "/opt/kaspersky/kesl/bin/kesl-control", size: 4096, modifiedAt: date("2024-10-15T12:00:00Z"), permissions: 0o755,
                sha256: String(repeating: "ab", count: 32), owners: [keslID], foundBy: "policy-paths"),
            FileRecord(
                path: awkwardPath, size: 12, modifiedAt: date("2024-10-15T12:00:00Z"), permissions: 0o644, owners: [],
                foundBy: "policy-paths"),
        ]
        let units = [
            ServiceUnit(
                name: "kesl.service", path: "/lib/systemd/system/kesl.service", manager: "systemd", enabled: true,
                properties: ["ExecStart": "/opt/kaspersky/kesl/libexec/kesl"], owners: [keslID])
        ]
        let issues = [
            ScanIssue(
                collector: "dpkg", severity: .error, code: "dpkg.bad-field",
                location: IssueLocation(path: "/var/lib/dpkg/status", line: 412, column: 1), message: "field without a colon"),
            ScanIssue(
                collector: "file-walk", severity: .warning, code: "file-walk.unreadable",
                location: IssueLocation(path: "/home/alice/.cache/secret"), message: "permission denied"),
        ]
        let sources = [
            InventorySource(collector: "dpkg", path: "/var/lib/dpkg/status", items: packages.count),
            InventorySource(collector: "dpkg", path: "/var/log/dpkg.log", items: 14),
            InventorySource(collector: "policy-paths", path: "/opt/kaspersky/kesl", items: files.count),
            InventorySource(collector: "units", path: "/lib/systemd/system", items: 1),
        ]
        return Inventory(root: "/", packages: packages, files: files, units: units, issues: issues, sources: sources)
    }

    static let waivers = [
        Waiver(
            id: "W-2024-017", vendor: "kaspersky", product: "klnagent64",
            reason: "Network Agent kept until the migration to the new management server (CHG-4411).", approver: "CISO J. Doe",
            created: date("2024-10-18T00:00:00Z"), expires: date("2025-03-31T00:00:00Z"), definedAt: "/etc/embargo/waivers.d/agents.yaml:3:3"),
        Waiver(
            id: "W-2024-001", vendor: "kaspersky", product: "kwts", reason: "Proxy replacement project (ended).",
            approver: "CISO J. Doe", created: date("2024-06-01T00:00:00Z"), expires: date("2024-09-30T00:00:00Z"),
            definedAt: "/etc/embargo/waivers.d/proxy.yaml:3:3"),
        Waiver(
            id: "W-2025-002", vendor: "kaspersky", host: "db-02.example.org", reason: "Lab host, approved for 2025.",
            created: date("2025-01-01T00:00:00Z"), expires: date("2025-12-31T00:00:00Z"), definedAt: "/etc/embargo/waivers.d/lab.yaml:3:3"),
    ]

    static var profile: Profile { policies.defaultProfile ?? Profile(id: "us-commercial", title: "US commercial", isDefault: true) }

    static func findings(_ inventory: Inventory, asOf: Date) -> [Finding] {
        Evaluator.evaluate(
            EvaluationInput(inventory: inventory, policies: policies, profile: profile, asOf: asOf, waivers: waivers, hostName: hostName))
            .map(relativePolicyPaths)
    }

    /// The fixture's checkout path replaced by a fixed one in `definedAt`.
    static func relativePolicyPaths(_ finding: Finding) -> Finding {
        var finding = finding
        finding.evidence = finding.evidence.map { evidence in
            var evidence = evidence
            evidence.identifier.definedAt = evidence.identifier.definedAt.replacingOccurrences(
                of: policyDirectory.path, with: shownPolicyDirectory)
            return evidence
        }
        return finding
    }

    static let scanID = "3f2c9a4e-7b1d-4c55-9e0a-5d6b8c7e1f20"
    static let baselineScanID = "0b7e6d5c-4a3b-4c2d-8e1f-9a8b7c6d5e4f"

    /// The report, with the change since the baseline scan.
    static func report() -> AuditReport {
        let current = inventory(baseline: false)
        let earlier = inventory(baseline: true)
        let findings = findings(current, asOf: asOf)
        var report = AuditReport(
            tool: ToolInfo(version: "0.0.0-test"),
            host: HostInfo(
                hostname: hostName,
                osRelease: OSRelease(id: "debian", versionID: "12", prettyName: "Debian GNU/Linux 12 (bookworm)"),
                kernel: "6.1.0-26-amd64", architecture: "x86_64", root: "/", machineID: machineID),
            scan: ScanInfo(
                id: scanID, startedAt: date("2024-11-01T00:00:00Z"), finishedAt: date("2024-11-01T00:00:07Z"),
                sources: current.sources, kind: "scan", trigger: "periodic"),
            asOf: asOf, profile: profile, policies: policies, findings: findings, issues: current.issues,
            packageCount: current.packages.count,
            scope: ScanScope(
                root: "/", collectors: ["dpkg", "policy-paths", "units"],
                walk: ScanScope.WalkScope(
                    enabled: true, paths: ["/opt", "/usr/local", "/srv", "/home", "/root", "/var/opt", "/etc/opt"], exclusions: ["/tmp"],
                    crossFileSystems: false)),
            waivers: waivers.map { WaiverRecord($0, asOf: asOf, findings: findings, hostName: hostName) })
        report.policies = report.policies.map { file in
            var file = file
            file.path = file.path.replacingOccurrences(of: policyDirectory.path, with: shownPolicyDirectory)
            return file
        }
        report.changes = ScanComparison.compare(
            from: ScanReference(id: baselineScanID, startedAt: baselineAsOf, finishedAt: baselineAsOf.addingTimeInterval(6)),
            fromFindings: self.findings(earlier, asOf: baselineAsOf), fromPackages: earlier.packages.map(\.id),
            to: ScanReference(report.scan), toFindings: findings, toPackages: current.packages.map(\.id))
        return report
    }

    static var packages: [InstalledPackage] { inventory(baseline: false).packages }
}
