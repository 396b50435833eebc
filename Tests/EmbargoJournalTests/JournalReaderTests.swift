import EmbargoJournal
import Foundation
import TestSupport
import Testing

private let journalRemote = "/lib/systemd/systemd-journal-remote"

/// The reader against real journal files, made by systemd-journal-remote from export-format
/// entries built by ``JournalEntries`` (fixed timestamps, no daemon needed).
@Suite("journal reader", .enabled(if: FileManager.default.isExecutableFile(atPath: journalRemote), "needs systemd-journal-remote"))
struct JournalReaderTests {
    /// Writes entries with the given realtime stamps into `<directory>/test.journal`.
    static func journal(_ entries: [(JournalEntry, String)]) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "embargo-journal")
        var export = ""
        for (index, (entry, time)) in entries.enumerated() {
            let microseconds = UInt64((try RFC3339Parse.date(time)).timeIntervalSince1970 * 1_000_000)
            export += "__REALTIME_TIMESTAMP=\(microseconds)\n__MONOTONIC_TIMESTAMP=\(index + 1)\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
            for field in entry.fields { export += "\(field.name)=\(field.value)\n" }
            export += "\n"
        }
        let input = try directory.write("input.export", export)
        try Command.check(journalRemote, ["-o", directory.path + "/test.journal", input.path])
        try FileManager.default.removeItem(at: input)
        return directory
    }

    @Test("every field comes back, repeated ones with every value; matches OR within a field, AND across")
    func readBack() throws {
        let entries = try JournalEntriesTests.allEntries()
        let directory = try Self.journal(entries.enumerated().map { ($1, "2025-01-0\(min($0 + 1, 9))T00:00:00Z") })
        let reader = try JournalReader(.directory(directory.path))
        var records: [JournalRecord] = []
        while let record = try reader.next() { records.append(record) }
        #expect(records.count == entries.count)
        for (entry, record) in zip(entries, records) {
            for name in Set(entry.fields.map(\.name)) {
                #expect(record.values(name).sorted() == entry.values(name).sorted(), "\(name)")
            }
            #expect(record.cursor != nil)
        }
        #expect(records.first?.realtime == (try RFC3339Parse.date("2025-01-01T00:00:00Z")))

        // OR within a field, AND across fields.
        let filtered = try JournalReader(.files([directory.path + "/test.journal"]))
        try filtered.addMatch("MESSAGE_ID", JournalEvent.findingFound.messageID)
        try filtered.addMatch("MESSAGE_ID", JournalEvent.findingResolved.messageID)
        try filtered.addMatch(EmbargoField.product, "kesl")
        var matched: [String] = []
        while let record = try filtered.next() { matched.append(record.value(EmbargoField.event) ?? "?") }
        #expect(matched == ["finding-found", "finding-resolved"])
    }

    @Test("FindingLog: finding events only, filtered by vendor, status and time")
    func findingLog() throws {
        let entries = try JournalEntriesTests.allEntries()
        let directory = try Self.journal(entries.enumerated().map { ($1, "2025-01-0\(min($0 + 1, 9))T00:00:00Z") })
        let all = try FindingLog.read(.directory(directory.path), query: FindingQuery())
        #expect(all.map(\.event) == ["finding-found", "finding-changed", "finding-resolved", "phase-upcoming", "waiver-expired"])
        #expect(try FindingLog.read(.directory(directory.path), query: FindingQuery(statuses: ["resolved"])).map(\.event) == ["finding-resolved"])
        #expect(try FindingLog.read(.directory(directory.path), query: FindingQuery(vendors: ["nobody"])).isEmpty)
        let since = try FindingLog.read(
            .directory(directory.path),
            query: FindingQuery(since: try RFC3339Parse.date("2025-01-03T00:00:00Z"), until: try RFC3339Parse.date("2025-01-04T00:00:00Z")))
        #expect(since.map(\.event) == ["finding-resolved", "phase-upcoming"])
        let upcoming = try #require(all.first { $0.event == "phase-upcoming" })
        #expect(upcoming.daysUntil == 19)
        #expect(upcoming.time == "2025-01-04T00:00:00Z")
    }

    @Test("an empty or missing directory: no entries; a file that is not a journal: an error with the source")
    func missingAndBroken() throws {
        let empty = try TemporaryDirectory(prefix: "embargo-journal")
        #expect(try FindingLog.read(.directory(empty.path), query: FindingQuery()).isEmpty)
        let broken = try empty.write("broken.journal", String(repeating: "x", count: 4096))
        #expect(throws: JournalReadError.self) {
            let reader = try JournalReader(.files([broken.path]))
            _ = try reader.next()
        }
    }
}

enum RFC3339Parse {
    static func date(_ text: String) throws -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { throw SandboxError("bad date \(text)") }
        return date
    }
}
