import EmbargoDaemon
import EmbargoEvaluation
import EmbargoPolicy
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus text file for node_exporter's textfile collector: its content, parsed back by
/// a strict reader of the exposition format (and by `promtool check metrics` when Debian's
/// `prometheus` package is installed), and the atomic replacement.
@Suite("metrics file")
struct MetricsFileTests {
    static func snapshot() throws -> MetricsSnapshot {
        let policies = try Evaluations.policies()
        var snapshot = MetricsSnapshot(
            version: "0.1.0", policyID: policies.id, policyVersion: policies.version, policySHA256: policies.sha256,
            profile: "us-commercial")
        let waiver = Waiver(id: "CHG-1", vendor: "kaspersky", product: "klnagent64", reason: "migration", expires: Evaluations.date("2025-01-01T00:00:00Z"))
        let findings = Evaluations.findings(
            [Evaluations.package("kesl"), Evaluations.package("klnagent64", version: "15.0")], policies: policies,
            asOf: Evaluations.date("2024-10-01T00:00:00Z"), waivers: [waiver])
        snapshot.setFindings(findings)
        snapshot.packages = 1234
        snapshot.lastScanFinished = Evaluations.date("2024-10-01T00:00:12Z")
        snapshot.lastScanDuration = 11.5
        snapshot.lastEvaluationFinished = Evaluations.date("2024-10-01T06:00:00Z")
        snapshot.lastScanSucceeded = true
        snapshot.scanErrors = 2
        snapshot.scanWarnings = 0
        snapshot.scanFailures = 1
        return snapshot
    }

    @Test("every metric: HELP and TYPE once, then its samples; the values of the snapshot")
    func content() throws {
        var snapshot = try Self.snapshot()
        let directory = try TemporaryDirectory(prefix: "embargo-metrics-w")
        let waiverFile = try directory.write(
            "w.yaml",
            """
            schema: embargo.waivers/v1
            waivers:
              - id: CHG-1
                product: klnagent64
                reason: migration
                expires: 2025-01-01
              - id: later.one
                host: a
                reason: not yet
                created: 2030-01-01
                expires: 2031-01-01
            """)
        snapshot.setWaivers(try WaiverSet.load(paths: [waiverFile.path]), at: Evaluations.date("2024-10-01T00:00:00Z"))
        let text = PrometheusTextFormat.render(snapshot)
        let metrics = try PrometheusText.parse(text)
        #expect(metrics.value("embargo_up") == 1)
        #expect(metrics.type(of: "embargo_up") == "gauge")
        #expect(metrics.value("embargo_build_info", ["version": "0.1.0"]) == 1)
        #expect(metrics.value("embargo_findings", ["vendor": "kaspersky", "product": "kesl", "status": "violation"]) == 1)
        #expect(metrics.value("embargo_findings", ["vendor": "kaspersky", "product": "klnagent64", "status": "waived"]) == 1)
        #expect(metrics.samples("embargo_findings").count == 2)
        #expect(metrics.value("embargo_findings_by_status", ["status": "violation"]) == 1)
        #expect(metrics.value("embargo_findings_by_status", ["status": "waived"]) == 1)
        #expect(metrics.value("embargo_findings_by_status", ["status": "not-applicable"]) == 0)
        #expect(metrics.samples("embargo_findings_by_status").count == FindingStatus.allCases.count, "zeros included")
        #expect(metrics.value("embargo_packages") == 1234)
        #expect(metrics.value("embargo_last_scan_timestamp_seconds") == Evaluations.date("2024-10-01T00:00:12Z").timeIntervalSince1970)
        #expect(metrics.value("embargo_last_scan_duration_seconds") == 11.5)
        #expect(metrics.value("embargo_last_evaluation_timestamp_seconds") == Evaluations.date("2024-10-01T06:00:00Z").timeIntervalSince1970)
        #expect(metrics.value("embargo_last_scan_success") == 1)
        #expect(metrics.value("embargo_scan_errors") == 2)
        #expect(metrics.value("embargo_scan_failures_total") == 1)
        #expect(metrics.type(of: "embargo_scan_failures_total") == "counter")
        #expect(metrics.value("embargo_waivers", ["status": "active"]) == 1)
        #expect(metrics.value("embargo_waivers", ["status": "not-yet-valid"]) == 1)
        #expect(metrics.value("embargo_waivers", ["status": "expired"]) == 0)
        #expect(metrics.value("embargo_waiver_expiry_timestamp_seconds", ["waiver": "CHG-1"]) == Evaluations.date("2025-01-01T00:00:00Z").timeIntervalSince1970)
        let info = try #require(metrics.samples("embargo_policy_info").first)
        #expect(info.labels["policy_id"] == "test-kaspersky")
        #expect(info.labels["profile"] == "us-commercial")
        #expect(info.labels["policy_sha256"]?.count == 64)
        #expect(!text.contains("{}"), "no empty label sets")
    }

