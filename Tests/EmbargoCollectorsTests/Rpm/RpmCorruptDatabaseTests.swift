@testable import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

/// Damaged databases, made by truncating and flipping bytes of copies of the real fixtures: each
/// gives typed errors naming the file and the byte offset, the undamaged packages of the same
/// database are still reported, and nothing traps or hangs.
@Suite("Damaged RPM databases", .timeLimit(.minutes(2)))
struct RpmCorruptDatabaseTests {
    static func bytes(_ fixture: String) throws -> [UInt8] {
        Array(try Data(contentsOf: RpmFixtures.shared(fixture)))
    }

    /// Writes `bytes` as `<directory>/<name>` in a fresh root and collects it.
    static func collect(_ bytes: [UInt8], name: String, directory: String = "var/lib/rpm") async throws -> CollectorOutput {
        let root = try TemporaryDirectory(prefix: "embargo-rpm-bad")
        try root.write(directory + "/" + name, Data(bytes))
        return try await RpmFixtures.collect(root)
    }

    static func rpmErrors(_ output: CollectorOutput) -> [ScanIssue] {
        output.inventory.issues.filter { $0.collector == "rpm" && $0.severity == .error }
    }

    @Test("empty file", arguments: RpmDatabaseFormat.allCases)
    func emptyFile(_ format: RpmDatabaseFormat) async throws {
        let output = try await Self.collect([], name: format.fileName)
        #expect(output.inventory.packages.isEmpty)
        let issue = try #require(Self.rpmErrors(output).first)
        #expect(issue.location.path == "/var/lib/rpm/" + format.fileName)
        #expect(issue.code == "rpm.not-a-database")
        if format != .sqlite { #expect(issue.location.offset == 0) }
    }

    /// osv-scalibr's `invalid` fixture (5 bytes of text) expects an error and no package.
    @Test("garbage file", arguments: RpmDatabaseFormat.allCases)
    func garbage(_ format: RpmDatabaseFormat) async throws {
        let expectations = try RpmFixtures.expectations("osv-scalibr/rpm-invalid")
        #expect(expectations.allSatisfy { $0["error_expected"] as? Bool == true && ($0["packages"] as? [Any])?.isEmpty == true })
        for bytes in [try Self.bytes("osv-scalibr/rpm-invalid/invalid"), [UInt8](repeating: 0xA5, count: 70_000)] {
            let output = try await Self.collect(bytes, name: format.fileName)
            #expect(output.inventory.packages.isEmpty)
            let issue = try #require(Self.rpmErrors(output).first)
            #expect(issue.location.path == "/var/lib/rpm/" + format.fileName)
            #expect(["rpm.not-a-database", "rpm.sqlite-error"].contains(issue.code), "\(issue)")
        }
    }

    @Test func truncatedBerkeleyDB() async throws {
        let full = try Self.bytes("go-rpmdb/centos7-httpd24/Packages")
        let half = Array(full.prefix(full.count / 2 + 1234))
        let output = try await Self.collect(half, name: "Packages")
        let errors = Self.rpmErrors(output)
        let truncation = try #require(errors.first { $0.code == "rpm.truncated-database" })
        #expect(truncation.location.path == "/var/lib/rpm/Packages")
        #expect(truncation.location.offset == half.count)
        // Headers whose pages survived are still reported, each complete.
        #expect(output.inventory.packages.count > 50 && output.inventory.packages.count < 225)
        #expect(output.inventory.packages.allSatisfy { !$0.version.isEmpty && $0.release != nil })
        #expect(errors.allSatisfy { $0.location.offset != nil })
        // Truncation at page boundaries and inside the metadata page as well.
        for length in [512, 4096, 4096 * 3, 100_000, full.count - 1] {
            let output = try await Self.collect(Array(full.prefix(length)), name: "Packages")
            #expect(!Self.rpmErrors(output).isEmpty, "truncated at \(length)")
        }
    }

    @Test func corruptedHeaderInTheMiddleOfBerkeleyDB() async throws {
        var bytes = try Self.bytes("go-rpmdb/centos7-plain/Packages")
        let blobs = BerkeleyHashDatabaseParser.parse(bytes, path: "/x").blobs
        #expect(blobs.count == 144)
        let victim = blobs[70]
        // Damage the index of the 71st header: the data offset of its third entry.
        let target = try #require(victim.fileOffset(ofBlobOffset: 8 + 2 * 16 + 8))
        bytes[target] ^= 0x40
        let output = try await Self.collect(bytes, name: "Packages")
        let errors = Self.rpmErrors(output)
        try #require(errors.count == 1, "\(errors)")
        #expect(errors[0].code == "rpm.malformed-header")
        #expect(errors[0].location.path == "/var/lib/rpm/Packages")
        #expect(errors[0].location.offset == target)
        #expect(errors[0].message.contains("record \(victim.record)"))
        #expect(output.inventory.packages.count == 143)
        let expected = try RpmFixtures.rpmQueryAll("go-rpmdb/centos7-plain").map { $0.peerText("name") ?? "" }
        var survivors = expected
        survivors.remove(at: 70)
        #expect(output.inventory.packages.map(\.name) == survivors)
    }

    @Test func damagedBerkeleyDBPagesAndChains() async throws {
        let original = try Self.bytes("go-rpmdb/centos7-plain/Packages")
        let pageSize = Int(original[20]) | Int(original[21]) << 8 | Int(original[22]) << 16
        let pages = original.count / pageSize
        func pageType(_ page: Int) -> UInt8 { original[page * pageSize + 25] }
        func setNext(_ bytes: inout [UInt8], page: Int, to value: Int) {
            for index in 0..<4 { bytes[page * pageSize + 16 + index] = UInt8((value >> (8 * index)) & 0xFF) }
        }
        // A hash page whose chain points back to itself.
        let hashPage = try #require((1..<pages).first { pageType($0) == 13 && original[$0 * pageSize + 20] > 0 })
        var looped = original
        setNext(&looped, page: hashPage, to: hashPage)
        var output = try await Self.collect(looped, name: "Packages")
        #expect(Self.rpmErrors(output).contains { $0.code == "rpm.corrupt-database" && $0.location.offset == hashPage * pageSize })
        #expect(output.inventory.packages.count >= 100)
        // An overflow chain that loops.
        let overflowPage = try #require((1..<pages).first {
            pageType($0) == 7 && (original[$0 * pageSize + 16] != 0 || original[$0 * pageSize + 17] != 0)
        })
        var overflowLoop = original
        setNext(&overflowLoop, page: overflowPage, to: overflowPage)
        output = try await Self.collect(overflowLoop, name: "Packages")
        #expect(Self.rpmErrors(output).contains { $0.code == "rpm.corrupt-database" })
        #expect(output.inventory.packages.count == 143)
        // A page whose number field lies.
        var mislabelled = original
        mislabelled[overflowPage * pageSize + 8] ^= 0x01
        output = try await Self.collect(mislabelled, name: "Packages")
        #expect(Self.rpmErrors(output).contains { $0.location.offset == overflowPage * pageSize + 8 })
        #expect(output.inventory.packages.count == 143)
        // Absurd metadata: page size and bucket count.
        var badPageSize = original
        badPageSize[20] = 0x33
        output = try await Self.collect(badPageSize, name: "Packages")
        #expect(Self.rpmErrors(output).map(\.location.offset) == [20])
        var badBuckets = original
        for index in 72..<76 { badBuckets[index] = 0xFF }
        output = try await Self.collect(badBuckets, name: "Packages")
        #expect(Self.rpmErrors(output).map(\.location.offset) == [72])
    }

    /// Random damage over a whole small database never traps and never hangs.
    @Test func berkeleyDBSurvivesRandomDamage() throws {
        var generator = SeededGenerator(seed: 42)
        for fixture in ["go-rpmdb/libuuid/Packages", "syft/redhat-dive-bdb/Packages"] {
            let original = try Self.bytes(fixture)
            for round in 0..<300 {
                var bytes = original
                for _ in 0..<(1 + round % 16) {
                    // Favour page headers and index areas, where the structure lives.
                    let page = Int.random(in: 0..<(bytes.count / 4096), using: &generator)
                    let offset = round % 2 == 0 ? Int.random(in: 0..<64, using: &generator) : Int.random(in: 0..<4096, using: &generator)
                    bytes[page * 4096 + offset] = UInt8.random(in: 0...255, using: &generator)
                }
                let contents = BerkeleyHashDatabaseParser.parse(bytes, path: "/p")
                for blob in contents.blobs { _ = try? RpmHeaderParser.parse(blob.bytes) }
                #expect(contents.errors.allSatisfy { $0.path == "/p" })
            }
        }
    }

    @Test func bothByteOrdersOfBerkeleyDB() async throws {
        let little = try Self.bytes("go-rpmdb/centos7-httpd24/Packages")
        let big = try BerkeleyByteSwapper.swap(little)
        #expect(big != little)
        let fromLittle = try await Self.collect(little, name: "Packages")
        let fromBig = try await Self.collect(big, name: "Packages")
        #expect(fromBig.inventory.issues.isEmpty, "\(fromBig.inventory.issues.prefix(3))")
        #expect(fromBig.inventory.packages.count == 225)
        #expect(fromBig.inventory.packages.map(\.id) == fromLittle.inventory.packages.map(\.id))
        #expect(fromBig.inventory.packages.map(\.metadata) == fromLittle.inventory.packages.map(\.metadata))
    }

    @Test func damagedNDB() async throws {
        let original = try Self.bytes("go-rpmdb/sle15-bci/Packages.db")
        let blobs = NdbDatabaseParser.parse(original, path: "/x").blobs
        #expect(blobs.count == 35)
        // Flip one byte inside the 10th blob: its checksum no longer matches.
        var flipped = original
        let target = try #require(blobs[9].fileRuns.first).fileOffset + 100
        flipped[target] ^= 0xFF
        var output = try await Self.collect(flipped, name: "Packages.db")
        var errors = Self.rpmErrors(output)
        #expect(errors.count == 1)
        #expect(errors.first?.code == "rpm.corrupt-database")
        #expect(errors.first?.location.path == "/var/lib/rpm/Packages.db")
        #expect(errors.first?.message.contains("checksum") == true)
        #expect(output.inventory.packages.count == 34)
        // Truncated: blobs past the end are reported one by one; the ones before remain.
        let truncated = Array(original.prefix(original.count * 2 / 3 / 16 * 16))
        output = try await Self.collect(truncated, name: "Packages.db")
        errors = Self.rpmErrors(output)
        #expect(!errors.isEmpty && errors.allSatisfy { $0.code == "rpm.truncated-database" && $0.location.offset != nil })
        #expect(output.inventory.packages.count + errors.count == 35)
        // A damaged slot: its magic is gone.
        var badSlot = original
        badSlot[32] = 0
        output = try await Self.collect(badSlot, name: "Packages.db")
        errors = Self.rpmErrors(output)
        #expect(errors.map(\.location.offset) == [32])
        #expect(output.inventory.packages.count == 34)
        // Header too short for the slot pages it declares.
        output = try await Self.collect(Array(original.prefix(2000)), name: "Packages.db")
        #expect(Self.rpmErrors(output).map(\.code) == ["rpm.truncated-database"])
        // Random damage.
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            var bytes = original
            for _ in 0..<4 {
                let index = Int.random(in: 0..<min(bytes.count, 8192), using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            let contents = NdbDatabaseParser.parse(bytes, path: "/p")
            #expect(contents.blobs.count + contents.errors.count >= 1)
        }
    }

    @Test(.enabled(if: Command.isAvailable("sqlite3"), "sqlite3 is needed to damage rows of a copy: apt-get install -y sqlite3"))
    func damagedSQLite() async throws {
        let sqlite = "sqlite3"
        let root = try RpmFixtures.root(with: RpmFixtures.shared("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"))
        let database = root.url.appendingPathComponent("var/lib/rpm/rpmdb.sqlite").path
        // Cut one blob short and replace another with text, as a damaged row would look.
        let hnums = try Command.check(sqlite, [database, "SELECT hnum FROM Packages ORDER BY hnum LIMIT 2 OFFSET 40"]).stdout
            .split(separator: "\n").compactMap { Int($0) }
        try #require(hnums.count == 2)
        try Command.check(sqlite, [database, "UPDATE Packages SET blob = substr(blob, 1, 300) WHERE hnum = \(hnums[0]); UPDATE Packages SET blob = 'garbage' WHERE hnum = \(hnums[1]);"])
        _ = try? FileManager.default.removeItem(atPath: database + "-wal")
        _ = try? FileManager.default.removeItem(atPath: database + "-shm")
        let output = try await RpmFixtures.collect(root)
        let errors = Self.rpmErrors(output)
        #expect(Set(errors.map(\.code)) == ["rpm.malformed-header"])
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.location.path == "/var/lib/rpm/rpmdb.sqlite" })
        #expect(errors[0].message.contains("record \(hnums[0])"))
        #expect(output.inventory.packages.count == 127)
    }
}

