import EmbargoEvaluation
import EmbargoInventory
import EmbargoReports
import Foundation
import TestSupport
import Testing

/// The JSON against docs/report.schema.json, the CSV parsed back by Python's csv module, and the
/// CycloneDX against the official 1.6 schema with cyclonedx-python-lib.
@Suite("report validation")
struct ReportValidationTests {
    static let report = ReportFixtures.report()
    static let schema = ProjectPaths.root.appendingPathComponent("docs/report.schema.json")

    @Test("the JSON report validates against docs/report.schema.json", .enabled(if: JSONSchemaValidator.isAvailable, "needs python3 jsonschema"))
    func jsonSchema() throws {
        let data = try ReportRenderer.render(Self.report, format: .json)
        #expect(try JSONSchemaValidator.errors(document: data, schema: Self.schema) == [])
        // A report with no findings, changes or scope (a fresh clean scan) too.
        var bare = Self.report
        bare.findings = []
        bare.changes = nil
        bare.scope = nil
        bare.waivers = []
        let bareData = try ReportRenderer.render(bare, format: .json)
        #expect(try JSONSchemaValidator.errors(document: bareData, schema: Self.schema) == [])
    }

    @Test("the schema rejects what it should: an unknown key, a bad digest, a missing header field", .enabled(if: JSONSchemaValidator.isAvailable, "needs python3 jsonschema"))
    func schemaIsStrict() throws {
        let data = try ReportRenderer.render(Self.report, format: .json)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["surprise"] = 1
        object["reportSha256"] = "not-a-digest"
        object.removeValue(forKey: "generatedAt")
        let errors = try JSONSchemaValidator.errors(document: try JSONSerialization.data(withJSONObject: object), schema: Self.schema)
        #expect(errors.count >= 3, "\(errors)")
    }

