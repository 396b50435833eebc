import EmbargoInventory

/// A GVariant type, parsed from its type string (`(ssasta{sv})`).
public indirect enum GVariantType: Sendable, Hashable {
    case boolean, byte, int16, uint16, int32, uint32, handle, int64, uint64, double
    case string, objectPath, signature, variant
    case array(GVariantType)
    case maybe(GVariantType)
    case tuple([GVariantType])
    case dictEntry(GVariantType, GVariantType)

    /// Parses one complete type string; nil when it is not exactly one valid type.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        var index = 0
        guard let type = Self.parse(bytes, &index, depth: 0), index == bytes.count else { return nil }
        self = type
    }

    /// Deeper nesting than GVariant itself allows (128) is refused.
    static let maximumDepth = 64

    private static func parse(_ bytes: [UInt8], _ index: inout Int, depth: Int) -> GVariantType? {
        guard index < bytes.count, depth < maximumDepth else { return nil }
        let character = bytes[index]
        index += 1
        switch character {
        case UInt8(ascii: "b"): return .boolean
        case UInt8(ascii: "y"): return .byte
        case UInt8(ascii: "n"): return .int16
        case UInt8(ascii: "q"): return .uint16
        case UInt8(ascii: "i"): return .int32
        case UInt8(ascii: "u"): return .uint32
        case UInt8(ascii: "h"): return .handle
        case UInt8(ascii: "x"): return .int64
        case UInt8(ascii: "t"): return .uint64
        case UInt8(ascii: "d"): return .double
        case UInt8(ascii: "s"): return .string
        case UInt8(ascii: "o"): return .objectPath
        case UInt8(ascii: "g"): return .signature
        case UInt8(ascii: "v"): return .variant
        case UInt8(ascii: "a"): return parse(bytes, &index, depth: depth + 1).map { .array($0) }
        case UInt8(ascii: "m"): return parse(bytes, &index, depth: depth + 1).map { .maybe($0) }
        case UInt8(ascii: "("):
            var members: [GVariantType] = []
            while index < bytes.count && bytes[index] != UInt8(ascii: ")") {
                guard let member = parse(bytes, &index, depth: depth + 1) else { return nil }
                members.append(member)
            }
            guard index < bytes.count else { return nil }
            index += 1
            return .tuple(members)
        case UInt8(ascii: "{"):
            guard let key = parse(bytes, &index, depth: depth + 1), key.isBasic,
                let value = parse(bytes, &index, depth: depth + 1), index < bytes.count, bytes[index] == UInt8(ascii: "}")
            else { return nil }
            index += 1
            return .dictEntry(key, value)
        default:
            return nil
        }
    }

    var isBasic: Bool {
        switch self {
        case .array, .maybe, .tuple, .dictEntry, .variant: return false
        default: return true
        }
    }

    var alignment: Int {
        switch self {
        case .boolean, .byte, .string, .objectPath, .signature: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .handle: return 4
        case .int64, .uint64, .double, .variant: return 8
        case .array(let element), .maybe(let element): return element.alignment
        case .tuple(let members): return members.map(\.alignment).max() ?? 1
        case .dictEntry(let key, let value): return max(key.alignment, value.alignment)
        }
    }

    /// The serialised size of fixed-size types; nil for variable-size ones.
    var fixedSize: Int? {
        switch self {
        case .boolean, .byte: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .handle: return 4
        case .int64, .uint64, .double: return 8
        case .string, .objectPath, .signature, .variant, .array, .maybe: return nil
        case .tuple(let members): return Self.fixedSize(of: members, alignment: alignment)
        case .dictEntry(let key, let value): return Self.fixedSize(of: [key, value], alignment: alignment)
        }
    }

    private static func fixedSize(of members: [GVariantType], alignment: Int) -> Int? {
        if members.isEmpty { return 1 }
        var offset = 0
        for member in members {
            guard let size = member.fixedSize else { return nil }
            offset = align(offset, member.alignment) + size
        }
        return align(offset, alignment)
    }

    static func align(_ offset: Int, _ alignment: Int) -> Int {
        alignment <= 1 ? offset : (offset + alignment - 1) / alignment * alignment
    }
}

