import EmbargoStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EmbargodProcessTests {
    /// `kill -9` at any moment of a scan (collection, evaluation, the commit) leaves the state
    /// database consistent with its last complete scan, and the next run completes.
    @Suite(
        "crash consistency", .serialized,
        .enabled(if: JournaldSandbox.isSupported && DebianRoot.toolsAvailable, "needs root, unshare, dpkg-deb"))
    struct CrashConsistencyTests {
        @Test("SIGKILL at spread-out moments of --once runs never leaves a partial scan")
        func killAtRandomMoments() throws {
            let harness = try DaemonHarness(journald: false)
            try harness.root.install([TestPolicies.kesl])
            try EmbargodProcessTests.DaemonLifecycleTests.writeLargeStatus(root: harness.root, packages: 8_000)
            // One complete run to learn how long a run takes.
            let started = Date()
            let complete = try harness.once()
            let duration = Date().timeIntervalSince(started)
            #expect(complete.status == 1, "\(complete.stderr)")
            var completedScans = try harness.store().scans().count
            #expect(completedScans == 1)

            var generator = SystemRandomNumberGenerator()
            for attempt in 0..<6 {
                // Spread the kills over the whole run, with some randomness inside each slice.
                let slice = duration / 6
                let delay = slice * Double(attempt) + Double.random(in: 0..<slice, using: &generator)
                let process = try harness.sandbox.start(ProjectPaths.embargodExecutable.path, harness.arguments + ["--once"])
                Thread.sleep(forTimeInterval: delay)
                process.signal(SIGKILL)
                let output = try process.waitForExit(timeout: 60)
                let store = try EmbargoStore(directory: harness.state.path + "/lib")
                #expect(try store.integrityProblems().isEmpty, "after a kill at \(delay) s")
                let scans = try store.scans()
                // Either the commit happened before the kill (one more scan, complete) or the run left
                // nothing. A kill between the commit and the exit is a legitimate moment: the process
                // dies by the signal, yet its scan is whole, which the checks below verify.
                #expect(scans.count == completedScans || scans.count == completedScans + 1, "\(scans.count) scans after kill \(attempt)")
                #expect(output.status == 1 || output.status == 128 + SIGKILL, "killed run ended with \(output.status): \(output.stderr)")
                completedScans = scans.count
                for scan in scans {
                    let report = try #require(try store.report(scanID: scan.id))
                    #expect(report.findings.count == scan.findingCount)
                }
                let latest = try #require(try store.latestInventory())
                #expect(latest.inventory.packages.count == 8_001)
                #expect(try store.trackedFindings().map(\.id) == ["kaspersky/kesl"])
            }
            let final = try harness.once()
            #expect(final.status == 1, "\(final.stderr)")
            #expect(try harness.store().integrityProblems().isEmpty)
        }
    }
}
