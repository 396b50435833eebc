import Foundation
import TestSupport
import Testing

/// Waivers through the CLI, as processes against a real dpkg root: `embargo scan --waivers`
/// across an as-of date before and after the expiry, a broken waiver file, `embargo waiver list`
/// and `embargo waiver check`.
@Suite("waivers on the command line", .serialized, .enabled(if: DebianRoot.toolsAvailable, "needs dpkg-deb and faketime (scripts/install-dependencies test)"))
struct WaiverCommandTests {
    /// kesl installed in June 2024, before both Commerce phases; the host is `test-host`.
    final class Fixture: @unchecked Sendable {
        let root: DebianRoot
        let files: TemporaryDirectory

        init() throws {
            root = try DebianRoot()
            try root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
            files = try TemporaryDirectory(prefix: "embargo-waiver-files")
        }

        func waivers(_ name: String, _ text: String) throws -> String {
            try files.write(name, text).path
        }
    }

    static let fixture = Result { try Fixture() }

    /// Granted 2024-10-01, expires 2025-03-31 00:00 in New York (04:00 UTC).
    static let keslWaiver = """
        schema: embargo.waivers/v1
        waivers:
          - id: CHG-2024-118
            vendor: kaspersky
            product: kesl
            host: test-host
            reason: Replacement EDR rollout on this host is scheduled for March.
            approver: CISO <ciso@example.org>
            created: 2024-10-01
            expires: 2025-03-31T00:00:00-04:00

        """

    static func scan(_ root: DebianRoot, asOf: String, _ arguments: [String]) throws -> (Command.Output, [String: Any]?) {
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", asOf, "--format", "json"] + arguments)
        let kesl = (report["findings"] as? [[String: Any]])?.first { $0["product"] as? String == "kesl" }
        return (output, kesl)
    }

    @Test("across the expiry: waived the second before, a violation from the instant on, shown as expired")
    func expiryAcrossAsOf() throws {
        let fixture = try Self.fixture.get()
        let file = try fixture.waivers("kesl.yaml", Self.keslWaiver)

        let (active, activeFinding) = try Self.scan(fixture.root, asOf: "2024-12-01", ["--waivers", file])
        #expect(active.status == 0, "a waived finding is no violation: \(active.stderr)")
        #expect(activeFinding?["status"] as? String == "waived")
        let activeWaiver = activeFinding?["waiver"] as? [String: Any]
        #expect(activeWaiver?["id"] as? String == "CHG-2024-118")
        #expect(activeWaiver?["expired"] as? Bool == false)
        #expect(activeWaiver?["expires"] as? String == "2025-03-31T04:00:00Z")
        #expect(activeWaiver?["approver"] as? String == "CISO <ciso@example.org>")
        #expect(activeWaiver?["reason"] as? String == "Replacement EDR rollout on this host is scheduled for March.")

        let (lastSecond, lastSecondFinding) = try Self.scan(fixture.root, asOf: "2025-03-31T03:59:59Z", ["--waivers", file])
        #expect(lastSecond.status == 0)
        #expect(lastSecondFinding?["status"] as? String == "waived")

        let (expired, expiredFinding) = try Self.scan(fixture.root, asOf: "2025-03-31T04:00:00Z", ["--waivers", file])
        #expect(expired.status == 1, "the waiver expired: a violation again")
        #expect(expiredFinding?["status"] as? String == "violation")
        let expiredWaiver = expiredFinding?["waiver"] as? [String: Any]
        #expect(expiredWaiver?["id"] as? String == "CHG-2024-118")
        #expect(expiredWaiver?["expired"] as? Bool == true)

        let text = try EmbargoProcess.run(["scan", "--root", fixture.root.path, "--as-of", "2025-04-15", "--waivers", file])
        #expect(text.status == 1)
        #expect(text.stdout.contains("waiver CHG-2024-118 EXPIRED until 2025-03-31T04:00:00Z"), "\(text.stdout)")

        // The report lists every waiver loaded, with its state and the findings it covers.
        let (_, document) = try EmbargoProcess.json([
            "scan", "--root", fixture.root.path, "--as-of", "2025-04-15", "--waivers", file, "--format", "json",
        ])
        let record = try #require((document["waivers"] as? [[String: Any]])?.first)
        #expect(record["id"] as? String == "CHG-2024-118")
        #expect(record["state"] as? String == "expired")
        #expect(record["covers"] as? [String] == ["kaspersky/kesl"])

        // embargo report --scan-now takes the same waivers.
        let (fresh, freshReport) = try EmbargoProcess.json([
            "report", "--scan-now", "--root", fixture.root.path, "--as-of", "2024-12-01", "--waivers", file, "--format", "json",
        ])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let freshFinding = (freshReport["findings"] as? [[String: Any]])?.first { $0["product"] as? String == "kesl" }
        #expect(freshFinding?["status"] as? String == "waived")

        let (without, withoutFinding) = try Self.scan(fixture.root, asOf: "2024-12-01", [])
        #expect(without.status == 1, "no waiver given: a violation")
        #expect(withoutFinding?["waiver"] is NSNull)
    }

