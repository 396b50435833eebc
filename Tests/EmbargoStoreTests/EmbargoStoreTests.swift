import EmbargoEvaluation
import EmbargoInventory
import EmbargoStore
import Foundation
import TestSupport
import Testing

@Suite("state database")
struct EmbargoStoreTests {
    @Test("a committed scan reads back whole: record, report, findings, inventory, state, history")
    func roundTrip() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        let date = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
        let commit = StoreFixtures.commit(
            packages: [StoreFixtures.package("kesl", version: "12.1.0.1297"), StoreFixtures.package("bash")], at: date)
        do {
            let store = try EmbargoStore(directory: directory.path)
            try store.commit(commit)
        }
        // Reopened, read-only, as `embargo history` would.
        let store = try EmbargoStore(directory: directory.path, readOnly: true)
        let scans = try store.scans()
        #expect(scans == [commit.scan])
        #expect(try store.scan(id: commit.scan.id) == commit.scan)
        #expect(try store.scan(id: String(commit.scan.id.prefix(6))) == commit.scan)
        #expect(try store.scan(id: "no-such-scan") == nil)
        #expect(try store.scan(id: "%") == nil, "LIKE wildcards are taken literally")
        let report = try #require(try store.report(scanID: commit.scan.id))
        #expect(report.findings == commit.report.findings)
        #expect(report.errors == commit.report.errors)
        #expect(report.policy == commit.report.policy)
        #expect(try store.findings(scanID: commit.scan.id).map(\.product) == ["kesl"])
        let inventory = try #require(try store.inventory(scanID: commit.scan.id))
        #expect(inventory.packages == commit.inventory?.packages)
        #expect(inventory.files == commit.inventory?.files)
        #expect(inventory.issues == commit.inventory?.issues)
        #expect(try store.latestInventory()?.scan.id == commit.scan.id)
        let tracked = try store.trackedFindings()
        #expect(tracked.map(\.id) == ["kaspersky/kesl"])
        #expect(tracked.first?.finding == commit.report.findings.first)
        #expect(try store.history(findingID: "kaspersky/kesl").map(\.event) == ["finding-found"])
        #expect(try store.pendingOutbox().map { String(decoding: $0.payload, as: UTF8.self) } == ["entry-\(commit.scan.id)"])
        #expect(try store.integrityProblems().isEmpty)
        // WAL mode: readers never block the writer, and a crash keeps the last commit.
        #expect(FileManager.default.fileExists(atPath: directory.path + "/embargo.sqlite-wal"))
    }

    @Test("retention: inventories of the last N scans, old scans pruned, the latest and referenced ones kept")
    func retention() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        let store = try EmbargoStore(directory: directory.path)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var ids: [String] = []
        for day in 0..<5 {
            let commit = StoreFixtures.commit(
                packages: day == 0 ? [StoreFixtures.package("kesl")] : [StoreFixtures.package("bash")],
                at: start.addingTimeInterval(Double(day) * 86_400 * 10))
            ids.append(commit.scan.id)
            // Only the first scan touches the kesl finding: it stays referenced.
            try store.commit(commit, retention: RetentionPolicy(inventories: 2, scanDays: 15))
        }
        let kept = try store.scans().map(\.id)
        #expect(kept.contains(ids[0]), "referenced by a finding's last scan")
        #expect(!kept.contains(ids[1]) && !kept.contains(ids[2]), "older than 15 days and unreferenced: \(kept)")
        #expect(kept.contains(ids[3]) && kept.contains(ids[4]))
        #expect(try store.inventory(scanID: ids[4]) != nil)
        #expect(try store.inventory(scanID: ids[3]) != nil)
        #expect(try store.inventory(scanID: ids[0]) == nil)
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test("the outbox keeps order and forgets delivered items")
    func outbox() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        let store = try EmbargoStore(directory: directory.path)
        try store.enqueue(["a", "b", "c"].map { Data($0.utf8) })
        let items = try store.pendingOutbox()
        #expect(items.map { String(decoding: $0.payload, as: UTF8.self) } == ["a", "b", "c"])
        try store.removeFromOutbox([items[0].id, items[2].id])
        #expect(try store.pendingOutbox().map { String(decoding: $0.payload, as: UTF8.self) } == ["b"])
    }

    @Test("a file that is not a database is an error with its path, not a crash")
    func corruptFile() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        try directory.write("embargo.sqlite", String(repeating: "not a database ", count: 100))
        do {
            let store = try EmbargoStore(directory: directory.path)
            _ = try store.scans()
            Issue.record("a corrupt file was accepted")
        } catch {
            #expect(error.path.hasSuffix("embargo.sqlite"))
        }
    }
}
