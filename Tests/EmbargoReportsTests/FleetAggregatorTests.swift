import EmbargoInventory
import Foundation
import Testing

@testable import EmbargoReports

/// The replay of one host's entries and the JSON writer, on entries built directly (the journal
/// files themselves are tested in EmbargodTests/FleetReportTests).
@Suite("fleet aggregation")
struct FleetAggregatorTests {
    static let host = FleetHostKey(identity: "machine:" + String(repeating: "a", count: 32), root: "/")

    static func at(_ text: String) -> Date { (try? RFC3339.parse(text)) ?? Date(timeIntervalSince1970: 0) }

    static func entry(
        _ kind: FleetEntry.Kind, _ time: String, sequence: Int, status: String? = nil, product: String = "kesl",
        host: FleetHostKey = host, waiver: String? = nil
    ) -> FleetEntry {
        var entry = FleetEntry(kind: kind, time: at(time), host: host, hostname: "alpha", machineID: String(repeating: "a", count: 32), sequence: sequence)
        if kind.isFindingEvent {
            entry.findingID = "kaspersky/\(product)"
            entry.vendor = "kaspersky"
            entry.product = product
            entry.productName = "Product \(product)"
            entry.status = status
            entry.packageIDs = ["deb:\(product):amd64@1.0"]
            entry.waiverID = waiver
            entry.waiverExpires = waiver.map { _ in "2025-01-01T00:00:00Z" }
        } else {
            entry.verdict = status
        }
        return entry
    }

    func report(_ entries: [FleetEntry], asOf: Date? = nil) -> FleetReportDocument {
        FleetAggregator(asOf: asOf).aggregate(entries, sources: [], problems: [], toolVersion: "test", generatedAt: Self.at("2025-01-01T00:00:00Z"))
    }

    @Test("entries are replayed in time order whatever order they were read in")
    func timeOrder() throws {
        let entries = [
            Self.entry(.findingChanged, "2024-10-01T00:00:00Z", sequence: 1, status: "violation"),
            Self.entry(.findingFound, "2024-07-01T00:00:00Z", sequence: 2, status: "upcoming"),
        ]
        let held = try #require(report(entries).hosts.first?.held.first)
        #expect(held.status == "violation")
        #expect(held.firstSeen == Self.at("2024-07-01T00:00:00Z"))
        #expect(held.firstSeenExact)
        #expect(held.statusSince == Self.at("2024-10-01T00:00:00Z"))
    }

    @Test("a found entry delivered twice keeps the first; a finding found again after resolution starts anew")
    func duplicatesAndReappearance() throws {
        let twice = report([
            Self.entry(.findingFound, "2024-07-01T00:00:00Z", sequence: 1, status: "violation"),
            Self.entry(.findingFound, "2024-07-01T00:05:00Z", sequence: 2, status: "violation"),
        ])
        #expect(twice.hosts.first?.held.first?.firstSeen == Self.at("2024-07-01T00:00:00Z"))
        let again = report([
            Self.entry(.findingFound, "2024-07-01T00:00:00Z", sequence: 1, status: "violation"),
            Self.entry(.findingResolved, "2024-08-01T00:00:00Z", sequence: 2, status: "resolved"),
            Self.entry(.findingFound, "2024-09-01T00:00:00Z", sequence: 3, status: "violation"),
        ])
        let host = try #require(again.hosts.first)
        #expect(host.held.first?.firstSeen == Self.at("2024-09-01T00:00:00Z"))
        #expect(host.resolved.isEmpty, "held again: no longer in the resolved list")
    }

