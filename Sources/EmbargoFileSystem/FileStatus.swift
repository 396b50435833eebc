#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat`/`lstat` reports about one file, reduced to what collectors and caches need.
public struct FileStatus: Sendable, Hashable, Codable {
    public var kind: FileKind
    public var size: Int64
    public var device: UInt64
    public var inode: UInt64
    public var permissions: UInt32
    public var ownerID: UInt32
    /// Modification time, seconds and nanoseconds since the Unix epoch.
    public var modificationSeconds: Int64
    public var modificationNanoseconds: Int64
    public var changeSeconds: Int64
    public var changeNanoseconds: Int64

    public init(
        kind: FileKind, size: Int64, device: UInt64, inode: UInt64, permissions: UInt32, ownerID: UInt32,
        modificationSeconds: Int64, modificationNanoseconds: Int64, changeSeconds: Int64, changeNanoseconds: Int64
    ) {
        self.kind = kind
        self.size = size
        self.device = device
        self.inode = inode
        self.permissions = permissions
        self.ownerID = ownerID
        self.modificationSeconds = modificationSeconds
        self.modificationNanoseconds = modificationNanoseconds
        self.changeSeconds = changeSeconds
        self.changeNanoseconds = changeNanoseconds
    }

    init(_ raw: stat) {
        #if canImport(Darwin)
        let mtime = raw.st_mtimespec
        let ctime = raw.st_ctimespec
        #else
        let mtime = raw.st_mtim
        let ctime = raw.st_ctim
        #endif
        self.init(
            kind: FileKind(mode: raw.st_mode),
            size: Int64(raw.st_size),
            device: UInt64(raw.st_dev),
            inode: UInt64(raw.st_ino),
            permissions: UInt32(raw.st_mode) & 0o7777,
            ownerID: UInt32(raw.st_uid),
            modificationSeconds: Int64(mtime.tv_sec),
            modificationNanoseconds: Int64(mtime.tv_nsec),
            changeSeconds: Int64(ctime.tv_sec),
            changeNanoseconds: Int64(ctime.tv_nsec)
        )
    }

    /// Modification time as seconds since the Unix epoch, with the fraction.
    public var modificationTime: Double {
        Double(modificationSeconds) + Double(modificationNanoseconds) / 1_000_000_000
    }

    public var isExecutable: Bool { permissions & 0o111 != 0 }
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable, Hashable {
    /// The name, decoded as UTF-8; bytes that are not valid UTF-8 are shown as `\xNN`.
    public var name: String
    /// The name exactly as the file system holds it.
    public var rawName: [UInt8]
    public var kind: FileKind

    public init(name: String, rawName: [UInt8], kind: FileKind) {
        self.name = name
        self.rawName = rawName
        self.kind = kind
    }

    /// Whether ``name`` is the exact file name (it round-trips through UTF-8).
    public var hasExactName: Bool { Array(name.utf8) == rawName }
}

/// Renders raw file-name bytes for display and reports: valid UTF-8 as is, other bytes as `\xNN`.
public func displayName(of bytes: some Collection<UInt8>) -> String {
    if let valid = String(validating: Array(bytes), as: UTF8.self) {
        return valid
    }
    var result = ""
    let array = Array(bytes)
    var position = 0
    while position < array.count {
        // Decode the longest valid UTF-8 prefix one scalar at a time.
        let byte = array[position]
        let length: Int
        if byte < 0x80 { length = 1 } else if byte & 0xE0 == 0xC0 { length = 2 } else if byte & 0xF0 == 0xE0 {
            length = 3
        } else if byte & 0xF8 == 0xF0 { length = 4 } else { length = 0 }
        if length > 0, position + length <= array.count,
            let scalar = String(validating: array[position..<position + length], as: UTF8.self)
        {
            result += scalar
            position += length
        } else {
            result += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            position += 1
        }
    }
    return result
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
