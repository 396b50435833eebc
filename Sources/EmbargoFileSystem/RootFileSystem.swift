#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only access to a file tree as if it were mounted at `/`: the live system (`/`), a mounted
/// disk image or a container root.
///
/// Every collector reads through this type, so the rules for hostile trees live here once:
/// - a symbolic link inside the root resolves inside the root (an absolute target is taken relative
///   to the root, and `..` cannot climb above it);
/// - only regular files are opened (`O_NOFOLLOW|O_NONBLOCK`, then `fstat`): FIFOs, sockets and
///   devices are reported, never opened;
/// - reads are bounded.
///
/// Paths passed in and returned are always paths as seen inside the root (`/var/lib/dpkg/status`).
public struct RootFileSystem: Sendable {
    /// The host path of the root directory, without a trailing slash (empty for `/`).
    public let hostRoot: String
    /// The usr-merge aliases of this root (`/bin` → `/usr/bin`, ...), detected once at creation.
    public let usrMerge: UsrMergeAliases

    /// The most symbolic links followed while resolving one path, as Linux's own limit.
    public static let maximumSymlinkHops = 40

    /// Opens a root.
    /// - Parameter root: host path of the root directory; `/` for the live system.
    /// - Throws: ``FileSystemError`` when the root is not a readable directory.
    public init(root: String) throws(FileSystemError) {
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if !trimmed.hasPrefix("/") {
            if let pointer = getcwd(nil, 0) {
                let cwd = String(cString: pointer)
                free(pointer)
                trimmed = (cwd == "/" ? "" : cwd) + "/" + trimmed
            }
        }
        var info = stat()
        guard stat(trimmed, &info) == 0 else {
            throw FileSystemError.from(errno: errno, path: trimmed, operation: "stat")
        }
        guard FileKind(mode: info.st_mode) == .directory else {
            throw .notADirectory(path: trimmed)
        }
        let host = trimmed == "/" ? "" : trimmed
        self.hostRoot = host
        self.usrMerge = UsrMergeAliases.detect(hostRoot: host)
    }

    /// Whether this is the running system's own root, where `/proc` describes the live host.
    public var isLiveRoot: Bool { hostRoot.isEmpty }

    /// The host path of the root, for display (`/` for the live system).
    public var rootDescription: String { hostRoot.isEmpty ? "/" : hostRoot }

    /// The host path for a path inside the root that is already resolved (no symbolic links in it).
    public func hostPath(forResolved path: String) -> String {
        hostRoot + (path.hasPrefix("/") ? path : "/" + path)
    }

    // MARK: - Resolution

