import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Finds restricted software that no package database lists (an agent unpacked into `/opt`, a
/// renamed binary, an AppImage in a home directory) by walking the configured directories and
/// looking inside every regular file, not only executables: shared libraries rarely have an
/// execute bit.
///
/// Every regular file's first bytes are sniffed; ELF files (AppImages included) and `#!` scripts
/// are read further, boundedly, for the plan's markers and ELF metadata. A file is recorded when
/// (a) its name is one of the plan's file names, (b) its SHA-256 is one of the plan's digests
/// (files are hashed only when the plan has digests, and then only ELF files, scripts and
/// executables), (c) it contains a marker as a whole token (see ``MarkerMatcher``), or (d) it is
/// an ELF file with a `.note.package` note. Recorded files carry their SHA-256 as evidence.
///
/// With ``CollectionOptions/cacheDirectory`` set, what was learned from each file's contents is
/// kept by file identity (device, inode, size, modification and change time), so a rescan reads
/// only files that changed.
public struct FileWalkCollector: InventoryCollector {
    public var limits: FileWalkLimits
    /// Called with a file's path right after it was opened and before its contents are read
    /// (tests change or remove files here, as a busy system would).
    var onFileOpened: (@Sendable (String) -> Void)?

    public init(limits: FileWalkLimits = FileWalkLimits()) {
        self.limits = limits
    }

    public var name: String { "file-walk" }

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        guard context.options.walkFiles else {
            return CollectorOutput(inventory: Inventory(root: context.fileSystem.rootDescription))
        }
        // The walk is long blocking I/O: it gets a thread of its own instead of holding one of the
        // few cooperative threads the other collectors run on.
        return await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: run(context).output) }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// The walk, with figures about the work it did (for benchmarks and the report's scope).
    public func run(_ context: CollectionContext) -> (output: CollectorOutput, statistics: FileWalkStatistics) {
        var run = FileWalkRun(collector: self, context: context)
        run.perform()
        return (CollectorOutput(inventory: run.inventory), run.statistics)
    }
}

/// Caps that bound a walk's time on any tree.
public struct FileWalkLimits: Sendable, Hashable {
    /// Directories are entered down to this depth below each start.
    public var maximumDepth: Int
    /// Entries of any kind examined in the whole walk.
    public var maximumEntries: Int
    /// Bytes read from one file for the marker search and the hash; a larger file is searched in
    /// its first part only, and not hashed, with a warning.
    public var maximumBytesPerFile: Int64
    /// Special files (FIFOs, sockets, devices) reported one by one before they are only counted.
    public var maximumSpecialFileIssues: Int
    /// Problems with single files (unreadable, vanished, malformed ELF) listed before they are only counted.
    public var maximumFileIssues: Int

    public init(
        maximumDepth: Int = 64, maximumEntries: Int = 4_000_000, maximumBytesPerFile: Int64 = 512 << 20,
        maximumSpecialFileIssues: Int = 100, maximumFileIssues: Int = 1000
    ) {
        self.maximumDepth = maximumDepth
        self.maximumEntries = maximumEntries
        self.maximumBytesPerFile = maximumBytesPerFile
        self.maximumSpecialFileIssues = maximumSpecialFileIssues
        self.maximumFileIssues = maximumFileIssues
    }
}

/// What a file walk did.
public struct FileWalkStatistics: Sendable, Hashable {
    public var walk = WalkStatistics()
    /// Files whose contents were read (opened): zero on a rescan of an unchanged tree.
    public var filesRead = 0
    public var bytesRead: Int64 = 0
    public var filesHashed = 0
    /// Files answered from the cache without reading.
    public var cacheHits = 0
    public var elfFiles = 0
    public var scripts = 0
    public var recorded = 0

    public init() {}
}

private struct FileWalkRun {
    let collector: FileWalkCollector
    let context: CollectionContext
    var inventory: Inventory
    var statistics = FileWalkStatistics()
    let name: String

    init(collector: FileWalkCollector, context: CollectionContext) {
        self.collector = collector
        self.context = context
        self.inventory = Inventory(root: context.fileSystem.rootDescription)
        self.name = collector.name
    }

