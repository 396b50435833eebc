import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Arch Linux (and Manjaro, EndeavourOS, SteamOS) packages from pacman's local database: one
/// directory `<name>-<version>` per package under `var/lib/pacman/local`, with `desc` (the
/// package) and `files` (its file list).
///
/// Dates: `%INSTALLDATE%` is when the current version was installed (pacman rewrites it on every
/// upgrade), so it is `updatedAt`. `installedAt` is the `installed` line of `pacman.log` that began
/// the current installation when the log still has it, else `%INSTALLDATE%` too. Without either,
/// the `desc` file's mtime is the last resort.
public struct PacmanCollector: InventoryCollector {
    public init() {}
    public var name: String { "alpm" }
    public var readsPackageDatabase: Bool { true }

    static let defaultDatabasePath = "/var/lib/pacman"
    static let defaultLogPath = "/var/log/pacman.log"
    static let descLimit: Int64 = 16 << 20
    static let logLimit: Int64 = 256 << 20

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        let fileSystem = context.fileSystem
        var inventory = Inventory(root: fileSystem.rootDescription)
        let configuration = PacmanConfiguration.read(fileSystem)
        let local = RootFileSystem.join(configuration.databasePath, "local")
        guard fileSystem.isDirectory(local) else { return CollectorOutput(inventory: inventory) }
        guard let directories = fileSystem.names(in: local, kinds: [.directory, .symlink], collector: name, issues: &inventory.issues)
        else { return CollectorOutput(inventory: inventory) }

        let history = readHistory(configuration.logPath, fileSystem: fileSystem, inventory: &inventory)
        var fileLists: [(id: PackageID, path: String)] = []
        for directory in directories {
            let entryDirectory = local + "/" + directory.name
            let descPath = entryDirectory + "/desc"
            let bytes: [UInt8]
            do {
                bytes = try fileSystem.readFile(descPath, limit: Self.descLimit)
            } catch {
                inventory.issues.append(ScanIssue(collector: name, error, consequence: "this package entry was not read"))
                continue
            }
            let result = PacmanDatabaseParser.desc(bytes, path: descPath)
            inventory.issues += result.errors.map { ScanIssue(collector: name, severity: .error, $0) }
            guard var entry = result.entry else { continue }
            var warnings = result.warnings
            var recoveredVersion = false
            if entry.version == nil, let version = Self.version(fromDirectory: directory.name, name: entry.name) {
                // A truncated desc still names a package that pacman installed; its directory name
                // carries the version, so the package is reported rather than lost.
                entry.version = version
                recoveredVersion = true
                warnings = warnings.filter { $0.problem != .missingVersion }
                warnings.append(
                    PacmanDatabaseError(
                        problem: .missingVersion, path: descPath, line: entry.versionLine ?? entry.line,
                        detail: "package '\(entry.name)' has no %VERSION% value; version \(version) taken from the directory name"))
            } else if let version = entry.version, directory.name != entry.name + "-" + version {
                warnings.append(
                    PacmanDatabaseError(
                        problem: .nameMismatch, path: descPath, line: entry.line,
                        detail: "entry says \(entry.name) \(version) but its directory is '\(directory.name)'"))
            }
            inventory.issues += warnings.map { ScanIssue(collector: name, severity: .warning, $0) }
            var package = Self.package(from: entry, source: descPath)
            if recoveredVersion { package.metadata["versionSource"] = "directory-name" }
            Self.assignDates(&package, entry: entry, history: history?.dates(package: entry.name)) {
                fileSystem.modificationDate(descPath)
            }
            inventory.packages.append(package)
            fileLists.append((package.id, entryDirectory + "/files"))
        }
        inventory.sources.append(InventorySource(collector: name, path: local, items: inventory.packages.count))
        let ownership = fileLists.isEmpty ? nil : PacmanFileLists(fileSystem: fileSystem, lists: fileLists)
        return CollectorOutput(inventory: inventory, ownership: ownership)
    }

    static func package(from entry: PacmanEntry, source: String) -> InstalledPackage {
        let version = PacmanVersion(entry.version ?? "")
        var package = InstalledPackage(
            type: .alpm, name: entry.name, version: version.version, release: version.release, epoch: version.epoch,
            arch: entry.architecture, packager: entry.packager, sourcePackage: entry.base, state: .installed, source: source)
        var metadata: [String: String] = [:]
        metadata["homepage"] = entry.url
        metadata["summary"] = entry.summary
        if !entry.licenses.isEmpty { metadata["license"] = entry.licenses.joined(separator: " AND ") }
        metadata["buildTime"] = entry.buildDate.map { RFC3339.format(Date(timeIntervalSince1970: Double($0))) }
        metadata["installedSize"] = entry.size.map(String.init)
        metadata["reason"] = entry.reason.map { $0 == 0 ? "explicit" : $0 == 1 ? "dependency" : String($0) }
        if !entry.validation.isEmpty { metadata["validation"] = entry.validation.joined(separator: " ") }
        if !entry.groups.isEmpty { metadata["groups"] = entry.groups.joined(separator: " ") }
        if !entry.provides.isEmpty { metadata["provides"] = entry.provides.joined(separator: " ") }
        if !entry.depends.isEmpty { metadata["depends"] = entry.depends.joined(separator: " ") }
        metadata["pkgtype"] = entry.extendedData["pkgtype"]
        package.metadata = metadata
        return package
    }

    static func assignDates(
        _ package: inout InstalledPackage, entry: PacmanEntry, history: PacmanInstallHistory.Dates?,
        fileModified: () -> Date?
    ) {
        if let seconds = entry.installDate {
            let installDate = RecordedDate(Date(timeIntervalSince1970: Double(seconds)), source: .pacmanInstallDate)
            package.updatedAt = installDate
            package.installedAt = installDate
            // A log line later than INSTALLDATE belongs to another installation (a copied log):
            // the database wins.
            if let logged = history?.installedAt, logged <= installDate.date {
                package.installedAt = RecordedDate(logged, source: .pacmanLog)
            }
        } else if let history, let installed = history.installedAt ?? history.updatedAt {
            package.installedAt = RecordedDate(installed, source: .pacmanLog)
            package.updatedAt = RecordedDate(history.updatedAt ?? installed, source: .pacmanLog)
        } else if let modified = fileModified() {
            package.installedAt = RecordedDate(modified, source: .fileMtime)
            package.updatedAt = RecordedDate(modified, source: .fileMtime)
        }
    }

    /// `gawk-5.3.1-1` with name `gawk` → `5.3.1-1`, when the rest has the `pkgver-pkgrel` shape.
    static func version(fromDirectory directory: String, name: String) -> String? {
        guard directory.hasPrefix(name + "-") else { return nil }
        let rest = String(directory.dropFirst(name.count + 1))
        let parts = rest.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return rest
    }

    private func readHistory(_ logPath: String, fileSystem: RootFileSystem, inventory: inout Inventory) -> PacmanInstallHistory? {
        let directory = (logPath as NSString).deletingLastPathComponent
        let base = (logPath as NSString).lastPathComponent
        guard fileSystem.isDirectory(directory),
            let names = fileSystem.names(in: directory, kinds: [.regular, .symlink], collector: name, issues: &inventory.issues)
        else { return nil }
        // pacman.log.2.gz ... pacman.log.1, pacman.log (logrotate): oldest first.
        let logs: [(rotation: Int, name: String)] = names.map(\.name).compactMap { name in
            if name == base { return (0, name) }
            guard name.hasPrefix(base + ".") else { return nil }
            let suffix = name.dropFirst(base.count + 1).split(separator: ".", maxSplits: 1)
            guard let first = suffix.first, let rotation = Int(first) else { return nil }
            if suffix.count == 2 && suffix[1] != "gz" { return nil }
            return (rotation, name)
        }.sorted { $0.rotation > $1.rotation }
        guard !logs.isEmpty else { return nil }
        let parser = PacmanLogParser(timeZone: RootTimeZone.detect(fileSystem))
        var events: [PacmanLogEvent] = []
        for log in logs {
            let path = directory + "/" + log.name
            do {
                var bytes = try fileSystem.readFile(path, limit: Self.logLimit)
                if log.name.hasSuffix(".gz") { bytes = try GzipDecoder.decompress(bytes, limit: Int(Self.logLimit)) }
                let before = events.count
                let malformed = parser.parse(bytes, into: &events)
                if malformed > 0 {
                    inventory.issues.append(
                        ScanIssue(
                            collector: name, severity: .warning, code: "alpm.malformed-log-line", location: IssueLocation(path: path),
                            message: "\(malformed) transaction line(s) could not be read and were skipped"))
                }
                inventory.sources.append(InventorySource(collector: name, path: path, items: events.count - before))
            } catch let error as FileSystemError {
                inventory.issues.append(ScanIssue(collector: name, error, consequence: "install dates from this log are missing"))
            } catch {
                inventory.issues.append(
                    ScanIssue(
                        collector: name, code: "alpm.corrupt-log", location: IssueLocation(path: path),
                        message: "\(error); install dates from this log are missing"))
            }
        }
        return PacmanInstallHistory(events: events)
    }
}

