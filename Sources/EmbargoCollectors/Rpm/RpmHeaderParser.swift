#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An RPM header tag number (`rpmtag.h`). Only the tags the inventory reads are named.
public struct RpmTag: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    // Region tags: the first index entry of a header names the region it opens.
    public static let headerImage = RpmTag(61)
    public static let headerSignatures = RpmTag(62)
    public static let headerImmutable = RpmTag(63)
    public static let headerI18NTable = RpmTag(100)

    // Signature tags, copied into the main header when a package is installed.
    public static let signaturePGP = RpmTag(259)
    public static let sigMD5 = RpmTag(261)
    public static let signatureGPG = RpmTag(262)
    public static let dsaHeader = RpmTag(267)
    public static let rsaHeader = RpmTag(268)
    public static let sha1Header = RpmTag(269)
    public static let sha256Header = RpmTag(273)

    public static let name = RpmTag(1000)
    public static let version = RpmTag(1001)
    public static let release = RpmTag(1002)
    public static let epoch = RpmTag(1003)
    public static let summary = RpmTag(1004)
    public static let buildTime = RpmTag(1006)
    public static let buildHost = RpmTag(1007)
    public static let installTime = RpmTag(1008)
    public static let size = RpmTag(1009)
    public static let distribution = RpmTag(1010)
    public static let vendor = RpmTag(1011)
    public static let license = RpmTag(1014)
    public static let packager = RpmTag(1015)
    public static let url = RpmTag(1020)
    public static let arch = RpmTag(1022)
    public static let oldFileNames = RpmTag(1027)
    public static let sourceRPM = RpmTag(1044)
    public static let dirIndexes = RpmTag(1116)
    public static let baseNames = RpmTag(1117)
    public static let dirNames = RpmTag(1118)
    public static let longSize = RpmTag(5009)
    public static let payloadDigest = RpmTag(5092)
    public static let payloadDigestAlgorithm = RpmTag(5093)
    public static let modularityLabel = RpmTag(5096)

    public var description: String { "tag \(rawValue)" }
}

/// The data types of header entries (`rpmTagType_e`).
public enum RpmTagType: UInt32, Sendable {
    case null = 0
    case char = 1
    case int8 = 2
    case int16 = 3
    case int32 = 4
    case int64 = 5
    case string = 6
    case binary = 7
    case stringArray = 8
    case i18nString = 9

    /// Bytes per element of fixed-size types; nil for the NUL-terminated string types.
    var elementSize: Int? {
        switch self {
        case .null: return 0
        case .char, .int8, .binary: return 1
        case .int16: return 2
        case .int32: return 4
        case .int64: return 8
        case .string, .stringArray, .i18nString: return nil
        }
    }

    /// Required alignment of the data in the store.
    var alignment: Int { elementSize.map { max($0, 1) } ?? 1 }
}

/// One index entry of a header, with its data located inside the blob.
public struct RpmHeaderEntry: Sendable, Hashable {
    public var tag: RpmTag
    public var type: RpmTagType
    /// Offset of the entry's data from the start of the blob.
    public var dataOffset: Int
    public var count: Int
    /// Exact length of the data in bytes.
    public var length: Int
}

/// Why a header blob was rejected, with the byte offset inside the blob.
public struct RpmHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "byte \(offset) of the header: \(reason)" }
}

/// A validated RPM header: the blob plus the entries that are in force (entries added after
/// installation, outside the immutable region, replace region entries of the same tag, as rpm does).
public struct RpmHeader: Sendable {
    public let bytes: [UInt8]
    /// One entry per tag, sorted by tag.
    public let entries: [RpmHeaderEntry]