/// Converts a little-endian Berkeley DB hash database into the big-endian file libdb writes on a
/// big-endian host: every integer of the metadata page, of page headers, of hash indexes, of
/// overflow references and the record-number keys change order; header blobs do not (they are
/// big-endian on every host).
enum BerkeleyByteSwapper {
    struct Failure: Error {}

    static func swap(_ input: [UInt8]) throws -> [UInt8] {
        var bytes = input
        func swap16(_ offset: Int) { bytes.swapAt(offset, offset + 1) }
        func swap32(_ offset: Int) {
            bytes.swapAt(offset, offset + 3)
            bytes.swapAt(offset + 1, offset + 2)
        }
        func read16(_ offset: Int) -> Int { Int(input[offset]) | Int(input[offset + 1]) << 8 }
        let pageSize = Int(input[20]) | Int(input[21]) << 8 | Int(input[22]) << 16
        guard pageSize >= 512 else { throw Failure() }
        for offset in stride(from: 8, to: 224, by: 4) where offset != 24 { swap32(offset) }
        for page in 1..<(input.count / pageSize) {
            let base = page * pageSize
            let type = input[base + 25]
            swap32(base + 8)
            swap32(base + 12)
            swap32(base + 16)
            swap16(base + 20)
            swap16(base + 22)
            guard type == 13 || type == 2 else { continue }
            let count = read16(base + 20)
            for index in 0..<count {
                let itemOffset = read16(base + 26 + 2 * index)
                swap16(base + 26 + 2 * index)
                let item = base + itemOffset
                if input[item] == 3 {
                    swap32(item + 4)
                    swap32(item + 8)
                } else if input[item] == 1 && index % 2 == 0 {
                    swap32(item + 1)  // the record-number key
                }
            }
        }
        return bytes
    }
}