    mutating func perform() {
        let plan = context.plan
        let options = context.options
        let limits = collector.limits
        let matcher = MarkerMatcher(markers: plan.markers)
        let hashCandidates = !plan.sha256Digests.isEmpty
        let inspector = FileInspector(matcher: matcher, hashCandidates: hashCandidates, maximumBytesPerFile: limits.maximumBytesPerFile)

        // The cache is only valid for the same markers, hashing choice and read cap.
        let fingerprint = FileWalkCache.fingerprint(
            ["format-1", "hash=\(hashCandidates)", "cap=\(limits.maximumBytesPerFile)"] + matcher.markers)
        let cacheURL = options.cacheDirectory.map { FileWalkCache.fileURL(directory: $0, root: context.fileSystem.rootDescription) }
        var previous = FileWalkCache()
        if let cacheURL {
            switch FileWalkCache.load(from: cacheURL, fingerprint: fingerprint) {
            case .loaded(let cache): previous = cache
            case .missing, .stale: break
            case .corrupt(let reason):
                issue(
                    code: "file-walk.cache-corrupt", path: cacheURL.path,
                    message: "cache ignored (\(reason)); every file is read again", severity: .warning)
            }
        }
        var current = FileWalkCache()

        let walker = FileTreeWalker(fileSystem: context.fileSystem, configuration: walkConfiguration())
        let fileNames = plan.fileNames
        let fileNameLengths = Set(fileNames.map(\.utf8.count))
        let digests = Set(plan.sha256Digests.map { $0.lowercased() })
        var records: [FileRecord] = []
        var issues: [ScanIssue] = []
        var stats = FileWalkStatistics()
        let hook = collector.onFileOpened

        var droppedIssues = 0
        func note(_ error: any LocatedError) {
            // A tree of a million broken files must not become a million-line report.
            guard issues.count < limits.maximumFileIssues else {
                droppedIssues += 1
                return
            }
            let severity = (error as? WalkIssue)?.severity ?? .warning
            issues.append(ScanIssue(collector: name, severity: severity, error))
        }

        let report = walker.walk { file in
            let status: FileStatus
            do throws(FileSystemError) {
                status = try file.status()
            } catch {
                note(WalkIssue(error))
                return
            }
            let identity = FileIdentity(status)
            var facts: FileFacts
            var cacheable = true
            if let cached = previous.entries[identity] {
                facts = cached
                stats.cacheHits += 1
            } else if status.size == 0 {
                facts = .other
            } else {
                let opened: OpenedRegularFile
                do throws(FileSystemError) {
                    opened = try file.open(expected: status)
                } catch {
                    note(WalkIssue(error))
                    return
                }
                stats.filesRead += 1
                hook?(file.path)
                let result = inspector.inspect(opened)
                facts = result.facts
                cacheable = result.complete
                result.issues.forEach(note)
            }
            switch facts.content {
            case .elf: stats.elfFiles += 1
            case .script: stats.scripts += 1
            case .other: break
            }

            var nameMatches = false
            if !fileNames.isEmpty, fileNameLengths.contains(file.nameLength),
                let name = String(validating: file.nameBytes, as: UTF8.self)
            {
                nameMatches = fileNames.contains(name)
            }
            let digestMatches = facts.sha256.map { digests.contains($0) } ?? false
            let recorded = nameMatches || digestMatches || !facts.markers.isEmpty || facts.hasPackageNote
            if recorded {
                if facts.sha256 == nil, status.size <= limits.maximumBytesPerFile {
                    // Evidence: the digest of what was found, read once more only for recorded files.
                    if let opened = try? file.open(expected: status) {
                        stats.filesRead += 1
                        hook?(file.path)
                        let (digest, hashIssues) = inspector.sha256(of: opened)
                        facts.sha256 = digest
                        hashIssues.forEach(note)
                        if opened.changedSinceOpen() { cacheable = false }
                    }
                }
                var attributes = facts.attributes
                if !file.hasExactPath { attributes["path.bytes"] = hex(file.rawPath) }
                if nameMatches { attributes["matched.name"] = "true" }
                if digestMatches { attributes["matched.sha256"] = "true" }
                records.append(
                    FileRecord(
                        path: file.path, kind: FileKind.regular.rawValue, size: status.size,
                        modifiedAt: Date(timeIntervalSince1970: status.modificationTime), permissions: status.permissions,
                        sha256: facts.sha256, attributes: attributes, markers: facts.markers, foundBy: name))
            }
            if cacheable { current.entries[identity] = facts }
        }

        stats.walk = report.statistics
        stats.bytesRead = inspector.bytesRead
        stats.filesHashed = inspector.filesHashed
        stats.recorded = records.count
        for problem in report.problems {
            let code = problem.code.hasPrefix("walk.") ? "file-walk." + problem.code.dropFirst("walk.".count) : problem.code
            issues.append(
                ScanIssue(
                    collector: name, severity: problem.impact == WalkProblem.Impact.coverageLost ? ScanIssue.Severity.error : .warning, code: code,
                    location: IssueLocation(path: problem.path), message: problem.reason))
        }
        if droppedIssues > 0 {
            issue(
                code: "file-walk.issues-truncated", path: report.walkedStarts.first?.path ?? "/",
                message: "\(droppedIssues) more problems with single files were not listed (the first \(limits.maximumFileIssues) are)",
                severity: .warning)
        }
        if report.statistics.specialFiles > limits.maximumSpecialFileIssues {
            issue(
                code: "file-walk.special-files", path: report.walkedStarts.first?.path ?? "/",
                message: "\(report.statistics.specialFiles) FIFOs, sockets or devices were skipped; the first \(limits.maximumSpecialFileIssues) are listed",
                severity: .warning)
        }
        for start in report.walkedStarts {
            inventory.sources.append(InventorySource(collector: name, path: start.path, items: start.regularFiles))
        }
        if let cacheURL {
            do {
                try current.save(to: cacheURL, fingerprint: fingerprint)
            } catch {
                issue(code: "file-walk.cache-not-saved", path: cacheURL.path, message: "\(error)", severity: .warning)
            }
        }
        inventory.files = records.sorted { $0.path < $1.path }
        inventory.issues += issues
        statistics = stats
    }

