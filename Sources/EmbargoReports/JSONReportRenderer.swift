import EmbargoInventory
import Foundation

/// Renders values as stable JSON: sorted keys, RFC 3339 dates, no escaped slashes, so the same
/// inputs give byte-identical output.
public enum StableJSON {
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}

/// The machine-readable report (`--format json`), described by `docs/report.schema.json`.
public enum JSONReportRenderer {
    public static func render(_ report: AuditReport) throws -> Data {
        try ReportRenderer.render(report, format: .json)
    }
}