    public func entry(_ tag: RpmTag) -> RpmHeaderEntry? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            let found = entries[middle].tag.rawValue
            if found == tag.rawValue { return entries[middle] }
            if found < tag.rawValue { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    public func contains(_ tag: RpmTag) -> Bool { entry(tag) != nil }

    /// A STRING value, or the first (untranslated) string of an I18NSTRING.
    public func string(_ tag: RpmTag) -> String? {
        guard let entry = entry(tag) else { return nil }
        switch entry.type {
        case .string:
            // Validation found the terminator: the length includes it.
            return RpmHeader.decode(bytes[entry.dataOffset..<entry.dataOffset + entry.length - 1])
        case .i18nString:
            return strings(in: entry, limit: 1).first
        default:
            return nil
        }
    }

    /// A STRING_ARRAY (or a single STRING as a one-element array).
    public func stringArray(_ tag: RpmTag) -> [String]? {
        guard let entry = entry(tag) else { return nil }
        switch entry.type {
        case .stringArray, .i18nString, .string: return strings(in: entry, limit: entry.count)
        default: return nil
        }
    }

    /// Visits the raw bytes of each string of a string entry without decoding them, for scans over
    /// large file lists.
    public func forEachString(_ tag: RpmTag, _ body: (_ index: Int, _ bytes: ArraySlice<UInt8>) -> Void) {
        guard let entry = entry(tag), entry.type == .stringArray || entry.type == .string || entry.type == .i18nString else {
            return
        }
        var position = entry.dataOffset
        let end = entry.dataOffset + entry.length
        var index = 0
        while index < entry.count && position < end {
            var terminator = position
            while terminator < end && bytes[terminator] != 0 { terminator += 1 }
            body(index, bytes[position..<terminator])
            position = terminator + 1
            index += 1
        }
    }

    /// The first value of an integer entry of any width.
    public func integer(_ tag: RpmTag) -> Int64? {
        guard let entry = entry(tag) else { return nil }
        return integers(in: entry, limit: 1).first
    }

    /// All values of an integer entry of any width (unsigned, as rpm stores them).
    public func integers(_ tag: RpmTag) -> [Int64]? {
        guard let entry = entry(tag) else { return nil }
        let values = integers(in: entry, limit: entry.count)
        return values.isEmpty && entry.count > 0 ? nil : values
    }

    /// The raw bytes of a BIN (or CHAR/INT8) entry.
    public func binary(_ tag: RpmTag) -> ArraySlice<UInt8>? {
        guard let entry = entry(tag), entry.type == .binary || entry.type == .char || entry.type == .int8 else {
            return nil
        }
        return bytes[entry.dataOffset..<entry.dataOffset + entry.length]
    }

    private func strings(in entry: RpmHeaderEntry, limit: Int) -> [String] {
        var result: [String] = []
        result.reserveCapacity(min(limit, entry.count))
        var position = entry.dataOffset
        let end = entry.dataOffset + entry.length
        while result.count < limit && position < end {
            var terminator = position
            while terminator < end && bytes[terminator] != 0 { terminator += 1 }
            result.append(RpmHeader.decode(bytes[position..<terminator]))
            position = terminator + 1
        }
        return result
    }

    private func integers(in entry: RpmHeaderEntry, limit: Int) -> [Int64] {
        guard let size = entry.type.elementSize, size > 0, entry.type != .binary else { return [] }
        let view = ByteView(bytes, littleEndian: false)
        var values: [Int64] = []
        let wanted = min(limit, entry.count)
        values.reserveCapacity(wanted)
        for index in 0..<wanted {
            let offset = entry.dataOffset + index * size
            let value: Int64?
            switch size {
            case 1: value = view.uint8(offset).map(Int64.init)
            case 2: value = view.uint16(offset).map(Int64.init)
            case 4: value = view.uint32(offset).map(Int64.init)
            default: value = view.uint64(offset).map { Int64(bitPattern: $0) }
            }
            guard let value else { break }
            values.append(value)
        }
        return values
    }

    /// Header strings are UTF-8 in modern packages; old ones may be Latin-1, which maps byte for
    /// byte onto the first 256 Unicode scalars.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            if !buffer.contains(where: { $0 >= 0x80 }) { return String(decoding: buffer, as: UTF8.self) }
            if let text = String(validating: buffer, as: UTF8.self) { return text }
            var text = ""
            text.unicodeScalars.append(contentsOf: buffer.map { Unicode.Scalar($0) })
            return text
        }
    }
}

/// Parses the header blobs stored in rpm databases: `il` and `dl` (big-endian), `il` index entries
/// of 16 bytes (tag, type, offset, count), then `dl` bytes of data.
///
/// Validation follows what rpm itself does before it trusts a header read from its database
/// (`hdrblobInit`, `hdrblobVerifyRegion`, `hdrblobVerifyInfo`, `hdrblobImport` in `lib/header.c`):
/// counts and lengths are capped, every entry's data must lie inside the data store with its
/// type's alignment and must not overlap the previous entry or the region trailer, strings must be
/// terminated, and the lengths must account for the whole data store. A header rpm would skip as
/// damaged is rejected here too, with the offset of the first bad byte.
public enum RpmHeaderParser {
    /// rpm's limits: at most 65535 index entries and 256 MiB of data per header.
    static let maximumEntries = 0xFFFF
    static let maximumDataLength = 0x0FFF_FFFF
    static let entrySize = 16

