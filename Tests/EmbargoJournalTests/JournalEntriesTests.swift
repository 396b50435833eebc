import EmbargoEvaluation
import EmbargoInventory
import EmbargoJournal
import EmbargoPolicy
import Foundation
import TestSupport
import Testing

/// Entries are built from the evaluator's findings and carry only names journald accepts.
@Suite("journal entries")
struct JournalEntriesTests {
    static func findings(asOf: String = "2025-01-01T00:00:00Z") throws -> [Finding] {
        let directory = try TemporaryDirectory(prefix: "embargo-policies")
        let policies = try PolicySet.load(paths: [try directory.write("test.yaml", TestPolicies.kaspersky()).path])
        let installed = RecordedDate(try RFC3339.parse("2024-10-15T12:00:00Z"), source: .dpkgLog)
        let packages = [
            InstalledPackage(
                type: .deb, name: "kesl", version: "12.1.0.1297", arch: "amd64", status: "install ok installed", state: .installed,
                installedAt: installed, updatedAt: installed, source: "/var/lib/dpkg/status"),
            InstalledPackage(
                type: .deb, name: "klnagent64", version: "15.0", arch: "amd64", status: "install ok installed", state: .installed,
                installedAt: installed, updatedAt: installed, source: "/var/lib/dpkg/status"),
        ]
        // A hostile file name: control characters must not break the one-line MESSAGE.
        let files = [
            FileRecord(path: "/opt/kaspersky/kesl/evil\nname\u{1b}[31m", size: 1, foundBy: "policy-paths")
        ]
        guard let profile = policies.defaultProfile else { return [] }
        return Evaluator.evaluate(
            EvaluationInput(
                inventory: Inventory(root: "/", packages: packages, files: files), policies: policies, profile: profile,
                asOf: try RFC3339.parse(asOf)))
    }

    static let context = ScanContext(
        scanID: "6f1c2b1e-0000-4000-8000-000000000000", kind: "scan", trigger: "periodic", root: "/", profileID: "us-commercial",
        policyID: "test-kaspersky", policyVersion: "1", policySHA256: String(repeating: "ab", count: 32),
        asOf: Date(timeIntervalSince1970: 1_735_689_600))

    static func allEntries() throws -> [JournalEntry] {
        let findings = try findings()
        let kesl = try #require(findings.first { $0.product == "kesl" })
        let upcoming = try #require(try Self.findings(asOf: "2024-07-01T00:00:00Z").first { $0.product == "kesl" })
        let phase = try #require(upcoming.nextPhase)
        let directory = try TemporaryDirectory(prefix: "embargo-policies")
        let policies = try PolicySet.load(paths: [try directory.write("test.yaml", TestPolicies.kaspersky()).path])
        return [
            JournalEntries.found(kesl, context: context),
            JournalEntries.changed(kesl, previous: upcoming, context: context),
            JournalEntries.resolved(kesl, firstSeen: Date(timeIntervalSince1970: 0), context: context),
            JournalEntries.upcoming(upcoming, phase: phase, days: 19, context: context),
            JournalEntries.waiverExpired(kesl, context: context),
            JournalEntries.scanStarted(context),
            JournalEntries.scanCompleted(
                ScanSummary(findings: findings, packages: 2, errors: 0, warnings: 0, durationSeconds: 0.25, found: 2, changed: 0, resolved: 0),
                context: context),
            JournalEntries.scanError("Scan failed: test", issues: [], context: context),
            JournalEntries.policyLoaded(policies, profileID: "us-commercial", reason: "start"),
            JournalEntries.policyRejected(problems: ["a.yaml:3:1: error: bad"], paths: ["a.yaml"], keeping: policies),
            JournalEntries.configurationRejected(problems: ["c.conf:1: bad"], file: "c.conf"),
        ]
    }