    @Test("label values are escaped: backslash, double quote, line feed")
    func escaping() throws {
        var snapshot = try Self.snapshot()
        snapshot.profile = "a \"quoted\" \\ back\nslash"
        snapshot.findings = [.init(vendor: "v\"x", product: "p\\y", status: "violation")]
        let metrics = try PrometheusText.parse(PrometheusTextFormat.render(snapshot))
        #expect(metrics.samples("embargo_policy_info").first?.labels["profile"] == "a \"quoted\" \\ back\nslash")
        #expect(metrics.value("embargo_findings", ["vendor": "v\"x", "product": "p\\y", "status": "violation"]) == 1)
    }

    @Test("a stopped daemon writes embargo_up 0; optional metrics are left out until known")
    func stoppedAndUnknown() throws {
        var snapshot = MetricsSnapshot(version: "0.1.0", policyID: "p", policyVersion: "1", policySHA256: "0", profile: "x")
        snapshot.up = false
        let metrics = try PrometheusText.parse(PrometheusTextFormat.render(snapshot))
        #expect(metrics.value("embargo_up") == 0)
        #expect(metrics.samples("embargo_last_scan_timestamp_seconds").isEmpty)
        #expect(metrics.samples("embargo_findings").isEmpty)
        #expect(metrics.type(of: "embargo_findings") == "gauge", "declared even without samples")
    }

    @Test("promtool check metrics accepts the file", .enabled(if: Command.isAvailable("promtool"), "promtool is in Debian's prometheus package"))
    func promtool() throws {
        let text = PrometheusTextFormat.render(try Self.snapshot())
        let output = try Command.run("promtool", ["check", "metrics"], input: Data(text.utf8))
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        // promtool's linter has nothing to say either (names, units, counters ending in _total).
        #expect(output.stdout.isEmpty && output.stderr.isEmpty, "\(output.stdout)\(output.stderr)")
    }

    @Test("the file is replaced atomically with mode 0644 and no temporary file is left")
    func atomicReplacement() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-metrics")
        let path = directory.path + "/embargo.prom"
        try MetricsFileWriter.write("first 1\n", to: path)
        let reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? reader.close() }
        try MetricsFileWriter.write("second 2\n", to: path)
        // The open descriptor still reads the whole old file: the new one was renamed over it.
        #expect(String(decoding: reader.readDataToEndOfFile(), as: UTF8.self) == "first 1\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second 2\n")
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o644, "node_exporter runs as another user")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["embargo.prom"])
        // A directory that does not exist: a typed error naming the path.
        #expect(throws: MetricsFileWriter.WriteError.self) { try MetricsFileWriter.write("x 1\n", to: directory.path + "/missing/embargo.prom") }
    }

    @Test("embargod.conf: waivers repeat, metrics-file must be an absolute *.prom path, empty is off")
    func configuration() throws {
        let configuration = try ConfigurationFile.parse(
            """
            waivers = /etc/embargo/waivers.d
            waivers = /srv/extra-waivers.yaml
            metrics-file = /var/lib/prometheus/node-exporter/embargo.prom
            """, file: "test.conf")
        #expect(configuration.waiverPaths == ["/etc/embargo/waivers.d", "/srv/extra-waivers.yaml"])
        #expect(configuration.metricsFile == "/var/lib/prometheus/node-exporter/embargo.prom")
        #expect(try ConfigurationFile.parse("metrics-file =\n", file: "t").metricsFile == nil)
        #expect(DaemonConfiguration().metricsFile == nil, "off by default")
        do {
            _ = try ConfigurationFile.parse("metrics-file = /var/lib/x/embargo.txt\nwaivers = relative\n", file: "t.conf")
            Issue.record("accepted a metrics file node_exporter would ignore")
        } catch {
            #expect(error.problems.map(\.line) == [1, 2])
            #expect(error.problems[0].message.contains("must name a file ending in .prom"))
        }
    }
}

