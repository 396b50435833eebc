import EmbargoEvaluation
import EmbargoInventory
import Foundation

/// The terminal report: a header, a table a person reads at a glance, the evidence and dates of
/// each finding, scan errors, and a one-line summary.
public enum TextReportRenderer {
    public static func render(_ report: AuditReport) -> String {
        var out = ""
        let host = report.host.hostname ?? "(unknown host)"
        let os = report.host.osRelease?.prettyName.map { " (\($0))" } ?? ""
        out += "embargo scan of \(host)\(os), root \(report.host.root)\n"
        out += "profile \(report.profile.id) — as of \(report.asOf)\n"
        out += "policy \(report.policy.id) \(report.policy.version) (sha256 \(report.policy.sha256.prefix(12)))\n\n"

        if report.findings.isEmpty {
            out += "No restricted software found.\n"
        } else {
            var rows: [[String]] = [["STATUS", "SEVERITY", "VENDOR", "PRODUCT", "INSTALLED", "UPDATED", "PHASE", "EVIDENCE"]]
            for finding in report.findings {
                rows.append([
                    finding.status.rawValue, finding.severity.rawValue, finding.vendor, finding.product,
                    finding.installedAt.map(RFC3339.formatDate) ?? "-", finding.updatedAt.map(RFC3339.formatDate) ?? "-",
                    phaseColumn(finding), evidenceColumn(finding),
                ])
            }
            out += table(rows)
            out += "\n"
            for finding in report.findings {
                out += details(finding)
            }
        }
        if !report.errors.isEmpty {
            out += "Scan problems (the scan went on):\n"
            for issue in report.errors.prefix(50) {
                out += "  \(issue.severity.rawValue): \(issue.location.text): \(issue.message) [\(issue.code)]\n"
            }
            if report.errors.count > 50 { out += "  … and \(report.errors.count - 50) more (see --format json)\n" }
            out += "\n"
        }
        out += summaryLine(report) + "\n"
        return out
    }

    public static func summaryLine(_ report: AuditReport) -> String {
        let counts = report.summary.byStatus
        let order = FindingStatus.allCases.sorted { $0.rank < $1.rank }
        let parts = order.compactMap { status -> String? in
            let count = counts[status.rawValue] ?? 0
            return count > 0 || status == .violation ? "\(count) \(status.rawValue)" : nil
        }
        return "\(report.summary.verdict.uppercased()): " + parts.joined(separator: ", ")
            + " — \(report.summary.packages) packages inventoried, \(report.summary.errors) scan errors"
    }

    static func phaseColumn(_ finding: Finding) -> String {
        if let phase = finding.phaseInEffect { return "\(phase.phase) since \(phase.effective.prefix(10))" }
        if let next = finding.nextPhase { return "\(next.phase) in \(next.daysUntilEffective) d (\(next.effective.prefix(10)))" }
        if let exemption = finding.exemptions.first { return "exempt: \(exemption.restriction)" }
        return "-"
    }

    static func evidenceColumn(_ finding: Finding) -> String {
        guard let first = finding.evidence.first else { return "-" }
        let more = finding.evidence.count > 1 ? " +\(finding.evidence.count - 1)" : ""
        return "\(first.kind.rawValue) \(first.locator)\(more)"
    }

    static func details(_ finding: Finding) -> String {
        var out = "\(finding.vendorName) / \(finding.productName) [\(finding.id)] — \(finding.status.rawValue), \(finding.severity.rawValue), confidence \(finding.confidence.rawValue)\n"
        for evidence in finding.evidence {
            var facts: [String] = []
            for key in ["version", "arch", "status", "database", "ownedBy", "path", "sha256", "markers", "enabled", "pid", "host"] {
                if let value = evidence.detail[key] { facts.append("\(key) \(value)") }
            }
            let shownFacts = facts.isEmpty ? "" : " (" + facts.joined(separator: ", ") + ")"
            out += "    \(evidence.kind.rawValue.padding(to: 13)) \(evidence.locator)\(shownFacts) — matched \(evidence.identifier.kind) '\(evidence.identifier.value)', \(evidence.identifier.strength)\n"
        }
        if let installed = finding.installedAt {
            out += "    installed \(RFC3339.format(installed)) (\(finding.installedAtSource ?? "?"))"
            if let updated = finding.updatedAt {
                out += ", last updated \(RFC3339.format(updated)) (\(finding.updatedAtSource ?? "?"))"
            }
            out += "\n"
        }
        for phase in finding.phases {
            let state = phase.inEffect ? "in effect since" : "takes effect"
            var timing = ""
            if let after = phase.installedAfter, after { timing += "; installed after it" }
            if let after = phase.updatedAfter, after, phase.installedAfter != true { timing += "; updated after it" }
            let cite = phase.citations.first.map { " — \($0.cite)" } ?? ""
            let obligation = phase.violation ? "" : " (obligation)"
            out += "    \(phase.restriction)/\(phase.phase)\(obligation): \(state) \(phase.effectiveLocal)\(timing)\(cite)\n"
        }
        for exemption in finding.exemptions {
            out += "    exempt from \(exemption.restriction): \(exemption.reason)\n"
        }
        if let waiver = finding.waiver {
            out += "    waiver \(waiver.id) \(waiver.expired ? "EXPIRED" : "active") until \(waiver.expires): \(waiver.reason)\n"
        }
        for step in finding.remediation {
            out += "    remediation: \(step)\n"
        }
        return out + "\n"
    }

    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in index == columns - 1 ? cell : cell.padding(to: widths[index]) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