    @Test("a finding whose found entry is gone is held from its earliest entry, marked inexact")
    func rotatedJournal() throws {
        let held = try #require(
            report([Self.entry(.phaseUpcoming, "2024-09-22T00:00:00Z", sequence: 1, status: "upcoming")]).hosts.first?.held.first)
        #expect(held.firstSeen == Self.at("2024-09-22T00:00:00Z"))
        #expect(!held.firstSeenExact)
    }

    @Test("a resolution with no earlier entry is a resolved finding, not a held one")
    func resolutionOnly() throws {
        var entry = Self.entry(.findingResolved, "2024-10-01T00:00:00Z", sequence: 1, status: "resolved")
        entry.firstSeen = "2024-07-01T00:00:00Z"
        let host = try #require(report([entry]).hosts.first)
        #expect(host.held.isEmpty)
        #expect(host.resolved.first?.firstSeen == Self.at("2024-07-01T00:00:00Z"))
        #expect(host.verdict == "compliant")
    }

    @Test("waivers: waived while active, expired after a waiver-expired entry, gone when a later entry names none")
    func waivers() throws {
        let waived = report([Self.entry(.findingFound, "2024-10-01T00:00:00Z", sequence: 1, status: "waived", waiver: "W-1")])
        #expect(waived.hosts.first?.held.first?.waiverExpired == false)
        #expect(waived.hasViolation == false)
        let expired = report([
            Self.entry(.findingFound, "2024-10-01T00:00:00Z", sequence: 1, status: "waived", waiver: "W-1"),
            Self.entry(.waiverExpired, "2025-01-01T00:00:00Z", sequence: 2, status: "violation", waiver: "W-1"),
        ])
        #expect(expired.hosts.first?.held.first?.waiverExpired == true)
        #expect(expired.hasViolation)
        let removed = report([
            Self.entry(.findingFound, "2024-10-01T00:00:00Z", sequence: 1, status: "waived", waiver: "W-1"),
            Self.entry(.findingChanged, "2024-11-01T00:00:00Z", sequence: 2, status: "violation"),
        ])
        #expect(removed.hosts.first?.held.first?.waiverID == nil)
    }

    @Test("the last scan error is shown only when newer than the last completed scan")
    func scanErrors() throws {
        var error = Self.entry(.scanError, "2024-10-01T00:00:00Z", sequence: 1)
        error.message = "cannot open the root"
        let newer = report([Self.entry(.scanCompleted, "2024-09-01T00:00:00Z", sequence: 2, status: "compliant"), error])
        #expect(newer.hosts.first?.lastError == "cannot open the root")
        let older = report([error, Self.entry(.scanCompleted, "2024-11-01T00:00:00Z", sequence: 2, status: "compliant")])
        #expect(older.hosts.first?.lastError == nil)
    }

    @Test("the streamed JSON is byte for byte the document's serialization, at any chunk size")
    func streamedJSON() throws {
        var entries: [FleetEntry] = []
        for index in 0..<40 {
            let key = FleetHostKey(identity: "machine:\(index)", root: index % 7 == 0 ? "/srv/image \"q\"" : "/")
            entries.append(Self.entry(.findingFound, "2024-07-01T00:00:00Z", sequence: index * 3, status: index % 3 == 0 ? "violation" : "waived", host: key, waiver: index % 3 == 0 ? nil : "W-\(index)"))
            entries.append(Self.entry(.scanCompleted, "2024-07-01T00:01:00Z", sequence: index * 3 + 1, status: "non-compliant", host: key))
            if index % 5 == 0 {
                entries.append(Self.entry(.findingResolved, "2024-08-01T00:00:00Z", sequence: index * 3 + 2, status: "resolved", host: key))
            }
        }
        let document = report(entries)
        let expected = FleetJSONRenderer.document(document).serialized()
        #expect(FleetJSONRenderer.render(document) == expected)
        var chunks = 0
        var streamed: [UInt8] = []
        FleetJSONRenderer.write(document, chunkSize: 512) {
            chunks += 1
            streamed += $0
        }
        #expect(streamed == expected)
        #expect(chunks > 5)
        let empty = report([])
        #expect(FleetJSONRenderer.render(empty) == FleetJSONRenderer.document(empty).serialized())
    }

    @Test("CSV cells: quoted when needed, spreadsheet formulas defused")
    func csvCells() {
        #expect(FleetCSVRenderer.cell("plain") == "plain")
        #expect(FleetCSVRenderer.cell("a,b") == "\"a,b\"")
        #expect(FleetCSVRenderer.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(FleetCSVRenderer.cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0")
        #expect(FleetCSVRenderer.cell("@SUM(1)") == "'@SUM(1)")
        #expect(FleetCSVRenderer.cell("line\nbreak") == "\"line\nbreak\"")
    }
}
