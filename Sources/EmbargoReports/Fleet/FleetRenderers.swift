import EmbargoInventory
import Foundation

/// The fleet report as JSON (`embargo.fleet-report/v1`, docs/fleet-report.schema.json). Object keys
/// are sorted; the same entries give the same bytes apart from `generatedAt`.
public enum FleetJSONRenderer {
    /// The whole document in memory (tests, small fleets).
    public static func render(_ report: FleetReportDocument) -> [UInt8] {
        var output: [UInt8] = []
        write(report) { output += $0 }
        return output
    }

    /// Writes the document in pieces of about `chunkSize` bytes: one host's or product's tree is
    /// built at a time, so a fleet of thousands of hosts never exists twice in memory (once as the
    /// report and once as JSON). The bytes are those of `document(report).serialized()`.
    public static func write(_ report: FleetReportDocument, chunkSize: Int = 1 << 20, to sink: ([UInt8]) -> Void) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkSize + (1 << 16))
        func flush(force: Bool = false) {
            if buffer.count >= chunkSize || (force && !buffer.isEmpty) {
                sink(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        func append(_ text: String) { buffer.append(contentsOf: text.utf8) }
        let small = members(report)
        // Every member in key order; the two large arrays are streamed element by element.
        let keys = (small.map(\.0) + ["hosts", "products"]).sorted()
        append("{")
        for (index, key) in keys.enumerated() {
            append(index == 0 ? "\n  " : ",\n  ")
            append("\"\(key)\": ")
            if let member = small.first(where: { $0.0 == key }) {
                buffer += nested(member.1, depth: 1)
            } else {
                let count = key == "hosts" ? report.hosts.count : report.products.count
                if count == 0 {
                    append("[]")
                    continue
                }
                append("[")
                for element in 0..<count {
                    append(element == 0 ? "\n    " : ",\n    ")
                    let value = key == "hosts" ? host(report.hosts[element]) : product(report.products[element])
                    buffer += nested(value, depth: 2)
                    flush()
                }
                append("\n  ]")
            }
        }
        append("\n}\n")
        flush(force: true)
    }

    /// A value serialized to sit `depth` levels deep: JSON strings hold no raw line feed, so
    /// every line feed is structure and is followed by the deeper indentation.
    static func nested(_ value: JSONValue, depth: Int) -> [UInt8] {
        var bytes = value.serialized()
        if bytes.last == 0x0A { bytes.removeLast() }
        guard bytes.contains(0x0A) else { return bytes }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            result.append(byte)
            if byte == 0x0A { result.append(contentsOf: repeatElement(0x20, count: depth * 2)) }
        }
        return result
    }

    static func time(_ date: Date?) -> JSONValue { date.map { .string(RFC3339.format($0)) } ?? .null }

    static func document(_ report: FleetReportDocument) -> JSONValue {
        var object = Dictionary(uniqueKeysWithValues: members(report))
        object["hosts"] = .array(report.hosts.map(host))
        object["products"] = .array(report.products.map(product))
        return .object(object)
    }

    /// Every top-level member but the two large arrays (`hosts`, `products`).
    static func members(_ report: FleetReportDocument) -> [(String, JSONValue)] {
        var byStatus: [String: JSONValue] = [:]
        for (status, count) in report.findingsByStatus { byStatus[status] = .integer(count) }
        let summary: [String: JSONValue] = [
            "hosts": .integer(report.hosts.count),
            "nonCompliantHosts": .integer(report.hosts.filter(\.hasViolation).count),
            "hostsHoldingRestrictedSoftware": .integer(report.hosts.filter { !$0.held.isEmpty }.count),
            "heldFindings": .integer(report.heldFindings),
            "findingsByStatus": .object(byStatus),
            "products": .integer(report.products.count),
            "verdict": .string(report.hasViolation ? "non-compliant" : "compliant"),
        ]
        return [
            ("schema", .string(FleetReportDocument.schemaIdentifier)),
            ("tool", .object(["name": .string("embargo"), "version": .string(report.toolVersion)])),
            ("generatedAt", time(report.generatedAt)),
            ("asOf", time(report.asOf)),
            (
                "sources",
                .array(
                    report.sources.map {
                        .object(["directory": .string($0.directory), "files": .integer($0.files), "entries": .integer($0.entries)])
                    })
            ),
            ("problems", .array(report.problems.map { .object(["file": .string($0.file), "message": .string($0.message)]) })),
            ("summary", .object(summary)),
        ]
    }

    static func product(_ product: FleetReportDocument.Product) -> JSONValue {
        var byStatus: [String: JSONValue] = [:]
        for (status, count) in product.byStatus { byStatus[status] = .integer(count) }
        return .object([
            "findingId": .string(product.findingID),
            "vendor": .string(product.vendor),
            "vendorName": .optional(product.vendorName),
            "product": .string(product.product),
            "productName": .optional(product.productName),
            "hostCount": .integer(product.holders.count),
            "byStatus": .object(byStatus),
            "firstSeen": time(product.firstSeen),
            "hosts": .array(
                product.holders.map {
                    .object([
                        "host": .string($0.host), "machineId": .optional($0.machineID), "root": .string($0.root),
                        "status": .string($0.status), "firstSeen": time($0.firstSeen),
                    ])
                }),
        ])
    }

    static func host(_ host: FleetReportDocument.Host) -> JSONValue {
        let lastScan: JSONValue =
            host.lastScan.map { scan in
                .object([
                    "at": time(scan.at), "scanId": .optional(scan.scanID), "verdict": .optional(scan.verdict),
                    "findings": .optional(scan.findings), "errors": .optional(scan.errors), "policyId": .optional(scan.policyID),
                    "policyVersion": .optional(scan.policyVersion), "profile": .optional(scan.profile),
                ])
            } ?? .null
        return .object([
            "hostname": .optional(host.hostname),
            "machineId": .optional(host.machineID),
            "root": .string(host.root),
            "verdict": .string(host.verdict),
            "firstEntry": time(host.firstEntry),
            "lastEntry": time(host.lastEntry),
            "entries": .integer(host.entries),
            "lastScan": lastScan,
            "lastError": host.lastError.map { .object(["at": time(host.lastErrorAt), "message": .string($0)]) } ?? .null,
            "findings": .array(host.held.map(held)),
            "resolved": .array(
                host.resolved.map {
                    .object([
                        "findingId": .string($0.findingID), "vendor": .string($0.vendor), "product": .string($0.product),
                        "productName": .optional($0.productName), "lastStatus": .optional($0.lastStatus),
                        "firstSeen": time($0.firstSeen), "resolvedAt": time($0.resolvedAt),
                    ])
                }),
        ])
    }

    static func held(_ finding: FleetReportDocument.HeldFinding) -> JSONValue {
        let waiver: JSONValue =
            finding.waiverID.map { id in
                .object(["id": .string(id), "expires": .optional(finding.waiverExpires), "expired": .bool(finding.waiverExpired)])
            } ?? .null
        return .object([
            "findingId": .string(finding.findingID),
            "vendor": .string(finding.vendor),
            "vendorName": .optional(finding.vendorName),
            "product": .string(finding.product),
            "productName": .optional(finding.productName),
            "status": .string(finding.status),
            "severity": .optional(finding.severity),
            "confidence": .optional(finding.confidence),
            "firstSeen": time(finding.firstSeen),
            "firstSeenExact": .bool(finding.firstSeenExact),
            "statusSince": time(finding.statusSince),
            "lastEntry": time(finding.lastEntry),
            "lastEvent": .string(finding.lastEvent),
            "phase": .optional(finding.phase),
            "effective": .optional(finding.effective),
            "packages": .array(finding.packageIDs.map(JSONValue.string)),
            "installedAt": .optional(finding.installedAt),
            "waiver": waiver,
        ])
    }
}

