#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks directory trees inside a root and hands every regular file to a visitor, safely on any
/// tree a hostile user can build:
///
/// - directories are opened relative to their parent's descriptor (`openat` + `fdopendir`) with
///   `O_NOFOLLOW`, so a directory swapped for a symbolic link mid-walk is refused, names are raw
///   bytes (any name the kernel accepts works), and path length is unlimited;
/// - symbolic links are counted and never followed (a link to `/` or a loop costs nothing);
/// - FIFOs, sockets and devices are never opened (``WalkedFile/open()`` checks with `fstatat`
///   before and `fstat` after opening);
/// - the walk stays on the file system of each starting directory unless told otherwise, and never
///   enters pseudo, network or FUSE file systems (``FileSystemTypeFilter``), looked up by device
///   number in the ``MountTable``;
/// - depth and the total number of entries are capped;
/// - every unreadable, vanished or skipped place becomes a ``WalkProblem`` and the walk goes on.
///
/// The walk itself reads no file contents and does not `stat` regular files: the visitor decides
/// what to look at, so a walk is as cheap as `find -xdev -type f` when nothing is wanted.
public struct FileTreeWalker: Sendable {
    public struct Configuration: Sendable {
        /// Directories to walk, as paths inside the root. A start that is a symbolic link is
        /// resolved inside the root; starts that do not exist are skipped quietly.
        public var startingDirectories: [String]
        /// Exact paths inside the root that are not entered (and, for files, not visited).
        public var excludedPaths: Set<String>
        /// Further exclusions by pattern, asked for every directory and file when present. The
        /// argument is the path inside the root, for display (see ``displayName(of:)``).
        public var excludedByPattern: (@Sendable (String) -> Bool)?
        /// Whether the walk may enter a mount point below a starting directory (pseudo, network
        /// and FUSE file systems stay skipped).
        public var crossFileSystems: Bool
        /// Directories below a start are entered down to this depth (a start is depth 0).
        public var maximumDepth: Int
        /// Entries (of any kind) examined over the whole walk before it stops.
        public var maximumEntries: Int
        /// Problems recorded for special files (FIFOs, sockets, devices); the rest are counted.
        public var maximumSpecialFileProblems: Int
        public var fileSystemTypes: FileSystemTypeFilter

        public init(
            startingDirectories: [String] = FileTreeWalker.defaultStartingDirectories,
            excludedPaths: Set<String> = FileTreeWalker.defaultExclusions,
            excludedByPattern: (@Sendable (String) -> Bool)? = nil,
            crossFileSystems: Bool = false,
            maximumDepth: Int = 64,
            maximumEntries: Int = 4_000_000,
            maximumSpecialFileProblems: Int = 100,
            fileSystemTypes: FileSystemTypeFilter = .standard
        ) {
            self.startingDirectories = startingDirectories
            self.excludedPaths = excludedPaths
            self.excludedByPattern = excludedByPattern
            self.crossFileSystems = crossFileSystems
            self.maximumDepth = maximumDepth
            self.maximumEntries = maximumEntries
            self.maximumSpecialFileProblems = maximumSpecialFileProblems
            self.fileSystemTypes = fileSystemTypes
        }
    }

    /// Where software lands outside package managers: vendor trees, local installs, service data,
    /// home directories (AppImages, unpacked tarballs) and the FHS add-on trees.
    public static let defaultStartingDirectories = ["/opt", "/usr/local", "/srv", "/home", "/root", "/var/opt", "/etc/opt"]
    /// `/tmp` churns constantly and is cleaned at boot; walking it makes every scan cold.
    public static let defaultExclusions: Set<String> = ["/tmp"]

    public let fileSystem: RootFileSystem
    public let configuration: Configuration
    public let mountTable: MountTable

    /// - Parameter mountTable: device-number → type; by default the running system's, which also
    ///   covers an image mounted below `/`.
    public init(fileSystem: RootFileSystem, configuration: Configuration, mountTable: MountTable = .current()) {
        self.fileSystem = fileSystem
        self.configuration = configuration
        self.mountTable = mountTable
    }

    /// Walks every starting directory and calls `visit` for each regular file (by `d_type`, or by
    /// `fstatat` where the file system does not fill it in).
    ///
    /// The ``WalkedFile`` is only valid during the call.
    public func walk(_ visit: (borrowing WalkedFile) -> Void) -> WalkReport {
        let run = WalkRun(walker: self)
        defer { run.closeAll() }
        let starts = run.resolvedStarts()
        for start in starts {
            if run.stopped { break }
            run.walk(start: start, otherStarts: starts, visit)
        }
        return run.report
    }
}