    @Test("field names: [A-Z0-9_]+, not starting with _, at most 64 bytes")
    func fieldNames() {
        for valid in ["MESSAGE", "EMBARGO_VENDOR", "A", "X1_2"] { #expect(JournalField.isValidName(valid), "\(valid)") }
        for invalid in ["", "_PID", "embargo_vendor", "EMBARGO-VENDOR", "EMBARGO.VENDOR", "ÉTAT", String(repeating: "A", count: 65)] {
            #expect(!JournalField.isValidName(invalid), "\(invalid)")
        }
    }

    @Test("every event class has its own MESSAGE_ID of 32 lower-case hex digits")
    func messageIDs() {
        let ids = JournalEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for id in ids { #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)") }
        for event in JournalEvent.allCases { #expect(JournalEvent(messageID: event.messageID) == event) }
    }

    @Test("every entry: valid names, one-line MESSAGE, MESSAGE_ID, PRIORITY, no UNIT=")
    func entriesAreWellFormed() throws {
        let entries = try Self.allEntries()
        #expect(entries.count == JournalEvent.allCases.count)
        #expect(Set(entries.compactMap { $0.value("MESSAGE_ID") }) == Set(JournalEvent.allCases.map(\.messageID)))
        for entry in entries {
            #expect(entry.invalidNames.isEmpty, "\(entry.invalidNames)")
            let message = try #require(entry.value("MESSAGE"))
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 }, "\(message)")
            #expect(Int(entry.value("PRIORITY") ?? "") != nil)
            #expect(entry.value("SYSLOG_IDENTIFIER") == "embargod")
            #expect(entry.value("UNIT") == nil)
        }
    }

    @Test("a finding entry carries the finding: vendor, product, status, phase, evidence (repeated), packages, dates, policy, scan")
    func findingFields() throws {
        let kesl = try #require(try Self.findings().first { $0.product == "kesl" })
        let entry = JournalEntries.found(kesl, context: Self.context)
        #expect(entry.value(EmbargoField.vendor) == "kaspersky")
        #expect(entry.value(EmbargoField.product) == "kesl")
        #expect(entry.value(EmbargoField.status) == kesl.status.rawValue)
        #expect(entry.value(EmbargoField.severity) == kesl.severity.rawValue)
        #expect(entry.value(EmbargoField.phase) == "commerce/updates")
        #expect(entry.value(EmbargoField.effective) == "2024-09-29T04:00:00Z")
        #expect(entry.values(EmbargoField.evidence).count == kesl.evidence.count)
        #expect(entry.values(EmbargoField.evidence).contains { $0.contains("evil name") }, "control characters become spaces")
        #expect(entry.values(EmbargoField.package) == ["kesl"])
        #expect(entry.values(EmbargoField.version) == ["12.1.0.1297"])
        #expect(entry.values(EmbargoField.packageID) == ["deb:kesl:amd64@12.1.0.1297"])
        #expect(entry.value(EmbargoField.installedAt) == "2024-10-15T12:00:00Z")
        #expect(entry.value(EmbargoField.installedAtSource) == "dpkg-log")
        #expect(entry.value(EmbargoField.installedAfterPhase) == "yes")
        #expect(entry.value(EmbargoField.policyID) == "test-kaspersky")
        #expect(entry.value(EmbargoField.policySHA256) == String(repeating: "ab", count: 32))
        #expect(entry.value(EmbargoField.scanID) == Self.context.scanID)
        #expect(entry.value(EmbargoField.profile) == "us-commercial")
        #expect(entry.value(EmbargoField.confidence) == "high")
        #expect(entry.value(EmbargoField.root) == "/")
        #expect(entry.value(EmbargoField.remediation) == "apt-get purge kesl")
        #expect(entry.value("PRIORITY") == "3")
    }

    @Test("over-long values are cut at a character boundary")
    func longValues() {
        var entry = JournalEntry()
        entry.append("EMBARGO_ERROR", String(repeating: "é", count: JournalEntry.maximumValueBytes))
        let value = entry.value("EMBARGO_ERROR") ?? ""
        #expect(value.utf8.count <= JournalEntry.maximumValueBytes)
        #expect(value.hasSuffix("…"))
    }
}
