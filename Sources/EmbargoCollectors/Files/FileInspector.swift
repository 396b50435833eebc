import Crypto
import EmbargoFileSystem
import EmbargoInventory

/// Reads one file's contents, boundedly, and says what they are: the signature of the first bytes,
/// ELF metadata, the scan plan's markers found as whole tokens, and the SHA-256 where wanted.
///
/// One instance serves a whole walk (it owns the read buffer); it is not shared between threads.
final class FileInspector {
    let matcher: MarkerMatcher
    /// Hash ELF files, scripts and executables (the plan has digests to compare with).
    let hashCandidates: Bool
    let maximumBytesPerFile: Int64
    private let buffer: UnsafeMutableRawBufferPointer
    private(set) var bytesRead: Int64 = 0
    private(set) var filesHashed = 0

    static let chunkSize = 1 << 20

    init(matcher: MarkerMatcher, hashCandidates: Bool, maximumBytesPerFile: Int64) {
        self.matcher = matcher
        self.hashCandidates = hashCandidates
        self.maximumBytesPerFile = maximumBytesPerFile
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    struct Result {
        var facts: FileFacts
        /// Problems met; the facts hold what could still be learned.
        var issues: [any LocatedError]
        /// Whether the facts describe the whole file as it is (nothing failed, nothing changed
        /// while reading), so they may be cached.
        var complete: Bool
    }

    func inspect(_ file: OpenedRegularFile) -> Result {
        var facts = FileFacts.other
        var issues: [any LocatedError] = []
        var complete = true
        let size = file.status.size
        guard size > 0 else { return Result(facts: facts, issues: [], complete: true) }

        let prefixLength = Int(min(Int64(FileSignature.prefixLength), size))
        let prefix: [UInt8]
        do {
            prefix = try file.read(at: 0, count: prefixLength)
        } catch {
            return Result(facts: facts, issues: [WalkIssue(error)], complete: false)
        }
        bytesRead += Int64(prefix.count)
        let signature = FileSignature.sniff(prefix)
        switch signature {
        case .elf(let appImageType):
            facts.content = .elf
            if let appImageType {
                facts.attributes["appimage"] = "true"
                facts.attributes["appimage.type"] = String(appImageType)
            }
            do {
                let elf = try ELFParser.parse(FileByteSource(file) { [weak self] count in self?.bytesRead += Int64(count) })
                Self.describe(elf, into: &facts)
                issues += elf.problems.map { $0.located(at: file.path) }
            } catch {
                issues.append(error.located(at: file.path))
                if case .io = error { complete = false }
            }
        case .script(let interpreter):
            facts.content = .script
            facts.attributes["shebang"] = String(interpreter.prefix(256))
        case .other:
            break
        }

        let hashWanted = hashCandidates && (signature.isSearched || file.status.isExecutable)
        let searchWanted = signature.isSearched && !matcher.isEmpty
        if hashWanted || searchWanted {
            let outcome = stream(file, search: searchWanted, hash: hashWanted)
            facts.markers = outcome.markers
            facts.sha256 = outcome.sha256
            issues += outcome.issues
            complete = complete && outcome.complete
        }
        if file.changedSinceOpen() {
            issues.append(WalkIssue(code: "file-walk.changed-during-read", path: file.path, reason: "file changed while it was being read; not cached", severity: .warning))
            complete = false
        }
        return Result(facts: facts, issues: issues, complete: complete)
    }

    /// Hashes a whole file (for the evidence of a recorded file); nil and an issue when over the cap.
    func sha256(of file: OpenedRegularFile) -> (String?, [any LocatedError]) {
        let outcome = stream(file, search: false, hash: true)
        return (outcome.sha256, outcome.issues)
    }

    private struct StreamOutcome {
        var markers: [String] = []
        var sha256: String?
        var issues: [any LocatedError] = []
        var complete = true
    }

    /// One sequential pass over the file, at most ``maximumBytesPerFile`` bytes, feeding the marker
    /// search and the hash together.
    private func stream(_ file: OpenedRegularFile, search: Bool, hash: Bool) -> StreamOutcome {
        var outcome = StreamOutcome()
        let size = file.status.size
        let limit = min(size, maximumBytesPerFile)
        var markerSearch = MarkerSearch(matcher)
        var hasher = SHA256()
        let hashing = hash && size <= maximumBytesPerFile
        var offset: Int64 = 0
        while offset < limit {
            let wanted = Int(min(Int64(Self.chunkSize), limit - offset))
            let count: Int
            do {
                count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: offset)
            } catch {
                outcome.issues.append(WalkIssue(error))
                outcome.complete = false
                return outcome
            }
            bytesRead += Int64(count)
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if search { chunk.withMemoryRebound(to: UInt8.self) { markerSearch.feed($0) } }
            if hashing { hasher.update(bufferPointer: chunk) }
            offset += Int64(count)
            if count < wanted { break }
            // Nothing left to find and nothing to hash: the rest of the file cannot change the answer.
            if search && !hashing && markerSearch.isComplete { break }
        }
        if search { outcome.markers = markerSearch.finish() }
        if offset < limit && !(search && !hashing && markerSearch.isComplete) {
            outcome.issues.append(
                WalkIssue(
                    code: "file-walk.shrunk-during-read", path: file.path,
                    reason: "file ended at byte \(offset) although it had \(size) bytes when opened", severity: .warning))
            outcome.complete = false
            return outcome
        }
        if size > maximumBytesPerFile && offset >= limit {
            let what = [search ? "searched for markers only in" : nil, hash ? "not hashed past" : nil].compactMap { $0 }.joined(separator: " and ")
            outcome.issues.append(
                WalkIssue(
                    code: "file-walk.read-limit", path: file.path,
                    reason: "file has \(size) bytes; \(what) the first \(maximumBytesPerFile)", severity: .warning))
        } else if hashing {
            outcome.sha256 = hex(hasher.finalize())
            filesHashed += 1
        }
        return outcome
    }

