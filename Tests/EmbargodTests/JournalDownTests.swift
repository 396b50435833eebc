import EmbargoJournal
import EmbargoStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EmbargodProcessTests {
    /// The journal is down (no socket): `sd_journal_sendv` would return 0 and pretend. embargod must
    /// notice, say so on standard error, count, keep running, and deliver later.
    @Suite(
        "embargod with the journal down", .serialized,
        .enabled(if: JournaldSandbox.isSupported && DebianRoot.toolsAvailable, "needs root, unshare, systemd-journald, dpkg-deb"))
    struct JournalDownTests {
        @Test("the service reports the missing journal on stderr and in STATUS=, and keeps running and scanning")
        func serviceKeepsRunning() throws {
            let harness = try DaemonHarness(journald: false)
            let daemon = try harness.start()
            _ = try #require(harness.listener.wait(timeout: 10) { $0.value("STATUS")?.hasPrefix("Idle") == true })
            try harness.root.install([TestPolicies.kesl])
            // The finding is still judged and recorded; its entry waits; stderr says why.
            let deadline = Date().addingTimeInterval(5)
            while !daemon.stderr.contains("not in the journal: Restricted software found"), Date() < deadline { usleep(50_000) }
            let stderr = daemon.stderr
            #expect(stderr.contains("the journal is not available (no journald socket at /run/systemd/journal/socket)"), "\(stderr)")
            #expect(stderr.contains("not in the journal: Restricted software found: Kaspersky Endpoint Security for Linux"), "\(stderr)")
            // Reported once, not on every attempt.
            #expect(stderr.components(separatedBy: "the journal is not available").count == 2)
            let status = try #require(harness.listener.wait(timeout: 5) { $0.value("STATUS")?.contains("journal down") == true })
            #expect(status.value("STATUS")?.contains("entries undelivered") == true)
            #expect(daemon.isRunning)
            let output = try #require(try harness.stop())
            #expect(output.status == 0)
            let store = try harness.store()
            #expect(try store.trackedFindings().map(\.id) == ["kaspersky/kesl"])
            #expect(try store.pendingOutbox().count > 0)
        }

        @Test("--once completes with the CLI's exit code; the entries wait and a later run with journald delivers them")
        func onceThenDeliver() throws {
            let harness = try DaemonHarness(journald: false)
            try harness.root.install([TestPolicies.kesl])
            let down = try harness.once()
            #expect(down.status == 1, "a violation: exit 1; stderr: \(down.stderr)")
            #expect(down.stdout.contains("1 violation"), "\(down.stdout)")
            #expect(down.stderr.contains("the journal is not available"))
            #expect(down.stderr.contains("journal entries wait in the state database"))
            let waiting = try harness.store().pendingOutbox().count
            #expect(waiting >= 4, "policy loaded, scan started, found, completed: \(waiting)")

            // The same state, now with a journald: the waiting entries are delivered first, then the
            // new scan's (which finds nothing new: differential).
            let up = try JournaldSandbox(journald: true)
            let output = try up.run(ProjectPaths.embargodExecutable.path, harness.arguments + ["--once"])
            #expect(output.status == 1)
            #expect(!output.stderr.contains("not available"), "\(output.stderr)")
            let records = try FindingLog.records(.directory(up.journalDirectory))
            let found = records.filter { $0.0 == .findingFound }
            #expect(found.count == 1, "the finding of the first run, delivered late")
            #expect(found.first?.1.value(EmbargoField.product) == "kesl")
            #expect(records.filter { $0.0 == .scanCompleted }.count == 2)
            #expect(try harness.store().pendingOutbox().isEmpty)
        }
    }
}