    /// Resolves a path inside the root to its canonical form inside the root, following symbolic
    /// links without ever leaving the root.
    /// - Parameters:
    ///   - path: a path inside the root; relative paths are taken from the root.
    ///   - followFinalSymlink: whether a symbolic link in the last component is followed.
    /// - Returns: the canonical path inside the root, starting with `/`.
    public func resolve(_ path: String, followFinalSymlink: Bool = true) throws(FileSystemError) -> String {
        var resolved: [Substring] = []
        var pending: [Substring] = path.split(separator: "/", omittingEmptySubsequences: true).reversed()
        var hops = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            resolved.append(component)
            let isLast = pending.isEmpty
            if isLast && !followFinalSymlink { break }
            let candidate = "/" + resolved.joined(separator: "/")
            var info = stat()
            guard lstat(hostPath(forResolved: candidate), &info) == 0 else {
                // A missing component means the requested path does not exist: name what was asked for.
                let code = errno
                throw FileSystemError.from(errno: code, path: isLast || code == ENOENT ? path : candidate, operation: "lstat")
            }
            let kind = FileKind(mode: info.st_mode)
            if kind == .symlink {
                hops += 1
                if hops > Self.maximumSymlinkHops { throw .symlinkLoop(path: path) }
                let target = try readLinkTarget(hostPath: hostPath(forResolved: candidate), displayPath: candidate)
                resolved.removeLast()
                if target.hasPrefix("/") { resolved.removeAll() }
                pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).reversed())
            } else if !isLast && kind != .directory {
                throw .notADirectory(path: candidate)
            }
        }
        return "/" + resolved.joined(separator: "/")
    }

    private func readLinkTarget(hostPath: String, displayPath: String) throws(FileSystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(hostPath, &buffer, buffer.count - 1)
        guard length >= 0 else { throw FileSystemError.from(errno: errno, path: displayPath, operation: "readlink") }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The target of a symbolic link, as written in the link (not resolved).
    public func symlinkTarget(_ path: String) throws(FileSystemError) -> String {
        let resolved = try resolve(path, followFinalSymlink: false)
        return try readLinkTarget(hostPath: hostPath(forResolved: resolved), displayPath: path)
    }

    // MARK: - Metadata

    /// `stat` (or `lstat` when `followFinalSymlink` is false) of a path inside the root.
    public func status(_ path: String, followFinalSymlink: Bool = true) throws(FileSystemError) -> FileStatus {
        let resolved = try resolve(path, followFinalSymlink: followFinalSymlink)
        var info = stat()
        guard lstat(hostPath(forResolved: resolved), &info) == 0 else {
            throw FileSystemError.from(errno: errno, path: path, operation: "lstat")
        }
        return FileStatus(info)
    }

    /// `lstat` of many names in one directory, resolving the directory once: for databases that
    /// keep one file per package (dpkg's `info/*.list`), where resolving each path again would
    /// cost more than the stat itself. Names that do not exist are absent from the result.
    public func statusOfEntries(_ names: some Sequence<String>, in directory: String) -> [String: FileStatus] {
        guard let resolved = try? resolve(directory) else { return [:] }
        let prefix = hostPath(forResolved: resolved) + (resolved == "/" ? "" : "/")
        var result: [String: FileStatus] = [:]
        for name in names where !name.contains("/") && name != ".." && name != "." {
            var info = stat()
            if lstat(prefix + name, &info) == 0 { result[name] = FileStatus(info) }
        }
        return result
    }

    /// Whether the path exists inside the root (after following symbolic links).
    public func exists(_ path: String) -> Bool {
        (try? status(path)) != nil
    }

    /// Whether the path is a directory inside the root (after following symbolic links).
    public func isDirectory(_ path: String) -> Bool {
        (try? status(path))?.kind == .directory
    }

    // MARK: - Reading

    /// Reads a whole regular file.
    /// - Parameter limit: the largest file accepted; a larger file is an error, not a partial read.
    public func readFile(_ path: String, limit: Int64 = 256 << 20) throws(FileSystemError) -> [UInt8] {
        try withOpenRegularFile(path) { (descriptor, size) throws(FileSystemError) in
            if size > limit { throw .tooLarge(path: path, size: size, limit: limit) }
            return try readAll(descriptor: descriptor, path: path, expected: Int(size), maximum: Int(limit))
        }
    }

    /// Reads at most `maximumBytes` from the start of a regular file; a larger file is not an error.
    public func readPrefix(_ path: String, maximumBytes: Int) throws(FileSystemError) -> [UInt8] {
        try withOpenRegularFile(path) { (descriptor, size) throws(FileSystemError) in
            try readAll(descriptor: descriptor, path: path, expected: min(Int(size), maximumBytes), maximum: maximumBytes)
        }
    }

    /// Opens a regular file safely and hands its descriptor and size to `body`.
    ///
    /// The final component is resolved inside the root and then opened with `O_NOFOLLOW|O_NONBLOCK`;
    /// anything that is not a regular file after `fstat` is refused without reading.
    public func withOpenRegularFile<Result>(
        _ path: String,
        _ body: (_ descriptor: Int32, _ size: Int64) throws(FileSystemError) -> Result
    ) throws(FileSystemError) -> Result {
        let resolved = try resolve(path)
        let descriptor = open(hostPath(forResolved: resolved), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw code == ENOENT ? .vanished(path: path) : FileSystemError.from(errno: code, path: path, operation: "open")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw FileSystemError.from(errno: errno, path: path, operation: "fstat")
        }
        let kind = FileKind(mode: info.st_mode)
        guard kind == .regular else { throw .notRegularFile(path: path, kind: kind) }
        return try body(descriptor, Int64(info.st_size))
    }

    private func readAll(descriptor: Int32, path: String, expected: Int, maximum: Int) throws(FileSystemError) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(max(0, min(expected, maximum)) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while result.count < maximum {
            let wanted = min(chunk.count, maximum - result.count)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.from(errno: errno, path: path, operation: "read")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    // MARK: - Directories

    /// Lists a directory inside the root (without `.` and `..`), sorted by name.
    public func contentsOfDirectory(_ path: String) throws(FileSystemError) -> [DirectoryEntry] {
        let resolved = try resolve(path)
        let host = hostPath(forResolved: resolved)
        let descriptor = open(host.isEmpty ? "/" : host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError.from(errno: errno, path: path, operation: "open") }
        guard let directory = fdopendir(descriptor) else {
            let code = errno
            close(descriptor)
            throw FileSystemError.from(errno: code, path: path, operation: "fdopendir")
        }
        defer { closedir(directory) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(directory) {
            let raw: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                Array(bytes.prefix { $0 != 0 })
            }
            if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
            var kind = FileKind(direntType: entry.pointee.d_type)
            if kind == .unknown {
                var info = stat()
                if fstatat(descriptor, raw.map { CChar(bitPattern: $0) } + [0], &info, AT_SYMLINK_NOFOLLOW) == 0 {
                    kind = FileKind(mode: info.st_mode)
                }
            }
            entries.append(DirectoryEntry(name: displayName(of: raw), rawName: raw, kind: kind))
        }
        return entries.sorted { $0.rawName.lexicographicallyPrecedes($1.rawName) }
    }

    /// Joins a directory path inside the root and a name.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// The usr-merge aliases of a root: on a merged system `/bin`, `/sbin` and `/lib*` are symbolic
/// links into `/usr`, so `/lib/systemd/system/x.service` and `/usr/lib/systemd/system/x.service`
/// name the same file. Package databases list either form.
public struct UsrMergeAliases: Sendable, Hashable {
    /// Top-level directories that are links to their `/usr` counterpart, e.g. `["/bin": "/usr/bin"]`.
    public private(set) var aliases: [String: String] = [:]

    public init(aliases: [String: String] = [:]) {
        self.aliases = aliases
    }

    static let candidates = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]

    static func detect(hostRoot: String) -> UsrMergeAliases {
        var found: [String: String] = [:]
        for name in candidates {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(hostRoot + "/" + name, &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let normalized = target.split(separator: "/").joined(separator: "/")
            if normalized == "usr/\(name)" {
                found["/" + name] = "/usr/" + name
            }
        }
        return UsrMergeAliases(aliases: found)
    }

    /// The canonical spelling of a path: `/lib/x` becomes `/usr/lib/x` when `/lib` is an alias.
    public func canonical(_ path: String) -> String {
        guard path.count > 1, !aliases.isEmpty else { return path }
        let afterSlash = path.dropFirst()
        let top = afterSlash.prefix { $0 != "/" }
        guard let target = aliases["/" + top] else { return path }
        return target + afterSlash.dropFirst(top.count)
    }
}
