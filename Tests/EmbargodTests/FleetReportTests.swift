import EmbargoEvaluation
import EmbargoInventory
import EmbargoJournal
import EmbargoPolicy
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `embargo report --journal-directory`: journal files of several hosts, built with
/// systemd-journal-remote from export-format input whose entries are the very entries embargod
/// writes (`JournalEntries` over real findings of the test policy), plus the trusted fields the
/// hosts' journald would add.
@Suite(
    "fleet report from generated journals",
    .enabled(if: JournalExport.isAvailable, "needs systemd-journal-remote (apt-get install systemd-journal-remote)"))
struct FleetReportTests {
    /// Seven hosts in three layouts: one file per host (`remote-<host>.journal`, as
    /// `SplitMode=host` writes), two hosts in one file (`SplitMode=none`), and one directory per
    /// host (a copied `/var/log/journal/<machine-id>`).
    final class Fleet: @unchecked Sendable {
        let perHost: TemporaryDirectory
        let shared: TemporaryDirectory
        let perDirectory: TemporaryDirectory
        let policies: PolicySet

        static let t1 = Evaluations.date("2024-07-01T10:00:00Z")
        static let t2 = Evaluations.date("2024-09-30T10:00:00Z")
        static let t3 = Evaluations.date("2024-10-15T10:00:00Z")
        static let t4 = Evaluations.date("2024-12-01T00:00:05Z")
        static let waiverExpiry = Evaluations.date("2024-12-01T00:00:00Z")

        static func machine(_ digit: Character) -> String { String(repeating: digit, count: 32) }

        init() throws {
            policies = try Evaluations.policies()
            perHost = try TemporaryDirectory(prefix: "embargo-fleet-split")
            shared = try TemporaryDirectory(prefix: "embargo-fleet-shared")
            perDirectory = try TemporaryDirectory(prefix: "embargo-fleet-dirs")
            let kesl = [Evaluations.package("kesl")]
            let both = [Evaluations.package("kesl"), Evaluations.package("klnagent64", version: "15.0.0.12912")]
            let waiver = Waiver(id: "CHG-7", vendor: "kaspersky", product: "kesl", reason: "migration", expires: Self.waiverExpiry)

            // alpha: kesl found upcoming (July), a violation once the updates phase passed.
            let alphaUpcoming = try finding(kesl, at: Self.t1)
            let alphaViolation = try finding(kesl, at: Self.t2)
            var alpha = HostLog(hostname: "alpha", machineID: Self.machine("a"))
            alpha.add(JournalEntries.found(alphaUpcoming, context: alpha.context(Self.t1)), at: Self.t1)
            alpha.add(JournalEntries.changed(alphaViolation, previous: alphaUpcoming, context: alpha.context(Self.t2)), at: Self.t2)
            alpha.completed([alphaViolation], at: Self.t2.addingTimeInterval(1))
            try alpha.write(to: perHost.path + "/remote-alpha.journal")

            // bravo: kesl found as a violation, then purged: resolved, holds nothing.
            let bravoViolation = try finding(kesl, at: Self.t2)
            var bravo = HostLog(hostname: "bravo", machineID: Self.machine("b"))
            bravo.add(JournalEntries.found(bravoViolation, context: bravo.context(Self.t2)), at: Self.t2)
            bravo.completed([bravoViolation], at: Self.t2.addingTimeInterval(1))
            bravo.add(JournalEntries.resolved(bravoViolation, firstSeen: Self.t2, context: bravo.context(Self.t3)), at: Self.t3)
            bravo.completed([], at: Self.t3.addingTimeInterval(1))
            try bravo.write(to: perHost.path + "/remote-bravo.journal")

            // charlie: kesl waived until December; the waiver expired: a violation again.
            let charlieWaived = try finding(kesl, at: Self.t2, waivers: [waiver])
            let charlieExpired = try finding(kesl, at: Self.t4, waivers: [waiver])
            var charlie = HostLog(hostname: "charlie", machineID: Self.machine("c"))
            charlie.add(JournalEntries.found(charlieWaived, context: charlie.context(Self.t2)), at: Self.t2)
            charlie.add(JournalEntries.waiverExpired(charlieExpired, context: charlie.context(Self.t4)), at: Self.t4)
            charlie.completed([charlieExpired], at: Self.t4.addingTimeInterval(1))
            try charlie.write(to: perHost.path + "/remote-charlie.journal")

            // delta: kesl waived (still active at the end), klnagent64 a violation.
            let deltaFindings = findings(both, at: Self.t3, waivers: [waiver])
            var delta = HostLog(hostname: "delta", machineID: Self.machine("d"))
            for item in deltaFindings { delta.add(JournalEntries.found(item, context: delta.context(Self.t3)), at: Self.t3) }
            delta.completed(deltaFindings, at: Self.t3.addingTimeInterval(1))
            // An unprivileged process forging a resolution: ignored (_UID is not 0).
            delta.add(
                JournalEntries.resolved(deltaFindings[0], firstSeen: Self.t3, context: delta.context(Self.t4)), at: Self.t4, uid: "1000")
            try delta.write(to: perHost.path + "/remote-delta.journal")

            // echo and foxtrot share one file: echo is clean, foxtrot holds kesl.
            var echo = HostLog(hostname: "echo", machineID: Self.machine("e"))
            echo.completed([], at: Self.t2)
            let foxtrotViolation = try finding(kesl, at: Self.t3)
            var foxtrot = HostLog(hostname: "foxtrot", machineID: Self.machine("f"))
            foxtrot.add(JournalEntries.found(foxtrotViolation, context: foxtrot.context(Self.t3)), at: Self.t3)
            foxtrot.completed([foxtrotViolation], at: Self.t3.addingTimeInterval(1))
            try JournalExport.writeJournal(
                (echo.entries + foxtrot.entries).sorted { $0.realtime < $1.realtime }, to: shared.path + "/remote.journal")

            // golf: a directory per host, holding a kesl violation.
            let golfViolation = try finding(kesl, at: Self.t3)
            var golf = HostLog(hostname: "golf", machineID: Self.machine("9"))
            golf.add(JournalEntries.found(golfViolation, context: golf.context(Self.t3)), at: Self.t3)
            golf.completed([golfViolation], at: Self.t3.addingTimeInterval(1))
            try perDirectory.makeDirectory(Self.machine("9"))
            try golf.write(to: perDirectory.path + "/" + Self.machine("9") + "/system.journal")
        }

