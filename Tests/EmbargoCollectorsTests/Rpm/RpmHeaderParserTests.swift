@testable import EmbargoCollectors
import EmbargoInventory
import Foundation
import Testing

@Suite("RPM header blobs")
struct RpmHeaderParserTests {
    @Test func readsRegionEntriesAndDribble() throws {
        let header = try RpmHeaderParser.parse(RpmHeaderBuilder.package().build())
        #expect(header.string(.name) == "kesl")
        #expect(header.string(.version) == "12.1.0.1297")
        #expect(header.integer(.epoch) == 2)
        // I18NSTRING: the first string is the untranslated (C locale) one, as rpm -q shows.
        #expect(header.string(.summary) == "Kaspersky Endpoint Security")
        #expect(header.integer(.installTime) == 1_728_993_600)
        #expect(header.stringArray(.baseNames) == ["kesl-control", "kesl"])
        #expect(header.integers(.dirIndexes) == [0, 1])
        #expect(RpmPackageDecoder.filePaths(of: header) == ["/opt/kaspersky/kesl/bin/kesl-control", "/etc/init.d/kesl"])
        #expect(!header.contains(.headerImmutable))
    }

    @Test func dribbleEntriesReplaceRegionEntries() throws {
        var builder = RpmHeaderBuilder.package()
        builder.region.append((1027, .stringArray(["/old/path"])))
        builder.dribble = [
            (1008, .int32([100])),
            (1011, .string("Replaced Vendor")),
            (1117, .stringArray(["only"])),
        ]
        // The region must stay sorted by data offset; OLDFILENAMES (1027) goes before BASENAMES.
        builder.region.sort { $0.tag < $1.tag }
        let header = try RpmHeaderParser.parse(builder.build())
        #expect(header.string(.vendor) == "Replaced Vendor")
        #expect(header.integer(.installTime) == 100)
        #expect(header.stringArray(.baseNames) == ["only"])
        // rpm drops OLDFILENAMES when a dribble BASENAMES arrives (headerImport).
        #expect(!header.contains(.oldFileNames))
        #expect(header.entries.filter { $0.tag == .vendor }.count == 1)
    }

    @Test func readsLegacyHeadersWithoutRegion() throws {
        var builder = RpmHeaderBuilder()
        builder.hasRegion = false
        builder.region = [
            (1000, .string("old")), (1001, .string("1.0")), (1002, .string("1")),
            (1027, .stringArray(["/usr/bin/old", "/etc/old.conf"])),
            (5009, .int64([5_000_000_000])),
        ]
        let header = try RpmHeaderParser.parse(builder.build())
        #expect(header.string(.name) == "old")
        #expect(RpmPackageDecoder.filePaths(of: header) == ["/usr/bin/old", "/etc/old.conf"])
        #expect(header.integer(.longSize) == 5_000_000_000)
    }

    @Test func decodesLatin1StringsOfOldPackages() throws {
        var builder = RpmHeaderBuilder.package()
        let vendor = builder.region.firstIndex { $0.tag == 1011 }!
        builder.region[vendor] = (1011, .rawString([0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]))  // "Müller" in Latin-1
        let header = try RpmHeaderParser.parse(builder.build())
        #expect(header.string(.vendor) == "Müller")
        #expect(RpmHeader.decode(Array("Müller".utf8)[...]) == "Müller")
    }

    // MARK: - Malformed headers: a typed error with the offset of the bad byte, never a trap.

    struct Corruption: Sendable, CustomStringConvertible {
        var description: String
        var mutate: @Sendable ([UInt8]) -> [UInt8]
        /// The byte offset the error must point at, or nil to accept any offset inside the blob.
        var offset: Int?
    }

    static func set32(_ bytes: [UInt8], _ offset: Int, _ value: UInt32) -> [UInt8] {
        var copy = bytes
        copy.replaceSubrange(offset..<offset + 4, with: RpmHeaderBuilder.be32(value))
        return copy
    }

    /// Offsets in the blob of `RpmHeaderBuilder.package()`: 13 entries (region tag, 11 region
    /// entries, INSTALLTIME after the region), so the index starts at 8 and data at 8 + 13 * 16 = 216.
    static let corruptions: [Corruption] = [
        Corruption(description: "empty", mutate: { _ in [] }, offset: 0),
        Corruption(description: "preamble only", mutate: { Array($0.prefix(8)) }, offset: 8),
        Corruption(description: "truncated data", mutate: { Array($0.dropLast(5)) }, offset: 216),
        Corruption(description: "no entries", mutate: { set32($0, 0, 0) }, offset: 0),
        Corruption(description: "entry count over rpm's limit", mutate: { set32($0, 0, 0x10000) }, offset: 0),
        Corruption(description: "data length over rpm's limit", mutate: { set32($0, 4, 0x1000_0000) }, offset: 4),
        Corruption(description: "region tag with wrong type", mutate: { set32($0, 12, 6) }, offset: 8),
        Corruption(description: "region trailer outside data", mutate: { set32($0, 16, 0x7FFF_FFF0) }, offset: 16),
        Corruption(description: "unknown type", mutate: { set32($0, 24 + 4, 42) }, offset: 28),
        Corruption(description: "reserved tag", mutate: { set32($0, 24, 50) }, offset: 24),
        Corruption(description: "zero count", mutate: { set32($0, 24 + 12, 0) }, offset: 36),
        Corruption(description: "misaligned int32 (EPOCH)", mutate: { bytes in
            // Entry 4 is EPOCH (INT32); make its offset odd.
            let position = 8 + 4 * 16 + 8
            let offset = UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16 | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
            return set32(bytes, position, offset + 1)
        }, offset: 8 + 4 * 16 + 8),
        Corruption(description: "overlapping entries", mutate: { set32($0, 8 + 2 * 16 + 8, 0) }, offset: 8 + 2 * 16 + 8),
        Corruption(description: "string without NUL", mutate: { bytes in
            var copy = bytes
            copy[216 + 4] = 0x41  // NAME "kesl\0": overwrite the NUL
            return copy
        }, offset: nil),
        Corruption(description: "data store larger than the entries", mutate: { bytes in
            let dataLength = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            return set32(bytes, 4, dataLength + 4) + [0, 0, 0, 0]
        }, offset: 4),
        Corruption(description: "offset beyond data store", mutate: { set32($0, 8 + 3 * 16 + 8, 0x00FF_FFFF) }, offset: 8 + 3 * 16 + 8),
    ]

