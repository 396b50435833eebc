import EmbargoInventory

/// A problem with one RPM database or one package header in it.
public struct RpmError: LocatedError, Equatable {
    public enum Problem: String, Sendable, Equatable {
        /// The file is not a database of the expected format (empty, garbage, other magic).
        case notADatabase = "not-a-database"
        /// A real database of a variant this reader does not read (encrypted, btree, other version).
        case unsupportedDatabase = "unsupported-database"
        /// A page, slot or chain of the database is inconsistent; what it held is lost.
        case corruptDatabase = "corrupt-database"
        /// The file ends before the data the database describes.
        case truncatedDatabase = "truncated-database"
        /// A package header blob failed validation; that package is lost.
        case malformedHeader = "malformed-header"
        /// A header without the NAME tag cannot be reported as a package.
        case missingName = "missing-name"
        /// SQLite refused to open or read `rpmdb.sqlite`.
        case sqlite = "sqlite-error"
        /// The file or its directory could not be read (permission, I/O error, not a regular file).
        case unreadable = "unreadable"
        /// Another database format in the same directory was not read (rpm uses one of them).
        case ignoredDatabase = "ignored-database"
    }

    public var problem: Problem
    /// The database file, as a path inside the root.
    public var path: String
    /// Byte offset in the database file, where the format allows one.
    public var offset: Int?
    /// The record number of the package header (BDB key, NDB package index, SQLite `hnum`).
    public var record: Int?
    public var detail: String

    public init(_ problem: Problem, path: String, offset: Int? = nil, record: Int? = nil, detail: String) {
        self.problem = problem
        self.path = path
        self.offset = offset
        self.record = record
        self.detail = detail
    }

    public var code: String { "rpm.\(problem.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: path, offset: offset) }
    public var reason: String {
        guard let record else { return detail }
        return "package record \(record): \(detail)"
    }
}

/// Bounds-checked reads of fixed-size integers from untrusted bytes. Every accessor returns nil
/// instead of trapping when the field does not lie wholly inside the buffer.
struct ByteView {
    let bytes: [UInt8]
    /// Whether multi-byte integers are little-endian (Berkeley DB native order on x86, NDB) or
    /// big-endian (RPM headers, Berkeley DB written on a big-endian host).
    let littleEndian: Bool

    init(_ bytes: [UInt8], littleEndian: Bool) {
        self.bytes = bytes
        self.littleEndian = littleEndian
    }

    var count: Int { bytes.count }

    func contains(_ offset: Int, length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= bytes.count && length <= bytes.count - offset
    }

    func uint8(_ offset: Int) -> UInt8? {
        contains(offset, length: 1) ? bytes[offset] : nil
    }

    func uint16(_ offset: Int) -> UInt16? {
        guard contains(offset, length: 2) else { return nil }
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        return littleEndian ? a | b << 8 : a << 8 | b
    }

    func uint32(_ offset: Int) -> UInt32? {
        guard contains(offset, length: 4) else { return nil }
        let a = UInt32(bytes[offset]), b = UInt32(bytes[offset + 1])
        let c = UInt32(bytes[offset + 2]), d = UInt32(bytes[offset + 3])
        return littleEndian ? a | b << 8 | c << 16 | d << 24 : a << 24 | b << 16 | c << 8 | d
    }

    func uint64(_ offset: Int) -> UInt64? {
        guard let first = uint32(offset), let second = uint32(offset + 4) else { return nil }
        return littleEndian ? UInt64(first) | UInt64(second) << 32 : UInt64(first) << 32 | UInt64(second)
    }
}

/// The Adler-32 checksum of RFC 1950, which NDB keeps for every blob.
enum Adler32 {
    static func checksum(_ bytes: ArraySlice<UInt8>, initial: UInt32 = 1) -> UInt32 {
        var low = initial & 0xFFFF
        var high = (initial >> 16) & 0xFFFF
        var index = bytes.startIndex
        while index < bytes.endIndex {
            // 5552 is the largest run whose sums cannot overflow 32 bits before the modulo.
            let end = min(index + 5552, bytes.endIndex)
            while index < end {
                low &+= UInt32(bytes[index])
                high &+= low
                index += 1
            }
            low %= 65521
            high %= 65521
        }
        return high << 16 | low
    }
}