/// A strict reader of the Prometheus text exposition format 0.0.4, enough to check what embargod
/// writes: `# HELP` and `# TYPE` before a metric's samples and once each, `name{label="value",...}
/// value` samples with escaped label values, no timestamps, no duplicate series.
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    var types: [String: String] = [:]
    var helps: [String: String] = [:]
    var all: [Sample] = []

    func samples(_ name: String) -> [Sample] { all.filter { $0.name == name } }
    func type(of name: String) -> String? { types[name] }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        all.first { $0.name == name && $0.labels == labels }?.value
    }

    static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" || first == ":" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func parse(_ text: String) throws -> PrometheusText {
        var result = PrometheusText()
        var series = Set<String>()
        guard text.hasSuffix("\n") else { throw Malformed(line: 0, reason: "the last line has no line feed") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard parts.count == 4, isName(parts[2]) else { throw Malformed(line: number, reason: "bad comment") }
                let name = String(parts[2])
                if parts[1] == "TYPE" {
                    guard ["gauge", "counter", "untyped", "histogram", "summary"].contains(parts[3]) else {
                        throw Malformed(line: number, reason: "unknown type \(parts[3])")
                    }
                    guard result.types[name] == nil else { throw Malformed(line: number, reason: "second TYPE for \(name)") }
                    guard !result.all.contains(where: { $0.name == name }) else { throw Malformed(line: number, reason: "TYPE after samples") }
                    result.types[name] = String(parts[3])
                } else {
                    guard result.helps[name] == nil else { throw Malformed(line: number, reason: "second HELP for \(name)") }
                    result.helps[name] = String(parts[3])
                }
                continue
            }
            guard !line.isEmpty, !line.hasPrefix("#") else { throw Malformed(line: number, reason: "blank or unknown comment line") }
            var characters = Substring(line)
            let nameEnd = characters.firstIndex { $0 == "{" || $0 == " " } ?? characters.endIndex
            let name = characters[..<nameEnd]
            guard isName(name) else { throw Malformed(line: number, reason: "bad metric name") }
            characters = characters[nameEnd...]
            var labels: [String: String] = [:]
            if characters.first == "{" {
                characters = characters.dropFirst()
                while characters.first != "}" {
                    guard let equals = characters.firstIndex(of: "=") else { throw Malformed(line: number, reason: "label without =") }
                    let label = characters[..<equals]
                    guard isName(label), !label.contains(":") else { throw Malformed(line: number, reason: "bad label name") }
                    characters = characters[characters.index(after: equals)...]
                    guard characters.first == "\"" else { throw Malformed(line: number, reason: "unquoted label value") }
                    characters = characters.dropFirst()
                    var value = ""
                    while let character = characters.first, character != "\"" {
                        characters = characters.dropFirst()
                        if character == "\\" {
                            guard let escaped = characters.first else { throw Malformed(line: number, reason: "dangling escape") }
                            characters = characters.dropFirst()
                            switch escaped {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw Malformed(line: number, reason: "bad escape \\\(escaped)")
                            }
                        } else {
                            value.append(character)
                        }
                    }
                    guard characters.first == "\"" else { throw Malformed(line: number, reason: "unterminated label value") }
                    characters = characters.dropFirst()
                    guard labels.updateValue(value, forKey: String(label)) == nil else { throw Malformed(line: number, reason: "repeated label") }
                    if characters.first == "," { characters = characters.dropFirst() }
                }
                characters = characters.dropFirst()
            }
            guard characters.first == " " else { throw Malformed(line: number, reason: "no space before the value") }
            let fields = characters.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 1 else { throw Malformed(line: number, reason: "a timestamp (the textfile collector refuses them) or junk") }
            guard let value = Double(fields[0]) ?? (fields[0] == "+Inf" ? .infinity : fields[0] == "-Inf" ? -.infinity : nil) else {
                throw Malformed(line: number, reason: "bad value \(fields[0])")
            }
            guard result.types[String(name)] != nil, result.helps[String(name)] != nil else {
                throw Malformed(line: number, reason: "\(name) has no HELP or TYPE before its samples")
            }
            let key = String(name) + labels.sorted { $0.key < $1.key }.map { "\u{0}\($0.key)=\($0.value)" }.joined()
            guard series.insert(key).inserted else { throw Malformed(line: number, reason: "duplicate series") }
            result.all.append(Sample(name: String(name), labels: labels, value: value))
        }
        return result
    }
}