    @Test("a v1 report stored by an earlier embargod decodes, and renders as v2")
    func readsVersion1() throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: try ReportRenderer.render(Self.report, format: .json)) as? [String: Any])
        for key in ["reportId", "generatedAt", "scope", "waivers", "changes", "period", "reportSha256"] { object.removeValue(forKey: key) }
        object["schema"] = "embargo.report/v1"
        var scan = try #require(object["scan"] as? [String: Any])
        for key in ["kind", "trigger", "inventoryScanId"] { scan.removeValue(forKey: key) }
        object["scan"] = scan
        // Rendered reports write instants as RFC 3339 text (the state database's encoder writes numbers).
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try RFC3339.parse(text)
        }
        let decoded = try decoder.decode(AuditReport.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(decoded.schema == "embargo.report/v1")
        #expect(decoded.scan.kind == "scan" && decoded.scan.inventoryScanID == decoded.scan.id)
        #expect(decoded.findings.count == Self.report.findings.count)
        let rendered = try ReportRenderer.render(decoded, format: .json)
        let again = try #require(try JSONSerialization.jsonObject(with: rendered) as? [String: Any])
        #expect(again["schema"] as? String == "embargo.report/v2")
        if JSONSchemaValidator.isAvailable {
            #expect(try JSONSchemaValidator.errors(document: rendered, schema: Self.schema) == [])
        }
    }

    // MARK: - CSV

    static func parseCSV(_ data: Data) throws -> [[String]] { try CSVParser.rows(data) }

    /// What a spreadsheet shows for a value: the leading apostrophe the renderer adds before
    /// formula characters.
    static func shown(_ value: String) -> String {
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { return "'" + value }
        return value
    }

    @Test("CSV: parsed back by Python, one evidence row per finding and evidence item, equal to the findings field by field")
    func csvRoundTrip() throws {
        let data = try ReportRenderer.render(Self.report, format: .csv)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\r\n"))
        let rows = try Self.parseCSV(data)
        let header = try #require(rows.first)
        #expect(header == CSVReportRenderer.columns)
        let records = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        #expect(records.allSatisfy { $0.count == header.count })
        let stamped = ReportRenderer.stamp(Self.report, format: .csv)

        let reportRows = records.filter { $0["record"] == "report" }
        #expect(reportRows.count == 1)
        #expect(reportRows.first?["status"] == "non-compliant")
        #expect(reportRows.first?["report_sha256"]?.count == 64)

        let evidenceRows = records.filter { $0["record"] == "evidence" }
        #expect(evidenceRows.count == Self.report.findings.map(\.evidence.count).reduce(0, +))
        var index = 0
        for finding in Self.report.findings {
            for (position, evidence) in finding.evidence.enumerated() {
                let row = evidenceRows[index]
                index += 1
                #expect(row["finding_id"] == finding.id)
                #expect(row["status"] == finding.status.rawValue)
                #expect(row["severity"] == finding.severity.rawValue)
                #expect(row["product_name"] == finding.productName)
                #expect(row["installed_at"] == (finding.installedAt.map(RFC3339.format) ?? ""))
                #expect(row["updated_at"] == (finding.updatedAt.map(RFC3339.format) ?? ""))
                #expect(row["waiver_id"] == (finding.waiver?.id ?? ""))
                #expect(row["evidence_index"] == String(position + 1))
                #expect(row["evidence_kind"] == evidence.kind.rawValue)
                #expect(row["evidence_locator"] == Self.shown(evidence.locator))
                #expect(row["identifier_value"] == Self.shown(evidence.identifier.value))
                // Policy id and version in every row: the document defining the identifier.
                #expect(row["policy_id"] == "test-kaspersky")
                #expect(row["policy_version"] == "2024.10")
                #expect(row["report_id"] == stamped.reportID)
                #expect(row["scan_id"] == Self.report.scan.id)
            }
        }
        let errorRows = records.filter { $0["record"] == "scan-error" }
        #expect(errorRows.map { $0["issue_code"] } == Self.report.errors.map(\.code))
        #expect(records.allSatisfy { $0["policy_id"]?.isEmpty == false && $0["policy_version"]?.isEmpty == false })
    }

    @Test("CSV fields: RFC 4180 quoting and formula neutralisation")
    func csvQuoting() throws {
        #expect(CSVReportRenderer.field("plain") == "plain")
        #expect(CSVReportRenderer.field("a,b") == "\"a,b\"")
        #expect(CSVReportRenderer.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVReportRenderer.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVReportRenderer.field("cr\r\nlf") == "\"cr\r\nlf\"")
        #expect(CSVReportRenderer.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVReportRenderer.field("-1+1") == "'-1+1")
        #expect(CSVReportRenderer.field("@SUM(A1)") == "'@SUM(A1)")
        let awkward = ["x,y", "q\"q", "line\nbreak", "=1+2", "", "ünïcode ✓"]
        let csv = Data((awkward.map(CSVReportRenderer.field).joined(separator: ",") + "\r\n").utf8)
        #expect(try Self.parseCSV(csv) == [awkward.map(Self.shown)])
    }

    // MARK: - CycloneDX

    static var cycloneDXAvailable: Bool { CycloneDXValidator.isAvailable }

    @Test("CycloneDX 1.6: valid against the official schema (cyclonedx-python-lib), packages as components with purls, findings as vulnerabilities")
    func cycloneDX() throws {
        try #require(Self.cycloneDXAvailable, "cyclonedx-python-lib could not be installed (pip install cyclonedx-python-lib)")
        let data = try ReportRenderer.render(Self.report, format: .cyclonedx, inventory: .packages(ReportFixtures.packages))
        #expect(try CycloneDXValidator.problems(data) == [])

        let bom = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(bom["specVersion"] as? String == "1.6")
        let stamped = ReportRenderer.stamp(Self.report, format: .cyclonedx)
        #expect(bom["serialNumber"] as? String == "urn:uuid:" + (stamped.reportID ?? ""))
        let components = try #require(bom["components"] as? [[String: Any]])
        let libraries = components.filter { $0["type"] as? String == "library" }
        #expect(libraries.count == ReportFixtures.packages.count)
        let kesl = try #require(libraries.first { $0["name"] as? String == "kesl" })
        #expect(kesl["purl"] as? String == "pkg:deb/debian/kesl@12.1.0.1297?arch=amd64&distro=debian-12")
        let bash = try #require(libraries.first { $0["name"] as? String == "bash" })
        #expect(bash["purl"] as? String == "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12")
        #expect(components.contains { $0["type"] as? String == "file" && $0["name"] as? String == "/opt/kaspersky/kesl/bin/kesl-control" })
        let vulnerabilities = try #require(bom["vulnerabilities"] as? [[String: Any]])
        #expect(vulnerabilities.count == Self.report.findings.count)
        let references = Set(components.compactMap { $0["bom-ref"] as? String } + ["host"])
        for (vulnerability, finding) in zip(vulnerabilities, Self.report.findings) {
            let properties = vulnerability["properties"] as? [[String: String]] ?? []
            #expect(properties.first { $0["name"] == "embargo:finding:status" }?["value"] == finding.status.rawValue)
            let rating = (vulnerability["ratings"] as? [[String: Any]])?.first
            #expect(rating?["severity"] as? String == finding.severity.rawValue)
            for affected in vulnerability["affects"] as? [[String: Any]] ?? [] {
                #expect(references.contains(affected["ref"] as? String ?? ""), "affects an unknown bom-ref")
            }
        }
        let waived = try #require(vulnerabilities.first { ($0["bom-ref"] as? String) == "finding:kaspersky/klnagent64" })
        #expect((waived["analysis"] as? [String: Any])?["response"] as? [String] == ["will_not_fix"])
    }

    @Test("CycloneDX from a compact package list (the full inventory pruned) is valid too")
    func cycloneDXFromIdentities() throws {
        try #require(Self.cycloneDXAvailable, "cyclonedx-python-lib could not be installed")
        let ids = ReportFixtures.packages.map(\.id) + [PackageID(type: .rpm, name: "bash", arch: "x86_64", version: "1:5.2-3.fc40")]
        let data = try ReportRenderer.render(Self.report, format: .cyclonedx, inventory: .identities(ids))
        #expect(try CycloneDXValidator.problems(data) == [])
        let bom = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let purls = (bom["components"] as? [[String: Any]] ?? []).compactMap { $0["purl"] as? String }
        #expect(purls.contains("pkg:rpm/debian/bash@5.2-3.fc40?arch=x86_64&distro=debian-12&epoch=1"))
    }
}
