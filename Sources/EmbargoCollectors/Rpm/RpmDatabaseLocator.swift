import EmbargoFileSystem

/// One rpm database file found under a root.
public struct RpmDatabaseLocation: Sendable, Hashable {
    /// The database file, resolved inside the root (symbolic links followed).
    public var path: String
    public var format: RpmDatabaseFormat
}

/// Finds the rpm databases of a root.
///
/// rpm keeps its database in `/var/lib/rpm` (RHEL ≤ 8, SLES 12), `/usr/lib/sysimage/rpm`
/// (Fedora 36+, openSUSE, SLES 15; `/var/lib/rpm` is then often a link to it) or `/usr/share/rpm`
/// (rpm-ostree systems). Paths are resolved inside the root and a file reached twice (through a
/// link, a bind mount or a hard link) is read once.
///
/// A directory can hold files of several formats after a conversion (`rpmdb --rebuilddb` from
/// Berkeley DB to SQLite leaves the old `Packages` behind on some systems). rpm reads one of them:
/// the configured backend, or, when its file is absent, the first found in the order sqlite, ndb,
/// bdb. The same order is used here, and the others are reported as ignored rather than read,
/// because a stale database would list packages that are no longer installed.
public struct RpmDatabaseLocator: Sendable {
    public static let directories = ["/var/lib/rpm", "/usr/lib/sysimage/rpm", "/usr/share/rpm"]
    static let formatsInPreferenceOrder: [RpmDatabaseFormat] = [.sqlite, .ndb, .berkeleyDB]

    let fileSystem: RootFileSystem

    public init(fileSystem: RootFileSystem) {
        self.fileSystem = fileSystem
    }

    public func locate() -> (databases: [RpmDatabaseLocation], problems: [RpmError]) {
        var databases: [RpmDatabaseLocation] = []
        var problems: [RpmError] = []
        var seenDirectories = Set<String>()
        var seenFiles = Set<FileIdentity>()
        for directory in Self.directories {
            let resolvedDirectory: String
            do {
                resolvedDirectory = try fileSystem.resolve(directory)
            } catch {
                if case .notFound = error { continue }
                if case .notADirectory = error { continue }
                problems.append(RpmError(.unreadable, path: error.path, detail: error.reason))
                continue
            }
            guard fileSystem.isDirectory(resolvedDirectory), seenDirectories.insert(resolvedDirectory).inserted else { continue }
            var chosen: RpmDatabaseLocation?
            for format in Self.formatsInPreferenceOrder {
                let candidate = RootFileSystem.join(resolvedDirectory, format.fileName)
                guard let status = try? fileSystem.status(candidate), let resolved = try? fileSystem.resolve(candidate) else {
                    continue
                }
                guard status.kind == .regular else {
                    // A FIFO or device would block or mislead a reader: named, never opened.
                    problems.append(RpmError(.unreadable, path: resolved, detail: "not a regular file (\(status.kind.rawValue)); not opened"))
                    continue
                }
                let identity = FileIdentity(device: status.device, inode: status.inode)
                guard seenFiles.insert(identity).inserted else { continue }
                let location = RpmDatabaseLocation(path: resolved, format: format)
                if let chosen {
                    problems.append(RpmError(
                        .ignoredDatabase, path: resolved,
                        detail: "\(format.rawValue) database not read: \(chosen.path) (\(chosen.format.rawValue)) in the same directory is the one rpm uses"))
                } else {
                    chosen = location
                    databases.append(location)
                }
            }
        }
        return (databases, problems)
    }

    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
    }
}