    mutating func issue(code: String, path: String, message: String, severity: ScanIssue.Severity) {
        inventory.issues.append(
            ScanIssue(collector: name, severity: severity, code: code, location: IssueLocation(path: path), message: message))
    }

    /// The walker's settings from the collection options: configured or default starts;
    /// exclusions as exact paths (fast) or patterns (a pattern without `/` matches file names).
    mutating func walkConfiguration() -> FileTreeWalker.Configuration {
        let options = context.options
        let limits = collector.limits
        var exact = Set<String>()
        var pathPatterns: [Glob] = []
        var namePatterns: [Glob] = []
        let exclusions = options.walkExclusions.isEmpty ? Array(FileTreeWalker.defaultExclusions) : options.walkExclusions
        for exclusion in exclusions {
            let isPattern = exclusion.contains { "*?[".contains($0) }
            do {
                if !isPattern && exclusion.hasPrefix("/") {
                    exact.insert(exclusion)
                } else if exclusion.hasPrefix("/") {
                    pathPatterns.append(try Glob(exclusion, isPath: true))
                } else {
                    namePatterns.append(try Glob(exclusion))
                }
            } catch {
                issue(
                    code: "file-walk.bad-exclusion", path: exclusion, message: "exclusion pattern ignored: \(error)",
                    severity: .warning)
            }
        }
        let byPattern: (@Sendable (String) -> Bool)?
        if pathPatterns.isEmpty && namePatterns.isEmpty {
            byPattern = nil
        } else {
            byPattern = { [pathPatterns, namePatterns] path in
                if pathPatterns.contains(where: { $0.matches(path) }) { return true }
                guard !namePatterns.isEmpty else { return false }
                let name = String(path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...])
                return namePatterns.contains { $0.matches(name) }
            }
        }
        return FileTreeWalker.Configuration(
            startingDirectories: options.walkPaths.isEmpty ? FileTreeWalker.defaultStartingDirectories : options.walkPaths,
            excludedPaths: exact, excludedByPattern: byPattern, crossFileSystems: options.crossFileSystems,
            maximumDepth: limits.maximumDepth, maximumEntries: limits.maximumEntries,
            maximumSpecialFileProblems: limits.maximumSpecialFileIssues)
    }
}
