import EmbargoJournal
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EmbargodProcessTests {
    /// Waivers, metrics and the fleet report with a real embargod in a private journald, against a
    /// dpkg root.
    @Suite(
        "embargod waivers, metrics and fleet", .serialized,
        .enabled(if: JournaldSandbox.isSupported && DebianRoot.toolsAvailable, "needs root, unshare, systemd-journald, dpkg-deb, faketime"))
    struct WaiverDaemonTests {
        static func waiverFile(id: String = "CHG-1", expires: String, extra: String = "") -> String {
            """
            schema: embargo.waivers/v1
            waivers:
              - id: \(id)
                vendor: kaspersky
                product: kesl
                reason: Replacement rollout in progress.
                approver: CISO
                expires: "\(expires)"
            \(extra)
            """
        }

        /// Polls a file until it parses and satisfies the predicate (the daemon writes it once per scan).
        static func waitForMetrics(_ path: String, timeout: Double, _ predicate: (PrometheusText) -> Bool) -> PrometheusText? {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                if let text = try? String(contentsOfFile: path, encoding: .utf8), let metrics = try? PrometheusText.parse(text),
                    predicate(metrics)
                {
                    return metrics
                }
                usleep(50_000)
            } while Date() < deadline
            return nil
        }

        @Test("a waiver expiring a few seconds ahead: waived, then `waiver expired` logged at the instant by re-evaluation; the metrics follow")
        func waiverExpiresAtInstant() throws {
            let expiry = TestPolicies.instant(secondsFromNow: 8)
            let harness = try DaemonHarness()
            try harness.root.install([TestPolicies.kesl])
            let waivers = try harness.state.write("waivers/kesl.yaml", Self.waiverFile(expires: expiry.text))
            try harness.state.makeDirectory("metrics")
            let metricsPath = harness.state.path + "/metrics/embargo.prom"
            try harness.sandbox.directory.write(
                "embargod.conf", "waivers = \(waivers.deletingLastPathComponent().path)\nmetrics-file = \(metricsPath)\n")
            // As under the unit: UMask=0077. The metrics file must still be readable by node_exporter.
            let daemon = try harness.sandbox.start(
                "/bin/sh", ["-c", "umask 077; exec \"$@\"", "sh", ProjectPaths.embargodExecutable.path] + harness.arguments,
                environment: ["NOTIFY_SOCKET": harness.listener.path])
            harness.daemon = daemon
            try #require(harness.listener.wait(timeout: 20) { $0.value("READY") == "1" } != nil, "no READY=1; \(daemon.stderr)")

            let found = try #require(harness.waitForEntry(.findingFound, timeout: 10), "stderr: \(daemon.stderr)")
            #expect(found.value(EmbargoField.status) == "waived")
            #expect(found.value(EmbargoField.waiverID) == "CHG-1")
            #expect(found.value(EmbargoField.waiverExpires) == RFC3339Text.utc(expiry.date))
            let loaded = try #require(harness.entries([.policyLoaded]).first?.record)
            #expect(loaded.value(EmbargoField.waivers) == "1")
            #expect(loaded.value(EmbargoField.waiverFile)?.hasSuffix(" " + waivers.path) == true)

            let waived = try #require(
                Self.waitForMetrics(metricsPath, timeout: 5) {
                    $0.value("embargo_findings", ["vendor": "kaspersky", "product": "kesl", "status": "waived"]) == 1
                })
            #expect(waived.value("embargo_waivers", ["status": "active"]) == 1)
            #expect(waived.value("embargo_up") == 1)
            #expect(waived.value("embargo_last_scan_success") == 1)
            #expect((waived.value("embargo_last_scan_duration_seconds") ?? -1) >= 0)
            var status = stat()
            #expect(stat(metricsPath, &status) == 0 && status.st_mode & 0o777 == 0o644, "mode \(String(status.st_mode & 0o777, radix: 8))")

            let scansBefore = harness.count(.scanStarted) { $0.value(EmbargoField.scanKind) == "scan" }
            let expired = try #require(
                harness.waitForEntry(.waiverExpired, timeout: 20), "no waiver-expired entry; stderr: \(daemon.stderr)")
            #expect(expired.value(EmbargoField.status) == "violation")
            #expect(expired.value(EmbargoField.waiverID) == "CHG-1")
            #expect(expired.value("PRIORITY") == "4")
            #expect(expired.value(EmbargoField.scanKind) == "reevaluation")
            #expect(expired.value(EmbargoField.trigger) == "phase")
            #expect(expired.value("MESSAGE")?.contains("Waiver CHG-1 for Kaspersky Endpoint Security for Linux") == true)
            // At the instant: not before it, within 3 s after (2 cores shared with other suites).
            #expect(expired.realtime >= expiry.date)
            #expect(expired.realtime.timeIntervalSince(expiry.date) < 3)
            #expect(harness.count(.scanStarted) { $0.value(EmbargoField.scanKind) == "scan" } == scansBefore, "no rescan")
            #expect(harness.count(.findingChanged) == 0, "the change is logged once, as waiver-expired")

            let violation = try #require(
                Self.waitForMetrics(metricsPath, timeout: 5) {
                    $0.value("embargo_findings", ["vendor": "kaspersky", "product": "kesl", "status": "violation"]) == 1
                })
            #expect(violation.value("embargo_waivers", ["status": "expired"]) == 1)
            #expect(violation.value("embargo_findings_by_status", ["status": "waived"]) == 0)

            #expect(try harness.stop()?.status == 0)
            let stopped = try #require(Self.waitForMetrics(metricsPath, timeout: 2) { $0.value("embargo_up") == 0 })
            #expect(stopped.value("embargo_findings", ["vendor": "kaspersky", "product": "kesl", "status": "violation"]) == 1)
        }

        @Test("SIGHUP: a new waiver is applied by re-evaluation, no rescan; a broken waiver file is rejected with file:line:column and the waivers in force stay")
        func reloadWaivers() throws {
            let harness = try DaemonHarness()
            try harness.root.install([TestPolicies.kesl])
            try harness.state.makeDirectory("waivers")
            let directory = harness.state.path + "/waivers"
            try harness.sandbox.directory.write("embargod.conf", "waivers = \(directory)\n")
            let daemon = try harness.start()
            let found = try #require(harness.waitForEntry(.findingFound, timeout: 10))
            #expect(found.value(EmbargoField.status) == "violation")
            #expect(found.value(EmbargoField.waiverID) == nil)
            _ = try #require(harness.waitForEntry(.scanCompleted, timeout: 10))

            _ = try harness.state.write("waivers/kesl.yaml", Self.waiverFile(expires: "2099-01-01T00:00:00Z"))
            var readyCount = harness.listener.messages.count
            daemon.signal(SIGHUP)
            let changed = try #require(harness.waitForEntry(.findingChanged, timeout: 10), "stderr: \(daemon.stderr)")
            #expect(changed.value(EmbargoField.previousStatus) == "violation")
            #expect(changed.value(EmbargoField.status) == "waived")
            #expect(changed.value(EmbargoField.waiverID) == "CHG-1")
            #expect(changed.value(EmbargoField.scanKind) == "reevaluation")
            #expect(changed.value(EmbargoField.trigger) == "reload")
            #expect(harness.count(.scanStarted) { $0.value(EmbargoField.scanKind) == "scan" } == 1, "waivers change findings, not the inventory")
            #expect(harness.entries([.policyLoaded]).last?.record.value(EmbargoField.waivers) == "1")
            _ = harness.listener.wait(timeout: 10, after: readyCount) { $0.value("READY") == "1" }

            let broken = try harness.state.write(
                "waivers/zz-broken.yaml",
                """
                schema: embargo.waivers/v1
                waivers:
                  - id: CHG-2
                    vendor: kaspersky
                    reason: typo below
                    expirs: 2099-01-01
                """)
            readyCount = harness.listener.messages.count
            daemon.signal(SIGHUP)
            let rejected = try #require(harness.waitForEntry(.configurationRejected, timeout: 10), "stderr: \(daemon.stderr)")
            #expect(rejected.value("MESSAGE")?.hasPrefix("Waivers rejected: 2 problem(s)") == true, "\(rejected.value("MESSAGE") ?? "")")
            #expect(rejected.value("MESSAGE")?.contains("the 1 waiver(s) in force stay") == true)
            let problems = rejected.values(EmbargoField.problem)
            #expect(problems.contains("\(broken.path):3:5: error: waiver 'CHG-2' needs 'expires' [waiver.missing-key]"), "\(problems)")
            #expect(problems.contains { $0.hasPrefix("\(broken.path):6:5: error: unknown key 'expirs' in waiver 'CHG-2'; did you mean 'expires'?") })
            _ = harness.listener.wait(timeout: 10, after: readyCount) { $0.value("READY") == "1" }
            Thread.sleep(forTimeInterval: 0.5)
            #expect(harness.count(.findingChanged) == 1, "the waiver in force still applies: nothing changed")
            #expect(try harness.stop()?.status == 0)
        }

        @Test("an invalid waiver file at start: embargod exits 2 with the problem in the journal and on standard error")
        func invalidAtStart() throws {
            let harness = try DaemonHarness()
            let file = try harness.state.write("waivers/bad.yaml", "schema: embargo.waivers/v1\nwaivers:\n  - id: x\n    reason: [unclosed\n")
            try harness.sandbox.directory.write("embargod.conf", "waivers = \(file.path)\n")
            let output = try harness.once()
            #expect(output.status == 2)
            #expect(output.stderr.contains("invalid waivers, not starting"), "\(output.stderr)")
            #expect(output.stderr.contains(file.path + ":"))
            let rejected = try #require(harness.entries([.configurationRejected]).first?.record)
            #expect(rejected.value(EmbargoField.configFile) == file.path)
            #expect(rejected.value("MESSAGE")?.contains("embargod does not start") == true)
        }

        @Test("the fleet report reads entries a real embargod wrote beside generated journals of other hosts")
        func fleetWithRealDaemon() throws {
            try #require(JournalExport.isAvailable, "needs systemd-journal-remote")
            let harness = try DaemonHarness()
            try harness.root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
            let once = try harness.once()
            #expect(once.status == 1, "\(once.stderr)")
            let fleet = try FleetReportTests.fleet.get()
            let output = try EmbargoProcess.run([
                "report", "--journal-directory", harness.sandbox.journalDirectory, "--journal-directory", fleet.perHost.path,
                "--format", "json",
            ])
            #expect(output.status == 1, "\(output.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
            let hosts = document["hosts"] as? [[String: Any]] ?? []
            #expect(hosts.count == 5, "this machine and alpha, bravo, charlie, delta")
            let machineID = try String(contentsOfFile: "/etc/machine-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let real = try #require(hosts.first { $0["root"] as? String == harness.root.path }, "\(hosts)")
            #expect(real["machineId"] as? String == machineID)
            #expect(real["hostname"] as? String == ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init))
            #expect(real["verdict"] as? String == "non-compliant")
            let findings = real["findings"] as? [[String: Any]] ?? []
            #expect(findings.count == 1)
            let kesl = try #require(findings.first)
            #expect(kesl["findingId"] as? String == "kaspersky/kesl")
            #expect(kesl["status"] as? String == "violation")
            #expect(kesl["firstSeenExact"] as? Bool == true)
            #expect(kesl["packages"] as? [String] == ["deb:kesl:amd64@12.1.0.1297"])
            #expect(kesl["installedAt"] as? String == "2024-06-01T09:00:00Z")
            #expect(kesl["productName"] as? String == "Kaspersky Endpoint Security for Linux")
            let lastScan = real["lastScan"] as? [String: Any]
            #expect(lastScan?["verdict"] as? String == "non-compliant")
            #expect(lastScan?["policyId"] as? String == "test-kaspersky")
            let products = document["products"] as? [[String: Any]] ?? []
            #expect(products.first { $0["findingId"] as? String == "kaspersky/kesl" }?["hostCount"] as? Int == 4, "alpha, charlie, delta and this machine")
        }
    }
}

/// RFC 3339 in UTC with whole seconds, as embargod writes instants.
enum RFC3339Text {
    static func utc(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