/// What a walk saw, apart from the files it handed to the visitor.
public struct WalkReport: Sendable {
    public var statistics = WalkStatistics()
    public var problems: [WalkProblem] = []
    /// The starting directories walked, as canonical paths inside the root.
    public var walkedStarts: [WalkedStart] = []
    /// Whether the entry cap stopped the walk early.
    public var truncated = false

    public init() {}
}

/// One starting directory that was walked, with the regular files found below it.
public struct WalkedStart: Sendable, Hashable {
    public var path: String
    public var regularFiles: Int

    public init(path: String, regularFiles: Int) {
        self.path = path
        self.regularFiles = regularFiles
    }
}

public struct WalkStatistics: Sendable, Hashable {
    public var directories = 0
    public var regularFiles = 0
    public var symbolicLinks = 0
    public var specialFiles = 0
    public var entries = 0
    /// Directories not entered because they are on another (or a skipped kind of) file system.
    public var skippedMounts = 0
    /// Directories not entered because of the depth cap.
    public var depthLimited = 0
    public var excluded = 0

    public init() {}
}

/// A place a walk could not cover, or chose not to enter, with a stable code.
public struct WalkProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Impact: String, Sendable, Hashable {
        /// Something that should have been examined was not: coverage is incomplete.
        case coverageLost
        /// Skipped on purpose or odd, but nothing that should have been read was lost.
        case notable
    }

    /// `walk.depth-limit`, `walk.entry-limit`, `walk.other-file-system`, `walk.skipped-file-system`,
    /// `walk.special-file`, or a ``FileSystemError`` code (`fs.permission-denied`, `fs.vanished`, ...).
    public var code: String
    /// The path inside the root, for display (bytes that are not UTF-8 shown as `\xNN`).
    public var path: String
    public var reason: String
    public var impact: Impact

    public init(code: String, path: String, reason: String, impact: Impact) {
        self.code = code
        self.path = path
        self.reason = reason
        self.impact = impact
    }

    public init(_ error: FileSystemError, impact: Impact = .coverageLost) {
        self.init(code: error.code, path: error.path, reason: error.reason, impact: impact)
    }

    public var description: String { "\(path): \(reason) [\(code)]" }
}

/// A regular file met by a walk. Valid only inside the visitor call: it borrows the walk's open
/// directory and name buffer.
public struct WalkedFile: ~Copyable {
    /// The directory holding the file, open for `openat`/`fstatat`.
    public let directoryDescriptor: Int32
    let namePointer: UnsafePointer<CChar>
    public let nameLength: Int
    let parentPath: UnsafeBufferPointer<UInt8>
    /// Depth below the starting directory (a file directly in it is at depth 1).
    public let depth: Int
    /// The status already read by the walker (when `d_type` was missing), saving a call.
    let knownStatus: FileStatus?

    /// The file name bytes, valid during the visit.
    public var nameBytes: UnsafeBufferPointer<UInt8> {
        UnsafeRawPointer(namePointer).withMemoryRebound(to: UInt8.self, capacity: nameLength) {
            UnsafeBufferPointer(start: $0, count: nameLength)
        }
    }

    /// The file name exactly as stored.
    public var rawName: [UInt8] { Array(nameBytes) }

    /// The path inside the root exactly as stored (`/opt/x/bin/tool`).
    public var rawPath: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(parentPath.count + 1 + nameLength)
        bytes.append(contentsOf: parentPath)
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: nameBytes)
        return bytes
    }

    /// The path inside the root for reports: UTF-8 as is, other bytes as `\xNN`.
    public var path: String { displayName(of: rawPath) }

    /// Whether the raw path is valid UTF-8, so ``path`` names the file exactly.
    public var hasExactPath: Bool { String(validating: rawPath, as: UTF8.self) != nil }

    /// `lstat` of the file, relative to its directory; never follows a link, never triggers an
    /// automount.
    public func status() throws(FileSystemError) -> FileStatus {
        if let knownStatus { return knownStatus }
        var info = stat()
        guard fstatat(directoryDescriptor, namePointer, &info, AT_SYMLINK_NOFOLLOW | noAutomount) == 0 else {
            let code = errno
            throw code == ENOENT ? .vanished(path: path) : FileSystemError.from(errno: code, path: path, operation: "fstatat")
        }
        return FileStatus(info)
    }

    /// Opens the file for reading if, and only if, it is still the regular file `expected`
    /// describes: checked with `fstatat` before opening (a FIFO, socket or device is never
    /// opened) and with `fstat` after (same device and inode, still regular).
    public func open(expected: FileStatus) throws(FileSystemError) -> OpenedRegularFile {
        guard expected.kind == .regular else { throw .notRegularFile(path: path, kind: expected.kind) }
        let descriptor = openat(directoryDescriptor, namePointer, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw .vanished(path: path) }
            // O_NOFOLLOW on a file swapped for a link since the listing.
            if code == ELOOP { throw .notRegularFile(path: path, kind: .symlink) }
            throw FileSystemError.from(errno: code, path: path, operation: "open")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw FileSystemError.from(errno: code, path: path, operation: "fstat")
        }
        let opened = FileStatus(info)
        guard opened.kind == .regular else {
            close(descriptor)
            throw .notRegularFile(path: path, kind: opened.kind)
        }
        guard opened.device == expected.device, opened.inode == expected.inode else {
            close(descriptor)
            throw .vanished(path: path)
        }
        return OpenedRegularFile(descriptor: descriptor, status: opened, path: path)
    }
}