/// The fleet report as CSV (RFC 4180): one row per host and held finding, and one row with empty
/// finding columns for a host that holds nothing, so the file covers the whole fleet.
public enum FleetCSVRenderer {
    public static let header = [
        "host", "machine_id", "root", "host_verdict", "last_scan", "finding_id", "vendor", "product", "product_name", "status",
        "severity", "first_seen", "first_seen_exact", "status_since", "phase", "packages", "waiver_id", "waiver_expires",
        "waiver_expired",
    ]

    public static func render(_ report: FleetReportDocument) -> String {
        var out = line(header)
        func time(_ date: Date?) -> String { date.map(RFC3339.format) ?? "" }
        for host in report.hosts {
            let hostCells = [host.displayName, host.machineID ?? "", host.root, host.verdict, time(host.lastScan?.at)]
            if host.held.isEmpty {
                out += line(hostCells + Array(repeating: "", count: header.count - hostCells.count))
            }
            for finding in host.held {
                out += line(
                    hostCells + [
                        finding.findingID, finding.vendor, finding.product, finding.productName ?? "", finding.status,
                        finding.severity ?? "", time(finding.firstSeen), finding.firstSeenExact ? "yes" : "no",
                        time(finding.statusSince), finding.phase ?? "", finding.packageIDs.joined(separator: " "),
                        finding.waiverID ?? "", finding.waiverExpires ?? "",
                        finding.waiverID == nil ? "" : (finding.waiverExpired ? "yes" : "no"),
                    ])
            }
        }
        return out
    }

