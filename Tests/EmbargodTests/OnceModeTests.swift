import EmbargoJournal
import EmbargoStore
import Foundation
import TestSupport
import Testing

extension EmbargodProcessTests {
    /// `embargod --once`: one scan, its journal entries, the CLI's exit codes.
    @Suite(
        "embargod --once", .serialized,
        .enabled(if: JournaldSandbox.isSupported && DebianRoot.toolsAvailable, "needs root, unshare, systemd-journald, dpkg-deb"))
    struct OnceModeTests {
        @Test("exit 0 on a clean root, 1 with a violation; findings logged once across runs; resolution logged")
        func exitCodesAndDifferentialLogging() throws {
            let harness = try DaemonHarness()
            let clean = try harness.once()
            #expect(clean.status == 0, "\(clean.stderr)")
            try harness.root.install([TestPolicies.kesl])
            let dirty = try harness.once()
            #expect(dirty.status == 1)
            let again = try harness.once()
            #expect(again.status == 1)
            try harness.root.purge("kesl")
            #expect(try harness.once().status == 0)
            let events = harness.entries().map(\.event)
            #expect(events.filter { $0 == .findingFound }.count == 1, "found once, not on every scan")
            #expect(events.filter { $0 == .findingResolved }.count == 1)
            #expect(events.filter { $0 == .scanCompleted }.count == 4, "one summary per scan")
            #expect(events.filter { $0 == .scanStarted }.count == 4)
            let summaries = harness.entries([.scanCompleted]).map(\.record)
            #expect(summaries.map { $0.value(EmbargoField.verdict) } == ["compliant", "non-compliant", "non-compliant", "compliant"])
            #expect(summaries.map { $0.value(EmbargoField.count(status: "violation")) } == ["0", "1", "1", "0"])
            #expect(summaries.map { $0.value(EmbargoField.found) } == ["0", "1", "0", "0"])
            #expect(summaries.map { $0.value(EmbargoField.resolved) } == ["0", "0", "0", "1"])
            // The store: four scans, newest first, each with its report.
            let store = try harness.store()
            let scans = try store.scans()
            #expect(scans.count == 4)
            #expect(scans.map(\.violationCount) == [0, 1, 1, 0])
            #expect(try store.findings(scanID: scans[1].id).map(\.product) == ["kesl"])
            #expect(try store.scan(id: String(scans[1].id.prefix(8)))?.id == scans[1].id, "a unique prefix finds a scan")
        }

        @Test("an invalid policy at start: a policy-rejected entry and exit 2")
        func invalidPolicyAtStart() throws {
            let harness = try DaemonHarness(policy: TestPolicies.broken)
            let output = try harness.once()
            #expect(output.status == 2)
            #expect(output.stderr.contains("test.yaml:3"), "\(output.stderr)")
            let rejected = try #require(harness.entries([.policyRejected]).first?.record)
            #expect(rejected.value(EmbargoField.policyID) == nil, "nothing was in force")
            #expect(!rejected.values(EmbargoField.problem).isEmpty)
        }

        @Test("an invalid configuration file: file:line errors and exit 2")
        func invalidConfiguration() throws {
            let harness = try DaemonHarness()
            try harness.sandbox.directory.write("embargod.conf", "scan-interval = 6 hours\nwatch = yes\n")
            let output = try harness.once()
            #expect(output.status == 2)
            #expect(output.stderr.contains("embargod.conf:1: scan-interval: '6 hours' is not a duration"), "\(output.stderr)")
            #expect(output.stderr.contains("embargod.conf:2: unknown key 'watch'"), "\(output.stderr)")
        }
    }
}
