import EmbargoFileSystem

/// Random access to the bytes of a file or of a buffer, so parsers of large binary formats read
/// only the parts they need (an ELF file's headers are at both ends of a file of any size).
public protocol ByteSource {
    /// Total size in bytes.
    var size: Int64 { get }
    /// Exactly `count` bytes at `offset`, or ``ELFError/truncated(offset:needed:what:)`` naming `what`.
    func bytes(at offset: Int64, count: Int, what: String) throws(ELFError) -> [UInt8]
}

extension ByteSource {
    /// Checks that `count` bytes at `offset` lie inside the source, without overflow.
    func contains(offset: Int64, count: Int64) -> Bool {
        offset >= 0 && count >= 0 && offset <= size && count <= size - offset
    }
}

/// A byte buffer in memory (a whole small file, decompressed data, a test's bytes).
public struct BufferByteSource: ByteSource, Sendable {
    public let buffer: [UInt8]

    public init(_ buffer: [UInt8]) {
        self.buffer = buffer
    }

    public var size: Int64 { Int64(buffer.count) }

    public func bytes(at offset: Int64, count: Int, what: String) throws(ELFError) -> [UInt8] {
        guard contains(offset: offset, count: Int64(count)) else {
            throw .truncated(offset: offset, needed: Int64(count), what: what)
        }
        let start = Int(offset)
        return Array(buffer[start..<start + count])
    }
}

/// An open regular file read with `pread`: only the requested ranges are read.
public struct FileByteSource: ByteSource {
    public let file: OpenedRegularFile
    /// Called with the number of bytes each read returned (for accounting in scans).
    let onRead: ((Int) -> Void)?

    public init(_ file: OpenedRegularFile, onRead: ((Int) -> Void)? = nil) {
        self.file = file
        self.onRead = onRead
    }

    public var size: Int64 { file.status.size }

    public func bytes(at offset: Int64, count: Int, what: String) throws(ELFError) -> [UInt8] {
        guard contains(offset: offset, count: Int64(count)) else {
            throw .truncated(offset: offset, needed: Int64(count), what: what)
        }
        let bytes: [UInt8]
        do {
            bytes = try file.read(at: offset, count: count)
        } catch {
            throw .io(error)
        }
        onRead?(bytes.count)
        // The file shrank since fstat: the same answer as a short file.
        guard bytes.count == count else { throw .truncated(offset: offset, needed: Int64(count), what: what) }
        return bytes
    }
}

/// Reads integers of one byte order out of a buffer that was read at `base` in the file; every
/// read is bounds-checked and a miss names the absolute file offset.
struct EndianReader {
    let bytes: [UInt8]
    let base: Int64
    let bigEndian: Bool
    let what: String

    func u8(_ at: Int) throws(ELFError) -> UInt8 {
        guard at >= 0, at < bytes.count else { throw miss(at, 1) }
        return bytes[at]
    }

    func u16(_ at: Int) throws(ELFError) -> UInt16 {
        guard at >= 0, at <= bytes.count - 2 else { throw miss(at, 2) }
        let a = UInt16(bytes[at])
        let b = UInt16(bytes[at + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    func u32(_ at: Int) throws(ELFError) -> UInt32 {
        guard at >= 0, at <= bytes.count - 4 else { throw miss(at, 4) }
        var value: UInt32 = 0
        for index in 0..<4 {
            let byte = UInt32(bytes[at + (bigEndian ? index : 3 - index)])
            value = value << 8 | byte
        }
        return value
    }

    func u64(_ at: Int) throws(ELFError) -> UInt64 {
        guard at >= 0, at <= bytes.count - 8 else { throw miss(at, 8) }
        var value: UInt64 = 0
        for index in 0..<8 {
            let byte = UInt64(bytes[at + (bigEndian ? index : 7 - index)])
            value = value << 8 | byte
        }
        return value
    }

    /// A 32- or 64-bit word (addresses, offsets, sizes), by class.
    func word(_ at: Int, is64: Bool) throws(ELFError) -> UInt64 {
        is64 ? try u64(at) : UInt64(try u32(at))
    }

    private func miss(_ at: Int, _ width: Int) -> ELFError {
        .truncated(offset: base + Int64(at), needed: Int64(width), what: what)
    }
}