    static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// Quoted when needed; a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
    /// carriage return first) gets a leading `'`: host names and paths come from the hosts.
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}

/// The fleet report for a terminal: the verdict, the products across hosts, the hosts, and what
/// each non-compliant or holding host holds.
public enum FleetTextRenderer {
    public static func render(_ report: FleetReportDocument) -> String {
        func time(_ date: Date?) -> String { date.map(RFC3339.format) ?? "-" }
        let nonCompliant = report.hosts.filter(\.hasViolation).count
        let holding = report.hosts.filter { !$0.held.isEmpty }.count
        let statuses = report.findingsByStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        var out = "embargo fleet report\n"
        out += "hosts: \(report.hosts.count); non-compliant: \(nonCompliant); holding restricted software: \(holding)\n"
        out += "findings held: \(report.heldFindings)\(statuses.isEmpty ? "" : " (\(statuses))")\n"
        for source in report.sources {
            out += "journals: \(SingleLine.of(source.directory)) (\(source.files) file(s), \(source.entries) entries)\n"
        }
        out += "as of: \(report.asOf.map(RFC3339.format) ?? "the latest entries")\n"
        out += "verdict: \(report.hasViolation ? "NON-COMPLIANT" : "compliant")\n"

        if !report.products.isEmpty {
            out += "\nRestricted products across the fleet\n"
            var rows = [["PRODUCT", "NAME", "HOSTS", "VIOLATION", "WAIVED", "OTHER", "FIRST SEEN"]]
            for product in report.products {
                let violation = product.byStatus["violation"] ?? 0
                let waived = product.byStatus["waived"] ?? 0
                rows.append([
                    product.findingID, SingleLine.of(product.productName ?? "-"), String(product.holders.count), String(violation),
                    String(waived), String(product.holders.count - violation - waived), time(product.firstSeen),
                ])
            }
            out += TextTable.render(rows)
        }

        out += "\nHosts\n"
        var rows = [["HOST", "MACHINE", "ROOT", "VERDICT", "HELD", "LAST SCAN", "LAST ENTRY"]]
        for host in report.hosts {
            rows.append([
                SingleLine.of(host.displayName), host.machineID.map { String($0.prefix(12)) } ?? "-", SingleLine.of(host.root), host.verdict,
                String(host.held.count), time(host.lastScan?.at), time(host.lastEntry),
            ])
        }
        out += TextTable.render(rows)

        for host in report.hosts where !host.held.isEmpty || host.lastError != nil {
            out += "\n\(SingleLine.of(host.displayName))\(host.root == "/" ? "" : " (root \(SingleLine.of(host.root)))"): \(host.verdict)\n"
            if let error = host.lastError { out += "  last scan error \(time(host.lastErrorAt)): \(SingleLine.of(error))\n" }
            for finding in host.held {
                var line = "  \(finding.findingID) \(finding.status) since \(time(finding.statusSince)), first seen \(time(finding.firstSeen))"
                if !finding.firstSeenExact { line += " (or earlier)" }
                if let phase = finding.phase { line += ", phase \(phase)" }
                if !finding.packageIDs.isEmpty { line += ", packages \(SingleLine.of(finding.packageIDs.joined(separator: " ")))" }
                if let waiver = finding.waiverID {
                    line += ", waiver \(SingleLine.of(waiver)) \(finding.waiverExpired ? "EXPIRED" : "until") \(finding.waiverExpires ?? "?")"
                }
                out += line + "\n"
            }
        }
        if !report.problems.isEmpty {
            out += "\nProblems (these journal files were not read)\n"
            for problem in report.problems { out += "  \(SingleLine.of(problem.file)): \(SingleLine.of(problem.message))\n" }
        }
        return out
    }
}
