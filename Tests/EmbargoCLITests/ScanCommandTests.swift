import Foundation
import TestSupport
import Testing

/// `embargo scan` as a process against real dpkg roots, across as-of dates before, between and
/// after the two Commerce phases (2024-07-20 and 2024-09-29T00:00-04:00), and under each profile.
@Suite("embargo scan on dpkg roots", .serialized, .enabled(if: DebianRoot.toolsAvailable, "needs dpkg-deb and faketime (scripts/install-dependencies test)"))
struct ScanCommandTests {
    static let kesl = DebianPackageSpec(
        name: "kesl", version: "12.1.0.1297", maintainer: "AO Kaspersky Lab <support@kaspersky.com>",
        description: "Kaspersky Endpoint Security for Linux (test double)",
        files: ["/lib/systemd/system/kesl.service": "[Service]\nExecStart=/opt/kaspersky/kesl/libexec/kesl\n"],
        executables: ["/opt/kaspersky/kesl/bin/kesl-control": "#!/bin/sh\nexit 0\n"])
    static let klnagent = DebianPackageSpec(
        name: "klnagent64", version: "15.0.0.12912",
        description: "Kaspersky Security Center Network Agent (test double)",
        executables: ["/opt/kaspersky/klnagent64/bin/klnagchk": "#!/bin/sh\nexit 0\n"])

    /// kesl installed before phase 1 and upgraded after phase 2; the Network Agent installed between.
    static func timelineRoot() throws -> DebianRoot {
        let root = try DebianRoot()
        var old = kesl
        old.version = "11.4.0.1096"
        try root.install([old], at: "2024-06-01 09:00:00")
        try root.install([klnagent], at: "2024-08-15 10:00:00")
        try root.install([kesl], at: "2024-10-15 12:00:00")
        return root
    }

    static func finding(_ report: [String: Any], _ product: String) -> [String: Any]? {
        (report["findings"] as? [[String: Any]])?.first { $0["product"] as? String == product }
    }

    @Test("before 2024-07-20 a Kaspersky product is upcoming, with the date and days left; exit 0")
    func beforeFirstPhase() throws {
        let root = try Self.timelineRoot()
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-07-01", "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let kesl = try #require(Self.finding(report, "kesl"))
        #expect(kesl["status"] as? String == "upcoming")
        let next = try #require(kesl["nextPhase"] as? [String: Any])
        #expect(next["phase"] as? String == "new-agreements")
        #expect(next["effective"] as? String == "2024-07-20T04:00:00Z")
        #expect(next["daysUntilEffective"] as? Int == 19)  // 19 days and 4 hours
        #expect(report["asOf"] as? String == "2024-07-01T00:00:00Z")
        #expect((report["profile"] as? [String: Any])?["id"] as? String == "us-commercial")
    }

    @Test("between the phases: a violation of new-agreements; the agent installed after it is flagged")
    func betweenPhases() throws {
        let root = try Self.timelineRoot()
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-08-20", "--format", "json"])
        #expect(output.status == 1)
        let agent = try #require(Self.finding(report, "klnagent64"))
        #expect(agent["status"] as? String == "violation")
        #expect(agent["installedAt"] as? String == "2024-08-15T10:00:00Z")
        #expect(agent["installedAtSource"] as? String == "dpkg-log")
        let phases = try #require(agent["phases"] as? [[String: Any]])
        let first = try #require(phases.first { $0["phase"] as? String == "new-agreements" })
        #expect(first["inEffect"] as? Bool == true)
        #expect(first["installedAfter"] as? Bool == true)
        let second = try #require(phases.first { $0["phase"] as? String == "updates-resale-licensing" })
        #expect(second["inEffect"] as? Bool == false)
        #expect(second["daysUntilEffective"] as? Int == 40)  // 40 days and 4 hours
    }

