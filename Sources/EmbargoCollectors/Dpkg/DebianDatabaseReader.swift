import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Where a dpkg-style database keeps its files: dpkg itself and opkg (OpenWrt) share the format.
struct DebianDatabaseLayout: Sendable {
    var collector: String
    var type: PackageType
    /// Candidate admin directories, first existing wins (`/var/lib/dpkg`).
    var adminDirectories: [String]
    /// Directory of `<package>.list` files, relative to the admin directory.
    var infoDirectory: String
    /// Directory and base name of the action log, or nil when the format has none.
    var logDirectory: String?
    var logBaseName: String?

    static let dpkg = DebianDatabaseLayout(
        collector: "dpkg", type: .deb, adminDirectories: ["/var/lib/dpkg"], infoDirectory: "info",
        logDirectory: "/var/log", logBaseName: "dpkg.log")

    static let opkg = DebianDatabaseLayout(
        collector: "opkg", type: .opkg, adminDirectories: ["/usr/lib/opkg", "/var/lib/opkg"], infoDirectory: "info",
        logDirectory: nil, logBaseName: nil)
}

/// Reads a dpkg-style database under a root: `status`, `status.d/*`, the dates from the action log
/// (with its rotated `.N` and `.N.gz` files) or the file lists' mtimes, and the file lists for ownership.
struct DebianDatabaseReader: Sendable {
    let layout: DebianDatabaseLayout
    let fileSystem: RootFileSystem

    /// Largest status file accepted (a large Debian host has a few MB).
    static let statusLimit: Int64 = 256 << 20
    static let logLimit: Int64 = 256 << 20

    func read() -> CollectorOutput {
        var inventory = Inventory(root: fileSystem.rootDescription)
        guard let adminDirectory = layout.adminDirectories.first(where: { fileSystem.isDirectory($0) }) else {
            return CollectorOutput(inventory: inventory)
        }
        var entries: [(entry: DpkgEntry, source: String)] = []

        let statusPath = adminDirectory + "/status"
        if fileSystem.exists(statusPath) {
            read(statusFile: statusPath, into: &entries, inventory: &inventory)
        }
        let statusDirectory = adminDirectory + "/status.d"
        if fileSystem.isDirectory(statusDirectory) {
            do {
                for item in try fileSystem.contentsOfDirectory(statusDirectory) where !item.name.hasSuffix(".md5sums") {
                    guard item.hasExactName else {
                        inventory.issues.append(unreadableName(statusDirectory, item))
                        continue
                    }
                    read(statusFile: statusDirectory + "/" + item.name, into: &entries, inventory: &inventory)
                }
            } catch {
                inventory.issues.append(issue(error))
            }
        }

        let history = readHistory(into: &inventory)
        let listTimes = listModificationDates(
            adminDirectory: adminDirectory, entries: entries.map(\.entry), history: history)
        var packages: [InstalledPackage] = []
        packages.reserveCapacity(entries.count)
        for (entry, source) in entries where entry.state != .notInstalled {
            var package = InstalledPackage(
                type: layout.type, name: entry.package, version: entry.version ?? "",
                epoch: Self.epoch(of: entry.version), arch: entry.architecture, maintainer: entry.maintainer,
                sourcePackage: entry.source, status: entry.status, state: entry.state, source: source)
            package.metadata = metadata(of: entry)
            if let time = entry.installedTime {
                let date = RecordedDate(Date(timeIntervalSince1970: Double(time)), source: .opkgInstalledTime)
                package.installedAt = date
                package.updatedAt = date
            }
            if package.installedAt == nil, let dates = history?.dates(package: entry.package, architecture: entry.architecture) {
                package.installedAt = dates.installedAt.map { RecordedDate($0, source: .dpkgLog) }
                package.updatedAt = dates.updatedAt.map { RecordedDate($0, source: .dpkgLog) }
            }
            if package.updatedAt == nil || package.installedAt == nil,
                let modified = listTimes[entry.package + ":" + (entry.architecture ?? "")] ?? listTimes[entry.package]
            {
                let fallback = RecordedDate(modified, source: .dpkgInfoMtime)
                if package.updatedAt == nil { package.updatedAt = fallback }
                if package.installedAt == nil && package.updatedAt?.source == .dpkgInfoMtime { package.installedAt = fallback }
            }
            packages.append(package)
        }
        inventory.packages = packages
        let ownership = DebianFileLists(
            layout: layout, fileSystem: fileSystem, adminDirectory: adminDirectory,
            packages: packages.map { ($0.name, $0.arch, $0.id) })
        return CollectorOutput(inventory: inventory, ownership: ownership)
    }