    public static func parse(_ bytes: [UInt8]) throws(RpmHeaderError) -> RpmHeader {
        let view = ByteView(bytes, littleEndian: false)
        guard let rawIndexCount = view.uint32(0), let rawDataLength = view.uint32(4) else {
            throw RpmHeaderError(offset: 0, reason: "\(bytes.count) bytes is too short for a header (8-byte preamble)")
        }
        guard rawIndexCount >= 1 else { throw RpmHeaderError(offset: 0, reason: "header has no index entries") }
        guard rawIndexCount <= maximumEntries else {
            throw RpmHeaderError(offset: 0, reason: "index entry count \(rawIndexCount) exceeds rpm's limit of \(maximumEntries)")
        }
        guard rawDataLength <= maximumDataLength else {
            throw RpmHeaderError(offset: 4, reason: "data length \(rawDataLength) exceeds rpm's limit of \(maximumDataLength)")
        }
        let indexCount = Int(rawIndexCount)
        let dataLength = Int(rawDataLength)
        let dataStart = 8 + indexCount * entrySize
        guard dataStart + dataLength <= bytes.count else {
            throw RpmHeaderError(
                offset: min(bytes.count, dataStart),
                reason: "header declares \(indexCount) entries and \(dataLength) data bytes (\(dataStart + dataLength) bytes) but the blob has \(bytes.count)")
        }
        var raw = (0..<indexCount).map { index in RawEntry(view, at: 8 + index * entrySize) }

        // hdrblobVerifyRegion: a leading region tag points at a 16-byte trailer whose negated
        // offset gives the number of entries inside the region.
        let first = raw[0]
        var regionTag: Int32 = 0
        var regionEntryCount = 0
        var regionDataLength = 0
        if first.tag == RpmTag.headerImage.rawValue || first.tag == RpmTag.headerSignatures.rawValue
            || first.tag == RpmTag.headerImmutable.rawValue
        {
            regionTag = first.tag
            guard first.type == RpmTagType.binary.rawValue, first.count == UInt32(entrySize) else {
                throw RpmHeaderError(offset: first.position, reason: "region tag \(first.tag) has type \(first.type) and count \(first.count), not a 16-byte BIN")
            }
            let trailerOffset = Int(first.offset)
            guard trailerOffset >= 0, trailerOffset + entrySize <= dataLength else {
                throw RpmHeaderError(offset: first.position + 8, reason: "region trailer offset \(first.offset) lies outside the \(dataLength)-byte data store")
            }
            let trailer = RawEntry(view, at: dataStart + trailerOffset)
            regionDataLength = trailerOffset + entrySize
            var trailerTag = trailer.tag
            if regionTag == RpmTag.headerSignatures.rawValue && trailerTag == RpmTag.headerImage.rawValue {
                trailerTag = regionTag  // old packages, as rpm fixes up
            }
            guard trailerTag == regionTag, trailer.type == RpmTagType.binary.rawValue, trailer.count == UInt32(entrySize) else {
                throw RpmHeaderError(offset: trailer.position, reason: "region trailer does not repeat region tag \(regionTag)")
            }
            let regionBytes = -Int64(trailer.offset)
            guard regionBytes >= 0, regionBytes % Int64(entrySize) == 0, regionBytes / Int64(entrySize) <= Int64(indexCount) else {
                throw RpmHeaderError(offset: trailer.position + 8, reason: "region trailer gives an invalid region size (\(trailer.offset))")
            }
            regionEntryCount = Int(regionBytes / Int64(entrySize))
        }

        // hdrblobVerifyInfo: every entry after the region tag, in order.
        var previousEnd = 0
        for index in (regionTag != 0 ? 1 : 0)..<indexCount {
            let item = raw[index]
            let entryPosition = item.position
            guard item.tag >= RpmTag.headerI18NTable.rawValue else {
                throw RpmHeaderError(offset: entryPosition, reason: "tag \(item.tag) is reserved (below 100)")
            }
            guard let type = RpmTagType(rawValue: item.type) else {
                throw RpmHeaderError(offset: entryPosition + 4, reason: "tag \(item.tag) has unknown type \(item.type)")
            }
            guard item.count >= 1, item.count <= UInt32(maximumDataLength) else {
                throw RpmHeaderError(offset: entryPosition + 12, reason: "tag \(item.tag) has count \(item.count)")
            }
            let offset = Int(item.offset)
            guard offset >= 0, offset <= dataLength else {
                throw RpmHeaderError(offset: entryPosition + 8, reason: "tag \(item.tag) data offset \(item.offset) lies outside the \(dataLength)-byte data store")
            }
            guard offset % type.alignment == 0 else {
                throw RpmHeaderError(offset: entryPosition + 8, reason: "tag \(item.tag) data offset \(offset) is not aligned for its type")
            }
            guard previousEnd <= offset else {
                throw RpmHeaderError(offset: entryPosition + 8, reason: "tag \(item.tag) data at \(offset) overlaps the previous entry (ending at \(previousEnd))")
            }
            guard let length = exactLength(type: type, count: Int(item.count), at: dataStart + offset, end: dataStart + dataLength, bytes: bytes),
                length > 0
            else {
                throw RpmHeaderError(offset: dataStart + offset, reason: "tag \(item.tag) data (type \(type), count \(item.count)) does not fit in the data store or lacks a terminating NUL")
            }
            let end = offset + length
            if regionTag != 0 && end > regionDataLength - entrySize && offset < regionDataLength {
                throw RpmHeaderError(offset: dataStart + offset, reason: "tag \(item.tag) data overlaps the region trailer")
            }
            previousEnd = end
            raw[index].exactLength = length
        }

        // hdrblobImport: region entries, then "dribble" entries added after installation, which
        // replace region entries of the same tag; the lengths must add up to the data store.
        var entries: [RpmHeaderEntry]
        var accounted: Int
        if first.tag >= RpmTag.headerI18NTable.rawValue {
            // An original v3 header without a region.
            (entries, accounted) = try swab(raw[...], startingAt: 0, dataStart: dataStart, dataLength: dataLength, bytes: bytes)
            guard accounted == dataLength else {
                throw RpmHeaderError(offset: 4, reason: "entries account for \(accounted) data bytes, header declares \(dataLength)")
            }
        } else {
            let inRegion = first.offset != 0 ? regionEntryCount : indexCount
            guard inRegion >= 1 else {
                throw RpmHeaderError(offset: first.position, reason: "region holds no entries")
            }
            (entries, accounted) = try swab(raw[1..<inRegion], startingAt: 0, dataStart: dataStart, dataLength: dataLength, bytes: bytes)
            if inRegion < indexCount {
                let dribble: [RpmHeaderEntry]
                (dribble, accounted) = try swab(raw[inRegion...], startingAt: accounted, dataStart: dataStart, dataLength: dataLength, bytes: bytes)
                if dribble.contains(where: { $0.tag == .baseNames }) {
                    entries.removeAll { $0.tag == .oldFileNames }
                }
                entries += dribble
            }
            accounted += entrySize
            guard accounted == dataLength else {
                throw RpmHeaderError(offset: 4, reason: "entries account for \(accounted) data bytes, header declares \(dataLength)")
            }
        }
        return RpmHeader(bytes: bytes, entries: inForce(entries))
    }

