/// Writes header blobs the way rpm lays them out in its database, for parser tests: an index, a
/// data store with each entry aligned to its type, an immutable region closed by a trailer, and
/// optional "dribble" entries after the region (as rpm adds INSTALLTIME and friends on install).
struct RpmHeaderBuilder {
    enum Value {
        case string(String)
        case i18nString([String])
        case stringArray([String])
        case int16([UInt16])
        case int32([UInt32])
        case int64([UInt64])
        case binary([UInt8])
        /// A STRING given as raw bytes (without the NUL), for non-UTF-8 text.
        case rawString([UInt8])

        var type: UInt32 {
            switch self {
            case .string, .rawString: return 6
            case .i18nString: return 9
            case .stringArray: return 8
            case .int16: return 3
            case .int32: return 4
            case .int64: return 5
            case .binary: return 7
            }
        }

        var alignment: Int {
            switch self {
            case .int16: return 2
            case .int32: return 4
            case .int64: return 8
            default: return 1
            }
        }

        var count: Int {
            switch self {
            case .string, .rawString: return 1
            case .i18nString(let values), .stringArray(let values): return values.count
            case .int16(let values): return values.count
            case .int32(let values): return values.count
            case .int64(let values): return values.count
            case .binary(let bytes): return bytes.count
            }
        }

        var bytes: [UInt8] {
            switch self {
            case .string(let text): return Array(text.utf8) + [0]
            case .rawString(let bytes): return bytes + [0]
            case .i18nString(let values), .stringArray(let values): return values.flatMap { Array($0.utf8) + [0] }
            case .int16(let values): return values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            case .int32(let values): return values.flatMap { RpmHeaderBuilder.be32($0) }
            case .int64(let values): return values.flatMap { RpmHeaderBuilder.be32(UInt32($0 >> 32)) + RpmHeaderBuilder.be32(UInt32($0 & 0xFFFF_FFFF)) }
            case .binary(let bytes): return bytes
            }
        }
    }

    var region: [(tag: Int32, value: Value)] = []
    var dribble: [(tag: Int32, value: Value)] = []
    /// Without a region the header is an old v3 header (first tag at least 100).
    var hasRegion = true

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func entry(tag: Int32, type: UInt32, offset: Int32, count: UInt32) -> [UInt8] {
        be32(UInt32(bitPattern: tag)) + be32(type) + be32(UInt32(bitPattern: offset)) + be32(count)
    }

    func build() -> [UInt8] {
        var index: [UInt8] = []
        var data: [UInt8] = []
        func append(_ items: [(tag: Int32, value: Value)]) {
            for item in items {
                while data.count % item.value.alignment != 0 { data.append(0) }
                index += Self.entry(tag: item.tag, type: item.value.type, offset: Int32(data.count), count: UInt32(item.value.count))
                data += item.value.bytes
            }
        }
        var entryCount = region.count + dribble.count
        if hasRegion {
            append(region)
            let trailerOffset = data.count
            let regionEntries = region.count + 1
            data += Self.entry(tag: 63, type: 7, offset: -Int32(regionEntries * 16), count: 16)
            index = Self.entry(tag: 63, type: 7, offset: Int32(trailerOffset), count: 16) + index
            entryCount += 1
            append(dribble)
        } else {
            append(region + dribble)
        }
        return Self.be32(UInt32(entryCount)) + Self.be32(UInt32(data.count)) + index + data
    }

    /// A typical installed package header.
    static func package(name: String = "kesl", installTime: UInt32 = 1_728_993_600) -> RpmHeaderBuilder {
        var builder = RpmHeaderBuilder()
        builder.region = [
            (1000, .string(name)),
            (1001, .string("12.1.0.1297")),
            (1002, .string("1")),
            (1003, .int32([2])),
            (1004, .i18nString(["Kaspersky Endpoint Security", "Kaspersky Endpoint Security (ru)"])),
            (1009, .int32([20])),
            (1011, .string("AO Kaspersky Lab")),
            (1022, .string("x86_64")),
            (1116, .int32([0, 1])),
            (1117, .stringArray(["kesl-control", "kesl"])),
            (1118, .stringArray(["/opt/kaspersky/kesl/bin/", "/etc/init.d/"])),
        ]
        builder.dribble = [(1008, .int32([installTime]))]
        return builder
    }
}
