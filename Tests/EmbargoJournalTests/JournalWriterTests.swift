import EmbargoJournal
import Foundation
import Synchronization
import Testing

/// Without journald, `sd_journal_sendv` returns 0: the writer must not believe it. (With a
/// journald, the daemon tests read every entry back.)
@Suite("journal writer", .enabled(if: !JournalWriter.socketExists(), "a journald runs here; the daemon tests cover delivery"))
struct JournalWriterTests {
    final class Reports: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test("no socket: unavailable, counted, reported once, each message echoed once")
    func noSocket() {
        let reports = Reports()
        let writer = JournalWriter(report: { line in reports.lines.withLock { $0.append(line) } })
        var entry = JournalEntry()
        entry.append("MESSAGE", "first")
        entry.append("bad-name", "dropped")
        let result = writer.send(entry)
        #expect(result == .unavailable("no journald socket at /run/systemd/journal/socket"))
        #expect(!writer.isAvailable)
        var second = JournalEntry()
        second.append("MESSAGE", "second")
        writer.send(second)
        writer.send(second, retry: true)
        let statistics = writer.statistics
        #expect(statistics.delivered == 0)
        #expect(statistics.undelivered == 2, "a retry is not counted twice")
        #expect(statistics.invalidFields == 1)
        let lines = reports.lines.withLock { $0 }
        #expect(lines.filter { $0.contains("the journal is not available") }.count == 1)
        #expect(lines.filter { $0.hasSuffix("not in the journal: second") }.count == 1)
        #expect(lines.contains { $0.contains("invalid names left out: bad-name") })
    }
}
