#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import EmbargoFileSystem
import EmbargoInventory

/// RPM packages (RHEL, CentOS, Fedora, SUSE, Amazon Linux, CBL-Mariner...) read natively from
/// whichever rpm database the root has: SQLite, NDB or Berkeley DB. `rpm` is never run.
public struct RpmCollector: InventoryCollector {
    public init() {}
    public var name: String { "rpm" }
    public var readsPackageDatabase: Bool { true }

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        RpmDatabaseReader(fileSystem: context.fileSystem).read()
    }
}

/// Reads every rpm database of a root into packages, issues and a file-ownership source.
public struct RpmDatabaseReader: Sendable {
    static let collectorName = "rpm"
    /// Largest Berkeley DB or NDB file read (a large RHEL 7 host has about 150 MB).
    static let fileLimit: Int64 = 2 << 30

    let fileSystem: RootFileSystem

    public init(fileSystem: RootFileSystem) {
        self.fileSystem = fileSystem
    }

    public func read() -> CollectorOutput {
        var inventory = Inventory(root: fileSystem.rootDescription)
        let (locations, problems) = RpmDatabaseLocator(fileSystem: fileSystem).locate()
        inventory.issues += problems.map(issue)
        var owned: [RpmFileOwnership.Package] = []
        for location in locations {
            let contents = readBlobs(location)
            inventory.issues += contents.errors.map(issue)
            var count = 0
            for blob in contents.blobs {
                let header: RpmHeader
                do {
                    header = try RpmHeaderParser.parse(blob.bytes)
                } catch {
                    let offset = blob.fileOffset(ofBlobOffset: error.offset)
                    let where_ = offset == nil ? " (byte \(error.offset) of the header)" : ""
                    inventory.issues.append(issue(RpmError(
                        .malformedHeader, path: location.path, offset: offset, record: blob.record,
                        detail: "damaged header skipped: \(error.reason)\(where_)")))
                    continue
                }
                switch RpmPackageDecoder.package(from: header, record: blob.record, source: location.path) {
                case .success(let package):
                    inventory.packages.append(package)
                    owned.append(RpmFileOwnership.Package(id: package.id, header: header))
                    count += 1
                case .failure(let error):
                    inventory.issues.append(issue(error))
                }
            }
            inventory.sources.append(InventorySource(collector: Self.collectorName, path: location.path, items: count))
        }
        let ownership: (any FileOwnershipSource)? = owned.isEmpty ? nil : RpmFileOwnership(packages: owned)
        return CollectorOutput(inventory: inventory, ownership: ownership)
    }

    /// The raw header blobs of one database file.
    func readBlobs(_ location: RpmDatabaseLocation) -> RpmDatabaseContents {
        switch location.format {
        case .sqlite:
            return SqliteRpmDatabaseReader(fileSystem: fileSystem).read(path: location.path)
        case .ndb, .berkeleyDB:
            let bytes: [UInt8]
            do {
                bytes = try readWholeFile(location.path)
            } catch {
                return RpmDatabaseContents(errors: [RpmError(.unreadable, path: error.path, detail: error.reason)])
            }
            return location.format == .ndb
                ? NdbDatabaseParser.parse(bytes, path: location.path)
                : BerkeleyHashDatabaseParser.parse(bytes, path: location.path)
        }
    }

    /// Reads a database file into one buffer sized from `fstat`, without the chunk copies of a
    /// general reader: a Berkeley DB file is tens of megabytes and all of it is needed. A file
    /// that shrinks while read gives what was there; one that grows is read to its size at open.
    func readWholeFile(_ path: String) throws(FileSystemError) -> [UInt8] {
        try fileSystem.withOpenRegularFile(path) { (descriptor, size) throws(FileSystemError) -> [UInt8] in
            guard size <= Self.fileLimit else { throw .tooLarge(path: path, size: size, limit: Self.fileLimit) }
            let wanted = Int(size)
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
                initialized = 0
                guard let base = buffer.baseAddress else { return }
                while initialized < wanted {
                    let count = pread(descriptor, base + initialized, wanted - initialized, off_t(initialized))
                    if count < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if count == 0 { return }
                    initialized += count
                }
            }
            if failure != 0 { throw .system(path: path, operation: "read", errno: failure) }
            return bytes
        }
    }

    private func issue(_ error: RpmError) -> ScanIssue {
        ScanIssue(collector: Self.collectorName, severity: error.problem == .ignoredDatabase ? .warning : .error, error)
    }
}

/// File ownership from the packages' file lists (BASENAMES/DIRNAMES/DIRINDEXES, or OLDFILENAMES),
/// decoded only when some found file needs an owner.
struct RpmFileOwnership: FileOwnershipSource {
    struct Package: Sendable {
        var id: PackageID
        var header: RpmHeader
    }

    let packages: [Package]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        // Compare base names as bytes first: only a matching base name costs a path string.
        var wantedBaseNames = Set<ArraySlice<UInt8>>()
        for path in paths {
            let bytes = Array(path.utf8)
            let start = (bytes.lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1
            wantedBaseNames.insert(bytes[start...])
        }
        for package in packages {
            let header = package.header
            func consider(_ path: String) {
                let canonical = aliases.canonical(path)
                if paths.contains(canonical) { result.owners[canonical, default: []].append(package.id) }
            }
            if header.contains(.baseNames) {
                guard let indexes = header.integers(.dirIndexes) else { continue }
                var directories: [String]?
                header.forEachString(.baseNames) { index, baseName in
                    guard wantedBaseNames.contains(baseName), index < indexes.count else { return }
                    if directories == nil { directories = header.stringArray(.dirNames) ?? [] }
                    let directory = Int(indexes[index])
                    guard let directories, directory >= 0, directory < directories.count else { return }
                    consider(directories[directory] + RpmHeader.decode(baseName))
                }
            } else {
                header.forEachString(.oldFileNames) { _, path in
                    let start = (path.lastIndex(of: UInt8(ascii: "/")) ?? path.startIndex - 1) + 1
                    guard start <= path.endIndex, wantedBaseNames.contains(path[start...]) else { return }
                    consider(RpmHeader.decode(path))
                }
            }
        }
        return result
    }
}
