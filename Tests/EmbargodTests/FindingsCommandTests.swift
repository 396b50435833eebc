import EmbargoJournal
import Foundation
import TestSupport
import Testing

private let journalRemote = "/lib/systemd/systemd-journal-remote"

extension EmbargodProcessTests {
    /// `embargo findings --journal-directory` on a journal copied from another machine: real entries
    /// written by embargod into a private journald, re-dated with systemd-journal-remote so that time
    /// filters have fixed instants to cut between.
    @Suite(
        "embargo findings", .serialized,
        .enabled(
            if: JournaldSandbox.isSupported && DebianRoot.toolsAvailable
                && FileManager.default.isExecutableFile(atPath: journalRemote),
            "needs root, unshare, systemd-journald, dpkg-deb and systemd-journal-remote"))
    struct FindingsCommandTests {
        /// Entries, in order, each moved to a day of 2024: found kesl (01-10), found klnagent64
        /// (01-10), found example-agent (01-10), resolved kesl (03-01).
        final class Fixture: @unchecked Sendable {
            let journal: TemporaryDirectory
            var directory: String { journal.path }

            init() throws {
                let harness = try DaemonHarness()
                try harness.state.write("policy/vendor2.yaml", TestPolicies.exampleVendor())
                let arguments = ["--policy", harness.state.path + "/policy/vendor2.yaml"]
                try harness.root.install([TestPolicies.kesl, TestPolicies.klnagent, TestPolicies.exampleAgent])
                _ = try harness.once(extraArguments: arguments)
                try harness.root.purge("kesl")
                _ = try harness.once(extraArguments: arguments)
                // Export, re-date, import into a journal file as a forwarded journal would arrive.
                let export = try Command.check("journalctl", ["-D", harness.sandbox.journalDirectory, "-o", "export", "SYSLOG_IDENTIFIER=embargod"])
                var entries = export.stdout.components(separatedBy: "\n\n").filter { !$0.isEmpty }
                let firstScan = Self.microseconds("2024-01-10T12:00:00Z")
                let secondScan = Self.microseconds("2024-03-01T12:00:00Z")
                var seenResolution = false
                entries = entries.enumerated().map { index, entry in
                    if entry.contains("EMBARGO_EVENT=finding-resolved") { seenResolution = true }
                    let base = seenResolution ? secondScan : firstScan
                    return entry.split(separator: "\n").map { line in
                        line.hasPrefix("__REALTIME_TIMESTAMP=") ? "__REALTIME_TIMESTAMP=\(base + UInt64(index))" : String(line)
                    }.joined(separator: "\n")
                }
                journal = try TemporaryDirectory(prefix: "embargo-forwarded")
                let exportFile = try journal.write("input.export", entries.joined(separator: "\n\n") + "\n\n")
                try Command.check(journalRemote, ["-o", journal.path + "/remote-host.journal", exportFile.path])
                try FileManager.default.removeItem(at: exportFile)
            }

            static func microseconds(_ text: String) -> UInt64 {
                let formatter = ISO8601DateFormatter()
                return UInt64((formatter.date(from: text)?.timeIntervalSince1970 ?? 0) * 1_000_000)
            }
        }

        static func findings(_ fixture: Fixture, _ arguments: [String]) throws -> (Command.Output, [[String: Any]]) {
            let output = try EmbargoProcess.run(["findings", "--journal-directory", fixture.directory, "--format", "json"] + arguments)
            let array = (try? JSONSerialization.jsonObject(with: output.stdoutData)) as? [[String: Any]] ?? []
            return (output, array)
        }

