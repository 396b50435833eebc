import EmbargoEvaluation
import EmbargoInventory
import EmbargoStore
import Foundation
import TestSupport
import Testing

/// The compact package list kept for every scan (state database v2): what `embargo diff`
/// compares once full inventories are pruned.
@Suite("state database: per-scan package lists")
struct PackageListTests {
    static let start = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01

    static func sqlite(_ path: String, _ sql: String) throws -> String {
        try Command.check("sqlite3", [path, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("every scan keeps its package identities after its inventory is pruned; identical lists are stored once")
    func keptAfterPruning() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        let store = try EmbargoStore(directory: directory.path)
        let lists: [[InstalledPackage]] = [
            [StoreFixtures.package("bash")],
            [StoreFixtures.package("bash")],
            [StoreFixtures.package("bash"), StoreFixtures.package("kesl", version: "12.1")],
            [StoreFixtures.package("bash", version: "5.3"), StoreFixtures.package("kesl", version: "12.1")],
        ]
        var ids: [String] = []
        for (day, packages) in lists.enumerated() {
            let commit = StoreFixtures.commit(packages: packages, at: Self.start.addingTimeInterval(Double(day) * 3600))
            ids.append(commit.scan.id)
            try store.commit(commit, retention: RetentionPolicy(inventories: 1))
        }
        #expect(try store.inventory(scanID: ids[0]) == nil, "the full inventory is pruned")
        for (id, packages) in zip(ids, lists) {
            #expect(try store.packageList(scanID: id) == packages.map(\.id).sorted())
        }
        let kept = try store.retainedData()
        #expect(kept.inventories == [ids[3]])
        #expect(kept.packageLists == Set(ids))
        if Command.isAvailable("sqlite3") {
            #expect(try Self.sqlite(store.path, "SELECT count(*) FROM package_list") == "3", "the two identical lists share a row")
        }
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test("reads for history, diff and --since: the scan before another, scans since an instant, events since an instant")
    func historyReads() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        let store = try EmbargoStore(directory: directory.path)
        var ids: [String] = []
        for day in 0..<3 {
            let commit = StoreFixtures.commit(
                packages: [StoreFixtures.package("kesl")], at: Self.start.addingTimeInterval(Double(day) * 86_400))
            ids.append(commit.scan.id)
            try store.commit(commit)
        }
        let scans = try store.scans()
        #expect(scans.map(\.id) == ids.reversed())
        #expect(try store.scan(before: scans[0])?.id == ids[1])
        #expect(try store.scan(before: scans[2]) == nil)
        #expect(try store.scans(since: Self.start.addingTimeInterval(86_400)).map(\.id) == [ids[1], ids[2]], "oldest first")
        #expect(try store.scan(startedBefore: Self.start.addingTimeInterval(86_400))?.id == ids[0])
        #expect(try store.history(since: Self.start.addingTimeInterval(86_400)).map(\.scanID) == [ids[1], ids[2]])
    }

    @Test(
        "a database written before package lists: read-only gives none; opened for writing it is migrated and back-filled from kept inventories",
        .enabled(if: Command.isAvailable("sqlite3"), "needs sqlite3"))
    func migrationFromVersion1() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-store")
        let first = StoreFixtures.commit(packages: [StoreFixtures.package("bash")], at: Self.start)
        let second = StoreFixtures.commit(
            packages: [StoreFixtures.package("bash"), StoreFixtures.package("kesl")], at: Self.start.addingTimeInterval(60))
        let path: String
        do {
            let store = try EmbargoStore(directory: directory.path)
            try store.commit(first)
            try store.commit(second)
            path = store.path
        }
        // Back to the v1 layout: no package_list table or column, migration v2 not applied.
        let v1Columns = """
            id, kind, trigger, started_at, finished_at, as_of, root, profile, policy_id, policy_version, policy_sha256,
            inventory_scan_id, package_count, finding_count, violation_count, counts, error_count, warning_count,
            found_count, changed_count, resolved_count, report
            """
        _ = try Self.sqlite(
            path,
            """
            PRAGMA foreign_keys=OFF;
            CREATE TABLE scan_v1 (
              id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, trigger TEXT NOT NULL, started_at REAL NOT NULL,
              finished_at REAL NOT NULL, as_of REAL NOT NULL, root TEXT NOT NULL, profile TEXT NOT NULL,
              policy_id TEXT NOT NULL, policy_version TEXT NOT NULL, policy_sha256 TEXT NOT NULL,
              inventory_scan_id TEXT NOT NULL, package_count INTEGER NOT NULL, finding_count INTEGER NOT NULL,
              violation_count INTEGER NOT NULL, counts BLOB NOT NULL, error_count INTEGER NOT NULL,
              warning_count INTEGER NOT NULL, found_count INTEGER NOT NULL, changed_count INTEGER NOT NULL,
              resolved_count INTEGER NOT NULL, report BLOB NOT NULL);
            INSERT INTO scan_v1 SELECT \(v1Columns) FROM scan;
            DROP TABLE scan;
            ALTER TABLE scan_v1 RENAME TO scan;
            DROP TABLE package_list;
            DELETE FROM inventory WHERE scan_id = '\(first.scan.id)';
            DELETE FROM grdb_migrations WHERE identifier = 'v2';
            """)
        do {
            let readOnly = try EmbargoStore(path: path, readOnly: true)
            #expect(try readOnly.packageList(scanID: second.scan.id) == nil)
            #expect(try readOnly.retainedData().packageLists.isEmpty)
            #expect(try readOnly.scans().count == 2, "the rest reads as before")
        }
        let migrated = try EmbargoStore(path: path)
        #expect(try migrated.packageList(scanID: second.scan.id) == second.inventory?.packages.map(\.id).sorted())
        #expect(try migrated.packageList(scanID: first.scan.id) == nil, "its inventory was gone before the migration")
        // New scans get their list as usual.
        let third = StoreFixtures.commit(packages: [StoreFixtures.package("bash")], at: Self.start.addingTimeInterval(120))
        try migrated.commit(third)
        #expect(try migrated.packageList(scanID: third.scan.id)?.map(\.name) == ["bash"])
    }
}
