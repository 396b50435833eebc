import Foundation
import TestSupport
import Testing

/// embargod's state as `embargo report`, `history` and `diff` read it: a real `embargod --once`
/// against a real dpkg root (journal off: the state database and exit codes only), then the
/// `embargo` commands as processes.
final class DaemonState: @unchecked Sendable {
    let root: DebianRoot
    let state: TemporaryDirectory
    let policy: URL
    let config: URL
    /// The root's machine id (the report must carry only embargo's derivation of it).
    let machineID = "0123456789abcdef0123456789abcdef"

    init(configuration: String = "journal = no\n") throws {
        root = try DebianRoot()
        try root.directory.write("etc/machine-id", machineID + "\n")
        state = try TemporaryDirectory(prefix: "embargo-state")
        policy = try state.write("policy/test.yaml", TestPolicies.kaspersky())
        config = try state.write("embargod.conf", configuration)
    }

    var stateDirectory: String { state.path + "/lib" }

    /// `embargod --once`; 0 no violation, 1 a violation.
    @discardableResult
    func once() throws -> Command.Output {
        let output = try Command.run(
            ProjectPaths.embargodExecutable.path,
            [
                "--root", root.path, "--state-directory", stateDirectory, "--no-bundled-policies", "--policy", policy.path,
                "--config", config.path, "--once",
            ],
            environment: ["NOTIFY_SOCKET": "", "XDG_CACHE_HOME": state.path + "/cache"], timeout: 120)
        guard output.status == 0 || output.status == 1 else {
            throw Command.Failure.failed(command: "embargod --once", status: output.status, stderr: output.stderr)
        }
        return output
    }

    /// `embargo <arguments> --state-directory <state>`.
    func embargo(_ arguments: [String]) throws -> Command.Output {
        try EmbargoProcess.run(arguments + ["--state-directory", stateDirectory])
    }