    /// Sorts the entries by tag and keeps one per tag: the last, so that entries added after the
    /// region (and later ones among those) replace earlier ones, as rpm's headerImport does.
    private static func inForce(_ entries: [RpmHeaderEntry]) -> [RpmHeaderEntry] {
        // rpm writes the region in tag order and adds a handful of entries after it: find the
        // sorted prefix and merge the rest into it, instead of sorting everything.
        var sortedPrefix = 1
        while sortedPrefix < entries.count && entries[sortedPrefix - 1].tag.rawValue < entries[sortedPrefix].tag.rawValue {
            sortedPrefix += 1
        }
        if sortedPrefix >= entries.count { return entries }
        // Sort positions, not entries, so equal tags keep their order (the sort is not stable).
        let rest = (sortedPrefix..<entries.count).sorted { (entries[$0].tag.rawValue, $0) < (entries[$1].tag.rawValue, $1) }
        var result: [RpmHeaderEntry] = []
        result.reserveCapacity(entries.count)
        func add(_ entry: RpmHeaderEntry) {
            if let last = result.last, last.tag == entry.tag {
                result[result.count - 1] = entry
            } else {
                result.append(entry)
            }
        }
        var left = 0
        var right = rest.startIndex
        while left < sortedPrefix || right < rest.endIndex {
            // On equal tags the later entry (from the rest) goes second and so wins.
            if right == rest.endIndex || (left < sortedPrefix && entries[left].tag.rawValue <= entries[rest[right]].tag.rawValue) {
                add(entries[left])
                left += 1
            } else {
                add(entries[rest[right]])
                right += 1
            }
        }
        return result
    }