    @Test("after 2024-09-29: updates are banned; kesl was installed before the ban and updated after it")
    func afterSecondPhase() throws {
        let root = try Self.timelineRoot()
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-10-20T00:00:00Z", "--format", "json"])
        #expect(output.status == 1)
        let kesl = try #require(Self.finding(report, "kesl"))
        #expect(kesl["status"] as? String == "violation")
        #expect(kesl["installedAt"] as? String == "2024-06-01T09:00:00Z")
        #expect(kesl["updatedAt"] as? String == "2024-10-15T12:00:00Z")
        let phases = try #require(kesl["phases"] as? [[String: Any]])
        let updates = try #require(phases.first { $0["phase"] as? String == "updates-resale-licensing" })
        #expect(updates["inEffect"] as? Bool == true)
        #expect(updates["effective"] as? String == "2024-09-29T04:00:00Z")
        #expect(updates["installedAfter"] as? Bool == false)
        #expect(updates["updatedAfter"] as? Bool == true)
        #expect((kesl["remediation"] as? [String])?.first == "apt-get purge kesl")
        // Every file the package owns is evidence of the same finding, not a second one.
        let evidence = try #require(kesl["evidence"] as? [[String: Any]])
        #expect(evidence.contains { $0["kind"] as? String == "package" && $0["locator"] as? String == "kesl" })
        #expect(evidence.contains { $0["kind"] as? String == "file" && $0["locator"] as? String == "/opt/kaspersky/kesl/bin/kesl-control" })
        #expect(evidence.contains { $0["kind"] as? String == "service" && $0["locator"] as? String == "kesl.service" })
        let products = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["product"] as? String }
        #expect(Set(products) == ["kesl", "klnagent64"])
    }

    @Test("the instant of the updates ban is midnight EDT, not midnight UTC")
    func updatesBanInstant() throws {
        let root = try Self.timelineRoot()
        let justBefore = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-09-29T03:59:59Z", "--format", "json"]).1
        let justAfter = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-09-29T00:00:00-04:00", "--format", "json"]).1
        func updatesInEffect(_ report: [String: Any]) -> Bool? {
            (Self.finding(report, "kesl")?["phases"] as? [[String: Any]])?
                .first { $0["phase"] as? String == "updates-resale-licensing" }?["inEffect"] as? Bool
        }
        #expect(updatesInEffect(justBefore) == false)
        #expect(updatesInEffect(justAfter) == true)
    }

    @Test("federal profiles: a violation since BOD 17-01 and NDAA section 1634, years before Commerce")
    func federalProfile() throws {
        let root = try Self.timelineRoot()
        let (output, report) = try EmbargoProcess.json(
            ["scan", "--root", root.path, "--profile", "us-federal", "--as-of", "2019-01-01", "--format", "json"])
        #expect(output.status == 1)
        let kesl = try #require(Self.finding(report, "kesl"))
        #expect(kesl["status"] as? String == "violation")
        let inEffect = (kesl["phases"] as? [[String: Any]] ?? []).filter { $0["inEffect"] as? Bool == true && $0["violation"] as? Bool == true }
        let restrictions = Set(inEffect.compactMap { $0["restriction"] as? String })
        #expect(restrictions.count >= 2, "BOD 17-01 removal and NDAA 1634 should both be in effect: \(restrictions)")
        // The same date under the commercial profile: nothing binds yet.
        let commercial = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2019-01-01", "--format", "json"]).1
        #expect(Self.finding(commercial, "kesl")?["status"] as? String == "upcoming")
    }

    @Test("text report: a table, the evidence, and a summary line; exit 1 on a violation")
    func textReport() throws {
        let root = try Self.timelineRoot()
        let output = try EmbargoProcess.run(["scan", "--root", root.path, "--as-of", "2024-10-20"])
        #expect(output.status == 1)
        #expect(output.stdout.contains("STATUS"))
        #expect(output.stdout.contains("violation"))
        #expect(output.stdout.contains("kesl"))
        #expect(output.stdout.contains("apt-get purge kesl"))
        #expect(output.stdout.contains("NON-COMPLIANT: 2 violation"))
    }

    @Test("a removed package leaves a remnant, a purged one leaves nothing")
    func remnantAndPurge() throws {
        let root = try DebianRoot()
        var kesl = Self.kesl
        kesl.files["/etc/opt/kaspersky/kesl.ini"] = "[general]\n"
        kesl.conffiles = ["/etc/opt/kaspersky/kesl.ini"]
        try root.install([kesl], at: "2024-10-01 08:00:00")
        try root.remove("kesl", at: "2024-11-01 08:00:00")
        let (removedOutput, removed) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-12-01", "--format", "json"])
        let remnant = try #require(Self.finding(removed, "kesl"))
        #expect(remnant["status"] as? String == "remnant")
        #expect(removedOutput.status == 0)
        try root.purge("kesl", at: "2024-11-02 08:00:00")
        let (purgedOutput, purged) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2024-12-01", "--format", "json"])
        #expect((purged["findings"] as? [Any])?.isEmpty == true)
        #expect(purgedOutput.status == 0)
    }

    @Test("look-alikes only: a package describing Kaspersky and a removal script naming /opt/kaspersky give no finding")
    func decoys() throws {
        let root = try DebianRoot()
        let decoy = DebianPackageSpec(
            name: "av-migration-notes", version: "1.0",
            description: "Notes on migrating away from Kaspersky Endpoint Security (kesl) and klnagent64",
            files: ["/usr/share/doc/av-migration-notes/README": "How to remove Kaspersky: apt-get purge kesl klnagent64; rm -rf /opt/kaspersky\n"],
            executables: ["/usr/sbin/remove-kaspersky": "#!/bin/sh\nrm -rf /opt/kaspersky /var/opt/kaspersky\nsystemctl disable kesl.service\n"],
            scripts: ["postrm": "#!/bin/sh\nrm -rf /opt/kaspersky\n"])
        try root.install([decoy], at: "2024-10-01 08:00:00")
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--format", "json"])
        #expect(output.status == 0, "\(output.stdout)")
        #expect((report["findings"] as? [Any])?.isEmpty == true)
        #expect((report["summary"] as? [String: Any])?["verdict"] as? String == "compliant")
    }

    @Test("usage errors and failed scans exit 2 with a message")
    func exitCodeTwo() throws {
        let unknownFlag = try EmbargoProcess.run(["scan", "--no-such-flag"])
        #expect(unknownFlag.status == 2)
        #expect(unknownFlag.stderr.contains("no-such-flag"))
        let badDate = try EmbargoProcess.run(["scan", "--as-of", "2024-13-45"])
        #expect(badDate.status == 2)
        let missingRoot = try EmbargoProcess.run(["scan", "--root", "/nonexistent/root/for/embargo"])
        #expect(missingRoot.status == 2)
        #expect(missingRoot.stderr.contains("/nonexistent/root/for/embargo"))
        let unknownProfile = try EmbargoProcess.run(["scan", "--profile", "martian"])
        #expect(unknownProfile.status == 2)
        #expect(unknownProfile.stderr.contains("us-commercial"))
    }

    @Test("--output writes the report to a file; stdout stays empty")
    func outputFile() throws {
        let root = try Self.timelineRoot()
        let directory = try TemporaryDirectory()
        let file = directory.url.appendingPathComponent("report.json")
        let output = try EmbargoProcess.run(["scan", "--root", root.path, "--format", "json", "--output", file.path])
        #expect(output.stdout.isEmpty)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        #expect(report?["schema"] as? String == "embargo.report/v2")
    }

    @Test("the JSON report validates against docs/report.schema.json", .enabled(if: JSONSchemaValidator.isAvailable, "needs python3 jsonschema"))
    func reportSchema() throws {
        let root = try Self.timelineRoot()
        try root.directory.write("var/lib/dpkg/status.d/broken", "garbage line\n")
        let output = try EmbargoProcess.run(["scan", "--root", root.path, "--as-of", "2024-08-20", "--format", "json"])
        let schema = ProjectPaths.root.appendingPathComponent("docs/report.schema.json")
        let errors = try JSONSchemaValidator.errors(document: output.stdoutData, schema: schema)
        #expect(errors.isEmpty, "\(errors)")
        let upcoming = try EmbargoProcess.run(["scan", "--root", root.path, "--as-of", "2024-07-01", "--format", "json"])
        #expect(try JSONSchemaValidator.errors(document: upcoming.stdoutData, schema: schema).isEmpty)
    }
}
