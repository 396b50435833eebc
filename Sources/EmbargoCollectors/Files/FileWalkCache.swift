import Crypto
import EmbargoFileSystem
import EmbargoInventory
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the file walk learned about each file's contents, keyed by ``FileIdentity``, kept between
/// scans so a rescan of an unchanged tree reads no file contents.
///
/// Stored as one binary file in the cache directory, replaced atomically (written beside it, then
/// renamed). Layout, all integers little-endian:
///
///     "EMBWALK\0"  format version (u32)  fingerprint (32 bytes)  entry count (u32)
///     entries...   SHA-256 of everything before it (32 bytes)
///
/// An entry is the seven identity numbers (u64/i64), content kind (u8), flags (u8), SHA-256
/// (u8 length 0 or 32, bytes), attributes (u16 count, each u16-length key and u32-length value)
/// and markers (u16 count, each u16-length string). The fingerprint covers everything that
/// changes what a read would find (markers, hashing, read cap, format): another fingerprint means
/// a cold scan. A file that does not check out is ignored with a warning: the cache only saves work.
struct FileWalkCache {
    static let magic: [UInt8] = Array("EMBWALK\0".utf8)
    static let formatVersion: UInt32 = 1
    /// The most entries read from a cache file (a bound against a hostile or corrupt file).
    static let maximumEntries = 20_000_000

    var entries: [FileIdentity: FileFacts] = [:]

