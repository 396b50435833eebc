import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Alpine (and postmarketOS, Wolfi, Chimera) packages from apk's installed database.
///
/// Dates: apk records no per-package install time. The only date on disk is the database file's
/// own modification time, i.e. the last apk transaction, which is an upper bound for every
/// package's install or upgrade. It is reported as both dates with source `apk-installed-mtime`
/// so a report can say exactly how weak it is. The build time (`t:`) is kept in metadata.
public struct ApkCollector: InventoryCollector {
    public init() {}
    public var name: String { "apk" }
    public var readsPackageDatabase: Bool { true }

    /// Where apk-tools keeps the database; newer layouts move it under `/usr`.
    public static let databasePaths = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"]
    static let databaseLimit: Int64 = 256 << 20

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        let fileSystem = context.fileSystem
        var inventory = Inventory(root: fileSystem.rootDescription)
        var seen = Set<String>()
        var fileLists: [(id: PackageID, files: [String])] = []
        for path in Self.databasePaths {
            // On usr-merged roots both candidates can be the same file.
            guard let resolved = try? fileSystem.resolve(path), seen.insert(resolved).inserted else { continue }
            guard fileSystem.exists(path) else { continue }
            let bytes: [UInt8]
            do {
                bytes = try fileSystem.readFile(path, limit: Self.databaseLimit)
            } catch {
                inventory.issues.append(ScanIssue(collector: name, error, consequence: "apk packages were not read"))
                continue
            }
            let result = ApkDatabaseParser.parse(bytes, path: path)
            inventory.issues += result.errors.map { ScanIssue(collector: name, severity: .error, $0) }
            inventory.issues += result.warnings.map { ScanIssue(collector: name, severity: .warning, $0) }
            let modified = fileSystem.modificationDate(path).map { RecordedDate($0, source: .apkInstalledMtime) }
            for entry in result.entries {
                let package = Self.package(from: entry, source: path, databaseModified: modified)
                inventory.packages.append(package)
                fileLists.append((package.id, entry.files.filter { !$0.isDirectory }.map(\.path)))
            }
            inventory.sources.append(InventorySource(collector: name, path: path, items: result.entries.count))
        }
        return CollectorOutput(inventory: inventory, ownership: fileLists.isEmpty ? nil : PackageFileLists(lists: fileLists))
    }

    static func package(from entry: ApkEntry, source: String, databaseModified: RecordedDate?) -> InstalledPackage {
        let split = ApkVersion.split(entry.version ?? "")
        var package = InstalledPackage(
            type: .apk, name: entry.name, version: split.version, release: split.release, arch: entry.architecture,
            maintainer: entry.maintainer, sourcePackage: entry.origin, state: .installed,
            installedAt: databaseModified, updatedAt: databaseModified, source: source)
        var metadata: [String: String] = [:]
        metadata["license"] = entry.license
        metadata["homepage"] = entry.url
        metadata["summary"] = entry.summary
        metadata["checksum"] = entry.checksum
        metadata["commit"] = entry.commit
        metadata["buildTime"] = entry.buildTime.map { RFC3339.format(Date(timeIntervalSince1970: Double($0))) }
        metadata["size"] = entry.size.map(String.init)
        metadata["installedSize"] = entry.installedSize.map(String.init)
        if !entry.provides.isEmpty { metadata["provides"] = entry.provides.joined(separator: " ") }
        if !entry.depends.isEmpty { metadata["depends"] = entry.depends.joined(separator: " ") }
        metadata["line"] = String(entry.line)
        package.metadata = metadata
        return package
    }
}

/// Ownership from file lists already read with the database (apk `R:` lines): the lists are small
/// enough to keep, and re-reading the database would only repeat the parse.
struct PackageFileLists: FileOwnershipSource {
    let lists: [(id: PackageID, files: [String])]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        for list in lists {
            for file in list.files {
                let canonical = aliases.canonical(file)
                if paths.contains(canonical) { result.owners[canonical, default: []].append(list.id) }
            }
        }
        return result
    }
}