        /// The first finding the evaluator makes of the packages, as of the instant.
        func finding(_ packages: [InstalledPackage], at instant: Date, waivers: [Waiver] = []) throws -> Finding {
            try #require(Evaluations.findings(packages, policies: policies, asOf: instant, waivers: waivers).first)
        }

        /// Every finding, in report order (violations first).
        func findings(_ packages: [InstalledPackage], at instant: Date, waivers: [Waiver] = []) -> [Finding] {
            Evaluations.findings(packages, policies: policies, asOf: instant, waivers: waivers)
        }

        var directories: [String] { [perHost.path, shared.path, perDirectory.path] }
    }

    /// One host's embargod entries, as its journald would store them.
    struct HostLog {
        var hostname: String
        var machineID: String
        var entries: [JournalExport.Entry] = []
        var scans = 0

        init(hostname: String, machineID: String) {
            self.hostname = hostname
            self.machineID = machineID
        }

        func context(_ instant: Date) -> ScanContext {
            ScanContext(
                scanID: "\(hostname)-\(scans)", kind: "scan", trigger: "periodic", root: "/", profileID: "us-commercial",
                policyID: "test-kaspersky", policyVersion: "1", policySHA256: String(repeating: "0", count: 64), asOf: instant)
        }

        mutating func add(_ entry: JournalEntry, at instant: Date, uid: String = "0") {
            entries.append(
                JournalExport.Entry(
                    realtime: instant,
                    fields: JournalExport.trustedFields(hostname: hostname, machineID: machineID, uid: uid)
                        + entry.fields.map { ($0.name, $0.value) }))
        }

