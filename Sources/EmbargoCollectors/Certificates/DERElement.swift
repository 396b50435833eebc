/// Why a DER element could not be read.
enum DERProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(offset: Int)
    case highTagNumber(offset: Int)
    case indefiniteLength(offset: Int)
    case oversizedLength(offset: Int)

    var offset: Int {
        switch self {
        case .truncated(let offset), .highTagNumber(let offset), .indefiniteLength(let offset), .oversizedLength(let offset):
            return offset
        }
    }

    var description: String {
        switch self {
        case .truncated(let offset): return "DER element at byte \(offset) runs past the end of its container"
        case .highTagNumber(let offset): return "DER element at byte \(offset) uses a multi-byte tag"
        case .indefiniteLength(let offset): return "DER element at byte \(offset) has an indefinite length"
        case .oversizedLength(let offset): return "DER element at byte \(offset) has a length field over 4 bytes"
        }
    }
}

/// One tag-length-value element of DER data, as byte offsets into the buffer it was read from.
///
/// Only what the certificate collector needs beyond swift-certificates: locating the raw bytes of
/// a name so it can be rendered exactly, and measuring where one certificate ends.
struct DERElement: Sendable, Equatable {
    var tag: UInt8
    /// Offset of the tag byte.
    var start: Int
    var contentStart: Int
    /// One past the last content byte.
    var end: Int

    var isConstructed: Bool { tag & 0x20 != 0 }

    /// Reads the element starting at `offset`, which must end at or before `limit`.
    static func read(_ bytes: [UInt8], at offset: Int, limit: Int) throws(DERProblem) -> DERElement {
        let limit = min(limit, bytes.count)
        guard offset >= 0, offset + 2 <= limit else { throw .truncated(offset: offset) }
        let tag = bytes[offset]
        if tag & 0x1F == 0x1F { throw .highTagNumber(offset: offset) }
        let first = bytes[offset + 1]
        var cursor = offset + 2
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            if count == 0 { throw .indefiniteLength(offset: offset) }
            if count > 4 { throw .oversizedLength(offset: offset) }
            guard cursor + count <= limit else { throw .truncated(offset: offset) }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
        }
        guard length <= limit - cursor else { throw .truncated(offset: offset) }
        return DERElement(tag: tag, start: offset, contentStart: cursor, end: cursor + length)
    }

    /// The elements directly inside a constructed element.
    func children(_ bytes: [UInt8], maximumCount: Int = 4096) throws(DERProblem) -> [DERElement] {
        var result: [DERElement] = []
        var cursor = contentStart
        while cursor < end {
            guard result.count < maximumCount else { throw .oversizedLength(offset: cursor) }
            let child = try DERElement.read(bytes, at: cursor, limit: end)
            result.append(child)
            cursor = child.end
        }
        return result
    }

    func content(_ bytes: [UInt8]) -> ArraySlice<UInt8> { bytes[contentStart..<end] }
    func encoded(_ bytes: [UInt8]) -> ArraySlice<UInt8> { bytes[start..<end] }
}