/// The two settings of `/etc/pacman.conf` that move the files this collector reads.
struct PacmanConfiguration: Sendable {
    var databasePath = PacmanCollector.defaultDatabasePath
    var logPath = PacmanCollector.defaultLogPath

    static func read(_ fileSystem: RootFileSystem) -> PacmanConfiguration {
        var configuration = PacmanConfiguration()
        guard let bytes = try? fileSystem.readFile("/etc/pacman.conf", limit: 1 << 20) else { return configuration }
        var section = ""
        for line in ByteLines(bytes) {
            let text = String(decoding: line.content.trimmingBlanks, as: UTF8.self)
            if text.hasPrefix("[") && text.hasSuffix("]") {
                section = String(text.dropFirst().dropLast())
                continue
            }
            guard section == "options", !text.hasPrefix("#") else { continue }
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].hasPrefix("/") else { continue }
            switch parts[0] {
            case "DBPath":
                var path = parts[1]
                while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
                configuration.databasePath = path
            case "LogFile": configuration.logPath = parts[1]
            default: break
            }
        }
        return configuration
    }
}

/// Ownership from each package's `files` list, read only when a found file needs an owner.
struct PacmanFileLists: FileOwnershipSource {
    let fileSystem: RootFileSystem
    let lists: [(id: PackageID, path: String)]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        for list in lists {
            let bytes: [UInt8]
            do {
                bytes = try fileSystem.readFile(list.path, limit: 64 << 20)
            } catch {
                // A package without a files list (a hand-made or damaged entry) owns nothing.
                if case .notFound = error { continue }
                if case .vanished = error { continue }
                result.issues.append(
                    ScanIssue(collector: "alpm", severity: .warning, error, consequence: "ownership from this list is missing"))
                continue
            }
            let parsed = PacmanDatabaseParser.files(bytes, path: list.path)
            result.issues += parsed.errors.map { ScanIssue(collector: "alpm", severity: .warning, $0) }
            for file in parsed.list.files where !file.hasSuffix("/") {
                let canonical = aliases.canonical(file)
                if paths.contains(canonical) { result.owners[canonical, default: []].append(list.id) }
            }
        }
        return result
    }
}
