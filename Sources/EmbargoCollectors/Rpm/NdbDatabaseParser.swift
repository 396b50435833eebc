/// Reads the package headers out of SUSE's NDB package database (`Packages.db`, rpm's
/// `lib/backend/ndb/rpmpkg.c` format).
///
/// Layout (all little-endian): a 32-byte header (`RpmP`, version 0, generation, number of slot
/// pages, next package index), slot pages of 4 KiB holding 16-byte slots (`Slot`, package index,
/// block offset, block count; a zero block offset marks a free slot), then blobs in 16-byte blocks:
/// `BlbS`, package index, timestamp, length, the header, padding, and a tail with the Adler-32 of
/// everything before it, the length again and `BlbE`. Blobs are returned in block order, the order
/// in which rpm lists them.
public enum NdbDatabaseParser {
    static let headerMagic: UInt32 = 0x506D_7052  // "RpmP"
    static let slotMagic: UInt32 = 0x746F_6C53  // "Slot"
    static let blobHeadMagic: UInt32 = 0x5362_6C42  // "BlbS"
    static let blobTailMagic: UInt32 = 0x4562_6C42  // "BlbE"
    static let pageSize = 4096
    static let slotSize = 16
    static let blockSize = 16
    static let blobHeadSize = 16
    static let blobTailSize = 12

    struct Slot {
        var number: Int
        var packageIndex: UInt32
        var blockOffset: Int
        var blockCount: Int
    }

    /// Every header blob of the database, in rpm's order, with the problems met.
    public static func parse(_ bytes: [UInt8], path: String) -> RpmDatabaseContents {
        var blobs: [RpmHeaderBlob] = []
        let errors = forEachBlob(bytes, path: path) { blobs.append($0) }
        return RpmDatabaseContents(blobs: blobs, errors: errors)
    }

    /// Hands each header blob to `body` as soon as it is read. Returns the problems met.
    public static func forEachBlob(_ bytes: [UInt8], path: String, _ body: (RpmHeaderBlob) -> Void) -> [RpmError] {
        var contents = RpmDatabaseContents()
        func fail(_ problem: RpmError.Problem, _ offset: Int?, _ detail: String) -> [RpmError] {
            contents.errors.append(RpmError(problem, path: path, offset: offset, detail: detail))
            return contents.errors
        }
        guard !bytes.isEmpty else { return fail(.notADatabase, 0, "empty file; not an NDB package database") }
        let view = ByteView(bytes, littleEndian: true)
        guard let magic = view.uint32(0), magic == headerMagic else {
            return fail(.notADatabase, 0, "no NDB magic \"RpmP\"")
        }
        guard let version = view.uint32(4), version == 0 else {
            return fail(.unsupportedDatabase, 4, "NDB version \(view.uint32(4).map(String.init) ?? "?"); version 0 is read")
        }
        guard let slotPages = view.uint32(12), slotPages >= 1 else {
            return fail(.corruptDatabase, 12, "no slot pages")
        }
        let availablePages = bytes.count / pageSize
        guard Int(slotPages) <= availablePages else {
            return fail(.truncatedDatabase, 12, "header declares \(slotPages) slot pages but the file holds \(availablePages) pages")
        }
        let fileBlocks = bytes.count / blockSize
        let firstDataBlock = Int(slotPages) * (pageSize / blockSize)

        var slots: [Slot] = []
        var number = 0
        for page in 0..<Int(slotPages) {
            // The first two slots of page 0 are the database header.
            var offset = page == 0 ? 32 : 0
            while offset < pageSize {
                defer {
                    offset += slotSize
                    number += 1
                }
                let position = page * pageSize + offset
                guard view.uint32(position) == slotMagic else {
                    contents.errors.append(RpmError(.corruptDatabase, path: path, offset: position, detail: "slot \(number) has no \"Slot\" magic; skipped"))
                    continue
                }
                let blockOffset = Int(view.uint32(position + 8) ?? 0)
                if blockOffset == 0 { continue }  // free slot
                let packageIndex = view.uint32(position + 4) ?? 0
                let blockCount = Int(view.uint32(position + 12) ?? 0)
                guard packageIndex != 0, blockCount != 0, blockOffset >= firstDataBlock else {
                    contents.errors.append(RpmError(
                        .corruptDatabase, path: path, offset: position, record: Int(packageIndex),
                        detail: "slot \(number) is inconsistent (block \(blockOffset), \(blockCount) blocks)"))
                    continue
                }
                guard blockOffset + blockCount <= fileBlocks else {
                    contents.errors.append(RpmError(
                        .truncatedDatabase, path: path, offset: blockOffset * blockSize, record: Int(packageIndex),
                        detail: "blob of \(blockCount) blocks at block \(blockOffset) runs past the end of the file"))
                    continue
                }
                slots.append(Slot(number: number, packageIndex: packageIndex, blockOffset: blockOffset, blockCount: blockCount))
            }
        }
        slots.sort { $0.blockOffset < $1.blockOffset }
        var previousEnd = firstDataBlock
        for slot in slots {
            if slot.blockOffset < previousEnd {
                contents.errors.append(RpmError(
                    .corruptDatabase, path: path, offset: slot.blockOffset * blockSize, record: Int(slot.packageIndex),
                    detail: "blob overlaps the previous one; skipped"))
                continue
            }
            previousEnd = slot.blockOffset + slot.blockCount
            switch readBlob(view, slot: slot) {
            case .success(let blob): body(blob)
            case .failure(let problem):
                contents.errors.append(RpmError(.corruptDatabase, path: path, offset: problem.offset, record: Int(slot.packageIndex), detail: problem.reason))
            }
        }
        return contents.errors
    }

