import EmbargoEvaluation
import EmbargoInventory
import EmbargoReports
import Foundation
import TestSupport
import Testing

/// Every format of the fixture report: golden files, the document digest recomputed by an
/// independent implementation, byte-identical output across runs, and the report id.
@Suite("report formats")
struct ReportFormatTests {
    static let report = ReportFixtures.report()

    static func render(_ format: ReportFormat, report: AuditReport = ReportFormatTests.report) throws -> Data {
        try ReportRenderer.render(report, format: format, inventory: .packages(ReportFixtures.packages))
    }

    @Test("the fixture has what every section needs")
    func fixtureCoversTheCases() throws {
        let statuses = Dictionary(uniqueKeysWithValues: Self.report.findings.map { ($0.product, $0.status) })
        #expect(statuses == ["kesl": .violation, "kwts": .violation, "klnagent64": .waived, "kti": .exempt])
        #expect(Self.report.findings.first { $0.product == "kwts" }?.waiver?.expired == true)
        #expect(Self.report.waivers.map(\.state) == [.active, .expired, .notYetValid])
        #expect(Self.report.findings.first { $0.product == "kesl" }?.evidence.contains { $0.locator == ReportFixtures.awkwardPath } == true)
        let changes = try #require(Self.report.changes)
        #expect(changes.findings.added.map(\.id) == ["kaspersky/klnagent64"])
        #expect(changes.packages.added.map(\.name) == ["klnagent64"])
        #expect(changes.packages.removed.map(\.name) == ["oldlib"])
        #expect(changes.packages.changed.map(\.name) == ["kesl"])
    }

    @Test("matches its golden file (volatile fields redacted)", arguments: ReportFormat.allCases)
    func golden(format: ReportFormat) throws {
        let data = try Self.render(format)
        let digest = try #require(DigestLocator.digest(in: data, format: format), "no digest in \(format)")
        let text = Goldens.redacted(String(decoding: data, as: UTF8.self), digest: digest, toolVersion: Self.report.tool.version)
        let difference = try Goldens.compare(text, name: Goldens.fileName(format))
        #expect(difference == nil, "\(difference ?? "")")
    }

    @Test("carries its own SHA-256: the bytes with the digest written as 64 zeros hash to it", arguments: ReportFormat.allCases)
    func digest(format: ReportFormat) throws {
        let data = try Self.render(format)
        let digest = try #require(DigestLocator.digest(in: data, format: format))
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit) && digest != ReportIdentity.digestPlaceholder)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.components(separatedBy: digest).count == 2, "the digest appears exactly once")
        let zeroed = Data(text.replacingOccurrences(of: digest, with: ReportIdentity.digestPlaceholder).utf8)
        #expect(try IndependentHash.sha256(zeroed) == digest)
        #expect(ReportIdentity.verify(data, digest: digest))
        // One changed byte anywhere breaks it.
        var tampered = [UInt8](data)
        tampered[tampered.count / 3] ^= 0x01
        #expect(!ReportIdentity.verify(Data(tampered), digest: digest))
    }

    @Test("the same inputs give byte-identical output", arguments: ReportFormat.allCases)
    func reproducible(format: ReportFormat) throws {
        let first = try Self.render(format)
        let second = try Self.render(format, report: ReportFixtures.report())
        #expect(first == second)
    }

    @Test("the report id is derived from the inputs: the same per format, different across formats and as-of instants")
    func reportID() throws {
        var ids: [String] = []
        for format in ReportFormat.allCases {
            let stamped = ReportRenderer.stamp(Self.report, format: format)
            let id = try #require(stamped.reportID)
            #expect(id.range(of: #"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#, options: .regularExpression) != nil, "\(id)")
            #expect(ReportRenderer.stamp(ReportFixtures.report(), format: format).reportID == id)
            ids.append(id)
            // generated-at is the scan's end, not the clock.
            #expect(stamped.generatedAt == Self.report.scan.finishedAt)
        }
        #expect(Set(ids).count == ReportFormat.allCases.count)
        var later = Self.report
        later.asOf = "2024-12-01T00:00:00Z"
        #expect(ReportRenderer.stamp(later, format: .json).reportID != ReportRenderer.stamp(Self.report, format: .json).reportID)
    }

    @Test("every format states every header field")
    func headerFields() throws {
        let report = ReportRenderer.stamp(Self.report, format: .text)
        let values = [
            report.host.hostname, report.host.osRelease?.prettyName, report.host.kernel, report.host.architecture,
            report.host.machineID, report.scan.id, report.scan.startedAt, report.scan.finishedAt, report.asOf, report.profile.id,
            report.policy.id, report.policy.sha256, report.policies.first?.version, report.policies.first?.sha256,
            report.tool.version, report.errors.first?.code,
        ].compactMap { $0 }
        #expect(values.count == 16)
        for format in ReportFormat.allCases {
            let text = String(decoding: try Self.render(format), as: UTF8.self)
            for value in values {
                #expect(text.contains(value), "\(format) lacks \(value)")
            }
            #expect(text.contains(try #require(ReportRenderer.stamp(Self.report, format: format).reportID)), "\(format) lacks its report id")
            #expect(text.contains("/opt"), "\(format) lacks the walked directories (scope)")
        }
    }

    @Test("the text format shows control characters from file names escaped, never raw")
    func terminalSafety() throws {
        let text = String(decoding: try Self.render(.text), as: UTF8.self)
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B })
        #expect(text.contains("\\x1b[31m"))
    }
}
