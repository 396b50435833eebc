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
///
/// Headers are parsed and turned into packages one at a time and then dropped: memory stays at
/// one header beyond the database file itself. File lists are read again, only if some found file
/// needs an owner.
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
        for location in locations {
            var count = 0
            let errors = forEachHeader(location) { record, parsed in
                switch parsed.flatMap({ RpmPackageDecoder.package(from: $0, record: record, source: location.path) }) {
                case .success(let package):
                    inventory.packages.append(package)
                    count += 1
                case .failure(let error):
                    inventory.issues.append(issue(error))
                }
            }
            inventory.issues += errors.map(issue)
            inventory.sources.append(InventorySource(collector: Self.collectorName, path: location.path, items: count))
        }
        let ownership: (any FileOwnershipSource)? = inventory.packages.isEmpty ? nil : RpmFileOwnership(reader: self, databases: locations)
        return CollectorOutput(inventory: inventory, ownership: ownership)
    }

    /// Visits every header of one database in rpm's order, parsed, or the error that made it
    /// unusable. Returns the problems of the database itself (pages, slots, SQLite).
    func forEachHeader(_ location: RpmDatabaseLocation, _ body: (_ record: Int, _ header: Result<RpmHeader, RpmError>) -> Void) -> [RpmError] {
        let visit: (RpmHeaderBlob) -> Void = { blob in
            do throws(RpmHeaderError) {
                let header = try RpmHeaderParser.parse(blob.bytes)
                body(blob.record, .success(header))
            } catch {
                let offset = blob.fileOffset(ofBlobOffset: error.offset)
                let blobPosition = offset == nil ? " (byte \(error.offset) of the header)" : ""
                body(blob.record, .failure(RpmError(
                    .malformedHeader, path: location.path, offset: offset, record: blob.record,
                    detail: "damaged header skipped: \(error.reason)\(blobPosition)")))
            }
        }
        switch location.format {
        case .sqlite:
            return SqliteRpmDatabaseReader(fileSystem: fileSystem).forEachBlob(path: location.path, visit)
        case .ndb, .berkeleyDB:
            let bytes: [UInt8]
            do {
                bytes = try readWholeFile(location.path)
            } catch {
                return [RpmError(.unreadable, path: error.path, detail: error.reason)]
            }
            return location.format == .ndb
                ? NdbDatabaseParser.forEachBlob(bytes, path: location.path, visit)
                : BerkeleyHashDatabaseParser.forEachBlob(bytes, path: location.path, visit)
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
                Self.preferHugePages(base, count: wanted)
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

    /// Asks Linux to back a large buffer with 2 MiB pages: a 100 MB database then costs a few
    /// dozen page faults instead of tens of thousands, which otherwise dominate the read.
    static func preferHugePages(_ base: UnsafeMutablePointer<UInt8>, count: Int) {
        #if os(Linux)
        let hugePage = 2 << 20
        guard count >= 2 * hugePage else { return }
        let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
        let end = (Int(bitPattern: base) + count) & ~(hugePage - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, MADV_HUGEPAGE)
        #endif
    }

    private func issue(_ error: RpmError) -> ScanIssue {
        ScanIssue(collector: Self.collectorName, severity: error.problem == .ignoredDatabase ? .warning : .error, error)
    }
}

/// File ownership from the packages' file lists (BASENAMES/DIRNAMES/DIRINDEXES, or OLDFILENAMES),
/// read again from the databases only when some found file needs an owner.
struct RpmFileOwnership: FileOwnershipSource {
    let reader: RpmDatabaseReader
    let databases: [RpmDatabaseLocation]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        // Compare base names as bytes first: only a matching base name costs a path string.
        var wantedBaseNames = Set<ArraySlice<UInt8>>()
        for path in paths {
            let bytes = Array(path.utf8)
            let start = (bytes.lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1
            wantedBaseNames.insert(bytes[start...])
        }
        for database in databases {
            var headers = 0
            // Problems were reported when the packages were read; only a database that can no
            // longer be read at all is worth a word here.
            let errors = reader.forEachHeader(database) { record, parsed in
                guard case .success(let header) = parsed,
                    case .success(let package) = RpmPackageDecoder.identity(from: header, record: record, source: database.path)
                else { return }
                headers += 1
                Self.scan(header, owner: package.id, wanted: wantedBaseNames, paths: paths, aliases: aliases, into: &result)
            }
            if headers == 0, let error = errors.first {
                result.issues.append(ScanIssue(
                    collector: RpmDatabaseReader.collectorName, severity: .warning, code: error.code, location: error.location,
                    message: error.reason + "; file ownership from this database is missing"))
            }
        }
        return result
    }

    static func scan(
        _ header: RpmHeader, owner: PackageID, wanted: Set<ArraySlice<UInt8>>, paths: Set<String>, aliases: UsrMergeAliases,
        into result: inout OwnershipResult
    ) {
        func consider(_ path: String) {
            let canonical = aliases.canonical(path)
            if paths.contains(canonical) { result.owners[canonical, default: []].append(owner) }
        }
        if header.contains(.baseNames) {
            guard let indexes = header.integers(.dirIndexes) else { return }
            var directories: [String]?
            header.forEachString(.baseNames) { index, baseName in
                guard wanted.contains(baseName), index < indexes.count else { return }
                if directories == nil { directories = header.stringArray(.dirNames) ?? [] }
                let directory = Int(indexes[index])
                guard let directories, directory >= 0, directory < directories.count else { return }
                consider(directories[directory] + RpmHeader.decode(baseName))
            }
        } else {
            header.forEachString(.oldFileNames) { _, path in
                let start = (path.lastIndex(of: UInt8(ascii: "/")) ?? path.startIndex - 1) + 1
                guard start <= path.endIndex, wanted.contains(path[start...]) else { return }
                consider(RpmHeader.decode(path))
            }
        }
    }
}