    @Test("a waiver not in force yet, or for another host, does not apply and is not shown as expired")
    func outOfScope() throws {
        let fixture = try Self.fixture.get()
        let file = try fixture.waivers("kesl-scope.yaml", Self.keslWaiver)
        let (early, earlyFinding) = try Self.scan(fixture.root, asOf: "2024-09-30", ["--waivers", file])
        #expect(early.status == 1)
        #expect(earlyFinding?["status"] as? String == "violation")
        #expect(earlyFinding?["waiver"] is NSNull, "created 2024-10-01: not yet valid, and not expired either")

        let other = try fixture.waivers("other-host.yaml", Self.keslWaiver.replacingOccurrences(of: "host: test-host", with: "host: build-07"))
        let (otherHost, otherFinding) = try Self.scan(fixture.root, asOf: "2024-12-01", ["--waivers", other])
        #expect(otherHost.status == 1)
        #expect(otherFinding?["status"] as? String == "violation")
    }

    @Test("a broken waiver file: every problem with file:line:column on standard error, exit 2, nothing scanned")
    func brokenFile() throws {
        let fixture = try Self.fixture.get()
        let broken = Self.keslWaiver
            .replacingOccurrences(of: "    reason: Replacement", with: "    reasn: Replacement")
            .replacingOccurrences(of: "2025-03-31T00:00:00-04:00", with: "2025-03-31T00:00:00")
        let file = try fixture.waivers("broken.yaml", broken)
        let output = try EmbargoProcess.run(["scan", "--root", fixture.root.path, "--waivers", file, "--format", "json"])
        #expect(output.status == 2)
        #expect(output.stdout.isEmpty, "no report from a half-applied set of waivers")
        #expect(output.stderr.contains("\(file):3:5: error: waiver 'CHG-2024-118' needs 'reason' [waiver.missing-key]"), "\(output.stderr)")
        #expect(output.stderr.contains("\(file):7:5: error: unknown key 'reasn' in waiver 'CHG-2024-118'; did you mean 'reason'? [waiver.unknown-key]"))
        #expect(output.stderr.contains("\(file):10:14: error: waiver 'CHG-2024-118': expires '2025-03-31T00:00:00' has no time zone"))

        let check = try EmbargoProcess.run(["waiver", "check", file])
        #expect(check.status == 2)
        #expect(check.stderr.contains("\(file):7:5: error: unknown key 'reasn'"))
        #expect(check.stderr.contains("3 error(s); no waiver was loaded"))

        let conflict = try EmbargoProcess.run(["scan", "--root", fixture.root.path, "--waivers", file, "--no-waivers"])
        #expect(conflict.status == 2)
    }