    /// The cache file for one root: several roots scanned by one daemon keep separate caches.
    static func fileURL(directory: String, root: String) -> URL {
        let digest = SHA256.hash(data: Data(root.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return URL(fileURLWithPath: directory).appendingPathComponent("file-walk-\(digest).cache")
    }

    static func fingerprint(_ parts: [String]) -> [UInt8] {
        var hasher = SHA256()
        for part in parts {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0]))
        }
        return Array(hasher.finalize())
    }

    enum LoadResult {
        case loaded(FileWalkCache)
        case missing
        /// Another fingerprint or format version: expected after a policy change, not a problem.
        case stale
        case corrupt(reason: String)
    }

    static func load(from url: URL, fingerprint: [UInt8], limit: Int = 2 << 30) -> LoadResult {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return .missing }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd(), !data.isEmpty else { return .corrupt(reason: "empty or unreadable") }
        guard data.count <= limit else { return .corrupt(reason: "larger than \(limit) bytes") }
        return decode(Array(data), fingerprint: fingerprint)
    }

    static func decode(_ bytes: [UInt8], fingerprint: [UInt8]) -> LoadResult {
        guard bytes.count >= magic.count + 4 + 32 + 4 + 32 else { return .corrupt(reason: "too short") }
        guard bytes.starts(with: magic) else { return .corrupt(reason: "not a file-walk cache") }
        let body = bytes[..<(bytes.count - 32)]
        guard Array(SHA256.hash(data: Data(body))) == Array(bytes[(bytes.count - 32)...]) else {
            return .corrupt(reason: "checksum mismatch")
        }
        var cursor = ByteCursor(bytes: Array(body), position: magic.count)
        guard let version = cursor.u32(), version == formatVersion else { return .stale }
        guard let stored = cursor.take(32), stored == fingerprint else { return .stale }
        guard let count = cursor.u32(), Int(count) <= maximumEntries else { return .corrupt(reason: "entry count over the cap") }
        var cache = FileWalkCache()
        cache.entries.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            guard let (identity, facts) = decodeEntry(&cursor) else {
                return .corrupt(reason: "entry \(index) is malformed at byte \(cursor.position)")
            }
            cache.entries[identity] = facts
        }
        guard cursor.position == body.count else { return .corrupt(reason: "trailing bytes after the entries") }
        return .loaded(cache)
    }

    private static func decodeEntry(_ cursor: inout ByteCursor) -> (FileIdentity, FileFacts)? {
        guard let device = cursor.u64(), let inode = cursor.u64(), let size = cursor.u64(),
            let modificationSeconds = cursor.u64(), let modificationNanoseconds = cursor.u64(),
            let changeSeconds = cursor.u64(), let changeNanoseconds = cursor.u64(),
            let contentByte = cursor.u8(), let content = FileFacts.Content(rawValue: contentByte), let flags = cursor.u8(),
            let digestLength = cursor.u8(), digestLength == 0 || digestLength == 32, let digest = cursor.take(Int(digestLength)),
            let attributeCount = cursor.u16()
        else { return nil }
        var attributes: [String: String] = [:]
        for _ in 0..<attributeCount {
            guard let keyLength = cursor.u16(), let key = cursor.string(Int(keyLength)), let valueLength = cursor.u32(),
                let value = cursor.string(Int(valueLength))
            else { return nil }
            attributes[key] = value
        }
        guard let markerCount = cursor.u16() else { return nil }
        var markers: [String] = []
        for _ in 0..<markerCount {
            guard let length = cursor.u16(), let marker = cursor.string(Int(length)) else { return nil }
            markers.append(marker)
        }
        let identity = FileIdentity(
            device: device, inode: inode, size: Int64(bitPattern: size), modificationSeconds: Int64(bitPattern: modificationSeconds),
            modificationNanoseconds: Int64(bitPattern: modificationNanoseconds), changeSeconds: Int64(bitPattern: changeSeconds),
            changeNanoseconds: Int64(bitPattern: changeNanoseconds))
        let facts = FileFacts(
            content: content, attributes: attributes, markers: markers,
            sha256: digest.isEmpty ? nil : hex(digest), hasPackageNote: flags & 1 != 0)
        return (identity, facts)
    }

    func encode(fingerprint: [UInt8]) -> [UInt8] {
        var out = ByteWriter()
        out.bytes += Self.magic
        out.u32(Self.formatVersion)
        out.bytes += fingerprint
        out.u32(UInt32(entries.count))
        for (identity, facts) in entries {
            out.u64(identity.device)
            out.u64(identity.inode)
            out.u64(UInt64(bitPattern: identity.size))
            out.u64(UInt64(bitPattern: identity.modificationSeconds))
            out.u64(UInt64(bitPattern: identity.modificationNanoseconds))
            out.u64(UInt64(bitPattern: identity.changeSeconds))
            out.u64(UInt64(bitPattern: identity.changeNanoseconds))
            out.bytes.append(facts.content.rawValue)
            out.bytes.append(facts.hasPackageNote ? 1 : 0)
            let digest = facts.sha256.flatMap(unhex) ?? []
            out.bytes.append(UInt8(digest.count == 32 ? 32 : 0))
            if digest.count == 32 { out.bytes += digest }
            let attributes = facts.attributes.filter { $0.key.utf8.count <= 0xFFFF }.prefix(0xFFFF)
            out.u16(UInt16(attributes.count))
            for (key, value) in attributes {
                out.u16(UInt16(key.utf8.count))
                out.bytes += Array(key.utf8)
                out.u32(UInt32(clamping: value.utf8.count))
                out.bytes += Array(value.utf8)
            }
            let markers = facts.markers.filter { $0.utf8.count <= 0xFFFF }.prefix(0xFFFF)
            out.u16(UInt16(markers.count))
            for marker in markers {
                out.u16(UInt16(marker.utf8.count))
                out.bytes += Array(marker.utf8)
            }
        }
        out.bytes += Array(SHA256.hash(data: Data(out.bytes)))
        return out.bytes
    }

    /// Writes the cache next to its final name and renames it into place, so a reader never sees
    /// half a file; creates the directory (mode 0700) when missing.
    func save(to url: URL, fingerprint: [UInt8]) throws {
        let directory = url.deletingLastPathComponent()
        try Self.createDirectories(directory.path)
        do {
            try AtomicFile.write(encode(fingerprint: fingerprint), to: url.path, mode: 0o600)
        } catch {
            throw CacheWriteError(path: error.path, errno: error.code)
        }
    }

    /// `mkdir -p` with mode 0700, failing with the directory and errno that stopped it (Foundation's
    /// error would only say "You don't have permission").
    static func createDirectories(_ path: String) throws {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) == 0 { continue }
            let code = errno
            var status = stat()
            guard code == EEXIST else { throw CacheWriteError(path: current, errno: code, creatingDirectory: true) }
            guard stat(current, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw CacheWriteError(path: current, errno: ENOTDIR, creatingDirectory: true)
            }
        }
    }

    struct CacheWriteError: Error, CustomStringConvertible {
        var path: String
        var errno: Int32
        var creatingDirectory = false
        var description: String {
            "cannot \(creatingDirectory ? "create the directory" : "write") \(path): \(String(cString: strerror(errno)))"
        }
    }
}

/// Bounds-checked little-endian reads over a byte array; every read returns nil past the end.
private struct ByteCursor {
    let bytes: [UInt8]
    var position: Int

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= bytes.count - position else { return nil }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func u8() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16? { little(2).map { UInt16($0) } }
    mutating func u32() -> UInt32? { little(4).map { UInt32($0) } }
    mutating func u64() -> UInt64? { little(8) }

    private mutating func little(_ width: Int) -> UInt64? {
        guard width <= bytes.count - position else { return nil }
        var value: UInt64 = 0
        for index in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[position + index]) }
        position += width
        return value
    }

    mutating func string(_ count: Int) -> String? {
        guard let raw = take(count) else { return nil }
        return String(validating: raw, as: UTF8.self)
    }
}

private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

private func unhex(_ text: String) -> [UInt8]? {
    let characters = Array(text.utf8)
    guard characters.count % 2 == 0 else { return nil }
    func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    var bytes: [UInt8] = []
    var index = 0
    while index < characters.count {
        guard let high = value(characters[index]), let low = value(characters[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
        index += 2
    }
    return bytes
}