    private func read(statusFile path: String, into entries: inout [(entry: DpkgEntry, source: String)], inventory: inout Inventory) {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readFile(path, limit: Self.statusLimit)
        } catch {
            inventory.issues.append(issue(error))
            return
        }
        let result = DpkgStatusParser.parse(bytes, path: path)
        inventory.issues += result.errors.map { ScanIssue(collector: layout.collector, severity: .error, $0) }
        inventory.issues += result.warnings.map { ScanIssue(collector: layout.collector, severity: .warning, $0) }
        entries += result.entries.map { ($0, path) }
        inventory.sources.append(InventorySource(collector: layout.collector, path: path, items: result.entries.count))
    }

    private func metadata(of entry: DpkgEntry) -> [String: String] {
        var metadata: [String: String] = [:]
        if let value = entry.multiArch { metadata["multiArch"] = value }
        if let value = entry.homepage { metadata["homepage"] = value }
        if let value = entry.installedSize { metadata["installedSize"] = value }
        if let value = entry.license { metadata["license"] = value }
        if let value = entry.summary { metadata["summary"] = value }
        if let value = entry.sourceVersion { metadata["sourceVersion"] = value }
        return metadata
    }

    /// The numeric epoch of a Debian version (`1:2.3-4` → 1), nil when there is none.
    static func epoch(of version: String?) -> Int? {
        guard let version, let colon = version.firstIndex(of: ":") else { return nil }
        return Int(version[..<colon])
    }

    // MARK: - Dates

    /// Replays every dpkg log, oldest rotation first. Nil when the root keeps no log.
    private func readHistory(into inventory: inout Inventory) -> DpkgInstallHistory? {
        guard let directory = layout.logDirectory, let base = layout.logBaseName, fileSystem.isDirectory(directory) else {
            return nil
        }
        let names: [String]
        do {
            names = try fileSystem.contentsOfDirectory(directory).map(\.name).filter { $0.hasPrefix(base) }
        } catch {
            inventory.issues.append(issue(error))
            return nil
        }
        // dpkg.log.12.gz ... dpkg.log.2.gz, dpkg.log.1, dpkg.log: oldest first.
        let logs: [(rotation: Int, name: String)] = names.compactMap { name in
            if name == base { return (0, name) }
            let suffix = name.dropFirst(base.count)
            guard suffix.hasPrefix(".") else { return nil }
            let number = suffix.dropFirst().split(separator: ".", maxSplits: 1)
            guard let rotation = Int(number[0]) else { return nil }
            if number.count == 2 && number[1] != "gz" { return nil }
            return (rotation, name)
        }.sorted { $0.rotation > $1.rotation }
        guard !logs.isEmpty else { return nil }
        let parser = DpkgLogParser(timeZone: RootTimeZone.detect(fileSystem))
        var events: [DpkgLogEvent] = []
        for log in logs {
            let path = directory + "/" + log.name
            do {
                var bytes = try fileSystem.readFile(path, limit: Self.logLimit)
                if log.name.hasSuffix(".gz") {
                    bytes = try GzipDecoder.decompress(bytes, limit: Int(Self.logLimit))
                }
                let before = events.count
                let malformed = parser.parse(bytes, into: &events)
                if malformed > 0 {
                    inventory.issues.append(
                        ScanIssue(
                            collector: layout.collector, severity: .warning, code: "dpkg.malformed-log-line",
                            location: IssueLocation(path: path),
                            message: "\(malformed) action line(s) could not be read and were skipped"))
                }
                inventory.sources.append(InventorySource(collector: layout.collector, path: path, items: events.count - before))
            } catch let error as FileSystemError {
                inventory.issues.append(issue(error))
            } catch {
                inventory.issues.append(
                    ScanIssue(
                        collector: layout.collector, code: "dpkg.corrupt-log", location: IssueLocation(path: path),
                        message: "\(error); dates from this rotated log are missing"))
            }
        }
        return DpkgInstallHistory(events: events)
    }

    /// Modification times of `info/<package>[:<arch>].list`, the fallback date for packages the
    /// logs do not mention, keyed by `name:arch` and `name`.
    private func listModificationDates(
        adminDirectory: String, entries: [DpkgEntry], history: DpkgInstallHistory?
    ) -> [String: Date] {
        var names: [String] = []
        for entry in entries {
            if let dates = history?.dates(package: entry.package, architecture: entry.architecture),
                dates.installedAt != nil, dates.updatedAt != nil
            {
                continue
            }
            if let arch = entry.architecture { names.append(entry.package + ":" + arch + ".list") }
            names.append(entry.package + ".list")
        }
        guard !names.isEmpty else { return [:] }
        let statuses = fileSystem.statusOfEntries(names, in: adminDirectory + "/" + layout.infoDirectory)
        var result: [String: Date] = [:]
        for (name, status) in statuses where status.kind == .regular {
            let key = String(name.dropLast(5))
            let date = Date(timeIntervalSince1970: status.modificationTime)
            if key.contains(":") { result[key] = date } else { result[key] = date; result[key + ":"] = date }
        }
        return result
    }

    // MARK: - Issues

    private func issue(_ error: FileSystemError) -> ScanIssue {
        ScanIssue(collector: layout.collector, error)
    }

    private func issue(_ error: any Error) -> ScanIssue {
        if let error = error as? FileSystemError { return issue(error) }
        return ScanIssue(collector: layout.collector, code: "\(layout.collector).error", location: IssueLocation(), message: "\(error)")
    }

    private func unreadableName(_ directory: String, _ entry: DirectoryEntry) -> ScanIssue {
        ScanIssue(
            collector: layout.collector, code: "fs.invalid-name", location: IssueLocation(path: directory + "/" + entry.name),
            message: "file name is not valid UTF-8; skipped")
    }
}