/// A decoded GVariant value.
public indirect enum GVariantValue: Sendable, Hashable {
    case boolean(Bool)
    /// Signed integers (`n`, `i`, `x`, `h`).
    case integer(Int64)
    /// Unsigned integers (`y`, `q`, `u`, `t`).
    case unsigned(UInt64)
    case double(Double)
    /// Strings, object paths and signatures.
    case string(String)
    case variant(GVariantValue)
    case array([GVariantValue])
    case maybe(GVariantValue?)
    case tuple([GVariantValue])
    case dictEntry(GVariantValue, GVariantValue)

    public var string: String? {
        if case .string(let text) = self { return text }
        if case .variant(let inner) = self { return inner.string }
        return nil
    }

    public var unsigned: UInt64? {
        switch self {
        case .unsigned(let value): return value
        case .integer(let value): return value >= 0 ? UInt64(value) : nil
        case .variant(let inner): return inner.unsigned
        default: return nil
        }
    }

    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .unsigned(let value): return value <= UInt64(Int64.max) ? Int64(value) : nil
        case .variant(let inner): return inner.integer
        default: return nil
        }
    }

    public var strings: [String]? {
        switch self {
        case .array(let items): return items.compactMap(\.string)
        case .variant(let inner): return inner.strings
        default: return nil
        }
    }

    /// The entries of an `a{s*}` dictionary.
    public var dictionary: [String: GVariantValue]? {
        guard case .array(let items) = self else { return nil }
        var result: [String: GVariantValue] = [:]
        for item in items {
            guard case .dictEntry(let key, let value) = item, let name = key.string else { continue }
            result[name] = value
        }
        return result
    }
}

/// Why serialised GVariant data could not be decoded; `offset` is a byte offset in the input.
public struct GVariantError: Error, Sendable, Equatable {
    public var offset: Int
    public var reason: String
}

/// Decodes GVariant's serialisation format (normal form, little-endian as written on the
/// little-endian machines flatpak runs on). Every read is bounds-checked and the total number of
/// values is capped, so hostile input can only fail, never crash or exhaust memory.
public struct GVariantDecoder {
    public static let maximumValues = 1_000_000
    let bytes: [UInt8]
    private var values = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Decodes the whole input as one value of `type`.
    public static func decode(_ bytes: [UInt8], as type: GVariantType) throws(GVariantError) -> GVariantValue {
        var decoder = GVariantDecoder(bytes)
        return try decoder.decode(type, 0..<bytes.count, depth: 0)
    }

    private mutating func decode(_ type: GVariantType, _ range: Range<Int>, depth: Int) throws(GVariantError) -> GVariantValue {
        values += 1
        guard values <= Self.maximumValues else { throw GVariantError(offset: range.lowerBound, reason: "too many values") }
        guard depth < GVariantType.maximumDepth else { throw GVariantError(offset: range.lowerBound, reason: "nesting too deep") }
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, range.lowerBound <= range.upperBound else {
            throw GVariantError(offset: max(0, range.lowerBound), reason: "value extends past the end of the data")
        }
        if let size = type.fixedSize, range.count != size {
            throw GVariantError(offset: range.lowerBound, reason: "fixed-size value has \(range.count) bytes, expected \(size)")
        }
        switch type {
        case .boolean: return .boolean(bytes[range.lowerBound] != 0)
        case .byte: return .unsigned(UInt64(bytes[range.lowerBound]))
        case .uint16: return .unsigned(little(range))
        case .uint32: return .unsigned(little(range))
        case .uint64: return .unsigned(little(range))
        case .int16: return .integer(Int64(Int16(truncatingIfNeeded: little(range))))
        case .int32, .handle: return .integer(Int64(Int32(truncatingIfNeeded: little(range))))
        case .int64: return .integer(Int64(bitPattern: little(range)))
        case .double: return .double(Double(bitPattern: little(range)))
        case .string, .objectPath, .signature:
            guard let last = range.last, bytes[last] == 0 else {
                throw GVariantError(offset: range.lowerBound, reason: "string is not NUL-terminated")
            }
            return .string(String(decoding: bytes[range.lowerBound..<last], as: UTF8.self))
        case .variant:
            guard let zero = bytes[range].lastIndex(of: 0) else {
                throw GVariantError(offset: range.lowerBound, reason: "variant has no type string")
            }
            let typeText = String(decoding: bytes[(zero + 1)..<range.upperBound], as: UTF8.self)
            guard let inner = GVariantType(typeText) else {
                throw GVariantError(offset: zero + 1, reason: "variant type '\(excerpt(typeText, limit: 40))' is not a valid type")
            }
            return .variant(try decode(inner, range.lowerBound..<zero, depth: depth + 1))
        case .maybe(let element):
            if range.isEmpty { return .maybe(nil) }
            if element.fixedSize != nil { return .maybe(try decode(element, range, depth: depth + 1)) }
            // A variable-size child is followed by one zero byte.
            return .maybe(try decode(element, range.lowerBound..<(range.upperBound - 1), depth: depth + 1))
        case .array(let element):
            return .array(try decodeArray(element, range, depth: depth))
        case .tuple(let members):
            return .tuple(try decodeMembers(members, range, depth: depth))
        case .dictEntry(let key, let value):
            let members = try decodeMembers([key, value], range, depth: depth)
            return .dictEntry(members[0], members[1])
        }
    }