    @Test("malformed header gives a typed error with offset", arguments: corruptions)
    func rejectsMalformedHeader(_ corruption: Corruption) throws {
        let valid = RpmHeaderBuilder.package().build()
        #expect(throws: Never.self) { try RpmHeaderParser.parse(valid) }
        let bytes = corruption.mutate(valid)
        do {
            _ = try RpmHeaderParser.parse(bytes)
            Issue.record("\(corruption) was accepted")
        } catch {
            if let offset = corruption.offset {
                #expect(error.offset == offset, "\(corruption): \(error)")
            } else {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(corruption): \(error)")
            }
            #expect(!error.reason.isEmpty)
        }
    }

    /// Random damage to valid headers (synthetic and real) never traps: the parser either returns
    /// a header whose accessors stay in bounds, or throws.
    @Test func survivesRandomDamage() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        var samples = [RpmHeaderBuilder.package().build()]
        let contents = BerkeleyHashDatabaseParser.parse(
            Array(try Data(contentsOf: RpmFixtures.shared("syft/redhat-dive-bdb/Packages"))), path: "/Packages")
        samples += contents.blobs.map(\.bytes)
        for sample in samples {
            for round in 0..<1500 {
                var bytes = sample
                switch round % 3 {
                case 0:
                    for _ in 0..<(1 + round % 4) {
                        let index = Int.random(in: 0..<bytes.count, using: &generator)
                        bytes[index] = UInt8.random(in: 0...255, using: &generator)
                    }
                case 1:
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
                default:
                    // Damage the index, where offsets and counts live.
                    let index = Int.random(in: 0..<min(bytes.count, 8 + 16 * 40), using: &generator)
                    bytes[index] ^= UInt8.random(in: 1...255, using: &generator)
                }
                if let header = try? RpmHeaderParser.parse(bytes) {
                    for entry in header.entries {
                        _ = header.string(entry.tag)
                        _ = header.stringArray(entry.tag)
                        _ = header.integers(entry.tag)
                        _ = header.binary(entry.tag)
                    }
                    _ = RpmPackageDecoder.filePaths(of: header)
                    _ = RpmPackageDecoder.metadata(of: header, record: 1)
                }
            }
        }
    }

    @Test func timestampsMatchTheInventoryFormat() {
        var generator = SeededGenerator(seed: 3)
        let samples: [Int64] = [0, -1, 86_399, 86_400, 951_782_400, 1_728_993_600, 4_102_444_799, -2_208_988_800]
            + (0..<2000).map { _ in Int64.random(in: -3_000_000_000...7_000_000_000, using: &generator) }
        for seconds in samples {
            #expect(UTCTimestamp.rfc3339(seconds) == RFC3339.format(Date(timeIntervalSince1970: Double(seconds))), "\(seconds)")
        }
        #expect(UTCTimestamp.cTime(1_680_545_439) == "Mon Apr  3 18:10:39 2023")
        #expect(UTCTimestamp.cTime(1_728_993_600) == "Tue Oct 15 12:00:00 2024")
    }

    @Test func readsOpenPGPSignatures() throws {
        // A v4 signature packet: RSA/SHA256, creation time subpacket, issuer subpacket.
        let hashed: [UInt8] = [5, 2] + RpmHeaderBuilder.be32(1_680_546_639)
        let unhashed: [UInt8] = [9, 16, 0x19, 0x9E, 0x2F, 0x91, 0xFD, 0x43, 0x1D, 0x51]
        var body: [UInt8] = [4, 0, 1, 8, 0, UInt8(hashed.count)] + hashed + [0, UInt8(unhashed.count)] + unhashed
        body += [0xAB, 0xCD, 0, 0]  // hash prefix and an empty MPI
        let packet: [UInt8] = [0x89, 0, UInt8(body.count)] + body
        let signature = try #require(OpenPGPSignatureParser.parse(packet[...]))
        #expect(signature.summary == "RSA/SHA256, Mon Apr  3 18:30:39 2023, Key ID 199e2f91fd431d51")
        for cut in 0..<packet.count { _ = OpenPGPSignatureParser.parse(packet.prefix(cut)) }
        #expect(OpenPGPSignatureParser.parse([0x00, 1, 2][...]) == nil)
    }
}

/// A small deterministic generator so damage tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
