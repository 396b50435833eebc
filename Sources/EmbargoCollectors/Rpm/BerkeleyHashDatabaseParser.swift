/// Reads the package headers out of a Berkeley DB hash database (`/var/lib/rpm/Packages`) without
/// libdb: the metadata page, the bucket pages and their overflow chains, in either byte order.
///
/// Records are visited bucket by bucket, following each bucket's chain of pages, which is how
/// rpm's own read-only backend (`bdb_ro`) iterates, so the order is `rpm -qa`'s. Every page is
/// read at most once (a bitmap marks them), so a corrupt chain ends with an error instead of a
/// loop, and a bad page loses only its own records.
public enum BerkeleyHashDatabaseParser {
    static let hashMagic: UInt32 = 0x0006_1561
    static let btreeMagic: UInt32 = 0x0005_3162
    static let pageHeaderSize = 26

    /// Page types (`db_page.h`).
    enum PageType: UInt8 {
        case hashUnsorted = 2
        case overflow = 7
        case hashMetadata = 8
        case hash = 13
    }

    /// Item types on hash pages.
    enum ItemType: UInt8 {
        case keyData = 1
        case duplicate = 2
        case offPage = 3
        case offPageDuplicate = 4
    }

    /// The largest header accepted from an overflow chain: rpm's header limits plus the index.
    static let maximumValueLength = 8 + 16 * RpmHeaderParser.maximumEntries + RpmHeaderParser.maximumDataLength

    /// Every header blob of the database, in rpm's order, with the problems met.
    public static func parse(_ bytes: [UInt8], path: String) -> RpmDatabaseContents {
        var blobs: [RpmHeaderBlob] = []
        let errors = forEachBlob(bytes, path: path) { blobs.append($0) }
        return RpmDatabaseContents(blobs: blobs, errors: errors)
    }

    /// Hands each header blob to `body` as soon as it is read, so a caller that does not keep
    /// them needs memory for one header at a time. Returns the problems met.
    public static func forEachBlob(_ bytes: [UInt8], path: String, _ body: (RpmHeaderBlob) -> Void) -> [RpmError] {
        var errors: [RpmError] = []
        func fail(_ problem: RpmError.Problem, _ offset: Int?, _ detail: String) -> [RpmError] {
            errors.append(RpmError(problem, path: path, offset: offset, detail: detail))
            return errors
        }
        guard !bytes.isEmpty else { return fail(.notADatabase, 0, "empty file; not a Berkeley DB database") }
        guard bytes.count >= 512 else {
            return fail(.notADatabase, 0, "\(bytes.count) bytes is too short for a Berkeley DB metadata page")
        }
        let native = ByteView(bytes, littleEndian: true)
        let magic = native.uint32(12) ?? 0
        let littleEndian: Bool
        switch magic {
        case hashMagic: littleEndian = true
        case hashMagic.byteSwapped: littleEndian = false
        case btreeMagic, btreeMagic.byteSwapped:
            return fail(.unsupportedDatabase, 12, "Berkeley DB btree database; rpm's Packages is a hash database")
        default:
            return fail(.notADatabase, 12, "no Berkeley DB hash magic (found 0x\(String(magic, radix: 16)))")
        }
        let view = ByteView(bytes, littleEndian: littleEndian)
        let version = view.uint32(16) ?? 0
        guard (8...10).contains(version) else {
            return fail(.unsupportedDatabase, 16, "hash database version \(version); versions 8 to 10 (Berkeley DB 4.x-5.x) are read")
        }
        let pageSize = Int(view.uint32(20) ?? 0)
        guard pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            return fail(.corruptDatabase, 20, "invalid page size \(pageSize)")
        }
        guard view.uint8(24) == 0 else { return fail(.unsupportedDatabase, 24, "encrypted database") }
        guard view.uint8(25) == PageType.hashMetadata.rawValue else {
            return fail(.corruptDatabase, 25, "metadata page has type \(view.uint8(25) ?? 0), not hash metadata")
        }
        let declaredLastPage = Int(view.uint32(32) ?? 0)
        let pagesInFile = bytes.count / pageSize
        var lastPage = declaredLastPage
        if declaredLastPage >= pagesInFile {
            errors.append(RpmError(
                .truncatedDatabase, path: path, offset: bytes.count,
                detail: "metadata declares \(declaredLastPage + 1) pages of \(pageSize) bytes but the file holds \(pagesInFile); pages past the end are lost"))
            lastPage = pagesInFile - 1
        }
        let maxBucket = Int(view.uint32(72) ?? 0)
        guard maxBucket <= lastPage else {
            return fail(.corruptDatabase, 72, "maximum bucket \(maxBucket) exceeds the \(lastPage + 1) pages of the file")
        }
        let spares = (0..<32).map { Int(view.uint32(96 + 4 * $0) ?? 0) }

