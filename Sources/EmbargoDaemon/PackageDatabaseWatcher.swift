import Dispatch
import EmbargoFileSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A package database directory to watch, inside the root.
public struct WatchedDatabase: Sendable, Hashable {
    /// `dpkg`, `rpm`, `apk`, ...
    public var label: String
    /// The directory, as a path inside the root.
    public var directory: String
    /// The file names whose change means the database changed; nil means any entry (pacman's
    /// `local/` has one directory per package).
    public var names: Set<String>?

    public init(label: String, directory: String, names: Set<String>?) {
        self.label = label
        self.directory = directory
        self.names = names
    }

    /// Where each package manager keeps its database. Directories are watched, not files: every
    /// one of these tools replaces its database file by rename, which a watch on the file misses.
    public static let defaults: [WatchedDatabase] = [
        WatchedDatabase(label: "dpkg", directory: "/var/lib/dpkg", names: ["status"]),
        WatchedDatabase(label: "opkg", directory: "/var/lib/opkg", names: ["status"]),
        WatchedDatabase(label: "opkg", directory: "/usr/lib/opkg", names: ["status"]),
        WatchedDatabase(
            label: "rpm", directory: "/var/lib/rpm", names: ["rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"]),
        WatchedDatabase(
            label: "rpm", directory: "/usr/lib/sysimage/rpm",
            names: ["rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"]),
        WatchedDatabase(label: "apk", directory: "/lib/apk/db", names: ["installed"]),
        WatchedDatabase(label: "pacman", directory: "/var/lib/pacman/local", names: nil),
        WatchedDatabase(label: "snap", directory: "/var/lib/snapd", names: ["state.json"]),
        WatchedDatabase(label: "flatpak", directory: "/var/lib/flatpak", names: [".changed"]),
        WatchedDatabase(label: "flatpak", directory: "/var/lib/flatpak/app", names: nil),
    ]
}

/// Watches package database directories under a root with inotify and reports changes.
///
/// A database directory that does not exist yet is covered by a watch on its deepest existing
/// ancestor, so a first `rpm` install (which creates `/var/lib/rpm`) is seen too. Paths are
/// resolved inside the root (symbolic links never lead out of it), and watches never follow a
/// final symbolic link. Idle costs nothing: the descriptor is read only when the kernel has events.
public final class PackageDatabaseWatcher: @unchecked Sendable {
    // Safety: `watches` is only touched on `queue` (the dispatch source's handler queue, and
    // `start`/`refresh` which hop onto it).
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "embargo.package-watcher")
    private let source: any DispatchSourceRead
    private let fileSystem: RootFileSystem
    private let databases: [WatchedDatabase]
    private let changed: @Sendable (String) -> Void
    private var watches: [Int32: Watch] = [:]

    private struct Watch {
        var hostPath: String
        var directory: String
        /// Databases living in this directory (empty for an ancestor watch).
        var databases: [WatchedDatabase]
        var isAncestor: Bool { databases.isEmpty }
    }

    static let databaseMask: UInt32 =
        UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM) | UInt32(IN_DELETE) | UInt32(IN_CREATE)
        | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW)
    static let ancestorMask: UInt32 =
        UInt32(IN_CREATE) | UInt32(IN_MOVED_TO) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR)
        | UInt32(IN_DONT_FOLLOW)

    /// - Parameter changed: called on a private queue with a description of what changed.
    public init(
        root: String, databases: [WatchedDatabase] = WatchedDatabase.defaults, changed: @escaping @Sendable (String) -> Void
    ) throws(DaemonError) {
        do {
            fileSystem = try RootFileSystem(root: root)
        } catch {
            throw .startup("cannot watch \(root): \(error)")
        }
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw .system("inotify_init1", errno) }
        self.descriptor = descriptor
        self.databases = databases
        self.changed = changed
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        source.setCancelHandler { close(descriptor) }
    }

    /// Adds the watches and starts delivering changes.
    public func start() {
        queue.sync { _ = refresh() }
        source.setEventHandler { [weak self] in self?.drain() }
        source.resume()
    }

    public func stop() {
        source.cancel()
    }

    deinit {
        source.cancel()
    }

    /// The host paths watched now, and whether each is a database directory (for tests and status).
    public var watchedPaths: [(path: String, isDatabase: Bool)] {
        queue.sync { watches.values.map { ($0.hostPath, !$0.isAncestor) }.sorted { $0.path < $1.path } }
    }

    /// Re-resolves every database directory, moving watches to directories that appeared.
    /// Returns the database directories that are newly watched.
    private func refresh() -> [String] {
        var desired: [String: Watch] = [:]
        for database in databases {
            if let resolved = try? fileSystem.resolve(database.directory), fileSystem.isDirectory(resolved) {
                let host = fileSystem.hostPath(forResolved: resolved)
                desired[host, default: Watch(hostPath: host, directory: resolved, databases: [])].databases.append(database)
            } else if let ancestor = deepestExistingAncestor(of: database.directory) {
                let host = fileSystem.hostPath(forResolved: ancestor)
                if desired[host] == nil { desired[host] = Watch(hostPath: host, directory: ancestor, databases: []) }
            }
        }
        let previouslyWatchedDatabases = Set(watches.values.filter { !$0.isAncestor }.map(\.hostPath))
        for (wd, watch) in watches where desired[watch.hostPath] == nil {
            inotify_rm_watch(descriptor, wd)
            watches[wd] = nil
        }
        var newlyWatched: [String] = []
        for (host, watch) in desired {
            let mask = watch.isAncestor ? Self.ancestorMask : Self.databaseMask
            let wd = inotify_add_watch(descriptor, host, mask)
            guard wd >= 0 else { continue }
            watches[wd] = watch
            if !watch.isAncestor && !previouslyWatchedDatabases.contains(host) { newlyWatched.append(watch.directory) }
        }
        return newlyWatched
    }

    private func deepestExistingAncestor(of directory: String) -> String? {
        var components = directory.split(separator: "/").map(String.init)
        while !components.isEmpty {
            components.removeLast()
            let candidate = "/" + components.joined(separator: "/")
            if let resolved = try? fileSystem.resolve(candidate), fileSystem.isDirectory(resolved) { return resolved }
        }
        return nil
    }

    /// Reads every pending event (on `queue`).
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var reasons: [String] = []
        var needsRefresh = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= count {
                let (wd, mask, length) = buffer.withUnsafeBytes { bytes in
                    (
                        bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                        bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                        Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    )
                }
                let nameStart = offset + headerSize
                let nameEnd = min(nameStart + length, count)
                let name = String(decoding: buffer[nameStart..<nameEnd].prefix { $0 != 0 }, as: UTF8.self)
                offset = nameStart + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    reasons.append("inotify queue overflow")
                    needsRefresh = true
                    continue
                }
                guard let watch = watches[wd] else { continue }
                if mask & (UInt32(IN_IGNORED) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) != 0 {
                    needsRefresh = true
                    if !watch.isAncestor { reasons.append("\(watch.directory) was removed or moved") }
                    continue
                }
                if watch.isAncestor {
                    needsRefresh = true
                    continue
                }
                for database in watch.databases where database.names == nil || database.names?.contains(name) == true {
                    reasons.append("\(database.label): \(watch.directory)/\(name)")
                }
            }
        }
        if needsRefresh {
            for directory in refresh() { reasons.append("new package database directory \(directory)") }
        }
        if !reasons.isEmpty {
            changed(Array(Set(reasons)).sorted().joined(separator: "; "))
        }
    }
}
