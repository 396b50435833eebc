@testable import EmbargoCollectors
import Foundation
import Testing

/// Berkeley DB layouts the fixtures do not contain: headers small enough to sit on the bucket page
/// itself (H_KEYDATA), several buckets, small pages, and the big-endian form of each.
@Suite("Berkeley DB hash layouts")
struct BerkeleyHashLayoutTests {
    @Test("inline and overflow values in several buckets", arguments: [512, 4096])
    func inlineAndOverflowValues(pageSize: Int) throws {
        let small = RpmHeaderBuilder.package(name: "tiny").build()
        var large = RpmHeaderBuilder.package(name: "big")
        large.region.append((1020, .string(String(repeating: "u", count: 3 * pageSize))))
        let big = large.build()
        var builder = BerkeleyHashBuilder(pageSize: pageSize)
        builder.buckets = [
            [(0, [3, 0, 0, 0], false), (1, small, false)],
            [(2, big, true), (7, small, false)],
        ]
        let file = builder.build()
        for bytes in [file, try BerkeleyByteSwapper.swap(file)] {
            let contents = BerkeleyHashDatabaseParser.parse(bytes, path: "/Packages")
            #expect(contents.errors.isEmpty, "\(contents.errors)")
            // Record 0 (rpm's instance counter) is not a header; bucket order is kept.
            #expect(contents.blobs.map(\.record) == [1, 2, 7])
            #expect(contents.blobs.map(\.bytes) == [small, big, small])
            let names = try contents.blobs.map { try RpmHeaderParser.parse($0.bytes).string(.name) }
            #expect(names == ["tiny", "big", "tiny"])
            // Offsets map back into the file, across overflow pages too.
            let overflow = contents.blobs[1]
            #expect(overflow.fileRuns.count > 1)
            for probe in [0, big.count / 2, big.count - 1] {
                let offset = try #require(overflow.fileOffset(ofBlobOffset: probe))
                #expect(bytes[offset] == big[probe])
            }
            let inline = contents.blobs[0]
            let offset = try #require(inline.fileOffset(ofBlobOffset: 10))
            #expect(bytes[offset] == small[10])
        }
    }
}

/// Writes a Berkeley DB hash database (version 9, as libdb 4.7-5.3 write it) with chosen buckets:
/// the metadata page, one page per bucket, and overflow chains for values marked so.
struct BerkeleyHashBuilder {
    var pageSize: Int
    /// Per bucket, the key/value pairs: a 4-byte record number and the value, stored on the page
    /// or in overflow pages.
    var buckets: [[(record: UInt32, value: [UInt8], overflow: Bool)]] = []

    func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    func pageHeader(number: Int, next: Int, entries: Int, highFree: Int, type: UInt8) -> [UInt8] {
        [UInt8](repeating: 0, count: 8) + le32(number) + le32(0) + le32(next) + le16(entries) + le16(highFree) + [0, type]
    }

    func build() -> [UInt8] {
        let bucketPages = buckets.count
        var overflowPages: [[UInt8]] = []
        var hashPages: [[UInt8]] = []
        for (bucket, pairs) in buckets.enumerated() {
            var page = [UInt8](repeating: 0, count: pageSize)
            var index: [Int] = []
            var top = pageSize
            for pair in pairs {
                let key = [UInt8(1)] + le32(Int(pair.record))
                top -= key.count
                page.replaceSubrange(top..<top + key.count, with: key)
                index.append(top)
                let item: [UInt8]
                if pair.overflow {
                    let capacity = pageSize - 26
                    let first = 1 + bucketPages + overflowPages.count
                    let chunks = stride(from: 0, to: pair.value.count, by: capacity).map { Array(pair.value[$0..<min($0 + capacity, pair.value.count)]) }
                    for (number, chunk) in chunks.enumerated() {
                        let pageNumber = first + number
                        let next = number + 1 < chunks.count ? pageNumber + 1 : 0
                        var overflow = pageHeader(number: pageNumber, next: next, entries: 1, highFree: chunk.count, type: 7) + chunk
                        overflow += [UInt8](repeating: 0, count: pageSize - overflow.count)
                        overflowPages.append(overflow)
                    }
                    item = [3, 0, 0, 0] + le32(first) + le32(pair.value.count)
                } else {
                    item = [1] + pair.value
                }
                top -= item.count
                page.replaceSubrange(top..<top + item.count, with: item)
                index.append(top)
            }
            let header = pageHeader(number: 1 + bucket, next: 0, entries: index.count, highFree: top, type: 13)
                + index.flatMap { le16($0) }
            precondition(header.count <= top, "pairs do not fit on one page")
            page.replaceSubrange(0..<header.count, with: header)
            hashPages.append(page)
        }
        let lastPage = bucketPages + overflowPages.count
        var meta = [UInt8](repeating: 0, count: 8) + le32(0) + le32(0x061561) + le32(9) + le32(pageSize)
        meta += [0, 8, 0, 0] + le32(0) + le32(lastPage) + le32(0) + le32(0) + le32(0) + le32(0)
        meta += [UInt8](repeating: 0, count: 20)
        // max_bucket, high_mask, low_mask, ffactor, nelem, h_charkey, then the spares: bucket b
        // of split point p lives on page b + spares[p]; every bucket page follows the metadata.
        let maxBucket = bucketPages - 1
        meta += le32(maxBucket) + le32(maxBucket) + le32(maxBucket) + le32(0) + le32(0) + le32(0)
        meta += (0..<32).flatMap { _ in le32(1) }
        meta += [UInt8](repeating: 0, count: pageSize - meta.count)
        return meta + hashPages.flatMap { $0 } + overflowPages.flatMap { $0 }
    }
}