/// File ownership from `info/<package>[:<arch>].list` (and `status.d/<package>.md5sums` in
/// distroless images), read only when a found file needs an owner.
struct DebianFileLists: FileOwnershipSource {
    let layout: DebianDatabaseLayout
    let fileSystem: RootFileSystem
    let adminDirectory: String
    let packages: [(name: String, arch: String?, id: PackageID)]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        var byName: [String: [PackageID]] = [:]
        var byNameArch: [String: PackageID] = [:]
        for package in packages {
            byName[package.name, default: []].append(package.id)
            if let arch = package.arch { byNameArch[package.name + ":" + arch] = package.id }
        }
        var listFiles: [(path: String, ids: [PackageID], prefix: String)] = []
        let infoDirectory = adminDirectory + "/" + layout.infoDirectory
        if let items = try? fileSystem.contentsOfDirectory(infoDirectory) {
            // `.list` files are dpkg's own record; images that strip them keep `.md5sums`.
            var listed = Set<String>()
            for item in items where item.name.hasSuffix(".list") && item.hasExactName {
                let key = String(item.name.dropLast(5))
                let ids = byNameArch[key].map { [$0] } ?? byName[key] ?? []
                if ids.isEmpty { continue }
                listed.insert(key)
                listFiles.append((infoDirectory + "/" + item.name, ids, ""))
            }
            for item in items where item.name.hasSuffix(".md5sums") && item.hasExactName {
                let key = String(item.name.dropLast(8))
                guard !listed.contains(key) else { continue }
                let ids = byNameArch[key].map { [$0] } ?? byName[key] ?? []
                if ids.isEmpty { continue }
                listFiles.append((infoDirectory + "/" + item.name, ids, "/"))
            }
        }
        let statusDirectory = adminDirectory + "/status.d"
        if let items = try? fileSystem.contentsOfDirectory(statusDirectory) {
            for item in items where item.name.hasSuffix(".md5sums") && item.hasExactName {
                let ids = byName[String(item.name.dropLast(8))] ?? []
                if ids.isEmpty { continue }
                listFiles.append((statusDirectory + "/" + item.name, ids, "/"))
            }
        }
        for list in listFiles {
            let bytes: [UInt8]
            do {
                bytes = try fileSystem.readFile(list.path, limit: 64 << 20)
            } catch {
                result.issues.append(
                    ScanIssue(collector: layout.collector, severity: .warning, code: error.code,
                              location: IssueLocation(path: error.path), message: error.reason + "; ownership from this list is missing"))
                continue
            }
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
                var text = String(decoding: line, as: UTF8.self)
                if list.prefix == "/" {
                    // md5sums lines: "<md5>  <path relative to />"
                    guard let space = text.firstIndex(of: " ") else { continue }
                    text = "/" + text[space...].drop { $0 == " " }
                }
                let canonical = aliases.canonical(text)
                if paths.contains(canonical) {
                    result.owners[canonical, default: []] += list.ids
                }
            }
        }
        return result
    }
}
