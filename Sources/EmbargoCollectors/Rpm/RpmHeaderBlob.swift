/// One package header as stored in an rpm database, before parsing.
public struct RpmHeaderBlob: Sendable {
    /// The record number: Berkeley DB key, NDB package index or SQLite `hnum`.
    public var record: Int
    public var bytes: [UInt8]
    /// Where the blob's bytes lie in the database file, as runs; empty when the file offset is not
    /// known (SQLite). A blob from Berkeley DB overflow pages is split over several runs.
    public var fileRuns: [FileRun]

    public struct FileRun: Sendable, Hashable {
        public var blobOffset: Int
        public var fileOffset: Int
        public var length: Int
    }

    public init(record: Int, bytes: [UInt8], fileRuns: [FileRun]) {
        self.record = record
        self.bytes = bytes
        self.fileRuns = fileRuns
    }

    /// The database file offset of a byte of the blob, so header errors point into the file.
    public func fileOffset(ofBlobOffset offset: Int) -> Int? {
        for run in fileRuns where offset >= run.blobOffset && offset < run.blobOffset + run.length {
            return run.fileOffset + (offset - run.blobOffset)
        }
        if let last = fileRuns.last, offset == last.blobOffset + last.length { return last.fileOffset + last.length }
        return nil
    }
}

/// What one database file yielded: the header blobs it could read, in rpm's iteration order, and
/// the problems met (each with the file offset where the format has one).
public struct RpmDatabaseContents: Sendable {
    public var blobs: [RpmHeaderBlob] = []
    public var errors: [RpmError] = []

    public init(blobs: [RpmHeaderBlob] = [], errors: [RpmError] = []) {
        self.blobs = blobs
        self.errors = errors
    }
}

/// The three on-disk formats of the rpm package database.
public enum RpmDatabaseFormat: String, Sendable, CaseIterable {
    /// `rpmdb.sqlite`: RHEL 9, Fedora 33+, CBL-Mariner, Debian's rpm 4.18.
    case sqlite
    /// `Packages.db`: SUSE's NDB (SLES 15, openSUSE).
    case ndb
    /// `Packages`: Berkeley DB hash (RHEL/CentOS 5-8, Amazon Linux 2, SLES 12).
    case berkeleyDB = "bdb"

    /// The file name in the database directory.
    public var fileName: String {
        switch self {
        case .sqlite: return "rpmdb.sqlite"
        case .ndb: return "Packages.db"
        case .berkeleyDB: return "Packages"
        }
    }
}
