import Crypto
import EmbargoEvaluation
import EmbargoInventory
import EmbargoReports
import Foundation
import GRDB

/// A failure of the state database, with the file and the operation.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var reason: String

    public var description: String { "\(path): \(operation): \(reason)" }
}

/// Everything one scan or re-evaluation changes, written in one transaction.
public struct ScanCommit: Sendable {
    public var scan: ScanRecord
    public var report: AuditReport
    /// The inventory read by a scan; nil for a re-evaluation (it judged a stored one).
    public var inventory: Inventory?
    /// The new state of every finding the scan touched (present, changed or resolved).
    public var tracked: [TrackedFinding]
    public var history: [FindingHistoryEntry]
    /// Messages to deliver after the commit (see ``OutboxItem``).
    public var outbox: [Data]

    public init(
        scan: ScanRecord, report: AuditReport, inventory: Inventory?, tracked: [TrackedFinding],
        history: [FindingHistoryEntry], outbox: [Data]
    ) {
        self.scan = scan
        self.report = report
        self.inventory = inventory
        self.tracked = tracked
        self.history = history
        self.outbox = outbox
    }
}

/// How much history to keep.
public struct RetentionPolicy: Sendable, Hashable {
    /// Inventories of this many most recent scans are kept (at least 1: re-evaluation needs it).
    public var inventories: Int
    /// Scans (and their reports) older than this many days are pruned; the latest is always kept.
    public var scanDays: Int

    public init(inventories: Int = 3, scanDays: Int = 400) {
        self.inventories = max(1, inventories)
        self.scanDays = max(1, scanDays)
    }
}

/// embargod's state: scans, their reports and inventories, the differential state of each
/// finding with its status history, and the journal outbox. SQLite in WAL mode; every scan is
/// one transaction, so `kill -9` at any moment leaves the last complete scan intact.
///
/// The read API is what `embargo history`, `embargo diff A B` and `embargo report` need:
/// ``scans(limit:)``, ``scans(since:limit:)``, ``scan(id:)``, ``scan(before:)``,
/// ``report(scanID:)``, ``findings(scanID:)``, ``inventory(scanID:)``, ``packageList(scanID:)``
/// (kept for every scan, unlike inventories), ``retainedData()``, ``history(findingID:limit:)``,
/// ``history(since:limit:)``.
public final class EmbargoStore: Sendable {
    /// The database file name inside the state directory.
    public static let fileName = "embargo.sqlite"

    public let path: String
    private let pool: DatabasePool