/// `AT_NO_AUTOMOUNT`: a `stat` of an autofs trigger must not mount anything.
let noAutomount: Int32 = 0x800

/// A regular file opened by a walk; closed when released. Reads are bounded by the caller.
public final class OpenedRegularFile {
    public let descriptor: Int32
    /// `fstat` right after opening.
    public let status: FileStatus
    /// The path inside the root, for errors.
    public let path: String

    init(descriptor: Int32, status: FileStatus, path: String) {
        self.descriptor = descriptor
        self.status = status
        self.path = path
    }

    deinit { close(descriptor) }

    /// Reads at most `buffer.count` bytes at `offset`; fewer only at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileSystemError) -> Int {
        var total = 0
        while total < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + total, buffer.count - total, off_t(offset) + off_t(total))
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.from(errno: errno, path: path, operation: "read")
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Reads up to `count` bytes at `offset` (fewer at the end of the file).
    public func read(at offset: Int64, count: Int) throws(FileSystemError) -> [UInt8] {
        guard count > 0, offset >= 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(FileSystemError) -> Int in try read(into: buffer, at: offset) }
        }
        let got = try result.get()
        if got < count { bytes.removeLast(count - got) }
        return bytes
    }

    /// Whether size, modification or change time differ from when the file was opened: a file
    /// written during the read must not be trusted (or cached).
    public func changedSinceOpen() -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return true }
        let now = FileStatus(info)
        return now.size != status.size || now.modificationSeconds != status.modificationSeconds
            || now.modificationNanoseconds != status.modificationNanoseconds || now.changeSeconds != status.changeSeconds
            || now.changeNanoseconds != status.changeNanoseconds
    }
}

// MARK: - The walk itself

/// Mutable state of one walk: open directories, the path buffer, counters.
private final class WalkRun {
    struct Level {
        let stream: OpaquePointer
        let descriptor: Int32
        let device: UInt64
        let depth: Int
        /// Length of ``WalkRun/path`` for this directory.
        let pathLength: Int
        /// Whether an exclusion can name one of its entries (so their paths must be built).
        let checksExclusions: Bool
    }

    let walker: FileTreeWalker
    var report = WalkReport()
    var stack: [Level] = []
    /// The current directory's path inside the root, as raw bytes (`/opt/x`; empty for `/`).
    var path: [UInt8] = []
    var stopped = false
    var specialFileProblems = 0
    let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    let typeOffset = MemoryLayout<dirent>.offset(of: \dirent.d_type)!
    let excludedPaths: Set<[UInt8]>
    /// Directories holding an excluded path: only their entries need a path built for the check.
    let excludedParents: Set<[UInt8]>

    init(walker: FileTreeWalker) {
        self.walker = walker
        let excluded = walker.configuration.excludedPaths.map { Array(trimmedPath($0).utf8) }
        self.excludedPaths = Set(excluded)
        self.excludedParents = Set(excluded.map { bytes in Array(bytes[..<(bytes.lastIndex(of: UInt8(ascii: "/")) ?? 0)]) })
    }

    func checksExclusions(in directory: [UInt8]) -> Bool {
        walker.configuration.excludedByPattern != nil || excludedParents.contains(directory)
    }

    func closeAll() {
        while let level = stack.popLast() { closedir(level.stream) }
    }

    /// Starting directories, resolved inside the root and without duplicates.
    func resolvedStarts() -> [String] {
        var starts: [String] = []
        for start in walker.configuration.startingDirectories {
            guard let resolved = try? walker.fileSystem.resolve(start) else { continue }
            if !starts.contains(resolved) { starts.append(resolved) }
        }
        return starts
    }