        var reader = PageReader(view: view, pageSize: pageSize, lastPage: lastPage, path: path)
        for bucket in 0...maxBucket {
            // The page of a bucket: its number plus the spare-page offset of its split point.
            let splitPoint = bucket == 0 ? 0 : Int.bitWidth - bucket.leadingZeroBitCount
            guard splitPoint < spares.count else { break }
            var page = bucket + spares[splitPoint]
            repeat {
                guard page >= 1, page <= lastPage else {
                    reader.errors.append(RpmError(
                        .corruptDatabase, path: path, offset: nil,
                        detail: "bucket \(bucket) leads to page \(page), outside pages 1-\(lastPage)"))
                    break
                }
                guard reader.claim(page) else {
                    reader.errors.append(RpmError(
                        .corruptDatabase, path: path, offset: page * pageSize,
                        detail: "bucket \(bucket) chain reaches page \(page) a second time; the rest of the chain is skipped"))
                    break
                }
                guard let next = reader.readHashPage(page, bucket: bucket, body) else { break }
                page = next
            } while page != 0
        }
        return errors + reader.errors
    }

    /// Reads pages of one database; holds the geometry every page access is checked against and
    /// the bitmap of pages already read.
    struct PageReader {
        let view: ByteView
        let pageSize: Int
        let lastPage: Int
        let path: String
        var errors: [RpmError] = []
        /// Every page belongs to one bucket chain or one overflow chain: a page reached twice
        /// means a loop or crossed chains.
        var visited: [Bool]

        init(view: ByteView, pageSize: Int, lastPage: Int, path: String) {
            self.view = view
            self.pageSize = pageSize
            self.lastPage = lastPage
            self.path = path
            visited = [Bool](repeating: false, count: max(0, lastPage + 1))
        }

        func start(of page: Int) -> Int { page * pageSize }

        /// Marks a page (1...lastPage) as read; false when it already was.
        mutating func claim(_ page: Int) -> Bool {
            if visited[page] { return false }
            visited[page] = true
            return true
        }

        /// Checks a page's header: in the file, numbered as expected, of one of two types.
        mutating func checkPage(_ page: Int, type first: PageType, or second: PageType? = nil, record: Int? = nil, context: @autoclosure () -> String) -> Bool {
            let base = start(of: page)
            guard view.contains(base, length: pageSize) else {
                errors.append(RpmError(.truncatedDatabase, path: path, offset: view.count, record: record, detail: "\(context()): page \(page) lies past the end of the file"))
                return false
            }
            let number = Int(view.uint32(base + 8) ?? 0)
            guard number == page else {
                errors.append(RpmError(.corruptDatabase, path: path, offset: base + 8, record: record, detail: "\(context()): page \(page) says it is page \(number)"))
                return false
            }
            let type = view.bytes[base + 25]
            guard type == first.rawValue || type == second?.rawValue else {
                errors.append(RpmError(.corruptDatabase, path: path, offset: base + 25, record: record, detail: "\(context()): page \(page) has type \(type)"))
                return false
            }
            return true
        }

        /// Reads the key/value pairs of one hash page and returns the next page of the bucket
        /// chain (0 at its end), or nil when the page is unusable.
        mutating func readHashPage(_ page: Int, bucket: Int, _ body: (RpmHeaderBlob) -> Void) -> Int? {
            guard checkPage(page, type: .hash, or: .hashUnsorted, context: "bucket \(bucket)") else { return nil }
            let base = start(of: page)
            let next = Int(view.uint32(base + 16) ?? 0)
            let itemCount = Int(view.uint16(base + 20) ?? 0)
            let maximumItems = (pageSize - pageHeaderSize) / 2
            guard itemCount <= maximumItems else {
                errors.append(RpmError(.corruptDatabase, path: path, offset: base + 20, detail: "page \(page) claims \(itemCount) items; at most \(maximumItems) fit"))
                return next
            }
            let indexStart = base + pageHeaderSize
            let minimumOffset = pageHeaderSize + 2 * itemCount
            func itemOffset(_ index: Int) -> Int { Int(view.uint16(indexStart + 2 * index) ?? 0) }
            var pair = 0
            while pair + 1 < itemCount {
                defer { pair += 2 }
                let keyOffset = itemOffset(pair)
                let valueOffset = itemOffset(pair + 1)
                let keyEnd = pair == 0 ? pageSize : itemOffset(pair - 1)
                guard keyOffset >= minimumOffset, valueOffset >= minimumOffset, keyOffset < keyEnd, keyEnd <= pageSize,
                    valueOffset < keyOffset
                else {
                    errors.append(RpmError(
                        .corruptDatabase, path: path, offset: indexStart + 2 * pair,
                        detail: "page \(page) item \(pair) has inconsistent offsets (key \(keyOffset), value \(valueOffset))"))
                    continue
                }
                // Keys of Packages are 4-byte record numbers stored on the page.
                let keyPosition = base + keyOffset
                guard view.bytes[keyPosition] == ItemType.keyData.rawValue, keyEnd - keyOffset == 5,
                    let record = view.uint32(keyPosition + 1).map(Int.init)
                else {
                    errors.append(RpmError(
                        .corruptDatabase, path: path, offset: keyPosition,
                        detail: "page \(page) item \(pair) is not a 4-byte record number key"))
                    continue
                }
                // Record 0 holds rpm's next-instance counter, not a header.
                if record == 0 { continue }
                guard let value = item(page: page, offset: valueOffset, length: keyOffset - valueOffset, record: record) else { continue }
                body(RpmHeaderBlob(record: record, bytes: value.bytes, fileRuns: value.runs))
            }
            return next
        }

        /// An item's bytes: on the page (H_KEYDATA) or in a chain of overflow pages (H_OFFPAGE).
        mutating func item(page: Int, offset: Int, length: Int, record: Int) -> (bytes: [UInt8], runs: [RpmHeaderBlob.FileRun])? {
            let position = start(of: page) + offset
            guard length >= 1 else {
                errors.append(RpmError(.corruptDatabase, path: path, offset: position, record: record, detail: "empty item on page \(page)"))
                return nil
            }
            let type = view.bytes[position]
            switch ItemType(rawValue: type) {
            case .keyData:
                let start = position + 1
                return (Array(view.bytes[start..<start + length - 1]), [RpmHeaderBlob.FileRun(blobOffset: 0, fileOffset: start, length: length - 1)])
            case .offPage:
                guard length == 12, let first = view.uint32(position + 4), let total = view.uint32(position + 8) else {
                    errors.append(RpmError(.corruptDatabase, path: path, offset: position, record: record, detail: "malformed overflow reference on page \(page)"))
                    return nil
                }
                return overflow(firstPage: Int(first), length: Int(total), referencedAt: position, record: record)
            default:
                errors.append(RpmError(
                    .corruptDatabase, path: path, offset: position, record: record,
                    detail: "item type \(type) on page \(page) is not used by rpm's Packages database"))
                return nil
            }
        }

        /// Concatenates an overflow chain; each page adds at least one byte and is read once.
        mutating func overflow(firstPage: Int, length: Int, referencedAt reference: Int, record: Int) -> (bytes: [UInt8], runs: [RpmHeaderBlob.FileRun])? {
            guard length > 0, length <= maximumValueLength, length <= (lastPage + 1) * pageSize else {
                errors.append(RpmError(.corruptDatabase, path: path, offset: reference + 8, record: record, detail: "overflow item length \(length) is impossible for this file"))
                return nil
            }
            var result = [UInt8]()
            result.reserveCapacity(length)
            var runs: [RpmHeaderBlob.FileRun] = []
            runs.reserveCapacity(length / (pageSize - pageHeaderSize) + 1)
            var page = firstPage
            while result.count < length {
                guard page >= 1, page <= lastPage else {
                    errors.append(RpmError(
                        .corruptDatabase, path: path, offset: reference, record: record,
                        detail: "overflow chain from byte \(reference) reaches page \(page) after \(result.count) of \(length) bytes"))
                    return nil
                }
                guard claim(page) else {
                    errors.append(RpmError(
                        .corruptDatabase, path: path, offset: start(of: page), record: record,
                        detail: "overflow chain from byte \(reference) reaches page \(page), already read as part of another chain or earlier in this one"))
                    return nil
                }
                guard checkPage(page, type: .overflow, record: record, context: "overflow chain from byte \(reference)") else { return nil }
                let base = start(of: page)
                let onPage = Int(view.uint16(base + 22) ?? 0)
                guard onPage >= 1, pageHeaderSize + onPage <= pageSize, onPage <= length - result.count else {
                    errors.append(RpmError(
                        .corruptDatabase, path: path, offset: base + 22, record: record,
                        detail: "overflow page \(page) holds \(onPage) bytes; \(length - result.count) remain"))
                    return nil
                }
                let dataStart = base + pageHeaderSize
                runs.append(RpmHeaderBlob.FileRun(blobOffset: result.count, fileOffset: dataStart, length: onPage))
                result.append(contentsOf: view.bytes[dataStart..<dataStart + onPage])
                page = Int(view.uint32(base + 16) ?? 0)
            }
            return (result, runs)
        }
    }
}
