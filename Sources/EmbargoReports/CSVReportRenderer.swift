import EmbargoEvaluation
import EmbargoInventory
import Foundation

/// The spreadsheet report (`--format csv`), RFC 4180: a header row, CRLF line ends, fields
/// quoted when they hold a comma, a quote, CR or LF (quotes doubled).
///
/// Rows, told apart by the `record` column:
/// - `report`: one, first: the header facts, the verdict and counts, and the document's SHA-256
///   (the only row with `report_sha256`);
/// - `evidence`: one per finding and evidence item, with the finding's facts repeated on each;
/// - `scan-error`: one per problem met during the scan.
///
/// Every row carries the report id, host, scan, as-of, profile, and a policy id and version:
/// on evidence rows the policy document that defines the matched identifier, elsewhere the
/// policy set.
///
/// A field that begins with `=`, `+`, `-`, `@`, TAB or CR gets a leading apostrophe, so a
/// spreadsheet shows it as text instead of running it as a formula (names and paths come from
/// the scanned host and are not trusted).
public enum CSVReportRenderer {
    public static let columns = [
        "record", "report_id", "generated_at", "tool_version", "hostname", "machine_id", "os", "kernel", "architecture",
        "root", "scan_id", "scan_started_at", "scan_finished_at", "as_of", "profile", "policy_id", "policy_version",
        "policy_sha256", "finding_id", "vendor", "vendor_name", "product", "product_name", "status", "severity",
        "confidence", "installed_at", "installed_at_source", "updated_at", "updated_at_source", "phase",
        "phase_effective", "phase_in_effect", "installed_after_phase", "updated_after_phase", "waiver_id",
        "waiver_expires", "waiver_expired", "evidence_index", "evidence_kind", "evidence_locator", "identifier_kind",
        "identifier_value", "identifier_strength", "identifier_weight", "identifier_defined_at", "evidence_detail",
        "remediation", "issue_code", "issue_location", "message", "report_sha256",
    ]

    public static func render(_ report: AuditReport) -> String {
        var out = ""
        appendRow(columns, to: &out)
        let common: [String: String] = [
            "report_id": report.reportID ?? "", "generated_at": report.generatedAt ?? report.scan.finishedAt,
            "tool_version": report.tool.version, "hostname": report.host.hostname ?? "", "machine_id": report.host.machineID ?? "",
            "os": report.host.osRelease?.prettyName ?? report.host.osRelease?.id ?? "", "kernel": report.host.kernel ?? "",
            "architecture": report.host.architecture ?? "", "root": report.host.root, "scan_id": report.scan.id,
            "scan_started_at": report.scan.startedAt, "scan_finished_at": report.scan.finishedAt, "as_of": report.asOf,
            "profile": report.profile.id, "policy_id": report.policy.id, "policy_version": report.policy.version,
            "policy_sha256": report.policy.sha256,
        ]

        var reportRow = common
        reportRow["record"] = "report"
        reportRow["status"] = report.summary.verdict
        reportRow["message"] = TextReportRenderer.summaryLine(report)
        reportRow["report_sha256"] = report.reportSHA256 ?? ReportIdentity.digestPlaceholder
        appendRow(columns.map { reportRow[$0] ?? "" }, to: &out)

        for finding in report.findings {
            var row = common
            row["record"] = "evidence"
            row["finding_id"] = finding.id
            row["vendor"] = finding.vendor
            row["vendor_name"] = finding.vendorName
            row["product"] = finding.product
            row["product_name"] = finding.productName
            row["status"] = finding.status.rawValue
            row["severity"] = finding.severity.rawValue
            row["confidence"] = finding.confidence.rawValue
            row["installed_at"] = finding.installedAt.map(RFC3339.format) ?? ""
            row["installed_at_source"] = finding.installedAtSource ?? ""
            row["updated_at"] = finding.updatedAt.map(RFC3339.format) ?? ""
            row["updated_at_source"] = finding.updatedAtSource ?? ""
            if let phase = finding.phaseInEffect ?? finding.nextPhase {
                row["phase"] = "\(phase.restriction)/\(phase.phase)"
                row["phase_effective"] = phase.effective
                row["phase_in_effect"] = phase.inEffect ? "yes" : "no"
                row["installed_after_phase"] = yesNo(phase.installedAfter)
                row["updated_after_phase"] = yesNo(phase.updatedAfter)
            }
            if let waiver = finding.waiver {
                row["waiver_id"] = waiver.id
                row["waiver_expires"] = waiver.expires
                row["waiver_expired"] = waiver.expired ? "yes" : "no"
            }
            row["remediation"] = finding.remediation.first ?? ""
            for (index, evidence) in finding.evidence.enumerated() {
                var evidenceRow = row
                if let file = report.policyFile(definingIdentifierAt: evidence.identifier.definedAt) {
                    evidenceRow["policy_id"] = file.id
                    evidenceRow["policy_version"] = file.version
                    evidenceRow["policy_sha256"] = file.sha256
                }
                evidenceRow["evidence_index"] = String(index + 1)
                evidenceRow["evidence_kind"] = evidence.kind.rawValue
                evidenceRow["evidence_locator"] = evidence.locator
                evidenceRow["identifier_kind"] = evidence.identifier.kind
                evidenceRow["identifier_value"] = evidence.identifier.value
                evidenceRow["identifier_strength"] = evidence.identifier.strength
                evidenceRow["identifier_weight"] = evidence.identifier.weight
                evidenceRow["identifier_defined_at"] = evidence.identifier.definedAt
                evidenceRow["evidence_detail"] = evidence.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: "; ")
                appendRow(columns.map { evidenceRow[$0] ?? "" }, to: &out)
            }
        }

        for issue in report.errors {
            var row = common
            row["record"] = "scan-error"
            row["severity"] = issue.severity.rawValue
            row["issue_code"] = issue.code
            row["issue_location"] = issue.location.text
            row["message"] = issue.message
            appendRow(columns.map { row[$0] ?? "" }, to: &out)
        }
        return out
    }

    static func yesNo(_ value: Bool?) -> String {
        value.map { $0 ? "yes" : "no" } ?? ""
    }

    static func appendRow(_ fields: [String], to out: inout String) {
        out += fields.map(field).joined(separator: ",")
        out += "\r\n"
    }

    /// One field: neutralised against formula injection, then quoted when RFC 4180 requires.
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
