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

        out += report.findings.isEmpty ? "No restricted software found.\n" : findingsSection(report.findings)
        if !report.errors.isEmpty {
            out += "Scan problems (the scan went on):\n"
            for issue in report.errors.prefix(50) {
                out += "  \(issue.severity.rawValue): \(issue.location.text): \(issue.message) [\(issue.code)]\n"
            }
            if report.errors.count > 50 { out += "  … and \(report.errors.count - 50) more (see --format json)\n" }
            out += "\n"
        }
        out += summaryLine(report) + "\n"
        return TerminalText.sanitized(out)
    }

    /// The full report (`embargo report --format text`): every header field, the findings as
    /// ``render(_:)`` shows them, waivers, the change since the previous scan, the period, and
    /// the document's SHA-256 on the last line.
    public static func renderFull(_ report: AuditReport) -> String {
        var out = "embargo compliance report\n"
        var header: [[String]] = []
        header.append(["report", report.reportID ?? "-"])
        header.append(["generated", "\(report.generatedAt ?? report.scan.finishedAt) by \(report.tool.name) \(report.tool.version)"])
        header.append(["host", hostLine(report.host)])
        header.append(["root", report.host.root])
        var scan = "\(report.scan.id) (\(report.scan.kind)\(report.scan.trigger.map { ", trigger \($0)" } ?? ""))"
        scan += " \(report.scan.startedAt) to \(report.scan.finishedAt) (\(report.scan.durationSeconds) s)"
        if report.scan.inventoryScanID != report.scan.id { scan += "; judges the inventory of scan \(report.scan.inventoryScanID)" }
        header.append(["scan", scan])
        header.append(["as of", report.asOf])
        header.append(["profile", "\(report.profile.id) (\(report.profile.title))"])
        header.append(["policy", "\(report.policy.id) \(report.policy.version), sha256 \(report.policy.sha256)"])
        for file in report.policies {
            header.append(["", "\(file.id) \(file.version) sha256 \(file.sha256) \(file.path)"])
        }
        header.append(["scope", scopeLine(report.scope)])
        out += TextTable.render(header.map { [$0[0].isEmpty ? "" : $0[0] + ":", $0[1]] }).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        out += "\n\n"

        out += report.findings.isEmpty ? "No restricted software found.\n\n" : findingsSection(report.findings)

        out += "Waivers (\(report.waivers.count) loaded):\n"
        if report.waivers.isEmpty { out += "  none\n" }
        for waiver in report.waivers {
            let covers = waiver.covers.isEmpty ? "no finding" : waiver.covers.joined(separator: ", ")
            let approver = waiver.approver.map { ", approved by \($0)" } ?? ""
            out += "  \(waiver.id): \(waiver.state.rawValue), expires \(waiver.expires); covers \(covers): \(waiver.reason)\(approver)\n"
        }
        out += "\n"

        if let changes = report.changes {
            out += changesText(changes, title: "Changes since scan \(changes.from.id) (\(changes.from.startedAt))")
        } else {
            out += "Changes: no earlier scan to compare with.\n\n"
        }
        if let period = report.period {
            out += "Period since \(period.since): \(period.scans.count) scan(s)\n"
            var rows: [[String]] = [["SCAN", "KIND", "STARTED", "FINDINGS", "VIOLATION", "PACKAGES", "ERRORS"]]
            for scan in period.scans {
                rows.append([
                    scan.id, scan.kind, scan.startedAt, String(scan.findings), String(scan.byStatus["violation"] ?? 0),
                    String(scan.packages), String(scan.errors),
                ])
            }
            out += TextTable.render(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
            for event in period.events {
                let status = [event.oldStatus, event.newStatus].compactMap { $0 }.joined(separator: " -> ")
                out += "  \(event.at) \(event.event) \(event.findingID)\(status.isEmpty ? "" : " " + status)\(event.detail.map { " (\($0))" } ?? "")\n"
            }
            out += "\n"
        }
        if report.errors.isEmpty {
            out += "Scan problems: none.\n\n"
        } else {
            out += "Scan problems (the scan went on):\n"
            for issue in report.errors {
                out += "  \(issue.severity.rawValue): \(issue.location.text): \(issue.message) [\(issue.code)]\n"
            }
            out += "\n"
        }
        out += summaryLine(report) + "\n"
        out += "report sha256: \(report.reportSHA256 ?? ReportIdentity.digestPlaceholder)\n"
        return TerminalText.sanitized(out)
    }

    static func hostLine(_ host: HostInfo) -> String {
        var parts = [host.hostname ?? "(unknown host name)"]
        if let os = host.osRelease?.prettyName ?? host.osRelease?.id { parts.append(os) }
        if let kernel = host.kernel { parts.append("kernel \(kernel)") }
        if let architecture = host.architecture { parts.append(architecture) }
        parts.append("machine id \(host.machineID ?? "unknown")")
        return parts.joined(separator: "; ")
    }

    static func scopeLine(_ scope: ScanScope?) -> String {
        guard let scope else { return "not recorded" }
        var text = "collectors \(scope.collectors.isEmpty ? "none" : scope.collectors.joined(separator: ", "))"
        if scope.walk.enabled {
            text += "; walked \(scope.walk.paths.joined(separator: ", "))"
            if !scope.walk.exclusions.isEmpty { text += " excluding \(scope.walk.exclusions.joined(separator: ", "))" }
            text += scope.walk.crossFileSystems ? " (across file systems)" : " (one file system)"
        } else {
            text += "; no file walk"
        }
        return text
    }

    /// A comparison as `embargo diff` and the text report print it.
    public static func changesText(_ changes: ScanComparison, title: String) -> String {
        var out = title + ":\n"
        out += "  Findings: \(changes.findings.added.count) added, \(changes.findings.removed.count) removed, \(changes.findings.changed.count) changed\n"
        for finding in changes.findings.added {
            out += "    + \(finding.id) \(finding.status) \(finding.severity)\(finding.packages.isEmpty ? "" : " (" + finding.packages.joined(separator: ", ") + ")")\n"
        }
        for finding in changes.findings.removed {
            out += "    - \(finding.id) (was \(finding.status))\n"
        }
        for finding in changes.findings.changed {
            for change in finding.changes {
                out += "    ~ \(finding.id) \(change.field): \(change.from ?? "(none)") -> \(change.to ?? "(none)")\n"
            }
        }
        let packages = changes.packages
        if packages.compared {
            out += "  Software: \(packages.added.count) added, \(packages.removed.count) removed, \(packages.changed.count) changed\n"
            for package in packages.added { out += "    + \(package.id)\n" }
            for package in packages.removed { out += "    - \(package.id)\n" }
            for package in packages.changed {
                out += "    ~ \(package.type):\(package.name)\(package.arch.map { ":" + $0 } ?? "") \(package.from) -> \(package.to)\n"
            }
        } else {
            out += "  Software: not compared: \(packages.note ?? "package lists unavailable")\n"
        }
        return TerminalText.sanitized(out + "\n")
    }

    /// The table of findings, then each finding's evidence, dates and phases.
    static func findingsSection(_ findings: [Finding]) -> String {
        var rows: [[String]] = [["STATUS", "SEVERITY", "VENDOR", "PRODUCT", "INSTALLED", "UPDATED", "PHASE", "EVIDENCE"]]
        for finding in findings {
            rows.append([
                finding.status.rawValue, finding.severity.rawValue, finding.vendor, finding.product,
                finding.installedAt.map(RFC3339.formatDate) ?? "-", finding.updatedAt.map(RFC3339.formatDate) ?? "-",
                phaseColumn(finding), evidenceColumn(finding),
            ])
        }
        return TextTable.render(rows) + "\n" + findings.map(details).joined()
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
}

/// Text for a terminal: control characters from file names, package fields or certificate
/// subjects would move the cursor or recolour the screen, so they are shown as `\xNN`.
enum TerminalText {
    static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out.append(contentsOf: String(format: "\\x%02x", scalar.value).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\n") || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
