import EmbargoFileSystem
import EmbargoInventory

/// Why an ELF file (or a part of it) could not be read. Offsets are byte offsets in the file.
public enum ELFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first four bytes are not `\x7FELF`.
    case notELF
    /// The file ends before a structure that the headers say is there.
    case truncated(offset: Int64, needed: Int64, what: String)
    case badClass(UInt8)
    case badByteOrder(UInt8)
    /// A header field is impossible (an entry size smaller than the structure, a count over the cap).
    case badHeader(offset: Int64, reason: String)
    /// A note's sizes run past its section or segment.
    case badNote(offset: Int64, reason: String)
    /// The `.note.package` payload is not a JSON object.
    case badPackageMetadata(offset: Int64, reason: String)
    /// Reading the file failed.
    case io(FileSystemError)

    public var code: String {
        switch self {
        case .notELF: return "elf.not-elf"
        case .truncated: return "elf.truncated"
        case .badClass: return "elf.bad-class"
        case .badByteOrder: return "elf.bad-byte-order"
        case .badHeader: return "elf.bad-header"
        case .badNote: return "elf.bad-note"
        case .badPackageMetadata: return "elf.bad-package-metadata"
        case .io(let error): return error.code
        }
    }

    public var offset: Int64? {
        switch self {
        case .truncated(let offset, _, _), .badHeader(let offset, _), .badNote(let offset, _),
            .badPackageMetadata(let offset, _):
            return offset
        case .badClass, .badByteOrder: return 4
        case .notELF: return 0
        case .io: return nil
        }
    }

    public var reason: String {
        switch self {
        case .notELF: return "not an ELF file (no \\x7FELF magic)"
        case .truncated(let offset, let needed, let what):
            return "file ends before the \(what) (\(needed) bytes at offset \(offset))"
        case .badClass(let value): return "ELF class \(value) is neither 1 (32-bit) nor 2 (64-bit)"
        case .badByteOrder(let value): return "ELF data encoding \(value) is neither 1 (little-endian) nor 2 (big-endian)"
        case .badHeader(_, let reason): return reason
        case .badNote(_, let reason): return "malformed note: \(reason)"
        case .badPackageMetadata(_, let reason): return ".note.package payload is not a JSON object: \(reason)"
        case .io(let error): return error.reason
        }
    }

    public var description: String {
        if let offset { return "@\(offset): \(reason) [\(code)]" }
        return "\(reason) [\(code)]"
    }

    /// The error with the file it is about, for a ``ScanIssue``.
    public func located(at path: String) -> LocatedELFError {
        LocatedELFError(error: self, path: path)
    }
}

/// An ``ELFError`` tied to the file it was met in.
public struct LocatedELFError: LocatedError {
    public var error: ELFError
    public var path: String

    public var code: String { error.code }
    public var location: IssueLocation {
        if case .io(let inner) = error { return IssueLocation(path: inner.path) }
        return IssueLocation(path: path, offset: error.offset.map { Int(clamping: $0) })
    }
    public var reason: String { error.reason }
}