    /// The ELF facts recorded as attributes (names as in the inventory's JSON).
    static func describe(_ elf: ELFFile, into facts: inout FileFacts) {
        facts.attributes["elf.class"] = elf.elfClass.rawValue
        facts.attributes["elf.byteOrder"] = elf.byteOrder.rawValue
        facts.attributes["elf.machine"] = elf.machineName
        facts.attributes["elf.type"] = elf.typeName
        if let buildID = elf.buildID { facts.attributes["elf.buildId"] = buildID }
        if let goBuildID = elf.goBuildID { facts.attributes["elf.goBuildId"] = goBuildID }
        if let soname = elf.soname { facts.attributes["elf.soname"] = soname }
        if let interpreter = elf.interpreter { facts.attributes["elf.interpreter"] = interpreter }
        if !elf.comments.isEmpty { facts.attributes["elf.comment"] = elf.comments.joined(separator: "; ") }
        if let metadata = elf.packageMetadata {
            facts.hasPackageNote = true
            for (key, value) in metadata.fields { facts.attributes["package.\(key)"] = value }
        }
        if let modinfo = elf.modinfo {
            for (key, value) in ModinfoSummary.fields(modinfo) { facts.attributes["kmod.\(key)"] = value }
        }
    }
}

/// A problem the file walk met, as a ``LocatedError``.
struct WalkIssue: LocatedError {
    var code: String
    var path: String
    var reason: String
    var severity: ScanIssue.Severity

    init(code: String, path: String, reason: String, severity: ScanIssue.Severity) {
        self.code = code
        self.path = path
        self.reason = reason
        self.severity = severity
    }

    init(_ error: FileSystemError) {
        // A file that vanished between listing and reading is churn, not lost coverage.
        let severity: ScanIssue.Severity =
            switch error {
            case .vanished, .notFound, .notRegularFile: .warning
            default: .error
            }
        self.init(code: error.code, path: error.path, reason: error.reason, severity: severity)
    }

    var location: IssueLocation { IssueLocation(path: path) }
}
