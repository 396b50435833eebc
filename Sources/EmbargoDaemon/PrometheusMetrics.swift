import EmbargoEvaluation
import EmbargoPolicy
import Foundation

/// What the daemon knows after a scan or re-evaluation, for fleet alerting.
public struct MetricsSnapshot: Sendable, Hashable {
    /// One finding held on the host.
    public struct HeldFinding: Sendable, Hashable {
        public var vendor: String
        public var product: String
        public var status: String

        public init(vendor: String, product: String, status: String) {
            self.vendor = vendor
            self.product = product
            self.status = status
        }
    }

    /// The daemon runs (0 is written at a graceful stop).
    public var up = true
    public var version: String
    public var policyID: String
    public var policyVersion: String
    public var policySHA256: String
    public var profile: String
    public var findings: [HeldFinding] = []
    public var packages: Int?
    /// End and duration of the last full scan (a re-evaluation does not read the root).
    public var lastScanFinished: Date?
    public var lastScanDuration: Double?
    /// End of the last scan or re-evaluation.
    public var lastEvaluationFinished: Date?
    /// Whether the last scan or re-evaluation completed.
    public var lastScanSucceeded: Bool?
    /// Errors and warnings met reading the root in the last full scan.
    public var scanErrors: Int?
    public var scanWarnings: Int?
    /// Scans that could not run since the daemon started.
    public var scanFailures = 0
    public var waiverStatuses: [WaiverStatus: Int] = [:]
    /// Waiver id → expiry.
    public var waiverExpiries: [String: Date] = [:]

    public init(version: String, policyID: String, policyVersion: String, policySHA256: String, profile: String) {
        self.version = version
        self.policyID = policyID
        self.policyVersion = policyVersion
        self.policySHA256 = policySHA256
        self.profile = profile
    }

    public mutating func setFindings(_ findings: [Finding]) {
        self.findings = findings.map { HeldFinding(vendor: $0.vendor, product: $0.product, status: $0.status.rawValue) }
    }

    public mutating func setWaivers(_ waivers: WaiverSet, at instant: Date) {
        var statuses: [WaiverStatus: Int] = [:]
        var expiries: [String: Date] = [:]
        for waiver in waivers.waivers {
            statuses[waiver.status(at: instant), default: 0] += 1
            expiries[waiver.id] = waiver.expires
        }
        waiverStatuses = statuses
        waiverExpiries = expiries
    }
}

/// The Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector
/// reads it: `# HELP` and `# TYPE` once per metric, then its samples; no timestamps (the collector
/// refuses them); label values escaped.
public enum PrometheusTextFormat {
    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var out = MetricWriter()
        out.metric("embargo_up", .gauge, "Whether embargod runs (0 after a graceful stop).") {
            $0.sample([:], snapshot.up ? 1 : 0)
        }
        out.metric("embargo_build_info", .gauge, "embargod's version.") { $0.sample(["version": snapshot.version], 1) }
        out.metric("embargo_policy_info", .gauge, "The policy set and profile in force.") {
            $0.sample(
                [
                    "policy_id": snapshot.policyID, "policy_version": snapshot.policyVersion, "policy_sha256": snapshot.policySHA256,
                    "profile": snapshot.profile,
                ], 1)
        }
        out.metric(
            "embargo_findings", .gauge,
            "Restricted products on the host by vendor, product and status (1 per finding held; a resolved finding has no sample)."
        ) { metric in
            for finding in snapshot.findings.sorted(by: { ($0.vendor, $0.product) < ($1.vendor, $1.product) }) {
                metric.sample(["vendor": finding.vendor, "product": finding.product, "status": finding.status], 1)
            }
        }
        out.metric("embargo_findings_by_status", .gauge, "Findings held on the host per status (every status, zeros included).") {
            metric in
            for status in FindingStatus.allCases {
                metric.sample(["status": status.rawValue], Double(snapshot.findings.filter { $0.status == status.rawValue }.count))
            }
        }
        if let packages = snapshot.packages {
            out.metric("embargo_packages", .gauge, "Installed packages in the last inventory.") { $0.sample([:], Double(packages)) }
        }
        if let finished = snapshot.lastScanFinished {
            out.metric("embargo_last_scan_timestamp_seconds", .gauge, "When the last full scan finished (Unix time).") {
                $0.sample([:], finished.timeIntervalSince1970)
            }
        }
        if let duration = snapshot.lastScanDuration {
            out.metric("embargo_last_scan_duration_seconds", .gauge, "How long the last full scan took.") { $0.sample([:], duration) }
        }
        if let finished = snapshot.lastEvaluationFinished {
            out.metric(
                "embargo_last_evaluation_timestamp_seconds", .gauge, "When the last scan or re-evaluation finished (Unix time)."
            ) { $0.sample([:], finished.timeIntervalSince1970) }
        }
        if let succeeded = snapshot.lastScanSucceeded {
            out.metric("embargo_last_scan_success", .gauge, "Whether the last scan or re-evaluation completed (1) or failed (0).") {
                $0.sample([:], succeeded ? 1 : 0)
            }
        }
        if let errors = snapshot.scanErrors {
            out.metric("embargo_scan_errors", .gauge, "Errors met reading the root in the last full scan (coverage is incomplete).") {
                $0.sample([:], Double(errors))
            }
        }
        if let warnings = snapshot.scanWarnings {
            out.metric("embargo_scan_warnings", .gauge, "Warnings met reading the root in the last full scan.") {
                $0.sample([:], Double(warnings))
            }
        }
        out.metric("embargo_scan_failures_total", .counter, "Scans or re-evaluations that could not run since embargod started.") {
            $0.sample([:], Double(snapshot.scanFailures))
        }
        out.metric("embargo_waivers", .gauge, "Loaded waivers per status (every status, zeros included).") { metric in
            for status in WaiverStatus.allCases {
                metric.sample(["status": status.rawValue], Double(snapshot.waiverStatuses[status] ?? 0))
            }
        }
        if !snapshot.waiverExpiries.isEmpty {
            out.metric("embargo_waiver_expiry_timestamp_seconds", .gauge, "When each loaded waiver expires (Unix time).") { metric in
                for (id, expires) in snapshot.waiverExpiries.sorted(by: { $0.key < $1.key }) {
                    metric.sample(["waiver": id], expires.timeIntervalSince1970)
                }
            }
        }
        return out.text
    }

    /// `\`, `"` and line feeds escaped, as the format requires inside label values.
    public static func escapeLabelValue(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `\` and line feeds escaped, as the format requires in HELP text.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, others with up to millisecond precision.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }
}

enum MetricType: String {
    case gauge
    case counter
}

struct MetricWriter {
    var text = ""

    struct Samples {
        let name: String
        var lines = ""

        mutating func sample(_ labels: [String: String], _ value: Double) {
            lines += name
            if !labels.isEmpty {
                let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(PrometheusTextFormat.escapeLabelValue($0.value))\"" }
                lines += "{" + pairs.joined(separator: ",") + "}"
            }
            lines += " " + PrometheusTextFormat.format(value) + "\n"
        }
    }

    mutating func metric(_ name: String, _ type: MetricType, _ help: String, _ body: (inout Samples) -> Void) {
        var samples = Samples(name: name)
        body(&samples)
        text += "# HELP \(name) \(PrometheusTextFormat.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n" + samples.lines
    }
}
