import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import EmbargoReports
import EmbargoStore
import Foundation
import TestSupport

/// Scans built from real evaluations of the test policy, for committing.
enum StoreFixtures {
    static let policies: PolicySet = {
        let directory = try? TemporaryDirectory(prefix: "embargo-policies")
        let path = (try? directory?.write("test.yaml", TestPolicies.kaspersky()).path) ?? ""
        return (try? PolicySet.load(paths: [path])) ?? PolicySet(documents: [])
    }()

    static func package(_ name: String, version: String = "1.0") -> InstalledPackage {
        InstalledPackage(
            type: .deb, name: name, version: version, arch: "amd64", status: "install ok installed", state: .installed,
            installedAt: RecordedDate(Date(timeIntervalSince1970: 1_717_200_000), source: .dpkgLog), source: "/var/lib/dpkg/status",
            metadata: ["homepage": "https://example.org/\(name)"])
    }

    /// A scan of an inventory with the given packages, as the daemon commits it.
    static func commit(
        id: String = UUID().uuidString.lowercased(), packages: [InstalledPackage], at date: Date, previous: [TrackedFinding] = []
    ) -> ScanCommit {
        let profile = policies.defaultProfile ?? Profile(id: "us-commercial", title: "US", isDefault: true)
        let inventory = Inventory(
            root: "/", packages: packages,
            files: packages.contains { $0.name == "kesl" }
                ? [
                    FileRecord(
                        path: "/opt/kaspersky/kesl/bin/kesl-control", size: 10, modifiedAt: date, sha256: String(repeating: "a", count: 64),
                        foundBy: "policy-paths")
                ] : [],
            issues: [ScanIssue(collector: "dpkg", code: "dpkg.test", location: IssueLocation(path: "/var/lib/dpkg/status", line: 3), message: "test issue")],
            sources: [InventorySource(collector: "dpkg", path: "/var/lib/dpkg/status", items: packages.count)])
        let findings = Evaluator.evaluate(EvaluationInput(inventory: inventory, policies: policies, profile: profile, asOf: date))
        let report = AuditReport(
            tool: ToolInfo(version: "test"), host: HostInfo(hostname: "h", osRelease: nil, kernel: nil, architecture: nil, root: "/"),
            scan: ScanInfo(id: id, startedAt: date, finishedAt: date, sources: inventory.sources), asOf: date, profile: profile,
            policies: policies, findings: findings, issues: inventory.issues, packageCount: packages.count)
        let tracked = findings.map { TrackedFinding(finding: $0, firstSeen: date, lastSeen: date, lastScanID: id) }
        let counts = Dictionary(grouping: findings, by: \.status.rawValue).mapValues(\.count)
        let scan = ScanRecord(
            id: id, kind: .scan, trigger: "test", startedAt: date, finishedAt: date.addingTimeInterval(1), asOf: date, root: "/",
            profile: profile.id, policyID: policies.id, policyVersion: policies.version, policySHA256: policies.sha256,
            inventoryScanID: id, packageCount: packages.count, findingCount: findings.count, countsByStatus: counts, errorCount: 1,
            warningCount: 0, foundCount: findings.count, changedCount: 0, resolvedCount: 0)
        let history = findings.map {
            FindingHistoryEntry(findingID: $0.id, scanID: id, at: date, event: "finding-found", newStatus: $0.status.rawValue)
        }
        return ScanCommit(
            scan: scan, report: report, inventory: inventory, tracked: tracked, history: history, outbox: [Data("entry-\(id)".utf8)])
    }
}
