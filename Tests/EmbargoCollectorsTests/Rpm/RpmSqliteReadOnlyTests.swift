import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

/// Reading `rpmdb.sqlite` must leave the audited directory exactly as it was: same bytes, same
/// names, no `-wal` or `-shm` created.
@Suite("rpmdb.sqlite is read without a trace")
struct RpmSqliteReadOnlyTests {
    /// Name, size, modification time and SHA-256 of every entry of a directory.
    static func snapshot(_ directory: URL) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { name in
            let url = directory.appendingPathComponent(name)
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name) \(size) \(modified) \(try RpmFixtures.sha256(url))"
        }
    }

    @Test func leavesNoFilesBehind() async throws {
        let root = try RpmFixtures.root(with: RpmFixtures.shared("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"))
        let directory = root.url.appendingPathComponent("var/lib/rpm")
        let before = try Self.snapshot(directory)
        #expect(before.count == 1)
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.count == 129)
        #expect(try Self.snapshot(directory) == before)
    }

    /// Even in a directory the scanner could write to, and with the database in WAL mode
    /// (as rpm leaves it), nothing appears beside it.
    @Test func leavesNoFilesBesideWalModeDatabase() async throws {
        let root = try RpmFixtures.root(with: RpmFixtures.shared("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"))
        let directory = root.url.appendingPathComponent("var/lib/rpm")
        let header = try FileHandle(forReadingFrom: directory.appendingPathComponent("rpmdb.sqlite")).read(upToCount: 20) ?? Data()
        #expect(header.count == 20 && header[18] == 2 && header[19] == 2, "fixture is a WAL-mode database")
        // rpm itself leaves an empty -wal and a -shm beside the database after a transaction.
        try root.write("var/lib/rpm/rpmdb.sqlite-wal", Data())
        let before = try Self.snapshot(directory)
        for _ in 0..<3 { _ = try await RpmFixtures.collect(root) }
        #expect(try Self.snapshot(directory) == before)
    }

    /// Committed transactions still in the write-ahead log (rpm running or killed) are seen: the
    /// database and its log are read from a private copy, and the originals are untouched.
    @Test(.enabled(if: Command.isAvailable("python3"), "python3 is needed to leave a committed write-ahead log behind: apt-get install -y python3"))
    func readsCommittedLogWithoutTouchingIt() async throws {
        let root = try RpmFixtures.root(with: RpmFixtures.shared("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"))
        let directory = root.url.appendingPathComponent("var/lib/rpm")
        let database = directory.appendingPathComponent("rpmdb.sqlite").path
        // Delete curl in a transaction that stays in the log: the writer exits without a checkpoint.
        let script = """
            import os, sqlite3, sys
            connection = sqlite3.connect(sys.argv[1], isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            hnum = connection.execute("SELECT hnum FROM Name WHERE key = 'curl'").fetchone()[0]
            connection.execute("PRAGMA foreign_keys=OFF")
            connection.execute("DELETE FROM Packages WHERE hnum = ?", (hnum,))
            os._exit(0)
            """
        try Command.check("python3", ["-c", script, database])
        let walSize = (try FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(walSize > 0)
        let before = try Self.snapshot(directory)
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.issues.isEmpty, "\(output.inventory.issues)")
        #expect(!output.inventory.packages.contains { $0.name == "curl" })
        #expect(output.inventory.packages.count == 128)
        #expect(try Self.snapshot(directory) == before)
    }

    @Test func refusesNonDatabaseWithTypedError() async throws {
        let root = try TemporaryDirectory(prefix: "embargo-rpm-sqlite")
        try root.write("var/lib/rpm/rpmdb.sqlite", Data("SQLite format 3\0 but not really".utf8) + Data(repeating: 7, count: 5000))
        let directory = root.url.appendingPathComponent("var/lib/rpm")
        let before = try Self.snapshot(directory)
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.isEmpty)
        let issue = try #require(output.inventory.issues.first)
        #expect(issue.location.path == "/var/lib/rpm/rpmdb.sqlite")
        #expect(issue.code.hasPrefix("rpm."))
        #expect(try Self.snapshot(directory) == before)
    }
}
