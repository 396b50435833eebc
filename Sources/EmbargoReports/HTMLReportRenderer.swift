import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import Foundation

/// The report as one self-contained HTML file (`--format html`) for people who sign off: no
/// script, no external asset (a Content-Security-Policy forbids loading anything), print
/// styles for A4 so "Print to PDF" gives the paper copy.
///
/// Sections: header facts, summary, findings table, one block per finding (a timeline of its
/// install and update dates against every phase of its restrictions, drawn as inline SVG; the
/// phases; the evidence; exemptions, waiver and remediation), waivers, changes since the
/// previous scan, the period (for `--since`), scope, scan errors, and the document's SHA-256.
public enum HTMLReportRenderer {
    public static func render(_ report: AuditReport) -> String {
        var html = HTMLBuilder()
        let host = report.host.hostname ?? "unknown host"
        html.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        html.raw(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")
        html.raw("<meta name=\"generator\" content=\"\(escape("\(report.tool.name) \(report.tool.version)"))\">\n")
        html.raw("<title>\(escape("Compliance report: \(host), as of \(report.asOf)"))</title>\n")
        html.raw("<style>\n\(stylesheet)</style>\n</head>\n<body>\n")

        header(report, into: &html)
        summary(report, into: &html)
        findingsTable(report, into: &html)
        findingDetails(report, into: &html)
        waivers(report, into: &html)
        changes(report, into: &html)
        if let period = report.period { periodSection(period, into: &html) }
        scope(report, into: &html)
        errors(report, into: &html)

        html.raw("<footer>\n<p>Report SHA-256: <code class=\"digest\">\(escape(report.reportSHA256 ?? ReportIdentity.digestPlaceholder))</code></p>\n")
        html.raw(
            "<p class=\"note\">The SHA-256 covers this file's bytes with the 64 hex digits above replaced by 64 zeros "
                + "(<code>sed 's/&lt;digest&gt;/0…0/' | sha256sum</code>). The same scan, policy, profile and as-of instant "
                + "always give this same file.</p>\n</footer>\n</body>\n</html>\n")
        return html.text
    }

    // MARK: - Sections

    static func header(_ report: AuditReport, into html: inout HTMLBuilder) {
        let verdict = report.summary.verdict
        html.raw("<header>\n<h1>Restricted software compliance report</h1>\n")
        html.raw("<p class=\"verdict \(verdict)\">\(escape(TextReportRenderer.summaryLine(report)))</p>\n")
        html.raw("<table class=\"facts\">\n")
        var os = report.host.osRelease?.prettyName ?? report.host.osRelease?.id ?? "unknown"
        if let id = report.host.osRelease?.id, let version = report.host.osRelease?.versionID { os += " (\(id) \(version))" }
        var scan = "\(report.scan.id) — \(report.scan.kind)"
        if let trigger = report.scan.trigger { scan += ", trigger \(trigger)" }
        if report.scan.inventoryScanID != report.scan.id { scan += "; judges the inventory of scan \(report.scan.inventoryScanID)" }
        let rows: [(String, String)] = [
            ("Report id", report.reportID ?? "-"),
            ("Generated at", report.generatedAt ?? report.scan.finishedAt),
            ("Tool", "\(report.tool.name) \(report.tool.version)"),
            ("Host name", report.host.hostname ?? "unknown"),
            ("Operating system", os),
            ("Kernel", report.host.kernel ?? "not recorded (offline root)"),
            ("Architecture", report.host.architecture ?? "not recorded (offline root)"),
            ("Machine id (embargo app-specific)", report.host.machineID ?? "unknown"),
            ("Root", report.host.root),
            ("Scan", scan),
            ("Scan started", report.scan.startedAt),
            ("Scan finished", "\(report.scan.finishedAt) (\(report.scan.durationSeconds) s)"),
            ("Judged as of", report.asOf),
            ("Profile", "\(report.profile.id) — \(report.profile.title)"),
            ("Policy set", "\(report.policy.id) \(report.policy.version), SHA-256 \(report.policy.sha256)"),
        ]
        for (name, value) in rows {
            html.raw("<tr><th>\(escape(name))</th><td>\(escape(value))</td></tr>\n")
        }
        html.raw("</table>\n</header>\n")
    }

    static func summary(_ report: AuditReport, into html: inout HTMLBuilder) {
        html.raw("<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"counts\">\n<tr>")
        let statuses = FindingStatus.allCases.sorted { $0.rank < $1.rank }
        for status in statuses { html.raw("<th>\(badge(status.rawValue))</th>") }
        html.raw("<th>packages</th><th>scan errors</th><th>warnings</th></tr>\n<tr>")
        for status in statuses { html.raw("<td>\(report.summary.byStatus[status.rawValue] ?? 0)</td>") }
        html.raw("<td>\(report.summary.packages)</td><td>\(report.summary.errors)</td><td>\(report.summary.warnings)</td></tr>\n")
        html.raw("</table>\n")
        if report.summary.errors > 0 {
            html.raw(
                "<p class=\"warning\">The scan met \(report.summary.errors) error(s) reading the root; coverage is incomplete (see <a href=\"#errors\">Scan errors</a>).</p>\n"
            )
        }
        html.raw("</section>\n")
    }

    static func findingsTable(_ report: AuditReport, into html: inout HTMLBuilder) {
        html.raw("<section id=\"findings\">\n<h2>Findings</h2>\n")
        guard !report.findings.isEmpty else {
            html.raw("<p>No restricted software found.</p>\n</section>\n")
            return
        }
        html.raw(
            "<table class=\"list\">\n<thead><tr><th>Status</th><th>Severity</th><th>Vendor</th><th>Product</th><th>Installed</th><th>Updated</th><th>Phase</th><th>Evidence</th><th>Waiver</th></tr></thead>\n<tbody>\n"
        )
        for (index, finding) in report.findings.enumerated() {
            let waiver = finding.waiver.map { "\($0.id) (\($0.expired ? "expired" : "active"))" } ?? "—"
            html.raw("<tr>")
            html.raw("<td class=\"nowrap\">\(badge(finding.status.rawValue))</td><td class=\"nowrap\">\(escape(finding.severity.rawValue))</td>")
            html.raw("<td class=\"nowrap\">\(escape(finding.vendorName))</td>")
            html.raw("<td><a href=\"#finding-\(index + 1)\">\(escape(finding.productName))</a></td>")
            html.raw("<td class=\"nowrap\">\(escape(finding.installedAt.map(RFC3339.formatDate) ?? "unknown"))</td>")
            html.raw("<td class=\"nowrap\">\(escape(finding.updatedAt.map(RFC3339.formatDate) ?? "unknown"))</td>")
            html.raw("<td>\(escape(TextReportRenderer.phaseColumn(finding)))</td>")
            html.raw("<td>\(finding.evidence.count)</td><td>\(escape(waiver))</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n</section>\n")
    }

    static func findingDetails(_ report: AuditReport, into html: inout HTMLBuilder) {
        guard !report.findings.isEmpty else { return }
        html.raw("<section id=\"details\">\n<h2>Finding details</h2>\n")
        html.raw(
            "<p class=\"note\">Timelines: <span class=\"key-installed\">●</span> installed, <span class=\"key-installed\">◆</span> last updated, "
                + "dashed line: the as-of instant; phase marks above the axis in <span class=\"key-ban\">red</span> prohibit presence "
                + "(shaded from the first one in effect), <span class=\"key-upcoming\">amber</span> ones take effect later, "
                + "<span class=\"key-obligation\">grey</span> ones are obligations.</p>\n")
        for (index, finding) in report.findings.enumerated() {
            html.raw("<article class=\"finding\" id=\"finding-\(index + 1)\">\n")
            html.raw(
                "<h3>\(badge(finding.status.rawValue)) \(escape("\(finding.vendorName) / \(finding.productName)")) <span class=\"id\">\(escape(finding.id))</span></h3>\n"
            )
            var facts = "Severity \(finding.severity.rawValue), confidence \(finding.confidence.rawValue). "
            facts += "Installed \(finding.installedAt.map(RFC3339.format) ?? "unknown")"
            if let source = finding.installedAtSource { facts += " (\(source))" }
            facts += "; last updated \(finding.updatedAt.map(RFC3339.format) ?? "unknown")"
            if let source = finding.updatedAtSource { facts += " (\(source))" }
            html.raw("<p>\(escape(facts + "."))</p>\n")
            html.raw(Timeline.svg(finding, asOf: report.asOf))

            if !finding.phases.isEmpty {
                html.raw(
                    "<table class=\"list\">\n<thead><tr><th>Restriction / phase</th><th>Effective</th><th>State</th><th>Prohibits</th><th>Installed after</th><th>Updated after</th><th>Citation</th></tr></thead>\n<tbody>\n"
                )
                for phase in finding.phases {
                    let state =
                        phase.inEffect
                        ? (phase.violation ? "in effect" : "in effect (obligation)")
                        : "in \(phase.daysUntilEffective) d" + (phase.violation ? "" : " (obligation)")
                    html.raw("<tr><td>\(escape("\(phase.restrictionTitle) — \(phase.phase)"))<br><span class=\"id\">\(escape("\(phase.restriction)/\(phase.phase), \(phase.authority)"))</span></td>")
                    html.raw("<td>\(escape(phase.effectiveLocal))<br><span class=\"id\">\(escape(phase.effective))</span></td>")
                    html.raw("<td>\(escape(state))</td><td>\(escape(phase.prohibits))</td>")
                    html.raw("<td>\(escape(yesNo(phase.installedAfter)))</td><td>\(escape(yesNo(phase.updatedAfter)))</td>")
                    html.raw("<td>\(phase.citations.map(citation).joined(separator: "<br>"))</td></tr>\n")
                }
                html.raw("</tbody>\n</table>\n")
            }

            html.raw("<h4>Evidence</h4>\n<table class=\"list evidence\">\n<thead><tr><th>Kind</th><th>Item</th><th>Matched identifier</th><th>Facts</th></tr></thead>\n<tbody>\n")
            for evidence in finding.evidence {
                let identifier =
                    "\(evidence.identifier.kind) '\(evidence.identifier.value)' (\(evidence.identifier.strength), \(evidence.identifier.weight))"
                let facts = evidence.detail.sorted { $0.key < $1.key }.map { "<b>\(escape($0.key))</b> \(escape($0.value))" }
                    .joined(separator: "<br>")
                html.raw("<tr><td class=\"nowrap\">\(escape(evidence.kind.rawValue))</td><td class=\"path\">\(escape(evidence.locator))</td>")
                html.raw("<td>\(escape(identifier))<br><span class=\"id\">\(escape(evidence.identifier.definedAt))</span></td>")
                html.raw("<td class=\"facts-cell\">\(facts)</td></tr>\n")
            }
            html.raw("</tbody>\n</table>\n")
            for exemption in finding.exemptions {
                html.raw("<p>Exempt from \(escape(exemption.restriction)): \(escape(exemption.reason))</p>\n")
            }
            if let waiver = finding.waiver {
                html.raw(
                    "<p class=\"waiver\">Waiver <b>\(escape(waiver.id))</b> (\(waiver.expired ? "expired" : "active"), expires \(escape(waiver.expires))\(waiver.approver.map { ", approved by " + escape($0) } ?? "")): \(escape(waiver.reason))</p>\n"
                )
            }
            if !finding.remediation.isEmpty {
                html.raw("<h4>Remediation</h4>\n<ol class=\"remediation\">\n")
                for step in finding.remediation { html.raw("<li><code>\(escape(step))</code></li>\n") }
                html.raw("</ol>\n")
            }
            html.raw("</article>\n")
        }
        html.raw("</section>\n")
    }

    static func waivers(_ report: AuditReport, into html: inout HTMLBuilder) {
        html.raw("<section id=\"waivers\">\n<h2>Waivers</h2>\n")
        guard !report.waivers.isEmpty else {
            let applied = report.findings.compactMap(\.waiver)
            html.raw("<p>No waivers were loaded for this scan\(applied.isEmpty ? "" : " (findings name \(applied.count) waiver(s), listed with each finding)").</p>\n</section>\n")
            return
        }
        let active = report.waivers.filter { $0.state == .active }.count
        let expired = report.waivers.filter { $0.state == .expired }.count
        html.raw("<p>\(report.waivers.count) loaded: \(active) active, \(expired) expired, \(report.waivers.count - active - expired) not yet in force at \(escape(report.asOf)).</p>\n")
        html.raw(
            "<table class=\"list\">\n<thead><tr><th>Waiver</th><th>State</th><th>Covers (scope)</th><th>Findings covered</th><th>Reason</th><th>Approver</th><th>Created</th><th>Expires</th></tr></thead>\n<tbody>\n"
        )
        for waiver in report.waivers {
            let scope = [
                waiver.vendor.map { "vendor \($0)" }, waiver.product.map { "product \($0)" }, waiver.package.map { "package \($0)" },
                waiver.path.map { "path \($0)" }, waiver.host.map { "host \($0)" },
            ].compactMap { $0 }
            html.raw("<tr><td>\(escape(waiver.id))")
            if let definedAt = waiver.definedAt { html.raw("<br><span class=\"id\">\(escape(definedAt))</span>") }
            html.raw("</td><td>\(badge(waiver.state.rawValue))</td><td>\(escape(scope.isEmpty ? "everything" : scope.joined(separator: ", ")))</td>")
            html.raw("<td>\(escape(waiver.covers.isEmpty ? "none" : waiver.covers.joined(separator: ", ")))</td>")
            html.raw("<td>\(escape(waiver.reason))</td><td>\(escape(waiver.approver ?? "—"))</td>")
            html.raw("<td>\(escape(waiver.created ?? "—"))</td><td>\(escape(waiver.expires))</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n</section>\n")
    }

    static func changes(_ report: AuditReport, into html: inout HTMLBuilder) {
        html.raw("<section id=\"changes\">\n<h2>Changes since the previous scan</h2>\n")
        guard let changes = report.changes else {
            html.raw("<p>No earlier scan to compare with.</p>\n</section>\n")
            return
        }
        html.raw("<p>Compared with scan <code>\(escape(changes.from.id))</code> (started \(escape(changes.from.startedAt))).</p>\n")
        let findings = changes.findings
        if findings.added.isEmpty && findings.removed.isEmpty && findings.changed.isEmpty {
            html.raw("<p>Findings: no change.</p>\n")
        } else {
            html.raw("<table class=\"list\">\n<thead><tr><th></th><th>Finding</th><th>Change</th></tr></thead>\n<tbody>\n")
            for finding in findings.added {
                html.raw(
                    "<tr><td class=\"added\">added</td><td>\(escape("\(finding.productName) (\(finding.id))"))</td><td>\(badge(finding.status)) \(escape(finding.severity))\(finding.packages.isEmpty ? "" : " — " + escape(finding.packages.joined(separator: ", ")))</td></tr>\n"
                )
            }
            for finding in findings.removed {
                html.raw(
                    "<tr><td class=\"removed\">removed</td><td>\(escape("\(finding.productName) (\(finding.id))"))</td><td>was \(badge(finding.status))</td></tr>\n")
            }
            for finding in findings.changed {
                let text = finding.changes.map { "\(escape($0.field)): \(escape($0.from ?? "(none)")) → \(escape($0.to ?? "(none)"))" }
                    .joined(separator: "<br>")
                html.raw("<tr><td class=\"changed\">changed</td><td>\(escape("\(finding.productName) (\(finding.id))"))</td><td>\(text)</td></tr>\n")
            }
            html.raw("</tbody>\n</table>\n")
        }
        let packages = changes.packages
        guard packages.compared else {
            html.raw("<p>Software: not compared — \(escape(packages.note ?? "package lists unavailable")).</p>\n</section>\n")
            return
        }
        if packages.added.isEmpty && packages.removed.isEmpty && packages.changed.isEmpty {
            html.raw("<p>Software: no change.</p>\n</section>\n")
            return
        }
        html.raw(
            "<p>Software: \(packages.added.count) added, \(packages.removed.count) removed, \(packages.changed.count) changed.</p>\n<table class=\"list\">\n<thead><tr><th></th><th>Package</th><th>Version</th></tr></thead>\n<tbody>\n"
        )
        for package in packages.added {
            html.raw("<tr><td class=\"added\">added</td><td>\(escape(packageName(package.type, package.name, package.arch)))</td><td>\(escape(package.version))</td></tr>\n")
        }
        for package in packages.removed {
            html.raw("<tr><td class=\"removed\">removed</td><td>\(escape(packageName(package.type, package.name, package.arch)))</td><td>\(escape(package.version))</td></tr>\n")
        }
        for package in packages.changed {
            html.raw("<tr><td class=\"changed\">changed</td><td>\(escape(packageName(package.type, package.name, package.arch)))</td><td>\(escape(package.from)) → \(escape(package.to))</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n</section>\n")
    }

    static func periodSection(_ period: ReportPeriod, into html: inout HTMLBuilder) {
        html.raw("<section id=\"period\">\n<h2>Period since \(escape(period.since))</h2>\n")
        html.raw("<table class=\"list\">\n<thead><tr><th>Scan</th><th>Kind</th><th>Started</th><th>Findings</th><th>Violations</th><th>Packages</th><th>Errors</th></tr></thead>\n<tbody>\n")
        for scan in period.scans {
            html.raw(
                "<tr><td><code>\(escape(scan.id))</code></td><td>\(escape(scan.kind + (scan.trigger.map { " (\($0))" } ?? "")))</td><td>\(escape(scan.startedAt))</td><td>\(scan.findings)</td><td>\(scan.byStatus["violation"] ?? 0)</td><td>\(scan.packages)</td><td>\(scan.errors)</td></tr>\n"
            )
        }
        html.raw("</tbody>\n</table>\n")
        if !period.events.isEmpty {
            html.raw("<table class=\"list\">\n<thead><tr><th>Time</th><th>Event</th><th>Finding</th><th>Status</th><th>Detail</th></tr></thead>\n<tbody>\n")
            for event in period.events {
                let status = [event.oldStatus, event.newStatus].compactMap { $0 }.joined(separator: " → ")
                html.raw(
                    "<tr><td>\(escape(event.at))</td><td>\(escape(event.event))</td><td>\(escape(event.findingID))</td><td>\(escape(status))</td><td>\(escape(event.detail ?? ""))</td></tr>\n"
                )
            }
            html.raw("</tbody>\n</table>\n")
        }
        html.raw("</section>\n")
    }

    static func scope(_ report: AuditReport, into html: inout HTMLBuilder) {
        html.raw("<section id=\"scope\">\n<h2>Scope</h2>\n")
        if let scope = report.scope {
            html.raw("<table class=\"facts\">\n")
            html.raw("<tr><th>Root</th><td>\(escape(scope.root))</td></tr>\n")
            html.raw("<tr><th>Collectors that read something</th><td>\(escape(scope.collectors.joined(separator: ", ")))</td></tr>\n")
            if scope.walk.enabled {
                html.raw("<tr><th>Directories walked for loose software</th><td>\(escape(scope.walk.paths.joined(separator: ", ")))</td></tr>\n")
                html.raw("<tr><th>Exclusions</th><td>\(escape(scope.walk.exclusions.isEmpty ? "none" : scope.walk.exclusions.joined(separator: ", ")))</td></tr>\n")
                html.raw("<tr><th>Other file systems</th><td>\(scope.walk.crossFileSystems ? "walked" : "not entered")</td></tr>\n")
            } else {
                html.raw("<tr><th>File walk</th><td>off (package databases, policy paths, units, certificates and repositories only)</td></tr>\n")
            }
            html.raw("</table>\n")
        } else {
            html.raw("<p>The scope of this scan was not recorded.</p>\n")
        }
        html.raw("<h3>Sources read</h3>\n<table class=\"list\">\n<thead><tr><th>Collector</th><th>Path</th><th>Items</th></tr></thead>\n<tbody>\n")
        for source in report.scan.sources {
            html.raw("<tr><td>\(escape(source.collector))</td><td class=\"path\">\(escape(source.path))</td><td>\(source.items)</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n<h3>Policies</h3>\n<table class=\"list\">\n<thead><tr><th>Policy</th><th>Version</th><th>SHA-256</th><th>File</th></tr></thead>\n<tbody>\n")
        for file in report.policies {
            html.raw(
                "<tr><td>\(escape(file.id))</td><td>\(escape(file.version))</td><td class=\"hash\">\(escape(file.sha256))</td><td class=\"path\">\(escape(file.path))</td></tr>\n")
        }
        html.raw("</tbody>\n</table>\n</section>\n")
    }

    static func errors(_ report: AuditReport, into html: inout HTMLBuilder) {
        html.raw("<section id=\"errors\">\n<h2>Scan errors</h2>\n")
        guard !report.errors.isEmpty else {
            html.raw("<p>None: every source was read.</p>\n</section>\n")
            return
        }
        html.raw("<table class=\"list\">\n<thead><tr><th>Severity</th><th>Code</th><th>Location</th><th>Message</th></tr></thead>\n<tbody>\n")
        for issue in report.errors {
            html.raw(
                "<tr><td>\(escape(issue.severity.rawValue))</td><td>\(escape(issue.code))</td><td class=\"path\">\(escape(issue.location.text))</td><td>\(escape(issue.message))</td></tr>\n"
            )
        }
        html.raw("</tbody>\n</table>\n</section>\n")
    }

    // MARK: - Pieces

    static func packageName(_ type: String, _ name: String, _ arch: String?) -> String {
        "\(name)\(arch.map { ":" + $0 } ?? "") (\(type))"
    }

    static func yesNo(_ value: Bool?) -> String {
        value.map { $0 ? "yes" : "no" } ?? "unknown"
    }

    static func badge(_ status: String) -> String {
        "<span class=\"badge s-\(escape(status))\">\(escape(status))</span>"
    }

    static func citation(_ citation: Citation) -> String {
        let text = escape(citation.cite)
        guard let url = citation.url, url.hasPrefix("https://") || url.hasPrefix("http://") else { return text }
        return "<a href=\"\(escape(url))\">\(text)</a>"
    }

    /// Text for HTML content and attribute values; control characters (from file names) are
    /// shown as `\xNN`.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if TerminalText.isControl(scalar) && scalar != "\t" {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static let stylesheet = """
        :root { --fg: #1b1f24; --muted: #5a6370; --line: #d0d5dc; --bg-alt: #f4f6f8; }
        * { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); margin: 24px auto; max-width: 1100px; padding: 0 16px; }
        h1 { font-size: 22px; margin: 0 0 8px; }
        h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
        h3 { font-size: 15px; margin: 16px 0 6px; }
        h4 { font-size: 13px; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
        th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
        thead th { background: var(--bg-alt); white-space: nowrap; }
        table.facts th { width: 26%; background: var(--bg-alt); font-weight: 600; }
        table.counts td { font-size: 18px; font-weight: 600; text-align: center; }
        table.counts th { text-align: center; }
        code, .path, .hash, .id { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
        .id { color: var(--muted); font-weight: normal; }
        .verdict { font-size: 16px; font-weight: 700; padding: 8px 12px; border-radius: 4px; }
        .verdict.compliant { background: #e3f4e8; color: #14532d; }
        .verdict.non-compliant { background: #fde2e4; color: #8a0f1f; }
        .warning { background: #fff4d6; padding: 6px 10px; border-left: 4px solid #d49a00; }
        .badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; background: #e5e7eb; color: #1f2937; }
        .s-violation { background: #b00020; color: #fff; }
        .s-suspected { background: #e36b00; color: #fff; }
        .s-upcoming { background: #f2c037; color: #3b2a00; }
        .s-remnant { background: #7b4fa6; color: #fff; }
        .s-waived, .s-active { background: #1f5fbf; color: #fff; }
        .s-expired { background: #8a0f1f; color: #fff; }
        .s-exempt { background: #1d7a46; color: #fff; }
        .s-not-yet-valid { background: #9aa4b1; color: #fff; }
        .finding { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px 10px; margin: 12px 0; }
        .waiver { background: #e8f0fc; padding: 6px 10px; border-left: 4px solid #1f5fbf; }
        .added { color: #1d7a46; font-weight: 600; }
        .removed { color: #8a0f1f; font-weight: 600; }
        .changed { color: #8a5a00; font-weight: 600; }
        .timeline { width: 100%; height: auto; margin: 6px 0 10px; }
        .nowrap { white-space: nowrap; }
        .note { color: var(--muted); font-size: 12px; }
        .key-installed { color: #1f5fbf; }
        .key-ban { color: #b00020; font-weight: 600; }
        .key-upcoming { color: #c77700; font-weight: 600; }
        .key-obligation { color: #6b7280; font-weight: 600; }
        .facts-cell { font-size: 12px; }
        footer { margin-top: 30px; padding-top: 8px; border-top: 2px solid var(--line); font-size: 12px; color: var(--muted); }
        .digest { color: var(--fg); }
        a { color: #1f5fbf; }
        @page { size: A4; margin: 14mm 12mm; }
        @media print {
          body { font-size: 9.5pt; margin: 0; max-width: none; padding: 0; }
          h2 { break-after: avoid; }
          .finding, tr, table.facts, svg { break-inside: avoid; }
          a { color: inherit; text-decoration: none; }
        }

        """
}

/// The HTML under construction.
struct HTMLBuilder {
    var text = ""

    init() { text.reserveCapacity(1 << 16) }

    mutating func raw(_ fragment: String) { text += fragment }
}

/// A finding's dates on one axis: when it was installed and last updated, when each phase of
/// its restrictions takes effect, and the as-of instant, as an inline SVG.
enum Timeline {
    struct Mark {
        var date: Date
        var label: String
        var kind: Kind
    }

    enum Kind {
        case installed, updated, asOf
        case phase(prohibiting: Bool, inEffect: Bool)
    }

    static let width = 760.0
    static let left = 20.0
    static let right = 740.0
    static let characterWidth = 6.1

    static func svg(_ finding: Finding, asOf: String) -> String {
        var marks: [Mark] = []
        for phase in finding.phases {
            guard let date = try? RFC3339.parse(phase.effective) else { continue }
            marks.append(
                Mark(date: date, label: "\(phase.phase) \(phase.effective.prefix(10))", kind: .phase(prohibiting: phase.violation, inEffect: phase.inEffect)))
        }
        if let installed = finding.installedAt {
            marks.append(Mark(date: installed, label: "installed \(RFC3339.formatDate(installed))", kind: .installed))
        }
        if let updated = finding.updatedAt, updated != finding.installedAt {
            marks.append(Mark(date: updated, label: "updated \(RFC3339.formatDate(updated))", kind: .updated))
        }
        if let asOfDate = try? RFC3339.parse(asOf) {
            marks.append(Mark(date: asOfDate, label: "as of \(asOf.prefix(10))", kind: .asOf))
        }
        guard let earliest = marks.map(\.date).min(), let latest = marks.map(\.date).max() else { return "" }
        let span = max(latest.timeIntervalSince(earliest), 30 * 86_400)
        let start = earliest.addingTimeInterval(-span * 0.06)
        let end = latest.addingTimeInterval(span * 0.06)
        func x(_ date: Date) -> Double {
            left + (right - left) * date.timeIntervalSince(start) / end.timeIntervalSince(start)
        }

        // Phase labels go above the axis, host dates below; each in rows so labels never overlap.
        var above: [(mark: Mark, row: Int)] = []
        var below: [(mark: Mark, row: Int)] = []
        var aboveEnds: [Double] = []
        var belowEnds: [Double] = []
        func place(_ mark: Mark, ends: inout [Double]) -> Int {
            let (startX, endX) = labelExtent(mark, x: x(mark.date))
            for (row, last) in ends.enumerated() where last + 8 < startX {
                ends[row] = endX
                return row
            }
            ends.append(endX)
            return ends.count - 1
        }
        for mark in marks.sorted(by: { $0.date < $1.date }) {
            if case .phase = mark.kind {
                above.append((mark, place(mark, ends: &aboveEnds)))
            } else {
                below.append((mark, place(mark, ends: &belowEnds)))
            }
        }
        let rowHeight = 15.0
        let axis = 22.0 + Double(max(aboveEnds.count, 1)) * rowHeight
        let height = axis + 22.0 + Double(max(belowEnds.count, 1)) * rowHeight

        var svg = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" "
        svg += "aria-label=\"\(HTMLReportRenderer.escape("Timeline of \(finding.productName)"))\" font-family=\"system-ui, DejaVu Sans, sans-serif\" font-size=\"11\">\n"
        svg += "<title>\(HTMLReportRenderer.escape("Timeline of \(finding.productName): install and update dates against each restriction phase"))</title>\n"
        // The prohibited period: from the first prohibiting phase in effect to the right edge.
        if let firstBan = marks.filter({ if case .phase(true, true) = $0.kind { return true } else { return false } }).map(\.date).min() {
            svg += "<rect x=\"\(format(x(firstBan)))\" y=\"\(format(axis - 10))\" width=\"\(format(right - x(firstBan)))\" height=\"20\" fill=\"#b00020\" fill-opacity=\"0.12\"/>\n"
        }
        svg += "<line x1=\"\(format(left))\" y1=\"\(format(axis))\" x2=\"\(format(right))\" y2=\"\(format(axis))\" stroke=\"#5a6370\" stroke-width=\"1.5\"/>\n"
        for year in years(from: start, to: end) {
            let position = x(year)
            svg += "<line x1=\"\(format(position))\" y1=\"\(format(axis - 4))\" x2=\"\(format(position))\" y2=\"\(format(axis + 4))\" stroke=\"#5a6370\"/>"
            svg += "<text x=\"\(format(position + 2))\" y=\"\(format(axis + 14))\" fill=\"#5a6370\" font-size=\"9\">\(RFC3339.formatDate(year).prefix(4))</text>\n"
        }
        // Lines and symbols first, then every label with a white halo, so no line runs over text.
        var labels = ""
        for (mark, row) in above {
            let position = x(mark.date)
            let color = self.color(mark.kind)
            let labelY = axis - 12 - Double(row) * rowHeight
            svg += "<line x1=\"\(format(position))\" y1=\"\(format(labelY + 3))\" x2=\"\(format(position))\" y2=\"\(format(axis + 8))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            labels += label(mark, x: position, y: labelY, color: color)
        }
        for (mark, row) in below {
            let position = x(mark.date)
            let color = self.color(mark.kind)
            let labelY = axis + 30 + Double(row) * rowHeight
            switch mark.kind {
            case .installed:
                svg += "<circle cx=\"\(format(position))\" cy=\"\(format(axis))\" r=\"5\" fill=\"\(color)\"/>"
            case .updated:
                svg += "<path d=\"M \(format(position)) \(format(axis - 6)) l 6 6 l -6 6 l -6 -6 z\" fill=\"\(color)\"/>"
            default:
                svg += "<line x1=\"\(format(position))\" y1=\"\(format(axis - 12))\" x2=\"\(format(position))\" y2=\"\(format(labelY - 9))\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/>"
            }
            svg += "<line x1=\"\(format(position))\" y1=\"\(format(axis + 6))\" x2=\"\(format(position))\" y2=\"\(format(labelY - 9))\" stroke=\"\(color)\" stroke-width=\"0.8\"/>\n"
            labels += label(mark, x: position, y: labelY, color: color)
        }
        svg += labels
        svg += "</svg>\n"
        return svg
    }

    static func labelExtent(_ mark: Mark, x: Double) -> (Double, Double) {
        let labelWidth = Double(mark.label.count) * characterWidth
        if x + labelWidth > width - 4 { return (x - labelWidth, x) }
        return (x, x + labelWidth)
    }

    static func label(_ mark: Mark, x: Double, y: Double, color: String) -> String {
        let labelWidth = Double(mark.label.count) * characterWidth
        let anchor = x + labelWidth > width - 4 ? "end" : "start"
        let offset = anchor == "end" ? -3.0 : 3.0
        return "<text x=\"\(format(x + offset))\" y=\"\(format(y))\" fill=\"\(color)\" text-anchor=\"\(anchor)\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">\(HTMLReportRenderer.escape(mark.label))</text>\n"
    }

    static func color(_ kind: Kind) -> String {
        switch kind {
        case .installed, .updated: return "#1f5fbf"
        case .asOf: return "#1b1f24"
        case .phase(let prohibiting, let inEffect):
            if !prohibiting { return "#6b7280" }
            return inEffect ? "#b00020" : "#c77700"
        }
    }

    /// January 1st of every year inside the range (ticks on the axis).
    static func years(from start: Date, to end: Date) -> [Date] {
        guard let first = Int(RFC3339.formatDate(start).prefix(4)), let last = Int(RFC3339.formatDate(end).prefix(4)),
            last - first < 60
        else { return [] }
        return (first...last).compactMap { year in
            let date = Date(timeIntervalSince1970: Double(RFC3339.daysFromCivil(year: year, month: 1, day: 1) * 86_400))
            return date > start && date < end ? date : nil
        }
    }

    /// Coordinates with one decimal, written the same on every machine.
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        return "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }
}