    @Test("waiver list: every waiver with its status at the as-of instant and what it covers")
    func list() throws {
        let fixture = try Self.fixture.get()
        let file = try fixture.waivers(
            "list.yaml",
            Self.keslWaiver + """
                  - id: lab-copy
                    path: /srv/malware-lab/**
                    reason: Samples kept for analysis.
                    created: 2025-02-01
                    expires: 2025-12-31

                """)
        let output = try EmbargoProcess.run(["waiver", "list", "--waivers", file, "--as-of", "2025-01-15", "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
        #expect(document["asOf"] as? String == "2025-01-15T00:00:00Z")
        let waivers = try #require(document["waivers"] as? [[String: Any]])
        #expect(waivers.map { $0["id"] as? String } == ["CHG-2024-118", "lab-copy"], "sorted by expiry")
        #expect(waivers[0]["status"] as? String == "active")
        #expect(waivers[0]["daysLeft"] as? Int == 75)
        #expect(waivers[0]["covers"] as? [String: String] == ["vendor": "kaspersky", "product": "kesl", "host": "test-host"])
        #expect(waivers[0]["definedAt"] as? String == "\(file):3:5")
        #expect(waivers[1]["status"] as? String == "not-yet-valid")
        #expect(waivers[1]["covers"] as? [String: String] == ["path": "/srv/malware-lab/**"])

        let later = try EmbargoProcess.run(["waiver", "list", "--waivers", file, "--as-of", "2025-06-01"])
        #expect(later.status == 0)
        let row = try #require(later.stdout.split(separator: "\n").first { $0.hasPrefix("CHG-2024-118 ") })
        #expect(row.contains(" expired "))
        #expect(row.contains("vendor=kaspersky product=kesl host=test-host"))
        #expect(later.stdout.contains("2 waiver(s): 1 active, 1 expired, 0 not-yet-valid as of 2025-06-01T00:00:00Z"))
    }

    @Test("waiver check: valid with warnings is exit 0; --root shows the findings each waiver covers")
    func check() throws {
        let fixture = try Self.fixture.get()
        let file = try fixture.waivers(
            "check.yaml",
            Self.keslWaiver + """
                  - id: typo
                    vendor: kasperskiy
                    reason: A vendor id with a typo.
                    expires: 2026-01-01

                """)
        let output = try EmbargoProcess.run([
            "waiver", "check", file, "--root", fixture.root.path, "--as-of", "2024-12-01", "--format", "json",
        ])
        #expect(output.status == 0, "warnings do not fail the check: \(output.stderr)")
        #expect(output.stderr.contains("\(file):11:5: warning: waiver 'typo': vendor 'kasperskiy' is not in the loaded policies"))
        let document = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
        #expect(document["hostname"] as? String == "test-host")
        let waivers = try #require(document["waivers"] as? [[String: Any]])
        let kesl = try #require(waivers.first { $0["id"] as? String == "CHG-2024-118" })
        let covered = try #require(kesl["coveredFindings"] as? [[String: Any]])
        #expect(covered.count == 1)
        #expect(covered.first?["finding"] as? String == "kaspersky/kesl")
        #expect(covered.first?["status"] as? String == "waived")
        #expect(covered.first?["applied"] as? Bool == true)
        let typo = try #require(waivers.first { $0["id"] as? String == "typo" })
        #expect((typo["coveredFindings"] as? [Any])?.isEmpty == true)
        #expect((document["warnings"] as? [[String: Any]])?.first?["code"] as? String == "waiver.unknown-reference")

        let text = try EmbargoProcess.run(["waiver", "check", file, "--root", fixture.root.path, "--as-of", "2024-12-01"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("\(file): ok (2 waiver(s), sha256 "))
        #expect(text.stdout.contains("  covers kaspersky/kesl (Kaspersky Endpoint Security for Linux): waived"), "\(text.stdout)")
        #expect(text.stdout.contains("  covers no finding on test-host"))
    }
}