    struct BlobProblem: Error {
        var offset: Int
        var reason: String
    }

    /// Checks one blob's head, length, tail and checksum, as rpm does before handing it out.
    static func readBlob(_ view: ByteView, slot: Slot) -> Result<RpmHeaderBlob, BlobProblem> {
        let start = slot.blockOffset * blockSize
        let end = start + slot.blockCount * blockSize
        guard slot.blockCount * blockSize >= blobHeadSize + blobTailSize else {
            return .failure(BlobProblem(offset: start, reason: "blob of \(slot.blockCount) blocks is too small"))
        }
        guard view.uint32(start) == blobHeadMagic else {
            return .failure(BlobProblem(offset: start, reason: "blob has no \"BlbS\" magic"))
        }
        guard view.uint32(start + 4) == slot.packageIndex else {
            return .failure(BlobProblem(offset: start + 4, reason: "blob belongs to package \(view.uint32(start + 4) ?? 0), not \(slot.packageIndex)"))
        }
        let length = Int(view.uint32(start + 12) ?? 0)
        guard slot.blockCount == (blobHeadSize + length + blobTailSize + blockSize - 1) / blockSize else {
            return .failure(BlobProblem(offset: start + 12, reason: "blob length \(length) does not match its \(slot.blockCount) blocks"))
        }
        let tail = end - blobTailSize
        guard view.uint32(tail + 8) == blobTailMagic, view.uint32(tail + 4) == UInt32(length) else {
            return .failure(BlobProblem(offset: tail, reason: "blob tail is missing or disagrees on the length"))
        }
        let stored = view.uint32(tail) ?? 0
        let computed = Adler32.checksum(view.bytes[start..<tail])
        guard stored == computed else {
            return .failure(BlobProblem(offset: tail, reason: "blob checksum mismatch (stored \(stored), computed \(computed))"))
        }
        let dataStart = start + blobHeadSize
        return .success(RpmHeaderBlob(
            record: Int(slot.packageIndex), bytes: Array(view.bytes[dataStart..<dataStart + length]),
            fileRuns: [RpmHeaderBlob.FileRun(blobOffset: 0, fileOffset: dataStart, length: length)]))
    }
}