    private mutating func decodeArray(_ element: GVariantType, _ range: Range<Int>, depth: Int) throws(GVariantError) -> [GVariantValue] {
        if range.isEmpty { return [] }
        if let size = element.fixedSize {
            guard range.count % size == 0 else {
                throw GVariantError(offset: range.lowerBound, reason: "array of \(size)-byte elements has \(range.count) bytes")
            }
            var items: [GVariantValue] = []
            var start = range.lowerBound
            while start < range.upperBound {
                items.append(try decode(element, start..<(start + size), depth: depth + 1))
                start += size
            }
            return items
        }
        let offsetSize = Self.offsetSize(range.count)
        let tableStart = try offset(at: range.upperBound - offsetSize, size: offsetSize, container: range)
        guard tableStart <= range.count - offsetSize, (range.count - tableStart) % offsetSize == 0 else {
            throw GVariantError(offset: range.upperBound - offsetSize, reason: "array framing offsets are inconsistent")
        }
        let count = (range.count - tableStart) / offsetSize
        var items: [GVariantValue] = []
        items.reserveCapacity(min(count, 4096))
        var start = 0
        for item in 0..<count {
            let end = try offset(at: range.lowerBound + tableStart + item * offsetSize, size: offsetSize, container: range)
            let alignedStart = GVariantType.align(start, element.alignment)
            guard alignedStart <= end, end <= tableStart else {
                throw GVariantError(offset: range.lowerBound + tableStart, reason: "array element \(item) has an invalid end offset")
            }
            items.append(try decode(element, (range.lowerBound + alignedStart)..<(range.lowerBound + end), depth: depth + 1))
            start = end
        }
        return items
    }

    private mutating func decodeMembers(_ members: [GVariantType], _ range: Range<Int>, depth: Int) throws(GVariantError) -> [GVariantValue] {
        let offsetSize = Self.offsetSize(range.count)
        var framingEnd = range.count  // relative; framing offsets are read backwards from here
        var position = 0
        var values: [GVariantValue] = []
        for (index, member) in members.enumerated() {
            position = GVariantType.align(position, member.alignment)
            let end: Int
            if let size = member.fixedSize {
                end = position + size
            } else if index == members.count - 1 {
                end = framingEnd
            } else {
                framingEnd -= offsetSize
                guard framingEnd >= 0 else {
                    throw GVariantError(offset: range.lowerBound, reason: "tuple is too short for its framing offsets")
                }
                end = try offset(at: range.lowerBound + framingEnd, size: offsetSize, container: range)
            }
            guard position <= end, end <= framingEnd else {
                throw GVariantError(offset: range.lowerBound + position, reason: "tuple member \(index) lies outside the tuple")
            }
            values.append(try decode(member, (range.lowerBound + position)..<(range.lowerBound + end), depth: depth + 1))
            position = end
        }
        return values
    }

    private func offset(at index: Int, size: Int, container: Range<Int>) throws(GVariantError) -> Int {
        guard index >= container.lowerBound, index + size <= container.upperBound else {
            throw GVariantError(offset: max(0, index), reason: "framing offset lies outside its container")
        }
        let value = little(index..<(index + size))
        guard value <= UInt64(container.count) else {
            throw GVariantError(offset: index, reason: "framing offset \(value) exceeds the container size \(container.count)")
        }
        return Int(value)
    }

    private func little(_ range: Range<Int>) -> UInt64 {
        var value: UInt64 = 0
        for index in range.reversed() { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    static func offsetSize(_ containerSize: Int) -> Int {
        switch containerSize {
        case 0...0xFF: return 1
        case 0x100...0xFFFF: return 2
        case 0x1_0000...0xFFFF_FFFF: return 4
        default: return 8
        }
    }
}