    /// rpm's `regionSwab`: locates each entry's data and sums the lengths with alignment padding.
    /// Like rpm reading its own database, the length of a string entry is taken as the distance to
    /// the next entry's data, so padding between strings is accounted for.
    private static func swab(
        _ items: ArraySlice<RawEntry>, startingAt initial: Int, dataStart: Int, dataLength: Int, bytes: [UInt8]
    ) throws(RpmHeaderError) -> ([RpmHeaderEntry], Int) {
        var entries: [RpmHeaderEntry] = []
        entries.reserveCapacity(items.count)
        var total = initial
        for index in items.indices {
            let item = items[index]
            guard let type = RpmTagType(rawValue: item.type) else {
                throw RpmHeaderError(offset: item.position + 4, reason: "tag \(item.tag) has unknown type \(item.type)")
            }
            let offset = Int(item.offset)
            guard offset >= 0, offset < dataLength, offset % type.alignment == 0, item.count <= UInt32(maximumDataLength) else {
                throw RpmHeaderError(offset: item.position + 8, reason: "tag \(item.tag) data offset \(item.offset) is invalid")
            }
            guard let exact = item.exactLength ?? exactLength(type: type, count: Int(item.count), at: dataStart + offset, end: dataStart + dataLength, bytes: bytes) else {
                throw RpmHeaderError(offset: dataStart + offset, reason: "tag \(item.tag) data does not fit in the data store")
            }
            var accountedLength = exact
            if type.elementSize == nil, index + 1 < items.endIndex {
                accountedLength = Int(items[index + 1].offset) - offset
                guard accountedLength >= exact else {
                    throw RpmHeaderError(offset: items[index + 1].position + 8, reason: "tag \(items[index + 1].tag) data overlaps tag \(item.tag)")
                }
            }
            if let size = type.elementSize, size > 1, total % size != 0 {
                total += size - total % size
            }
            total += accountedLength
            entries.append(RpmHeaderEntry(tag: RpmTag(item.tag), type: type, dataOffset: dataStart + offset, count: Int(item.count), length: exact))
        }
        return (entries, total)
    }

    /// rpm's `dataLength`: the exact byte length of an entry's data, nil when it does not fit.
    private static func exactLength(type: RpmTagType, count: Int, at start: Int, end: Int, bytes: [UInt8]) -> Int? {
        guard start >= 0, start <= end, end <= bytes.count else { return nil }
        if let size = type.elementSize {
            let length = size * count
            return length <= end - start ? length : nil
        }
        if type == .string && count != 1 { return nil }
        // File lists hold tens of thousands of strings: find each terminator with memchr.
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            var position = start
            var remaining = count
            while remaining > 0 {
                guard position < end, let terminator = memchr(base + position, 0, end - position) else { return nil }
                position = base.distance(to: terminator.assumingMemoryBound(to: UInt8.self)) + 1
                remaining -= 1
            }
            return position - start
        }
    }
}

/// An index entry as stored, before validation.
private struct RawEntry {
    var tag: Int32
    var type: UInt32
    var offset: Int32
    var count: UInt32
    /// Where the entry itself lies in the blob.
    var position: Int
    /// The data length found while validating, reused when the entries are imported.
    var exactLength: Int?

    init(_ view: ByteView, at position: Int) {
        self.position = position
        tag = Int32(bitPattern: view.uint32(position) ?? 0)
        type = view.uint32(position + 4) ?? UInt32.max
        offset = Int32(bitPattern: view.uint32(position + 8) ?? 0)
        count = view.uint32(position + 12) ?? 0
    }
}
