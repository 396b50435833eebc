import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation
import TestSupport
import Testing

/// Evaluation is a pure function of inventory, policy, profile and instant: every rule is tested
/// here with plain values, for any day.
@Suite("evaluation")
struct EvaluatorTests {
    static let policies: PolicySet = {
        let path = ProjectPaths.fixture("evaluation-policy.yaml", target: "EmbargoEvaluationTests").path
        return try! PolicySet.load(paths: [path])
    }()

    static func date(_ text: String) -> Date { try! RFC3339.parse(text) }

    static func package(
        _ name: String, type: PackageType = .deb, version: String = "1.0", state: PackageState = .installed,
        installed: String? = "2024-06-01T00:00:00Z", updated: String? = nil, maintainer: String? = nil
    ) -> InstalledPackage {
        InstalledPackage(
            type: type, name: name, version: version, arch: "amd64", maintainer: maintainer, state: state,
            installedAt: installed.map { RecordedDate(date($0), source: .dpkgLog) },
            updatedAt: (updated ?? installed).map { RecordedDate(date($0), source: .dpkgLog) }, source: "/var/lib/dpkg/status")
    }

    static func evaluate(
        _ inventory: Inventory, profile: String = "us-commercial", asOf: String, waivers: [Waiver] = []
    ) -> [Finding] {
        Evaluator.evaluate(
            EvaluationInput(
                inventory: inventory, policies: policies, profile: policies.profile(withID: profile)!, asOf: date(asOf),
                waivers: waivers, hostName: "host-a"))
    }