    func problem(_ code: String, _ reason: String, impact: WalkProblem.Impact, at bytes: [UInt8]) {
        report.problems.append(WalkProblem(code: code, path: displayPath(bytes), reason: reason, impact: impact))
    }

    func displayPath(_ bytes: [UInt8]) -> String { bytes.isEmpty ? "/" : displayName(of: bytes) }

    func walk(start: String, otherStarts: [String], _ visit: (borrowing WalkedFile) -> Void) {
        let startBytes: [UInt8] = start == "/" ? [] : Array(start.utf8)
        let host = walker.fileSystem.hostPath(forResolved: start)
        let descriptor = open(host.isEmpty ? "/" : host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            if code != ENOENT && code != ENOTDIR {
                report.problems.append(WalkProblem(FileSystemError.from(errno: code, path: start, operation: "open")))
            }
            return
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            report.problems.append(WalkProblem(FileSystemError.from(errno: errno, path: start, operation: "fstat")))
            close(descriptor)
            return
        }
        let device = UInt64(info.st_dev)
        if let type = walker.mountTable.type(ofDevice: device), walker.configuration.fileSystemTypes.skips(type) {
            report.statistics.skippedMounts += 1
            problem(
                "walk.skipped-file-system", "on a \(type) file system, which walks never enter", impact: .notable, at: startBytes)
            close(descriptor)
            return
        }
        guard let stream = fdopendir(descriptor) else {
            report.problems.append(WalkProblem(FileSystemError.from(errno: errno, path: start, operation: "fdopendir")))
            close(descriptor)
            return
        }
        let filesBefore = report.statistics.regularFiles
        defer { report.walkedStarts.append(WalkedStart(path: start, regularFiles: report.statistics.regularFiles - filesBefore)) }
        report.statistics.directories += 1
        let nestedStarts = Set(otherStarts.filter { $0 != start && $0.hasPrefix(start == "/" ? "/" : start + "/") }.map { Array($0.utf8) })
        path = startBytes
        stack.append(
            Level(
                stream: stream, descriptor: descriptor, device: device, depth: 0, pathLength: path.count,
                checksExclusions: checksExclusions(in: path)))
        while let level = stack.last, !stopped {
            errno = 0
            guard let entry = readdir(level.stream) else {
                let code = errno
                if code != 0 {
                    report.problems.append(WalkProblem(FileSystemError.from(errno: code, path: displayPath(path), operation: "readdir")))
                }
                closedir(level.stream)
                stack.removeLast()
                if let parent = stack.last { path.removeSubrange(parent.pathLength...) }
                continue
            }
            let namePointer = (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
            let nameLength = strlen(namePointer)
            if namePointer[0] == 0x2E && (nameLength == 1 || (nameLength == 2 && namePointer[1] == 0x2E)) { continue }
            report.statistics.entries += 1
            if report.statistics.entries > walker.configuration.maximumEntries {
                stopped = true
                report.truncated = true
                problem(
                    "walk.entry-limit",
                    "more than \(walker.configuration.maximumEntries) entries; the rest of the walk was not done",
                    impact: .coverageLost, at: path)
                break
            }
            var kind = FileKind(direntType: (UnsafeRawPointer(entry) + typeOffset).load(as: UInt8.self))
            var knownStatus: FileStatus?
            if kind == .unknown {
                var info = stat()
                guard fstatat(level.descriptor, namePointer, &info, AT_SYMLINK_NOFOLLOW | noAutomount) == 0 else {
                    let code = errno
                    let childPath = displayPath(path + [UInt8(ascii: "/")] + rawBytes(namePointer, nameLength))
                    report.problems.append(
                        WalkProblem(code == ENOENT ? .vanished(path: childPath) : .from(errno: code, path: childPath, operation: "fstatat")))
                    continue
                }
                knownStatus = FileStatus(info)
                kind = knownStatus!.kind
            }
            switch kind {
            case .regular:
                if level.checksExclusions && isExcluded(namePointer, nameLength) {
                    report.statistics.excluded += 1
                    continue
                }
                report.statistics.regularFiles += 1
                path.withUnsafeBufferPointer { parent in
                    visit(
                        WalkedFile(
                            directoryDescriptor: level.descriptor, namePointer: namePointer, nameLength: nameLength,
                            parentPath: parent, depth: level.depth + 1, knownStatus: knownStatus))
                }
            case .directory:
                enter(namePointer, nameLength, from: level, nestedStarts: nestedStarts)
            case .symlink:
                report.statistics.symbolicLinks += 1
            case .fifo, .socket, .characterDevice, .blockDevice:
                report.statistics.specialFiles += 1
                if specialFileProblems < walker.configuration.maximumSpecialFileProblems {
                    specialFileProblems += 1
                    problem(
                        "walk.special-file", "a \(kind.rawValue), not a regular file; not opened", impact: .notable,
                        at: path + [UInt8(ascii: "/")] + rawBytes(namePointer, nameLength))
                }
            case .unknown:
                report.statistics.specialFiles += 1
            }
        }
        closeAll()
        path = []
    }

    private func rawBytes(_ pointer: UnsafePointer<CChar>, _ length: Int) -> [UInt8] {
        UnsafeRawBufferPointer(start: pointer, count: length).map { $0 }
    }

    private func isExcluded(_ namePointer: UnsafePointer<CChar>, _ nameLength: Int) -> Bool {
        let child = path + [UInt8(ascii: "/")] + rawBytes(namePointer, nameLength)
        if excludedPaths.contains(child) { return true }
        if let pattern = walker.configuration.excludedByPattern { return pattern(displayName(of: child)) }
        return false
    }

    /// Opens a subdirectory and pushes it, unless a cap, an exclusion or a mount boundary says no.
    private func enter(_ namePointer: UnsafePointer<CChar>, _ nameLength: Int, from level: Level, nestedStarts: Set<[UInt8]>) {
        let childPath = path + [UInt8(ascii: "/")] + rawBytes(namePointer, nameLength)
        if nestedStarts.contains(childPath) { return }  // walked as a start of its own
        if level.checksExclusions && isExcluded(namePointer, nameLength) {
            report.statistics.excluded += 1
            return
        }
        // Check the mount boundary with a stat that cannot trigger an automount, before opening.
        var info = stat()
        guard fstatat(level.descriptor, namePointer, &info, AT_SYMLINK_NOFOLLOW | noAutomount) == 0 else {
            let code = errno
            let display = displayPath(childPath)
            report.problems.append(
                WalkProblem(code == ENOENT ? .vanished(path: display) : .from(errno: code, path: display, operation: "fstatat")))
            return
        }
        let before = FileStatus(info)
        guard before.kind == .directory else { return }  // replaced since the listing
        if before.device != level.device {
            let type = walker.mountTable.type(ofDevice: before.device)
            if !walker.configuration.crossFileSystems {
                report.statistics.skippedMounts += 1
                problem(
                    "walk.other-file-system",
                    "a mount point (\(type ?? "unknown type")); not entered without crossFileSystems",
                    impact: .notable, at: childPath)
                return
            }
            if let type, walker.configuration.fileSystemTypes.skips(type) {
                report.statistics.skippedMounts += 1
                problem("walk.skipped-file-system", "on a \(type) file system, which walks never enter", impact: .notable, at: childPath)
                return
            }
        }
        if level.depth + 1 > walker.configuration.maximumDepth {
            report.statistics.depthLimited += 1
            problem(
                "walk.depth-limit",
                "deeper than \(walker.configuration.maximumDepth) directories below the start; not entered",
                impact: .coverageLost, at: childPath)
            return
        }
        let descriptor = openat(level.descriptor, namePointer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            let display = displayPath(childPath)
            let error: FileSystemError =
                switch code {
                case ENOENT: .vanished(path: display)
                case ELOOP, ENOTDIR: .vanished(path: display)  // swapped for a link or a file since the stat
                default: .from(errno: code, path: display, operation: "open")
                }
            report.problems.append(WalkProblem(error))
            return
        }
        var opened = stat()
        guard fstat(descriptor, &opened) == 0, UInt64(opened.st_dev) == before.device, UInt64(opened.st_ino) == before.inode else {
            close(descriptor)
            report.problems.append(WalkProblem(.vanished(path: displayPath(childPath))))
            return
        }
        guard let stream = fdopendir(descriptor) else {
            let code = errno
            close(descriptor)
            report.problems.append(WalkProblem(.from(errno: code, path: displayPath(childPath), operation: "fdopendir")))
            return
        }
        report.statistics.directories += 1
        path = childPath
        stack.append(
            Level(
                stream: stream, descriptor: descriptor, device: before.device, depth: level.depth + 1, pathLength: path.count,
                checksExclusions: checksExclusions(in: path)))
    }
}

private func trimmedPath(_ path: String) -> String {
    var trimmed = path
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    return trimmed
}
