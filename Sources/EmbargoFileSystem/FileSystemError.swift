#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an access through ``RootFileSystem`` failed. Every case names the path as seen inside the root.
public enum FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case permissionDenied(path: String)
    case symlinkLoop(path: String)
    case notADirectory(path: String)
    /// The path names a FIFO, socket, device or directory where a regular file was needed.
    /// Such files are never opened: a FIFO would block the scan.
    case notRegularFile(path: String, kind: FileKind)
    case tooLarge(path: String, size: Int64, limit: Int64)
    case vanished(path: String)
    case system(path: String, operation: String, errno: Int32)

    /// The path inside the root that the error is about.
    public var path: String {
        switch self {
        case .notFound(let path), .permissionDenied(let path), .symlinkLoop(let path),
            .notADirectory(let path), .vanished(let path):
            return path
        case .notRegularFile(let path, _), .tooLarge(let path, _, _), .system(let path, _, _):
            return path
        }
    }

    /// A stable machine-readable code for reports.
    public var code: String {
        switch self {
        case .notFound: return "fs.not-found"
        case .permissionDenied: return "fs.permission-denied"
        case .symlinkLoop: return "fs.symlink-loop"
        case .notADirectory: return "fs.not-a-directory"
        case .notRegularFile: return "fs.not-regular-file"
        case .tooLarge: return "fs.too-large"
        case .vanished: return "fs.vanished"
        case .system: return "fs.io-error"
        }
    }

    public var reason: String {
        switch self {
        case .notFound: return "no such file or directory"
        case .permissionDenied: return "permission denied"
        case .symlinkLoop: return "too many levels of symbolic links"
        case .notADirectory: return "a path component is not a directory"
        case .notRegularFile(_, let kind): return "not a regular file (\(kind.rawValue)); not opened"
        case .tooLarge(_, let size, let limit): return "file is \(size) bytes, over the limit of \(limit) bytes"
        case .vanished: return "file disappeared while it was being read"
        case .system(_, let operation, let code):
            return "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    public var description: String { "\(path): \(reason)" }

    /// Maps an `errno` value to the most precise case.
    static func from(errno code: Int32, path: String, operation: String) -> FileSystemError {
        switch code {
        case ENOENT: return .notFound(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case ELOOP: return .symlinkLoop(path: path)
        case ENOTDIR: return .notADirectory(path: path)
        default: return .system(path: path, operation: operation, errno: code)
        }
    }
}

/// The type of a directory entry, from `lstat`/`d_type`.
public enum FileKind: String, Sendable, Codable, Equatable {
    case regular
    case directory
    case symlink
    case fifo
    case socket
    case characterDevice = "character-device"
    case blockDevice = "block-device"
    case unknown

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .unknown
        }
    }

    init(direntType: UInt8) {
        switch Int32(direntType) {
        case Int32(DT_REG): self = .regular
        case Int32(DT_DIR): self = .directory
        case Int32(DT_LNK): self = .symlink
        case Int32(DT_FIFO): self = .fifo
        case Int32(DT_SOCK): self = .socket
        case Int32(DT_CHR): self = .characterDevice
        case Int32(DT_BLK): self = .blockDevice
        default: self = .unknown
        }
    }
}
