import EmbargoFileSystem
import Foundation
import GRDB

/// Reads the package headers out of `rpmdb.sqlite` (table `Packages(hnum, blob)`).
///
/// An audited database must come out of the scan byte for byte as it went in, with nothing left
/// beside it. SQLite is therefore opened read-only with `immutable=1`: no locks, no `-shm`, no
/// `-wal` created. Immutable mode ignores a write-ahead log, so when a non-empty `-wal` sits beside
/// the database (rpm crashed or is running), the database and its log are copied into a private
/// temporary directory and the copy is read, so the packages only in the log are not missed.
struct SqliteRpmDatabaseReader: Sendable {
    let fileSystem: RootFileSystem
    /// Largest database (and log) copied when a private copy is needed.
    static let copyLimit: Int64 = 2 << 30

    /// Every header blob of the database, in rpm's order, with the problems met.
    func read(path: String) -> RpmDatabaseContents {
        var blobs: [RpmHeaderBlob] = []
        let errors = forEachBlob(path: path) { blobs.append($0) }
        return RpmDatabaseContents(blobs: blobs, errors: errors)
    }

    /// Hands each header blob to `body` as it is read. Returns the problems met.
    /// - Parameter path: the resolved path of `rpmdb.sqlite` inside the root.
    func forEachBlob(path: String, _ body: (RpmHeaderBlob) -> Void) -> [RpmError] {
        let walPath = path + "-wal"
        let walSize = (try? fileSystem.status(walPath, followFinalSymlink: false)).flatMap { $0.kind == .regular ? $0.size : nil } ?? 0
        if walSize > 0 {
            return readPrivateCopy(path: path, walPath: walPath, body)
        }
        // Refuse anything but a regular file before SQLite sees the path; SQLite would take an
        // empty file for an empty database.
        let size: Int64
        do {
            size = try fileSystem.withOpenRegularFile(path) { (_, size) throws(FileSystemError) in size }
        } catch {
            return [RpmError(.unreadable, path: path, detail: error.reason)]
        }
        guard size > 0 else {
            return [RpmError(.notADatabase, path: path, offset: 0, detail: "empty file; not an SQLite database")]
        }
        let hostPath = fileSystem.hostPath(forResolved: path)
        let immutable = Self.immutableURI(hostPath: hostPath)
        let (errors, cannotOpen) = Self.readPackages(openPath: immutable, displayPath: path, body)
        if cannotOpen {
            // This SQLite does not interpret URI file names: fall back to a private copy.
            return readPrivateCopy(path: path, walPath: nil, body)
        }
        return errors
    }

    /// `file:` URI with the path percent-encoded, read-only and immutable.
    static func immutableURI(hostPath: String) -> String {
        var encoded = ""
        for byte in hostPath.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return "file:" + encoded + "?mode=ro&immutable=1"
    }

    /// Copies the database (and its log) through the root file system into a fresh temporary
    /// directory, reads the copy, and removes the directory.
    private func readPrivateCopy(path: String, walPath: String?, _ body: (RpmHeaderBlob) -> Void) -> [RpmError] {
        let manager = FileManager.default
        let directory = manager.temporaryDirectory.appendingPathComponent("embargo-rpmdb-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: directory) }
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let copy = directory.appendingPathComponent("rpmdb.sqlite")
            try Data(fileSystem.readFile(path, limit: Self.copyLimit)).write(to: copy)
            if let walPath {
                try Data(fileSystem.readFile(walPath, limit: Self.copyLimit)).write(to: directory.appendingPathComponent("rpmdb.sqlite-wal"))
            }
            return Self.readPackages(openPath: copy.path, displayPath: path, body).errors
        } catch let error as FileSystemError {
            return [RpmError(.unreadable, path: error.path, detail: error.reason)]
        } catch {
            return [RpmError(.sqlite, path: path, detail: "cannot make a private copy to read the write-ahead log: \(error)")]
        }
    }

    /// Every row of `Packages`, in `hnum` order as rpm iterates. A row whose blob is not a blob is
    /// reported and skipped.
    /// - Returns: what was read, and whether SQLite could not open the file at all.
    static func readPackages(openPath: String, displayPath: String, _ body: (RpmHeaderBlob) -> Void) -> (errors: [RpmError], cannotOpen: Bool) {
        var contents = RpmDatabaseContents()
        var cannotOpen = false
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "rpmdb"
        do {
            let queue = try DatabaseQueue(path: openPath, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { database in
                let rows = try Row.fetchCursor(database, sql: "SELECT hnum, blob FROM Packages ORDER BY hnum")
                while let row = try rows.next() {
                    let record: Int64 = row[0] ?? 0
                    // One copy, straight out of SQLite's buffer.
                    let bytes = (try? row.withUnsafeData(atIndex: 1) { data in data.map { [UInt8]($0) } }) ?? nil
                    guard let bytes else {
                        contents.errors.append(RpmError(.malformedHeader, path: displayPath, record: Int(record), detail: "row has no blob"))
                        continue
                    }
                    body(RpmHeaderBlob(record: Int(record), bytes: bytes, fileRuns: []))
                }
            }
        } catch let error as DatabaseError {
            let message = error.message ?? "\(error.resultCode)"
            cannotOpen = error.resultCode == .SQLITE_CANTOPEN
            let notRpm = error.resultCode == .SQLITE_NOTADB || message.hasPrefix("no such table")
            let problem: RpmError.Problem = notRpm ? .notADatabase : .sqlite
            contents.errors.append(RpmError(problem, path: displayPath, detail: "SQLite: \(message)"))
        } catch {
            contents.errors.append(RpmError(.sqlite, path: displayPath, detail: "SQLite: \(error)"))
        }
        return (contents.errors, cannotOpen)
    }
}