    /// embargo's app-specific id of ``machineID``, computed independently (Python's hmac).
    func expectedMachineID() throws -> String {
        let script = """
            import hmac, hashlib, sys
            b = bytearray(hmac.new(bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), hashlib.sha256).digest()[:16])
            b[6] = (b[6] & 0x0F) | 0x40; b[8] = (b[8] & 0x3F) | 0x80
            print(b.hex())
            """
        return try Command.check("python3", ["-c", script, machineID, "1059eb78208449cbb8b4151e5ad47c0d"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

enum ReportFormats {
    static let all = ["text", "json", "csv", "html", "cyclonedx"]
    static let reportSchema = ProjectPaths.root.appendingPathComponent("docs/report.schema.json")
    static let diffSchema = ProjectPaths.root.appendingPathComponent("docs/diff.schema.json")
    static let historySchema = ProjectPaths.root.appendingPathComponent("docs/history.schema.json")

    static func object(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// A JSON value written with sorted keys, for comparing parsed values.
    static func canonical(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject([value]),
            let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
        else { return "<invalid>" }
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite(
    "embargo report, history and diff over embargod's state database", .serialized,
    .enabled(
        if: DebianRoot.toolsAvailable && FileManager.default.isExecutableFile(atPath: ProjectPaths.embargodExecutable.path),
        "needs dpkg-deb, faketime and embargod (swift build --build-tests)"))
struct ReportCommandTests {
    @Test("a report from the state embargod --once wrote: every format, exit 1 for a violation, byte-identical on a second run")
    func everyFormatFromTheStateDatabase() throws {
        let daemon = try DaemonState()
        try daemon.root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
        #expect(try daemon.once().status == 1)
        let directory = try TemporaryDirectory(prefix: "embargo-reports")
        for format in ReportFormats.all {
            let first = try daemon.embargo(["report", "--format", format])
            let second = try daemon.embargo(["report", "--format", format])
            #expect(first.status == 1, "\(format): \(first.stderr)")
            #expect(!first.stdoutData.isEmpty)
            #expect(first.stdoutData == second.stdoutData, "\(format) output differs between two runs")
            try directory.write("report.\(format)", first.stdoutData)
        }

        let json = try Data(contentsOf: directory.url.appendingPathComponent("report.json"))
        if JSONSchemaValidator.isAvailable {
            #expect(try JSONSchemaValidator.errors(document: json, schema: ReportFormats.reportSchema) == [])
        }
        let report = ReportFormats.object(json)
        let host = try #require(report["host"] as? [String: Any])
        #expect(host["hostname"] as? String == "test-host")
        #expect(host["machineId"] as? String == (try daemon.expectedMachineID()), "derived from the root's /etc/machine-id")
        #expect(!String(decoding: json, as: UTF8.self).contains(daemon.machineID), "never the raw machine id")
        let scan = try #require(report["scan"] as? [String: Any])
        #expect(scan["trigger"] as? String == "once")
        #expect(scan["kind"] as? String == "scan")
        #expect(report["generatedAt"] as? String == scan["finishedAt"] as? String)
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.map { $0["product"] as? String } == ["kesl"])
        #expect(findings.first?["installedAt"] as? String == "2024-06-01T09:00:00Z")
        let scope = try #require(report["scope"] as? [String: Any])
        #expect((scope["collectors"] as? [String])?.contains("dpkg") == true)
        #expect(report["changes"] is NSNull, "the first scan has nothing to compare with")

        let csv = try CSVParser.records(try Data(contentsOf: directory.url.appendingPathComponent("report.csv")))
        let evidence = csv.filter { $0["record"] == "evidence" }
        #expect(evidence.count == (findings.first?["evidence"] as? [Any])?.count)
        #expect(evidence.allSatisfy { $0["policy_id"] == "test-kaspersky" && $0["policy_version"] == "1" })

        let bom = try Data(contentsOf: directory.url.appendingPathComponent("report.cyclonedx"))
        if CycloneDXValidator.isAvailable {
            #expect(try CycloneDXValidator.problems(bom) == [])
        }
        let components = ReportFormats.object(bom)["components"] as? [[String: Any]] ?? []
        #expect(components.contains { $0["purl"] as? String == "pkg:deb/debian/kesl@12.1.0.1297?arch=amd64&distro=debian-12" })

        let text = try String(contentsOf: directory.url.appendingPathComponent("report.text"), encoding: .utf8)
        #expect(text.contains("NON-COMPLIANT"))
        #expect(text.contains("report sha256: "))

        if HeadlessChromium.executable != nil {
            let page = directory.url.appendingPathComponent("report.html")
            let rendering = try HeadlessChromium.render(html: page, into: directory.url, name: "daemon-report", height: 2400)
            #expect(rendering.consoleMessages.isEmpty, "\(rendering.consoleMessages)")
            #expect(HeadlessChromium.pngSize(rendering.png) != nil)
            #expect(HeadlessChromium.pdfPageCount(rendering.pdf) >= 1)
            HeadlessChromium.keep(rendering, as: "report-daemon")
        }
    }

    @Test("history and diff after two daemon scans with a package installed between them; the report's change section agrees")
    func historyAndDiff() throws {
        let daemon = try DaemonState()
        try daemon.root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
        try daemon.once()
        try daemon.root.install([TestPolicies.klnagent], at: "2024-08-15 10:00:00")
        try daemon.once()

        let history = try daemon.embargo(["history", "--format", "json"])
        #expect(history.status == 0, "\(history.stderr)")
        if JSONSchemaValidator.isAvailable {
            #expect(try JSONSchemaValidator.errors(document: history.stdoutData, schema: ReportFormats.historySchema) == [])
        }
        let scans = try #require(ReportFormats.object(history.stdoutData)["scans"] as? [[String: Any]])
        #expect(scans.count == 2)
        let newest = try #require(scans.first?["id"] as? String)
        let oldest = try #require(scans.last?["id"] as? String)
        #expect(scans.map { ($0["byStatus"] as? [String: Int])?["violation"] } == [2, 1], "newest first")
        #expect(scans.map { $0["packages"] as? Int } == [2, 1])
        #expect(scans.allSatisfy { ($0["kept"] as? [String: Bool])?["packageList"] == true })
        let historyText = try daemon.embargo(["history"])
        #expect(historyText.stdout.contains(String(newest.prefix(8))) && historyText.stdout.contains("2 scans"))

        let diff = try daemon.embargo(["diff", String(oldest.prefix(8)), String(newest.prefix(8)), "--format", "json"])
        #expect(diff.status == 0, "\(diff.stderr)")
        if JSONSchemaValidator.isAvailable {
            #expect(try JSONSchemaValidator.errors(document: diff.stdoutData, schema: ReportFormats.diffSchema) == [])
        }
        let document = ReportFormats.object(diff.stdoutData)
        let packages = try #require(document["packages"] as? [String: Any])
        #expect(packages["compared"] as? Bool == true)
        #expect((packages["added"] as? [[String: Any]])?.map { $0["id"] as? String } == ["deb:klnagent64:amd64@15.0.0.12912"])
        #expect((packages["removed"] as? [Any])?.isEmpty == true)
        let findings = try #require(document["findings"] as? [String: Any])
        #expect((findings["added"] as? [[String: Any]])?.map { $0["id"] as? String } == ["kaspersky/klnagent64"])
        #expect((findings["removed"] as? [Any])?.isEmpty == true)

        let text = try daemon.embargo(["diff", "previous", "latest"])
        #expect(text.stdout.contains("+ deb:klnagent64:amd64@15.0.0.12912"), "\(text.stdout)")
        #expect(text.stdout.contains("+ kaspersky/klnagent64 violation"), "\(text.stdout)")

        // The latest report's change section is the same comparison.
        let report = ReportFormats.object(try daemon.embargo(["report", "--format", "json"]).stdoutData)
        let changes = try #require(report["changes"] as? [String: Any])
        #expect((changes["from"] as? [String: Any])?["id"] as? String == oldest)
        #expect(ReportFormats.canonical(changes["packages"]) == ReportFormats.canonical(packages))
        #expect(ReportFormats.canonical(changes["findings"]) == ReportFormats.canonical(findings))
        // The earlier scan by id prefix: one finding, no change section.
        let earlier = ReportFormats.object(try daemon.embargo(["report", "--scan", String(oldest.prefix(8)), "--format", "json"]).stdoutData)
        #expect((earlier["findings"] as? [Any])?.count == 1)
        #expect(earlier["changes"] is NSNull)
        // Unknown scans and a missing database: exit 2 with a message.
        let unknown = try daemon.embargo(["diff", "ffffffff", "latest"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no scan 'ffffffff'"))
        let missing = try EmbargoProcess.run(["history", "--state-directory", daemon.state.path + "/nowhere"])
        #expect(missing.status == 2 && missing.stderr.contains("no state database"))
    }

    @Test("software is compared for scans whose full inventory was pruned (package lists are kept for every scan)")
    func diffAfterInventoryPruning() throws {
        let daemon = try DaemonState(configuration: "journal = no\nkeep-inventories = 1\n")
        try daemon.once()
        try daemon.root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
        try daemon.once()
        try daemon.root.install([TestPolicies.klnagent], at: "2024-08-15 10:00:00")
        try daemon.once()
        let scans = ReportFormats.object(try daemon.embargo(["history", "--format", "json"]).stdoutData)["scans"] as? [[String: Any]] ?? []
        #expect(scans.map { ($0["kept"] as? [String: Bool])?["inventory"] } == [true, false, false])
        let first = try #require(scans.last?["id"] as? String)
        let second = try #require(scans.dropFirst().first?["id"] as? String)
        let diff = ReportFormats.object(try daemon.embargo(["diff", first, second, "--format", "json"]).stdoutData)
        let packages = try #require(diff["packages"] as? [String: Any])
        #expect(packages["compared"] as? Bool == true)
        #expect((packages["added"] as? [[String: Any]])?.map { $0["name"] as? String } == ["kesl"])
        // A report of the pruned scan lists its packages from the compact list (CycloneDX).
        let bom = try daemon.embargo(["report", "--scan", second, "--format", "cyclonedx"])
        #expect(bom.status == 1)
        let components = ReportFormats.object(bom.stdoutData)["components"] as? [[String: Any]] ?? []
        #expect(components.contains { $0["purl"] as? String == "pkg:deb/debian/kesl@12.1.0.1297?arch=amd64&distro=debian-12" })
        if CycloneDXValidator.isAvailable {
            #expect(try CycloneDXValidator.problems(bom.stdoutData) == [])
        }
    }

    @Test("--since: the scans of the period, their finding events, and the change over the period")
    func sincePeriod() throws {
        let daemon = try DaemonState()
        try daemon.once()
        try daemon.root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
        try daemon.once()
        let scans = ReportFormats.object(try daemon.embargo(["history", "--format", "json"]).stdoutData)["scans"] as? [[String: Any]] ?? []
        let firstStart = try #require(scans.last?["startedAt"] as? String)
        let output = try daemon.embargo(["report", "--since", firstStart, "--format", "json"])
        #expect(output.status == 1, "\(output.stderr)")
        if JSONSchemaValidator.isAvailable {
            #expect(try JSONSchemaValidator.errors(document: output.stdoutData, schema: ReportFormats.reportSchema) == [])
        }
        let report = ReportFormats.object(output.stdoutData)
        let period = try #require(report["period"] as? [String: Any])
        #expect((period["scans"] as? [Any])?.count == 2)
        let events = period["events"] as? [[String: Any]] ?? []
        #expect(events.contains { $0["event"] as? String == "finding-found" && $0["findingId"] as? String == "kaspersky/kesl" })
        let changes = try #require(report["changes"] as? [String: Any])
        #expect(((changes["findings"] as? [String: Any])?["added"] as? [Any])?.count == 1)
        let none = try daemon.embargo(["report", "--since", "2999-01-01"])
        #expect(none.status == 2 && none.stderr.contains("no scan since"))
    }

    @Test("--scan-now: a fresh scan's report, compared with embargod's latest scan of the same root; only the scan's own fields differ between runs")
    func scanNow() throws {
        let daemon = try DaemonState()
        try daemon.root.install([TestPolicies.kesl], at: "2024-06-01 09:00:00")
        try daemon.once()
        try daemon.root.install([TestPolicies.klnagent], at: "2024-08-15 10:00:00")
        let arguments = [
            "report", "--scan-now", "--root", daemon.root.path, "--no-bundled-policies", "--policy", daemon.policy.path,
            "--as-of", "2024-10-01", "--format", "json",
        ]
        let first = try daemon.embargo(arguments)
        #expect(first.status == 1, "\(first.stderr)")
        if JSONSchemaValidator.isAvailable {
            #expect(try JSONSchemaValidator.errors(document: first.stdoutData, schema: ReportFormats.reportSchema) == [])
        }
        let report = ReportFormats.object(first.stdoutData)
        #expect(report["asOf"] as? String == "2024-10-01T00:00:00Z")
        #expect((report["findings"] as? [[String: Any]])?.compactMap { $0["product"] as? String }.sorted() == ["kesl", "klnagent64"])
        let changes = try #require(report["changes"] as? [String: Any])
        let added = ((changes["packages"] as? [String: Any])?["added"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(added == ["klnagent64"])

        // Two fresh scans differ only in what is the scan's own: its id, times, the report id and digest.
        let second = ReportFormats.object(try daemon.embargo(arguments).stdoutData)
        let volatile: Set<String> = ["reportId", "reportSha256", "scan", "generatedAt", "changes"]
        for key in Set(report.keys).union(second.keys).subtracting(volatile) {
            #expect(ReportFormats.canonical(report[key]) == ReportFormats.canonical(second[key]), "\(key) differs between two fresh scans")
        }
        for format in ReportFormats.all where format != "json" {
            var formatArguments = arguments
            formatArguments[formatArguments.count - 1] = format
            let output = try daemon.embargo(formatArguments)
            #expect(output.status == 1 && !output.stdoutData.isEmpty, "\(format): \(output.stderr)")
        }
        let conflicting = try daemon.embargo(["report", "--as-of", "2024-10-01"])
        #expect(conflicting.status == 2 && conflicting.stderr.contains("--scan-now"))
    }
}
