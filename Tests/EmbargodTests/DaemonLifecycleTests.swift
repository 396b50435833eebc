import EmbargoJournal
import EmbargoStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EmbargodProcessTests {
    /// embargod as a process, with a real systemd-journald in a private mount namespace and a real
    /// NOTIFY_SOCKET listener, against a real dpkg root that dpkg installs into while it runs.
    @Suite(
        "embargod lifecycle", .serialized,
        .enabled(if: JournaldSandbox.isSupported && DebianRoot.toolsAvailable, "needs root, unshare, systemd-journald, dpkg-deb, faketime"))
    struct DaemonLifecycleTests {
        @Test("READY; install → found within 5 s; purge → resolved; SIGHUP with a broken policy → rejected, old policy kept; SIGTERM → STOPPING, exit 0")
        func fullLifecycle() throws {
            let harness = try DaemonHarness()
            let daemon = try harness.start()
            let ready = try #require(harness.listener.messages.first { $0.value("READY") == "1" })
            #expect(ready.senderPID == daemon.pid, "READY=1 must come from the daemon itself")
            // The first full scan at start: one summary, nothing found in an empty root.
            let firstSummary = try #require(harness.waitForEntry(.scanCompleted, timeout: 10))
            #expect(firstSummary.value(EmbargoField.trigger) == "start")
            #expect(firstSummary.value(EmbargoField.findings) == "0")
            #expect(harness.count(.policyLoaded) == 1)

            // Install: a "restricted software found" entry with every field, within 5 s.
            try harness.root.install([TestPolicies.kesl])
            let installed = Date()
            let found = try #require(
                harness.waitForEntry(.findingFound, timeout: 5) { $0.value(EmbargoField.product) == "kesl" },
                "no finding-found entry within 5 s of the install; stderr: \(daemon.stderr)")
            #expect(found.realtime.timeIntervalSince(installed) < 5)
            #expect(found.value("MESSAGE_ID") == JournalEvent.findingFound.messageID)
            #expect(found.value("PRIORITY") == "3")
            #expect(found.value("MESSAGE")?.contains("Restricted software found") == true)
            #expect(found.value("MESSAGE")?.contains("\n") == false)
            #expect(found.value(EmbargoField.vendor) == "kaspersky")
            #expect(found.value(EmbargoField.product) == "kesl")
            #expect(found.value(EmbargoField.status) == "violation")
            #expect(found.value(EmbargoField.severity) == "critical")
            #expect(found.value(EmbargoField.phase) == "commerce/updates")
            #expect(found.value(EmbargoField.effective) == "2024-09-29T04:00:00Z")
            #expect(found.value(EmbargoField.package) == "kesl")
            #expect(found.value(EmbargoField.version) == "12.1.0.1297")
            #expect(found.value(EmbargoField.packageID) == "deb:kesl:amd64@12.1.0.1297")
            #expect(found.value(EmbargoField.installedAtSource) == "dpkg-log")
            #expect(found.value(EmbargoField.installedAt) != nil)
            #expect(found.value(EmbargoField.policyID) == "test-kaspersky")
            #expect(found.value(EmbargoField.policySHA256)?.count == 64)
            #expect(found.value(EmbargoField.scanID)?.count == 36)
            #expect(found.value(EmbargoField.profile) == "us-commercial")
            #expect(found.value(EmbargoField.confidence) == "high")
            #expect(found.value(EmbargoField.root) == harness.root.path)
            #expect(found.value(EmbargoField.remediation) == "apt-get purge kesl")
            // One EMBARGO_EVIDENCE per evidence item: the package and the file it owns.
            let evidence = found.values(EmbargoField.evidence)
            #expect(evidence.count == 2, "\(evidence)")
            #expect(evidence.contains { $0.hasPrefix("package kesl ") })
            #expect(evidence.contains { $0.hasPrefix("file /opt/kaspersky/kesl/bin/kesl-control ") })
            // The daemon never sets UNIT= (a systemd-owned field).
            #expect(found.value("UNIT") == nil)

            // Purge: "finding resolved".
            try harness.root.purge("kesl")
            let resolved = try #require(
                harness.waitForEntry(.findingResolved, timeout: 5) { $0.value(EmbargoField.product) == "kesl" })
            #expect(resolved.value(EmbargoField.status) == "resolved")
            #expect(resolved.value(EmbargoField.previousStatus) == "violation")
            // Differential: the finding was logged once, not on every scan.
            #expect(harness.count(.findingFound) == 1)

            // SIGHUP with a broken policy: rejected, the old one stays in force.
            try Data(TestPolicies.broken.utf8).write(to: harness.policyFile)
            let beforeReload = harness.listener.messages.count
            daemon.signal(SIGHUP)
            let rejected = try #require(harness.waitForEntry(.policyRejected, timeout: 5), "stderr: \(daemon.stderr)")
            #expect(rejected.value("PRIORITY") == "3")
            #expect(rejected.values(EmbargoField.problem).contains { $0.contains("test.yaml:3") }, "\(rejected.values(EmbargoField.problem))")
            #expect(rejected.value(EmbargoField.policyID) == "test-kaspersky")
            let reloading = try #require(harness.listener.wait(timeout: 5, after: beforeReload) { $0.value("RELOADING") == "1" })
            let monotonic = try #require(reloading.value("MONOTONIC_USEC").flatMap(UInt64.init))
            #expect(monotonic > 0)
            #expect(harness.listener.wait(timeout: 5, after: beforeReload) { $0.value("READY") == "1" } != nil)
            #expect(daemon.isRunning)
            // Proof that the old policy is in force: the next install is still judged by it.
            try harness.root.install([TestPolicies.klnagent])
            let agent = try #require(
                harness.waitForEntry(.findingFound, timeout: 5) { $0.value(EmbargoField.product) == "klnagent64" },
                "stderr: \(daemon.stderr)")
            #expect(agent.value(EmbargoField.policyID) == "test-kaspersky")
            #expect(agent.value(EmbargoField.status) == "violation")

            // SIGTERM: STOPPING=1, exit 0.
            let beforeStop = harness.listener.messages.count
            let output = try #require(try harness.stop())
            #expect(output.status == 0, "stderr: \(output.stderr)")
            #expect(harness.listener.wait(timeout: 2, after: beforeStop) { $0.value("STOPPING") == "1" } != nil)

            // The state database agrees with the journal.
            let store = try harness.store()
            #expect(try store.integrityProblems().isEmpty)
            let history = try store.history(findingID: "kaspersky/kesl").map(\.event)
            #expect(history == ["finding-found", "finding-resolved"])
        }

        @Test("WATCHDOG=1 pings arrive at half of WATCHDOG_USEC")
        func watchdogPings() throws {
            let harness = try DaemonHarness()
            let daemon = try harness.start(environment: ["WATCHDOG_USEC": "1000000"])
            Thread.sleep(forTimeInterval: 2.6)
            let pings = harness.listener.messages.filter { $0.value("WATCHDOG") == "1" && $0.senderPID == daemon.pid }
            // Every 0.5 s for about 2.6 s: 5 or 6 pings.
            #expect(pings.count >= 4 && pings.count <= 8, "\(pings.count) pings")
            let output = try harness.stop()
            #expect(output?.status == 0)
        }

        @Test("idle means blocked in the kernel: no thread wakes up for 3 s once the first scan is done")
        func idleWakesNothing() throws {
            let harness = try DaemonHarness()
            let daemon = try harness.start()
            _ = try #require(harness.listener.wait(timeout: 10) { $0.value("STATUS")?.hasPrefix("Idle") == true })
            // Let threads that served the scan retire (libdispatch ends idle workers after a few seconds).
            Thread.sleep(forTimeInterval: 8)
            let before = Self.contextSwitches(daemon.pid)
            Thread.sleep(forTimeInterval: 3)
            let after = Self.contextSwitches(daemon.pid)
            // A wake-up is a context switch of a thread, or a thread that started or ended.
            let woken = after.filter { tid, count in before[tid].map { count > $0 } ?? true }.map(\.key)
                + before.keys.filter { after[$0] == nil }
            #expect(woken.isEmpty, "threads woke while idle: before \(before), after \(after)")
            #expect(try harness.stop()?.status == 0)
        }

        /// Voluntary plus involuntary context switches of each thread of a process.
        static func contextSwitches(_ pid: Int32) -> [String: Int] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            var result: [String: Int] = [:]
            for tid in tasks {
                guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8) else { continue }
                result[tid] = status.split(separator: "\n").filter { $0.contains("ctxt_switches") }
                    .compactMap { $0.split(separator: "\t").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
                    .reduce(0, +)
            }
            return result
        }

        @Test("no WATCHDOG_USEC, no pings")
        func noWatchdogWithoutRequest() throws {
            let harness = try DaemonHarness()
            try harness.start()
            Thread.sleep(forTimeInterval: 1)
            #expect(harness.listener.messages.filter { $0.value("WATCHDOG") == "1" }.isEmpty)
            _ = try harness.stop()
        }

        @Test("a phase a few seconds ahead: the status change is logged when it passes, by re-evaluation, without a rescan")
        func phaseInstantReevaluation() throws {
            let phase = TestPolicies.instant(secondsFromNow: 6)
            let policy = TestPolicies.kaspersky(phases: [.init(id: "soon", effective: phase.text, severity: "high")])
            let harness = try DaemonHarness(policy: policy)
            try harness.root.install([TestPolicies.kesl])
            let daemon = try harness.start()
            let found = try #require(harness.waitForEntry(.findingFound, timeout: 10))
            #expect(found.value(EmbargoField.status) == "upcoming")
            #expect(found.value(EmbargoField.phase) == "commerce/soon")
            let scansBefore = harness.count(.scanStarted) { $0.value(EmbargoField.scanKind) == "scan" }
            let changed = try #require(
                harness.waitForEntry(.findingChanged, timeout: 15), "no status change after the phase; stderr: \(daemon.stderr)")
            #expect(changed.value(EmbargoField.previousStatus) == "upcoming")
            #expect(changed.value(EmbargoField.status) == "violation")
            #expect(changed.value(EmbargoField.scanKind) == "reevaluation")
            #expect(changed.value(EmbargoField.trigger) == "phase")
            // Logged at the instant: not before it, and within 3 s after (2 cores shared with other suites).
            #expect(changed.realtime >= phase.date)
            #expect(changed.realtime.timeIntervalSince(phase.date) < 3)
            // No rescan: the stored inventory was judged again.
            #expect(harness.count(.scanStarted) { $0.value(EmbargoField.scanKind) == "scan" } == scansBefore)
            #expect(harness.count(.findingFound) == 1)
            #expect(try harness.stop()?.status == 0)
        }

        @Test("kill -9 during a scan: the store keeps the last complete scan and the next scan completes")
        func killDuringScan() throws {
            let harness = try DaemonHarness()
            try harness.root.install([TestPolicies.kesl])
            let first = try harness.start()
            let firstSummary = try #require(harness.waitForEntry(.scanCompleted, timeout: 10))
            let firstScanID = try #require(firstSummary.value(EmbargoField.scanID))
            // A large status database makes the next scan (and its commit) long enough to interrupt.
            try Self.writeLargeStatus(root: harness.root, packages: 60_000)
            _ = try #require(
                harness.listener.wait(timeout: 10) { $0.value("STATUS")?.hasPrefix("Scanning (package-database)") == true })
            let scanningIndex = harness.listener.messages.count
            Thread.sleep(forTimeInterval: 0.3)
            first.signal(SIGKILL)
            let killed = try first.waitForExit(timeout: 10)
            #expect(killed.status != 0)
            // The kill landed during the scan: no "Idle" status came after "Scanning".
            let finishedBeforeKill = harness.listener.messages.dropFirst(scanningIndex - 1).contains {
                $0.value("STATUS")?.hasPrefix("Idle") == true
            }
            #expect(!finishedBeforeKill, "the scan finished before the kill; make it larger")

            // The state database is consistent and the last complete scan is intact.
            do {
                let store = try EmbargoStore(directory: harness.state.path + "/lib")
                #expect(try store.integrityProblems().isEmpty)
                let scans = try store.scans()
                let latest = try #require(scans.first)
                // The interrupted scan left nothing behind: the latest complete scan is the first one.
                #expect(latest.id == firstScanID)
                #expect(try store.report(scanID: latest.id) != nil)
                #expect(try store.inventory(scanID: latest.inventoryScanID) != nil)
                #expect(try store.findings(scanID: firstScanID).map(\.product) == ["kesl"])
            }

            // Restart: READY again, and a complete scan of the large database.
            let before = harness.count(.scanCompleted)
            let second = try harness.start()
            let summary = try #require(harness.waitForEntry(.scanCompleted, timeout: 60, after: before), "stderr: \(second.stderr)")
            #expect(Int(summary.value(EmbargoField.packages) ?? "") ?? 0 >= 60_000)
            print("a scan of 60,000 packages took \(summary.value(EmbargoField.durationMilliseconds) ?? "?") ms")
            #expect(try harness.stop(timeout: 60)?.status == 0)
            let store = try harness.store()
            #expect(try store.integrityProblems().isEmpty)
            #expect(try store.latestScan()?.packageCount ?? 0 >= 60_000)
        }

        /// Appends many installed packages to the root's dpkg status, replacing it by rename as dpkg does.
        static func writeLargeStatus(root: DebianRoot, packages: Int) throws {
            let statusPath = root.path + "/var/lib/dpkg/status"
            var text = (try? String(contentsOfFile: statusPath, encoding: .utf8)) ?? ""
            text.reserveCapacity(text.utf8.count + packages * 220)
            for index in 0..<packages {
                text += """
                    Package: filler-\(index)
                    Status: install ok installed
                    Priority: optional
                    Section: misc
                    Installed-Size: 12
                    Maintainer: Filler <filler@example.org>
                    Architecture: amd64
                    Version: 1.0.\(index)
                    Description: filler package \(index)


                    """
            }
            let temporary = statusPath + "-new"
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, statusPath) == 0 else { throw SandboxError("rename failed") }
        }
    }
}