        mutating func completed(_ findings: [Finding], at instant: Date) {
            let summary = ScanSummary(
                findings: findings, packages: 10, errors: 0, warnings: 0, durationSeconds: 1.5, found: 0, changed: 0, resolved: 0)
            add(JournalEntries.scanCompleted(summary, context: context(instant)), at: instant)
            scans += 1
        }

        func write(to path: String) throws {
            try JournalExport.writeJournal(entries, to: path)
        }
    }

    static let fleet = Result { try Fleet() }

    static func report(_ arguments: [String]) throws -> (Command.Output, [String: Any]) {
        let output = try EmbargoProcess.run(["report"] + arguments, environment: ["SOURCE_DATE_EPOCH": "1733011200"])
        let object = (try? JSONSerialization.jsonObject(with: output.stdoutData)) as? [String: Any] ?? [:]
        return (output, object)
    }

    static func hosts(_ document: [String: Any]) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for host in document["hosts"] as? [[String: Any]] ?? [] {
            if let name = host["hostname"] as? String { result[name] = host }
        }
        return result
    }

    static func findings(_ host: [String: Any]?) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for finding in host?["findings"] as? [[String: Any]] ?? [] {
            if let id = finding["findingId"] as? String { result[id] = finding }
        }
        return result
    }

    static func rfc(_ date: Date) -> String { RFC3339.format(date) }

    @Test("per host: the latest status replayed in time order, first seen, resolved findings no longer held")
    func perHost() throws {
        let fleet = try Self.fleet.get()
        let (output, document) = try Self.report(fleet.directories.flatMap { ["--journal-directory", $0] } + ["--format", "json"])
        #expect(output.status == 1, "a host holds a violation: exit 1; \(output.stderr)")
        let hosts = Self.hosts(document)
        #expect(Set(hosts.keys) == ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"])

        let alpha = Self.findings(hosts["alpha"])
        #expect(hosts["alpha"]?["machineId"] as? String == Fleet.machine("a"))
        #expect(hosts["alpha"]?["verdict"] as? String == "non-compliant")
        #expect(alpha["kaspersky/kesl"]?["status"] as? String == "violation")
        #expect(alpha["kaspersky/kesl"]?["firstSeen"] as? String == Self.rfc(Fleet.t1), "first seen when found, while upcoming")
        #expect(alpha["kaspersky/kesl"]?["firstSeenExact"] as? Bool == true)
        #expect(alpha["kaspersky/kesl"]?["statusSince"] as? String == Self.rfc(Fleet.t2), "a violation since the change")
        #expect(alpha["kaspersky/kesl"]?["phase"] as? String == "commerce/updates")
        #expect(alpha["kaspersky/kesl"]?["packages"] as? [String] == ["deb:kesl:amd64@12.1.0.1297"])
        #expect(alpha["kaspersky/kesl"]?["lastEvent"] as? String == "finding-changed")

        #expect(hosts["bravo"]?["verdict"] as? String == "compliant")
        #expect(Self.findings(hosts["bravo"]).isEmpty, "a resolved finding is no longer held")
        let resolved = try #require((hosts["bravo"]?["resolved"] as? [[String: Any]])?.first)
        #expect(resolved["findingId"] as? String == "kaspersky/kesl")
        #expect(resolved["resolvedAt"] as? String == Self.rfc(Fleet.t3))
        #expect(resolved["lastStatus"] as? String == "violation")

        let charlie = Self.findings(hosts["charlie"])["kaspersky/kesl"]
        #expect(charlie?["status"] as? String == "violation")
        #expect(charlie?["statusSince"] as? String == Self.rfc(Fleet.t4))
        #expect(charlie?["lastEvent"] as? String == "waiver-expired")
        let charlieWaiver = charlie?["waiver"] as? [String: Any]
        #expect(charlieWaiver?["id"] as? String == "CHG-7")
        #expect(charlieWaiver?["expired"] as? Bool == true)
        #expect(charlieWaiver?["expires"] as? String == Self.rfc(Fleet.waiverExpiry))

        let delta = Self.findings(hosts["delta"])
        #expect(delta["kaspersky/kesl"]?["status"] as? String == "waived")
        #expect((delta["kaspersky/kesl"]?["waiver"] as? [String: Any])?["expired"] as? Bool == false)
        #expect(delta["kaspersky/klnagent64"]?["status"] as? String == "violation", "the forged resolution (uid 1000) is ignored")
        let problems = document["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { ($0["message"] as? String)?.contains("1 entries with embargod's MESSAGE_IDs were not logged by root") == true })

        #expect(hosts["echo"]?["verdict"] as? String == "compliant")
        #expect(Self.findings(hosts["echo"]).isEmpty)
        #expect((hosts["echo"]?["lastScan"] as? [String: Any])?["at"] as? String == Self.rfc(Fleet.t2))
        #expect(Self.findings(hosts["foxtrot"])["kaspersky/kesl"]?["status"] as? String == "violation", "two hosts in one file are told apart")
        #expect(Self.findings(hosts["golf"])["kaspersky/kesl"]?["status"] as? String == "violation", "a directory per host")
        let lastScan = hosts["golf"]?["lastScan"] as? [String: Any]
        #expect(lastScan?["verdict"] as? String == "non-compliant")
        #expect(lastScan?["policyId"] as? String == "test-kaspersky")
    }

    @Test("across hosts: which hosts hold which product, by status, since when")
    func acrossHosts() throws {
        let fleet = try Self.fleet.get()
        let (_, document) = try Self.report(fleet.directories.flatMap { ["--journal-directory", $0] } + ["--format", "json"])
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["hosts"] as? Int == 7)
        #expect(summary["nonCompliantHosts"] as? Int == 5, "alpha, charlie, delta, foxtrot, golf")
        #expect(summary["hostsHoldingRestrictedSoftware"] as? Int == 5)
        #expect(summary["heldFindings"] as? Int == 6)
        #expect(summary["findingsByStatus"] as? [String: Int] == ["violation": 5, "waived": 1])
        #expect(summary["verdict"] as? String == "non-compliant")
        let products = try #require(document["products"] as? [[String: Any]])
        #expect(products.map { $0["findingId"] as? String } == ["kaspersky/kesl", "kaspersky/klnagent64"])
        let kesl = products[0]
        #expect(kesl["hostCount"] as? Int == 5)
        #expect(kesl["byStatus"] as? [String: Int] == ["violation": 4, "waived": 1])
        #expect(kesl["firstSeen"] as? String == Self.rfc(Fleet.t1), "the earliest first seen across hosts")
        let holders = (kesl["hosts"] as? [[String: Any]] ?? []).compactMap { $0["host"] as? String }
        #expect(Set(holders) == ["alpha", "charlie", "delta", "foxtrot", "golf"])
        #expect(products[1]["hostCount"] as? Int == 1)
        // Hosts: non-compliant first, then by name.
        let order = (document["hosts"] as? [[String: Any]] ?? []).compactMap { $0["hostname"] as? String }
        #expect(order == ["alpha", "charlie", "delta", "foxtrot", "golf", "bravo", "echo"])
        #expect(document["schema"] as? String == "embargo.fleet-report/v1")
        #expect(document["generatedAt"] as? String == "2024-12-01T00:00:00Z", "SOURCE_DATE_EPOCH")
    }

    @Test("the JSON validates against docs/fleet-report.schema.json", .enabled(if: JSONSchemaValidator.isAvailable))
    func jsonSchema() throws {
        let fleet = try Self.fleet.get()
        let (output, _) = try Self.report(fleet.directories.flatMap { ["--journal-directory", $0] } + ["--format", "json"])
        let errors = try JSONSchemaValidator.errors(
            document: output.stdoutData, schema: ProjectPaths.root.appendingPathComponent("docs/fleet-report.schema.json"))
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("the same journals give the same bytes")
    func deterministic() throws {
        let fleet = try Self.fleet.get()
        let arguments = fleet.directories.flatMap { ["--journal-directory", $0] }
        for format in ["json", "csv", "text"] {
            let first = try Self.report(arguments + ["--format", format]).0
            let second = try Self.report(arguments + ["--format", format]).0
            #expect(first.stdoutData == second.stdoutData, "\(format)")
        }
    }

    @Test("--as-of replays only the entries up to the instant")
    func asOf() throws {
        let fleet = try Self.fleet.get()
        let (output, document) = try Self.report(
            ["--journal-directory", fleet.perHost.path, "--format", "json", "--as-of", "2024-08-01T00:00:00Z"])
        #expect(output.status == 0, "in August alpha's kesl was upcoming and nothing else was found")
        let hosts = Self.hosts(document)
        #expect(Set(hosts.keys) == ["alpha"], "hosts with no entry yet are not known")
        #expect(Self.findings(hosts["alpha"])["kaspersky/kesl"]?["status"] as? String == "upcoming")
        #expect(document["asOf"] as? String == "2024-08-01T00:00:00Z")

        let (_, october) = try Self.report(["--journal-directory", fleet.perHost.path, "--format", "json", "--as-of", "2024-10-01"])
        #expect(Self.findings(Self.hosts(october)["bravo"])["kaspersky/kesl"]?["status"] as? String == "violation", "not resolved yet")
        #expect(Self.findings(Self.hosts(october)["charlie"])["kaspersky/kesl"]?["status"] as? String == "waived", "the waiver still held")
    }

    @Test("CSV: one row per host and held finding, a row for a host holding nothing; parsed back")
    func csv() throws {
        let fleet = try Self.fleet.get()
        let (output, _) = try Self.report(fleet.directories.flatMap { ["--journal-directory", $0] } + ["--format", "csv"])
        #expect(output.status == 1)
        let rows = try CSVParser.parse(output.stdout)
        let header = try #require(rows.first)
        #expect(header.first == "host")
        #expect(header.count == 19)
        let body = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        #expect(body.allSatisfy { $0.count == header.count })
        #expect(body.count == 8, "6 held findings and 2 hosts holding nothing")
        let alpha = try #require(body.first { $0["host"] == "alpha" })
        #expect(alpha["finding_id"] == "kaspersky/kesl")
        #expect(alpha["status"] == "violation")
        #expect(alpha["first_seen"] == Self.rfc(Fleet.t1))
        #expect(alpha["machine_id"] == Fleet.machine("a"))
        #expect(alpha["host_verdict"] == "non-compliant")
        let echo = try #require(body.first { $0["host"] == "echo" })
        #expect(echo["finding_id"] == "")
        #expect(echo["host_verdict"] == "compliant")
        let charlie = try #require(body.first { $0["host"] == "charlie" })
        #expect(charlie["waiver_id"] == "CHG-7")
        #expect(charlie["waiver_expired"] == "yes")
        #expect(body.filter { $0["product"] == "klnagent64" }.count == 1)
    }

    @Test("text: the verdict, the product table and each holding host")
    func text() throws {
        let fleet = try Self.fleet.get()
        let (output, _) = try Self.report(fleet.directories.flatMap { ["--journal-directory", $0] })
        #expect(output.status == 1)
        #expect(output.stdout.contains("hosts: 7; non-compliant: 5; holding restricted software: 5"))
        #expect(output.stdout.contains("verdict: NON-COMPLIANT"))
        let keslRow = try #require(output.stdout.split(separator: "\n").first { $0.hasPrefix("kaspersky/kesl ") })
        #expect(keslRow.split(separator: " ", omittingEmptySubsequences: true).contains("5"))
        #expect(output.stdout.contains("kaspersky/kesl violation since \(Self.rfc(Fleet.t4))"), "charlie")
        #expect(output.stdout.contains("waiver CHG-7 EXPIRED \(Self.rfc(Fleet.waiverExpiry))"))
    }

    @Test("only compliant hosts: exit 0")
    func compliantFleet() throws {
        let fleet = try Self.fleet.get()
        let clean = try TemporaryDirectory(prefix: "embargo-fleet-clean")
        try FileManager.default.copyItem(atPath: fleet.perHost.path + "/remote-bravo.journal", toPath: clean.path + "/remote-bravo.journal")
        let (output, document) = try Self.report(["--journal-directory", clean.path, "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect((document["summary"] as? [String: Any])?["verdict"] as? String == "compliant")
    }

    @Test("a corrupt journal file is reported and the others are read; a missing directory or an html format is exit 2")
    func badInput() throws {
        let fleet = try Self.fleet.get()
        let mixed = try TemporaryDirectory(prefix: "embargo-fleet-mixed")
        try FileManager.default.copyItem(atPath: fleet.perHost.path + "/remote-alpha.journal", toPath: mixed.path + "/remote-alpha.journal")
        var garbage = Data("LPKSHHRH".utf8)
        garbage += Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try garbage.write(to: mixed.url.appendingPathComponent("remote-broken.journal"))
        let (output, document) = try Self.report(["--journal-directory", mixed.path, "--format", "json"])
        #expect(output.status == 1, "\(output.stderr)")
        #expect(Set(Self.hosts(document).keys) == ["alpha"])
        let problems = document["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { ($0["file"] as? String)?.hasSuffix("remote-broken.journal") == true }, "\(problems)")
        #expect(output.stderr.contains("remote-broken.journal"))

        let missing = try Self.report(["--journal-directory", mixed.path + "/nowhere"]).0
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such journal directory"))
        let html = try Self.report(["--journal-directory", mixed.path, "--format", "html"]).0
        #expect(html.status == 2)
        let empty = try TemporaryDirectory(prefix: "embargo-fleet-empty")
        let none = try Self.report(["--journal-directory", empty.path]).0
        #expect(none.status == 2, "no journal file at all is a failure, not a compliant fleet")
    }
}

extension FleetReportTests {
    static func fileType(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    @Test("-o FILE replaces the file atomically; -o onto a device writes through it and leaves the device")
    func outputFiles() throws {
        let fleet = try Self.fleet.get()
        let directory = try TemporaryDirectory(prefix: "embargo-fleet-output")
        let file = directory.path + "/fleet.json"
        let written = try Self.report(["--journal-directory", fleet.perHost.path, "--format", "json", "-o", file]).0
        #expect(written.status == 1)
        #expect(written.stdout.isEmpty)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        #expect(document?["schema"] as? String == "embargo.fleet-report/v1")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["fleet.json"], "no temporary file left")
        guard getuid() == 0 else { return }
        // A character device like /dev/null (mknod needs root): never renamed over.
        let device = directory.path + "/null"
        try Command.check("mknod", [device, "c", "1", "3"])
        let toDevice = try Self.report(["--journal-directory", fleet.perHost.path, "--format", "json", "-o", device]).0
        #expect(toDevice.status == 1, "\(toDevice.stderr)")
        #expect(Self.fileType(device) == S_IFCHR)
        let empty = try TemporaryDirectory(prefix: "embargo-empty-root")
        let inventory = try EmbargoProcess.run(["inventory", "--root", empty.path, "--format", "json", "-o", device])
        #expect(inventory.status == 0, "\(inventory.stderr)")
        #expect(Self.fileType(device) == S_IFCHR, "the shared output option writes through a device too")
    }
}

/// RFC 4180 records: quoted cells may hold commas, quotes and line breaks.
enum CSVParser {
    struct Malformed: Error {}

    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var characters = Array(text).makeIterator()
        var pending: Character?
        func next() -> Character? {
            if let value = pending {
                pending = nil
                return value
            }
            return characters.next()
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { cell.append("\"") } else {
                            quoted = false
                            pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                guard cell.isEmpty else { throw Malformed() }
                quoted = true
            case ",":
                row.append(cell)
                cell = ""
            case "\r\n", "\n":
                row.append(cell)
                rows.append(row)
                row = []
                cell = ""
            default:
                cell.append(character)
            }
        }
        if quoted { throw Malformed() }
        if !cell.isEmpty || !row.isEmpty {
            row.append(cell)
            rows.append(row)
        }
        return rows
    }
}
