import Crypto
import EmbargoInventory
import Foundation

/// The formats `embargo report` writes.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text
    case json
    case csv
    case html
    case cyclonedx
}

/// The packages a report can list (CycloneDX components): the full inventory while the state
/// database keeps it, else the scan's compact package list, else nothing (with the reason).
public enum ReportInventory: Sendable {
    case packages([InstalledPackage])
    case identities([PackageID])
    case unavailable(String)
}

/// Stamps a report's document fields and writes it in a format.
///
/// The same inputs give the same bytes: the report id is derived from the inputs
/// (``ReportIdentity``), `generatedAt` is the end of the reported scan, and nothing reads the
/// clock. The document's own SHA-256 (``AuditReport/reportSHA256``) is computed over the
/// document as written with 64 `0` characters in place of the digest; the digest then replaces
/// them (the document is written a second time, identical but for those 64 characters).
public enum ReportRenderer {
    public static func render(_ report: AuditReport, format: ReportFormat, inventory: ReportInventory? = nil) throws -> Data {
        var stamped = stamp(report, format: format)
        let inventory = inventory ?? .unavailable("the inventory was not given to the renderer")
        stamped.reportSHA256 = ReportIdentity.digestPlaceholder
        let draft = try body(stamped, format: format, inventory: inventory)
        stamped.reportSHA256 = ReportIdentity.sha256(draft)
        return try body(stamped, format: format, inventory: inventory)
    }

    /// The report with its schema, id and generated-at instant set for a format.
    public static func stamp(_ report: AuditReport, format: ReportFormat) -> AuditReport {
        var stamped = report
        stamped.schema = AuditReport.schemaIdentifier
        stamped.generatedAt = report.generatedAt ?? report.scan.finishedAt
        stamped.reportID = ReportIdentity.reportID(for: stamped, format: format)
        return stamped
    }

    static func body(_ report: AuditReport, format: ReportFormat, inventory: ReportInventory) throws -> Data {
        switch format {
        case .text: return Data(TextReportRenderer.renderFull(report).utf8)
        case .json: return try StableJSON.encode(report)
        case .csv: return Data(CSVReportRenderer.render(report).utf8)
        case .html: return Data(HTMLReportRenderer.render(report).utf8)
        case .cyclonedx: return Data(CycloneDXRenderer.render(report, inventory: inventory).serialized())
        }
    }
}

/// Derived identities: the report id and the document digest.
public enum ReportIdentity {
    /// Written where the digest goes while the digest is computed.
    public static let digestPlaceholder = String(repeating: "0", count: 64)

    /// A name-based UUID (RFC 9562 version 8, SHA-256 based) over what determines the report's
    /// content: the scan, the policy set's SHA-256, the profile, the as-of instant, the format,
    /// and the baseline and period of a comparison. The same inputs give the same id; a
    /// different format is a different document and gets a different id.
    public static func reportID(for report: AuditReport, format: ReportFormat) -> String {
        let name = [
            "embargo.report", report.scan.id, report.policy.sha256, report.profile.id, report.asOf, format.rawValue,
            report.changes?.from.id ?? "", report.period?.since ?? "",
        ].joined(separator: "\n")
        return nameBasedUUID(name)
    }

    /// RFC 9562 §5.8 with the SHA-256 construction of its appendix B.2: the first 16 bytes of
    /// SHA-256(name), version 8, variant 10.
    public static func nameBasedUUID(_ name: String) -> String {
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return uuidString(bytes)
    }

    static func uuidString(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a document's digest as a reader would: replace its one occurrence by the
    /// placeholder and hash.
    public static func verify(_ document: Data, digest: String) -> Bool {
        let bytes = [UInt8](document)
        let needle = [UInt8](digest.utf8)
        guard needle.count == 64 else { return false }
        var occurrences: [Int] = []
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0] && Array(bytes[index..<(index + needle.count)]) == needle {
                occurrences.append(index)
                index += needle.count
            } else {
                index += 1
            }
        }
        guard occurrences.count == 1, let at = occurrences.first else { return false }
        var zeroed = bytes
        zeroed.replaceSubrange(at..<(at + 64), with: [UInt8](digestPlaceholder.utf8))
        return sha256(Data(zeroed)) == digest
    }
}