        @Test("filters by vendor, status and time; text and JSON output")
        func filters() throws {
            let fixture = try Fixture()

            let (all, everything) = try Self.findings(fixture, [])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(everything.count == 4, "\(everything.map { $0["message"] ?? "" })")
            #expect(everything.map { $0["event"] as? String } == ["finding-found", "finding-found", "finding-found", "finding-resolved"])

            let kaspersky = try Self.findings(fixture, ["--vendor", "kaspersky"]).1
            #expect(kaspersky.count == 3)
            #expect(kaspersky.allSatisfy { $0["vendor"] as? String == "kaspersky" })
            let other = try Self.findings(fixture, ["--vendor", "example-vendor"]).1
            #expect(other.map { $0["product"] as? String } == ["example-agent"])
            #expect(other.first?["severity"] as? String == "medium")

            let violations = try Self.findings(fixture, ["--status", "violation"]).1
            #expect(Set(violations.compactMap { $0["product"] as? String }) == ["kesl", "klnagent64", "example-agent"])
            let resolved = try Self.findings(fixture, ["--status", "resolved"]).1
            #expect(resolved.map { $0["product"] as? String } == ["kesl"])
            #expect(resolved.first?["previousStatus"] as? String == "violation")
            #expect(resolved.first?["time"] as? String == "2024-03-01T12:00:00Z")

            // Vendor AND status.
            let both = try Self.findings(fixture, ["--vendor", "kaspersky", "--status", "resolved", "--status", "violation"]).1
            #expect(both.count == 3)

            // Time: the first scan's entries are on 2024-01-10, the resolution on 2024-03-01.
            let early = try Self.findings(fixture, ["--until", "2024-02-01"]).1
            #expect(early.count == 3)
            #expect(early.allSatisfy { $0["event"] as? String == "finding-found" })
            let late = try Self.findings(fixture, ["--since", "2024-02-01"]).1
            #expect(late.map { $0["event"] as? String } == ["finding-resolved"])
            let window = try Self.findings(fixture, ["--since", "2024-01-10T11:00:00Z", "--until", "2024-01-10T13:00:00Z", "--vendor", "kaspersky"]).1
            #expect(Set(window.compactMap { $0["product"] as? String }) == ["kesl", "klnagent64"])
            #expect(try Self.findings(fixture, ["--since", "2025-01-01"]).1.isEmpty)

            // Every field a consumer needs, as journal fields carry them.
            let kesl = try #require(violations.first { $0["product"] as? String == "kesl" })
            #expect(kesl["messageID"] as? String == JournalEvent.findingFound.messageID)
            #expect(kesl["phase"] as? String == "commerce/updates")
            #expect(kesl["packages"] as? [String] == ["kesl"])
            #expect(kesl["versions"] as? [String] == ["12.1.0.1297"])
            #expect((kesl["evidence"] as? [String])?.count == 2)
            #expect((kesl["policySHA256"] as? String)?.count == 64)
            #expect(kesl["hostname"] != nil)

            // Text: a table and a count.
            let text = try EmbargoProcess.run(["findings", "--journal-directory", fixture.directory, "--vendor", "kaspersky", "--status", "resolved"])
            #expect(text.status == 0)
            #expect(text.stdout.hasPrefix("TIME"))
            #expect(text.stdout.contains("finding-resolved  violation→resolved"), "\(text.stdout)")
            #expect(text.stdout.contains("kesl 12.1.0.1297"))
            #expect(text.stdout.hasSuffix("1 entry\n"))
        }

        @Test("--journal reads this machine's journal (here: the sandbox's, seen by sd_journal_open as the local one)")
        func localJournal() throws {
            let harness = try DaemonHarness()
            try harness.root.install([TestPolicies.kesl])
            let daemon = ([ProjectPaths.embargodExecutable.path] + harness.arguments + ["--once"]).map { "'\($0)'" }.joined(separator: " ")
            let cli = "'\(ProjectPaths.embargoExecutable.path)' findings --journal --vendor kaspersky --format json"
            let output = try harness.sandbox.run("/bin/sh", ["-c", "\(daemon) >/dev/null 2>&1; \(cli)"])
            #expect(output.status == 0, "\(output.stderr)")
            let entries = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [[String: Any]] ?? []
            #expect(entries.map { $0["product"] as? String } == ["kesl"], "\(output.stdout)")
            #expect(entries.first?["event"] as? String == "finding-found")
        }

        @Test("usage errors exit 2: an unknown status, a bad date, two sources, a missing directory")
        func usageErrors() throws {
            #expect(try EmbargoProcess.run(["findings", "--journal-directory", "/", "--status", "bad"]).status == 2)
            #expect(try EmbargoProcess.run(["findings", "--journal-directory", "/", "--since", "yesterday"]).status == 2)
            #expect(try EmbargoProcess.run(["findings", "--journal", "--journal-directory", "/"]).status == 2)
            let missing = try EmbargoProcess.run(["findings", "--journal-directory", "/nonexistent-journal-dir"])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("no such journal directory"))
        }
    }
}