    @Test(
        "status and severity across the two phases",
        arguments: [
            ("2024-07-01T00:00:00Z", FindingStatus.upcoming, Severity.low),
            ("2024-07-20T03:59:59Z", .upcoming, .low),
            ("2024-07-20T04:00:00Z", .violation, .high),
            ("2024-09-29T03:59:59Z", .violation, .high),
            ("2024-09-29T04:00:00Z", .violation, .critical),
        ])
    func statusAcrossPhases(asOf: String, status: FindingStatus, severity: Severity) throws {
        let findings = Self.evaluate(Inventory(root: "/", packages: [Self.package("acme-agent")]), asOf: asOf)
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.status == status)
        #expect(finding.severity == severity)
        #expect(finding.confidence == .high)
    }

    @Test("upcoming: the next phase with its date and whole days left")
    func upcomingDaysLeft() throws {
        let finding = try #require(Self.evaluate(Inventory(root: "/", packages: [Self.package("acme-agent")]), asOf: "2024-07-10T04:00:00Z").first)
        let next = try #require(finding.nextPhase)
        #expect(next.phase == "new-agreements")
        #expect(next.effective == "2024-07-20T04:00:00Z")
        #expect(next.effectiveLocal == "2024-07-20T00:00:00-04:00")
        #expect(next.daysUntilEffective == 10)
    }

    @Test("installed and updated after each phase")
    func installedOrUpdatedAfter() throws {
        let inventory = Inventory(root: "/", packages: [Self.package("acme-agent", installed: "2024-08-01T00:00:00Z", updated: "2024-10-01T00:00:00Z")])
        let finding = try #require(Self.evaluate(inventory, asOf: "2024-11-01T00:00:00Z").first)
        let first = try #require(finding.phases.first { $0.phase == "new-agreements" })
        let second = try #require(finding.phases.first { $0.phase == "updates" })
        #expect(first.installedAfter == true)
        #expect(second.installedAfter == false)
        #expect(second.updatedAfter == true)
        #expect(finding.installedAt == Self.date("2024-08-01T00:00:00Z"))
        #expect(finding.updatedAt == Self.date("2024-10-01T00:00:00Z"))
        #expect(finding.phaseInEffect?.phase == "updates")
    }

    @Test("federal profile: obligations do not make a violation; the removal deadline does")
    func federalObligations() throws {
        let inventory = Inventory(root: "/", packages: [Self.package("acme-agent", installed: "2016-01-01T00:00:00Z")])
        let beforeRemoval = try #require(Self.evaluate(inventory, profile: "us-federal", asOf: "2017-11-01T00:00:00Z").first)
        #expect(beforeRemoval.status == .upcoming)
        #expect(beforeRemoval.nextPhase?.phase == "removal")
        #expect(beforeRemoval.phases.contains { $0.phase == "identify" && $0.inEffect && !$0.violation })
        let afterRemoval = try #require(Self.evaluate(inventory, profile: "us-federal", asOf: "2017-12-12T05:00:00Z").first)
        #expect(afterRemoval.status == .violation)
        // Under the commercial profile the directive does not bind at all.
        let commercial = try #require(Self.evaluate(inventory, asOf: "2017-12-13T00:00:00Z").first)
        #expect(commercial.status == .upcoming)
        #expect(!commercial.phases.contains { $0.restriction == "directive" })
    }

    @Test("an exempt product is reported as exempt with the reason, never as a violation")
    func exemption() throws {
        let finding = try #require(Self.evaluate(Inventory(root: "/", packages: [Self.package("acme-intel")]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(finding.status == .exempt)
        #expect(finding.severity == .info)
        #expect(finding.exemptions.first?.reason == "Threat intelligence is not prohibited")
    }

    @Test("a file owned by the matched package is evidence of it, not a second finding")
    func ownedFileJoinsPackage() throws {
        let agent = Self.package("acme-agent")
        let file = FileRecord(path: "/opt/acme/agent/bin/agentd", owners: [agent.id], foundBy: "policy-paths")
        let findings = Self.evaluate(Inventory(root: "/", packages: [agent], files: [file]), asOf: "2025-01-01T00:00:00Z")
        #expect(findings.map(\.product) == ["agent"])
        let evidence = findings[0].evidence
        #expect(evidence.contains { $0.kind == .file && $0.locator == "/opt/acme/agent/bin/agentd" && $0.detail["ownedBy"] == agent.id.description })
    }

    @Test("a file owned by an unrelated package is not loose evidence (the package wins)")
    func unrelatedOwnerWins() throws {
        let docs = Self.package("acme-migration-docs")
        let file = FileRecord(path: "/opt/acme/README", owners: [docs.id], foundBy: "policy-paths")
        #expect(Self.evaluate(Inventory(root: "/", packages: [docs], files: [file]), asOf: "2025-01-01T00:00:00Z").isEmpty)
    }

    @Test("a loose file: the specific product claims it, not the generic one; dated by mtime")
    func looseFile() throws {
        let file = FileRecord(path: "/opt/acme/agent/bin/agentd", modifiedAt: Self.date("2024-10-02T00:00:00Z"), foundBy: "policy-paths")
        let other = FileRecord(path: "/opt/acme/unknown/tool", modifiedAt: Self.date("2024-10-03T00:00:00Z"), foundBy: "policy-paths")
        let findings = Self.evaluate(Inventory(root: "/", files: [file, other]), asOf: "2025-01-01T00:00:00Z")
        #expect(Set(findings.map(\.product)) == ["agent", "acme-unidentified"])
        let agent = try #require(findings.first { $0.product == "agent" })
        #expect(agent.evidence.map(\.locator) == ["/opt/acme/agent/bin/agentd"])
        #expect(agent.installedAt == Self.date("2024-10-02T00:00:00Z"))
        #expect(agent.installedAtSource == "file-mtime")
        #expect(agent.remediation.contains { $0.hasPrefix("rm -rf /opt/acme/agent/bin/agentd") })
        let generic = try #require(findings.first { $0.product == "acme-unidentified" })
        #expect(generic.evidence.map(\.locator) == ["/opt/acme/unknown/tool"])
        #expect(generic.confidence == .medium)
    }

    @Test("remediation commands quote hostile names so copying them runs one harmless command")
    func remediationQuoting() throws {
        let hostile = FileRecord(path: "/opt/acme/agent/x; rm -rf / #'$(id)", modifiedAt: Self.date("2024-10-02T00:00:00Z"), foundBy: "policy-paths")
        let finding = try #require(Self.evaluate(Inventory(root: "/", files: [hostile]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(finding.remediation.first == "rm -rf '/opt/acme/agent/x; rm -rf / #'\\''$(id)'  (not owned by any package)")
        let plain = FileRecord(path: "/opt/acme/agent/bin/agentd", foundBy: "policy-paths")
        let simple = try #require(Self.evaluate(Inventory(root: "/", files: [plain]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(simple.remediation.first == "rm -rf /opt/acme/agent/bin/agentd  (not owned by any package)")
    }

    @Test("a marker alone is weak: the finding is suspected, not a violation")
    func markerOnly() throws {
        let renamed = FileRecord(path: "/usr/local/bin/helper", markers: ["acme-agent-control"], foundBy: "file-walk")
        let finding = try #require(Self.evaluate(Inventory(root: "/", files: [renamed]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(finding.status == .suspected)
        #expect(finding.confidence == .low)
        #expect(finding.severity == .low)
    }

    @Test("configuration remnants only: status remnant with a purge hint")
    func remnant() throws {
        let finding = try #require(
            Self.evaluate(Inventory(root: "/", packages: [Self.package("acme-agent", state: .configFiles)]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(finding.status == .remnant)
        #expect(finding.remediation.first == "apt-get purge acme-agent")
    }

    @Test("an enable link left after the unit file was removed is a remnant, not a violation")
    func danglingUnitLink() throws {
        let link = ServiceUnit(
            name: "acme-agent.service", path: "/etc/systemd/system/multi-user.target.wants/acme-agent.service",
            manager: "systemd", enabled: true, properties: ["danglingLink": "true"])
        let finding = try #require(Self.evaluate(Inventory(root: "/", units: [link]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(finding.status == .remnant)
        // With the program still installed, the same link is part of a violation.
        let withPackage = try #require(
            Self.evaluate(Inventory(root: "/", packages: [Self.package("acme-agent")], units: [link]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(withPackage.status == .violation)
    }

    @Test("a running process whose executable was deleted still matches by its path")
    func deletedExecutable() throws {
        let process = RunningProcess(pid: 7, command: "x", executable: "/usr/sbin/acmescand (deleted)", commandLine: [])
        let finding = try #require(Self.evaluate(Inventory(root: "/", processes: [process]), asOf: "2025-01-01T00:00:00Z").first)
        #expect(finding.product == "scanner")
    }

    @Test("every evidence kind: digest, certificate, repository, process, kernel module, unit, maintainer")
    func everyEvidenceKind() throws {
        let inventory = Inventory(
            root: "/",
            packages: [Self.package("vendor-tool", maintainer: "ACME Security <pkg@acme.example>")],
            files: [FileRecord(path: "/srv/tool.bin", sha256: "0000000000000000000000000000000000000000000000000000000000000001", foundBy: "file-walk")],
            units: [ServiceUnit(name: "acme-agent.service", path: "/etc/systemd/system/acme-agent.service", manager: "systemd", enabled: true)],
            certificates: [
                TrustedCertificate(
                    path: "/usr/local/share/ca-certificates/acme.crt", index: 0, subject: "CN=ACME Root,O=ACME Security,C=US",
                    issuer: "CN=ACME Root,O=ACME Security,C=US", notBefore: nil, notAfter: nil, sha256Fingerprint: "ab")
            ],
            repositories: [PackageRepository(manager: "apt", path: "/etc/apt/sources.list", line: 3, url: "https://updates.acme.example/deb", host: "updates.acme.example", enabled: true)],
            processes: [RunningProcess(pid: 42, command: "acmescand", executable: "/usr/sbin/acmescand", commandLine: ["acmescand", "-d"])],
            kernelModules: [KernelModule(name: "acme_hook", loaded: true, path: nil)])
        let findings = Self.evaluate(inventory, asOf: "2025-01-01T00:00:00Z")
        let scanner = try #require(findings.first { $0.product == "scanner" })
        let kinds = Set(scanner.evidence.map(\.kind))
        #expect(kinds == [.file, .certificate, .repository, .process, .kernelModule])
        let agent = try #require(findings.first { $0.product == "agent" })
        #expect(agent.evidence.map(\.kind) == [.service])
        #expect(agent.remediation.first?.hasPrefix("systemctl disable --now acme-agent.service") == true)
        let generic = try #require(findings.first { $0.product == "acme-unidentified" })
        #expect(generic.evidence.first?.detail["matchedField"] == "maintainer")
    }

    @Test("an active waiver turns a violation into waived; an expired one re-opens it and says so")
    func waivers() throws {
        let inventory = Inventory(root: "/", packages: [Self.package("acme-agent")])
        let waiver = Waiver(
            id: "W-1", vendor: "acme", product: "agent", reason: "replacement rollout", approver: "ciso",
            created: Self.date("2024-10-01T00:00:00Z"), expires: Self.date("2024-12-31T00:00:00Z"))
        let active = try #require(Self.evaluate(inventory, asOf: "2024-11-01T00:00:00Z", waivers: [waiver]).first)
        #expect(active.status == .waived)
        #expect(active.waiver?.expired == false)
        let expired = try #require(Self.evaluate(inventory, asOf: "2025-01-02T00:00:00Z", waivers: [waiver]).first)
        #expect(expired.status == .violation)
        #expect(expired.waiver?.expired == true)
        var otherHost = waiver
        otherHost.host = "host-b"
        #expect(Self.evaluate(inventory, asOf: "2024-11-01T00:00:00Z", waivers: [otherHost]).first?.status == .violation)
    }

    @Test("findings come in action order: violations first, then by severity")
    func ordering() {
        let inventory = Inventory(root: "/", packages: [Self.package("acme-intel"), Self.package("acme-scanner-cli"), Self.package("acme-agent")])
        let findings = Self.evaluate(inventory, asOf: "2025-01-01T00:00:00Z")
        #expect(findings.map(\.status) == [.violation, .violation, .exempt])
        #expect(findings.map(\.product) == ["agent", "scanner", "intel"])
    }

    @Test("the same inputs give the same findings")
    func deterministic() {
        let inventory = Inventory(root: "/", packages: [Self.package("acme-agent"), Self.package("acme-scanner-cli")])
        #expect(Self.evaluate(inventory, asOf: "2025-01-01T00:00:00Z") == Self.evaluate(inventory, asOf: "2025-01-01T00:00:00Z"))
    }
}