    /// Opens (creating when needed) `<directory>/embargo.sqlite`.
    public convenience init(directory: String, readOnly: Bool = false) throws(StoreError) {
        if !readOnly {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(path: directory, operation: "create the state directory", reason: error.localizedDescription)
            }
        }
        try self.init(path: (directory as NSString).appendingPathComponent(Self.fileName), readOnly: readOnly)
    }

    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.label = "embargo-state"
        configuration.maximumReaderCount = 2
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try Self.migrator.migrate(pool) }
        } catch {
            throw StoreError(path: path, operation: "open", reason: "\(error)")
        }
    }

    // MARK: - Writing

    /// Writes a scan and everything it changed in one transaction, then prunes old history.
    public func commit(_ commit: ScanCommit, retention: RetentionPolicy = RetentionPolicy()) throws(StoreError) {
        let encoder = Self.encoder
        do {
            let report = try encoder.encode(commit.report)
            let counts = try encoder.encode(commit.scan.countsByStatus)
            let inventory = try commit.inventory.map { try encoder.encode($0) }
            let packageList = try commit.inventory.map { try PackageList.encode($0.packages.map(\.id)) }
            let tracked = try commit.tracked.map { ($0, try encoder.encode($0.finding), try encoder.encode($0.reminders.sorted())) }
            try pool.write { db in
                let scan = commit.scan
                // The scan's package list: its own (stored once per distinct list), or, for a
                // re-evaluation, the list of the scan whose inventory it judged.
                let listDigest: String?
                if let packageList {
                    listDigest = packageList.digest
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO package_list (digest, count, ids) VALUES (?, ?, ?)",
                        arguments: [packageList.digest, packageList.count, packageList.data])
                } else {
                    listDigest = try String.fetchOne(
                        db, sql: "SELECT package_list FROM scan WHERE id = ?", arguments: [scan.inventoryScanID])
                }
                try db.execute(
                    sql: """
                        INSERT INTO scan (id, kind, trigger, started_at, finished_at, as_of, root, profile, policy_id,
                          policy_version, policy_sha256, inventory_scan_id, package_count, finding_count, violation_count,
                          counts, error_count, warning_count, found_count, changed_count, resolved_count, report, package_list)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        scan.id, scan.kind.rawValue, scan.trigger, Self.seconds(scan.startedAt), Self.seconds(scan.finishedAt),
                        Self.seconds(scan.asOf), scan.root,
                        scan.profile, scan.policyID, scan.policyVersion, scan.policySHA256, scan.inventoryScanID,
                        scan.packageCount, scan.findingCount, scan.violationCount, counts, scan.errorCount,
                        scan.warningCount, scan.foundCount, scan.changedCount, scan.resolvedCount, report, listDigest,
                    ])
                if let inventory {
                    try db.execute(
                        sql: "INSERT INTO inventory (scan_id, format, data) VALUES (?, 'json', ?)", arguments: [scan.id, inventory])
                }
                for finding in commit.report.findings {
                    try db.execute(
                        sql: """
                            INSERT INTO scan_finding (scan_id, finding_id, vendor, product, status, severity, phase)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            scan.id, finding.id, finding.vendor, finding.product, finding.status.rawValue,
                            finding.severity.rawValue, Self.phaseKey(finding),
                        ])
                }
                for (state, findingJSON, remindersJSON) in tracked {
                    try db.execute(
                        sql: """
                            INSERT INTO finding (id, vendor, product, status, severity, phase, first_seen, last_seen,
                              resolved_at, last_scan_id, reminders, finding)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT(id) DO UPDATE SET vendor = excluded.vendor, product = excluded.product,
                              status = excluded.status, severity = excluded.severity, phase = excluded.phase,
                              first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                              resolved_at = excluded.resolved_at, last_scan_id = excluded.last_scan_id,
                              reminders = excluded.reminders, finding = excluded.finding
                            """,
                        arguments: [
                            state.id, state.finding.vendor, state.finding.product, state.finding.status.rawValue,
                            state.finding.severity.rawValue, Self.phaseKey(state.finding), Self.seconds(state.firstSeen),
                            Self.seconds(state.lastSeen), state.resolvedAt.map(Self.seconds), state.lastScanID, remindersJSON,
                            findingJSON,
                        ])
                }
                for entry in commit.history {
                    try db.execute(
                        sql: """
                            INSERT INTO finding_event (finding_id, scan_id, at, event, old_status, new_status, old_phase,
                              new_phase, old_severity, new_severity, detail)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            entry.findingID, entry.scanID, Self.seconds(entry.at), entry.event, entry.oldStatus, entry.newStatus,
                            entry.oldPhase, entry.newPhase, entry.oldSeverity, entry.newSeverity, entry.detail,
                        ])
                }
                for payload in commit.outbox {
                    try db.execute(
                        sql: "INSERT INTO outbox (created_at, payload) VALUES (?, ?)", arguments: [Self.seconds(scan.finishedAt), payload])
                }
                try Self.prune(db, retention: retention, now: scan.finishedAt)
            }
        } catch {
            throw StoreError(path: path, operation: "record scan \(commit.scan.id)", reason: "\(error)")
        }
    }

    /// Adds messages to the outbox outside a scan (policy events, scan starts).
    public func enqueue(_ payloads: [Data], at date: Date = Date()) throws(StoreError) {
        guard !payloads.isEmpty else { return }
        do {
            try pool.write { db in
                for payload in payloads {
                    try db.execute(sql: "INSERT INTO outbox (created_at, payload) VALUES (?, ?)", arguments: [Self.seconds(date), payload])
                }
            }
        } catch {
            throw StoreError(path: path, operation: "enqueue", reason: "\(error)")
        }
    }

    /// Messages not yet delivered, oldest first.
    public func pendingOutbox(limit: Int = 1000) throws(StoreError) -> [OutboxItem] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, created_at, payload FROM outbox ORDER BY id LIMIT ?", arguments: [limit]).map {
                    OutboxItem(id: $0["id"], createdAt: Self.date($0["created_at"]), payload: $0["payload"])
                }
            }
        } catch {
            throw StoreError(path: path, operation: "read the outbox", reason: "\(error)")
        }
    }

    /// Removes delivered messages.
    public func removeFromOutbox(_ ids: [Int64]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        do {
            try pool.write { db in
                for id in ids { try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id]) }
            }
        } catch {
            throw StoreError(path: path, operation: "update the outbox", reason: "\(error)")
        }
    }

    // MARK: - Reading

    /// Scans, newest first.
    public func scans(limit: Int = 100) throws(StoreError) -> [ScanRecord] {
        try read("list scans") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.scanColumns) FROM scan ORDER BY started_at DESC, rowid DESC LIMIT ?", arguments: [limit])
                .map(Self.scanRecord)
        }
    }

    /// A scan by id or by a unique prefix of it (as `git` takes commit ids).
    public func scan(id: String) throws(StoreError) -> ScanRecord? {
        try read("find scan \(id)") { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(Self.scanColumns) FROM scan WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 2",
                arguments: [id, Self.likePrefix(id)])
            if let exact = rows.first(where: { ($0["id"] as String) == id }) { return try Self.scanRecord(exact) }
            return rows.count == 1 ? try Self.scanRecord(rows[0]) : nil
        }
    }

    /// The most recent scan or re-evaluation.
    public func latestScan() throws(StoreError) -> ScanRecord? { try scans(limit: 1).first }

    /// The report a scan produced (findings, host, policies, errors), as `embargo scan` prints it.
    public func report(scanID: String) throws(StoreError) -> AuditReport? {
        try read("read the report of \(scanID)") { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT report FROM scan WHERE id = ?", arguments: [scanID]) else {
                return nil
            }
            return try Self.decoder.decode(AuditReport.self, from: data)
        }
    }

    /// The findings of a scan, in report order.
    public func findings(scanID: String) throws(StoreError) -> [Finding] {
        try report(scanID: scanID)?.findings ?? []
    }

    /// The inventory a scan read (kept for the most recent scans only; see ``RetentionPolicy``).
    public func inventory(scanID: String) throws(StoreError) -> Inventory? {
        try read("read the inventory of \(scanID)") { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT data FROM inventory WHERE scan_id = ?", arguments: [scanID]) else {
                return nil
            }
            return try Self.decoder.decode(Inventory.self, from: data)
        }
    }

    /// The most recent stored inventory and the scan that read it.
    public func latestInventory() throws(StoreError) -> (scan: ScanRecord, inventory: Inventory)? {
        let id: String? = try read("find the latest inventory") { db in
            try String.fetchOne(
                db,
                sql: "SELECT inventory.scan_id FROM inventory JOIN scan ON scan.id = inventory.scan_id ORDER BY scan.started_at DESC, scan.rowid DESC LIMIT 1"
            )
        }
        guard let id, let scan = try scan(id: id), let inventory = try inventory(scanID: id) else { return nil }
        return (scan, inventory)
    }

    /// Scans that started at or after an instant, oldest first.
    public func scans(since: Date, limit: Int = 10_000) throws(StoreError) -> [ScanRecord] {
        try read("list scans since \(RFC3339.format(since))") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.scanColumns) FROM scan WHERE started_at >= ? ORDER BY started_at, rowid LIMIT ?",
                arguments: [Self.seconds(since), limit]
            ).map(Self.scanRecord)
        }
    }

    /// The scan recorded just before this one (by start time), if it is still kept.
    public func scan(before scan: ScanRecord) throws(StoreError) -> ScanRecord? {
        try read("find the scan before \(scan.id)") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.scanColumns) FROM scan
                    WHERE started_at < ? OR (started_at = ? AND rowid < (SELECT rowid FROM scan WHERE id = ?))
                    ORDER BY started_at DESC, rowid DESC LIMIT 1
                    """,
                arguments: [Self.seconds(scan.startedAt), Self.seconds(scan.startedAt), scan.id]
            ).map(Self.scanRecord)
        }
    }

    /// The last scan that started before an instant.
    public func scan(startedBefore instant: Date) throws(StoreError) -> ScanRecord? {
        try read("find the scan before \(RFC3339.format(instant))") { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.scanColumns) FROM scan WHERE started_at < ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
                arguments: [Self.seconds(instant)]
            ).map(Self.scanRecord)
        }
    }

    /// The identities of the packages a scan saw (a re-evaluation: those of the scan it judged).
    ///
    /// Kept for every retained scan, unlike full inventories (``RetentionPolicy/inventories``);
    /// nil for scans recorded before the store kept package lists (schema v1), or when the
    /// database was written by such a version and opened read-only.
    public func packageList(scanID: String) throws(StoreError) -> [PackageID]? {
        try read("read the package list of \(scanID)") { db in
            guard try db.columns(in: "scan").contains(where: { $0.name == "package_list" }) else { return nil }
            guard
                let data = try Data.fetchOne(
                    db, sql: "SELECT package_list.ids FROM scan JOIN package_list ON package_list.digest = scan.package_list WHERE scan.id = ?",
                    arguments: [scanID])
            else { return nil }
            return try PackageList.decode(data)
        }
    }

    /// Which scans still have their full inventory, and which a package list (so software can be
    /// compared), for `embargo history`.
    public func retainedData() throws(StoreError) -> (inventories: Set<String>, packageLists: Set<String>) {
        try read("read what each scan keeps") { db in
            let inventories = Set(try String.fetchAll(db, sql: "SELECT scan_id FROM inventory"))
            guard try db.columns(in: "scan").contains(where: { $0.name == "package_list" }) else { return (inventories, []) }
            let lists = Set(try String.fetchAll(db, sql: "SELECT id FROM scan WHERE package_list IS NOT NULL"))
            return (inventories, lists)
        }
    }

    /// The differential state of every finding ever seen (open ones only unless asked).
    public func trackedFindings(includeResolved: Bool = true) throws(StoreError) -> [TrackedFinding] {
        try read("read findings") { db in
            let filter = includeResolved ? "" : "WHERE resolved_at IS NULL"
            return try Row.fetchAll(
                db,
                sql: "SELECT id, first_seen, last_seen, resolved_at, last_scan_id, reminders, finding FROM finding \(filter) ORDER BY id"
            ).map { row in
                let finding = try Self.decoder.decode(Finding.self, from: row["finding"] as Data)
                let reminders = try Self.decoder.decode([String].self, from: row["reminders"] as Data)
                let resolvedAt: Double? = row["resolved_at"]
                return TrackedFinding(
                    finding: finding, firstSeen: Self.date(row["first_seen"]), lastSeen: Self.date(row["last_seen"]),
                    resolvedAt: resolvedAt.map(Self.date), lastScanID: row["last_scan_id"], reminders: Set(reminders))
            }
        }
    }

    /// Status history, oldest first; of one finding (`vendor/product`) or of all.
    public func history(findingID: String? = nil, limit: Int = 10_000) throws(StoreError) -> [FindingHistoryEntry] {
        try read("read history") { db in
            let filter = findingID == nil ? "" : "WHERE finding_id = ?"
            var arguments: StatementArguments = findingID.map { [$0] } ?? []
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, finding_id, scan_id, at, event, old_status, new_status, old_phase, new_phase,
                      old_severity, new_severity, detail FROM finding_event \(filter) ORDER BY id LIMIT ?
                    """,
                arguments: arguments
            ).map { row in
                FindingHistoryEntry(
                    id: row["id"], findingID: row["finding_id"], scanID: row["scan_id"], at: Self.date(row["at"]), event: row["event"],
                    oldStatus: row["old_status"], newStatus: row["new_status"], oldPhase: row["old_phase"],
                    newPhase: row["new_phase"], oldSeverity: row["old_severity"], newSeverity: row["new_severity"],
                    detail: row["detail"])
            }
        }
    }

    /// Finding events recorded at or after an instant, oldest first.
    public func history(since: Date, limit: Int = 10_000) throws(StoreError) -> [FindingHistoryEntry] {
        try read("read history since \(RFC3339.format(since))") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, finding_id, scan_id, at, event, old_status, new_status, old_phase, new_phase,
                      old_severity, new_severity, detail FROM finding_event WHERE at >= ? ORDER BY at, id LIMIT ?
                    """,
                arguments: [Self.seconds(since), limit]
            ).map { row in
                FindingHistoryEntry(
                    id: row["id"], findingID: row["finding_id"], scanID: row["scan_id"], at: Self.date(row["at"]), event: row["event"],
                    oldStatus: row["old_status"], newStatus: row["new_status"], oldPhase: row["old_phase"],
                    newPhase: row["new_phase"], oldSeverity: row["old_severity"], newSeverity: row["new_severity"],
                    detail: row["detail"])
            }
        }
    }

    /// `PRAGMA integrity_check` plus the store's own invariants; empty when all is well.
    public func integrityProblems() throws(StoreError) -> [String] {
        try read("check integrity") { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            problems += try String.fetchAll(
                db, sql: "SELECT 'finding ' || id || ' refers to missing scan ' || last_scan_id FROM finding WHERE last_scan_id NOT IN (SELECT id FROM scan)")
            problems += try String.fetchAll(
                db,
                sql: "SELECT 'scan ' || id || ' has ' || finding_count || ' findings but ' || (SELECT count(*) FROM scan_finding WHERE scan_id = scan.id) || ' rows' FROM scan WHERE finding_count != (SELECT count(*) FROM scan_finding WHERE scan_id = scan.id)")
            problems += try String.fetchAll(
                db, sql: "SELECT 'scan ' || id || ' has no report' FROM scan WHERE report IS NULL OR length(report) = 0")
            return problems
        }
    }

    // MARK: - Internals

    private func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError(path: path, operation: operation, reason: "\(error)")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder = JSONDecoder()

    /// Instants are stored as seconds since 1970 (REAL): exact, sortable, and no date formatter
    /// (which would load ICU's tables into a daemon that should stay small).
    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    static func phaseKey(_ finding: Finding) -> String? {
        (finding.phaseInEffect ?? finding.nextPhase).map { "\($0.restriction)/\($0.phase)" }
    }

    static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    static let scanColumns = """
        id, kind, trigger, started_at, finished_at, as_of, root, profile, policy_id, policy_version, policy_sha256,
        inventory_scan_id, package_count, finding_count, counts, error_count, warning_count, found_count,
        changed_count, resolved_count
        """

    static func scanRecord(_ row: Row) throws -> ScanRecord {
        let counts = try decoder.decode([String: Int].self, from: row["counts"] as Data)
        let kind: String = row["kind"]
        return ScanRecord(
            id: row["id"], kind: ScanKind(rawValue: kind) ?? .scan, trigger: row["trigger"], startedAt: date(row["started_at"]),
            finishedAt: date(row["finished_at"]), asOf: date(row["as_of"]), root: row["root"], profile: row["profile"],
            policyID: row["policy_id"], policyVersion: row["policy_version"], policySHA256: row["policy_sha256"],
            inventoryScanID: row["inventory_scan_id"], packageCount: row["package_count"], findingCount: row["finding_count"],
            countsByStatus: counts, errorCount: row["error_count"], warningCount: row["warning_count"],
            foundCount: row["found_count"], changedCount: row["changed_count"], resolvedCount: row["resolved_count"])
    }

    static func prune(_ db: Database, retention: RetentionPolicy, now: Date) throws {
        // Inventories: keep the most recent N scans' inventories.
        try db.execute(
            sql: """
                DELETE FROM inventory WHERE scan_id NOT IN (
                  SELECT inventory.scan_id FROM inventory JOIN scan ON scan.id = inventory.scan_id
                  ORDER BY scan.started_at DESC, scan.rowid DESC LIMIT ?)
                """, arguments: [retention.inventories])
        // Scans older than the horizon, except the latest and any still referenced by a finding.
        let horizon = now.addingTimeInterval(-Double(retention.scanDays) * 86_400)
        try db.execute(
            sql: """
                DELETE FROM scan WHERE started_at < ?
                  AND id NOT IN (SELECT id FROM scan ORDER BY started_at DESC, rowid DESC LIMIT 1)
                  AND id NOT IN (SELECT last_scan_id FROM finding)
                  AND id NOT IN (SELECT scan_id FROM inventory)
                """, arguments: [seconds(horizon)])
        try db.execute(
            sql: "DELETE FROM package_list WHERE digest NOT IN (SELECT package_list FROM scan WHERE package_list IS NOT NULL)")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE scan (
                      id TEXT PRIMARY KEY NOT NULL,
                      kind TEXT NOT NULL,
                      trigger TEXT NOT NULL,
                      started_at REAL NOT NULL,
                      finished_at REAL NOT NULL,
                      as_of REAL NOT NULL,
                      root TEXT NOT NULL,
                      profile TEXT NOT NULL,
                      policy_id TEXT NOT NULL,
                      policy_version TEXT NOT NULL,
                      policy_sha256 TEXT NOT NULL,
                      inventory_scan_id TEXT NOT NULL,
                      package_count INTEGER NOT NULL,
                      finding_count INTEGER NOT NULL,
                      violation_count INTEGER NOT NULL,
                      counts BLOB NOT NULL,
                      error_count INTEGER NOT NULL,
                      warning_count INTEGER NOT NULL,
                      found_count INTEGER NOT NULL,
                      changed_count INTEGER NOT NULL,
                      resolved_count INTEGER NOT NULL,
                      report BLOB NOT NULL
                    );
                    CREATE INDEX scan_by_start ON scan(started_at);
                    CREATE TABLE inventory (
                      scan_id TEXT PRIMARY KEY NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
                      format TEXT NOT NULL,
                      data BLOB NOT NULL
                    );
                    CREATE TABLE scan_finding (
                      scan_id TEXT NOT NULL REFERENCES scan(id) ON DELETE CASCADE,
                      finding_id TEXT NOT NULL,
                      vendor TEXT NOT NULL,
                      product TEXT NOT NULL,
                      status TEXT NOT NULL,
                      severity TEXT NOT NULL,
                      phase TEXT,
                      PRIMARY KEY (scan_id, finding_id)
                    );
                    CREATE TABLE finding (
                      id TEXT PRIMARY KEY NOT NULL,
                      vendor TEXT NOT NULL,
                      product TEXT NOT NULL,
                      status TEXT NOT NULL,
                      severity TEXT NOT NULL,
                      phase TEXT,
                      first_seen REAL NOT NULL,
                      last_seen REAL NOT NULL,
                      resolved_at REAL,
                      last_scan_id TEXT NOT NULL,
                      reminders BLOB NOT NULL,
                      finding BLOB NOT NULL
                    );
                    CREATE TABLE finding_event (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      finding_id TEXT NOT NULL,
                      scan_id TEXT NOT NULL,
                      at REAL NOT NULL,
                      event TEXT NOT NULL,
                      old_status TEXT,
                      new_status TEXT,
                      old_phase TEXT,
                      new_phase TEXT,
                      old_severity TEXT,
                      new_severity TEXT,
                      detail TEXT
                    );
                    CREATE INDEX finding_event_by_finding ON finding_event(finding_id, id);
                    CREATE TABLE outbox (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      created_at REAL NOT NULL,
                      payload BLOB NOT NULL
                    );
                    """)
        }
        // v2: a compact package list per scan, so `embargo diff` and reports compare software
        // for every retained scan, not only those whose full inventory is kept. Lists are
        // stored once per distinct content (most scans see the same packages as the one before).
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE package_list (
                      digest TEXT PRIMARY KEY NOT NULL,
                      count INTEGER NOT NULL,
                      ids BLOB NOT NULL
                    );
                    ALTER TABLE scan ADD COLUMN package_list TEXT REFERENCES package_list(digest);
                    """)
            // Scans whose inventory is still kept get their list now.
            let rows = try Row.fetchAll(db, sql: "SELECT scan_id, data FROM inventory")
            for row in rows {
                guard let inventory = try? decoder.decode(Inventory.self, from: row["data"] as Data) else { continue }
                let list = try PackageList.encode(inventory.packages.map(\.id))
                try db.execute(
                    sql: "INSERT OR IGNORE INTO package_list (digest, count, ids) VALUES (?, ?, ?)",
                    arguments: [list.digest, list.count, list.data])
                try db.execute(
                    sql: "UPDATE scan SET package_list = ? WHERE id = ? OR inventory_scan_id = ?",
                    arguments: [list.digest, row["scan_id"] as String, row["scan_id"] as String])
            }
        }
        return migrator
    }
}

/// A scan's packages as identities only: `[[type, name, arch or null, version], ...]` in JSON,
/// sorted, with its SHA-256 as the key it is stored under.
enum PackageList {
    struct Encoded {
        var digest: String
        var count: Int
        var data: Data
    }

    static func encode(_ ids: [PackageID]) throws -> Encoded {
        let unique = Array(Set(ids)).sorted()
        let rows: [[String?]] = unique.map { [$0.type.rawValue, $0.name, $0.arch, $0.version] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(rows)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return Encoded(digest: digest, count: unique.count, data: data)
    }

    static func decode(_ data: Data) throws -> [PackageID] {
        let rows = try JSONDecoder().decode([[String?]].self, from: data)
        return rows.compactMap { row in
            guard row.count == 4, let typeName = row[0], let type = PackageType(rawValue: typeName), let name = row[1],
                let version = row[3]
            else { return nil }
            return PackageID(type: type, name: name, arch: row[2], version: version)
        }
    }
}
