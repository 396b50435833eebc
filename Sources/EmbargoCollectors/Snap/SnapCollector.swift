import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Snaps, read from snapd's files without snapd.
///
/// What wins where:
/// - **Which snaps are installed**, their revision, snap id, type, tracking channel and
///   confinement mode come from `var/lib/snapd/state.json`: it is snapd's own record, and it is
///   there on an offline root. When it is missing or unreadable, the snaps are listed from the
///   mount directory (`snap/<name>/current`) and `var/lib/snapd/snaps/<name>_<rev>.snap`, with a
///   warning.
/// - **The version** and what the snap declares (architectures, base, grade, requested
///   confinement, license) come from the revision's own `meta/snap.yaml`, the only place the
///   version is written. On an offline root the snap's squashfs is not mounted, so the version is
///   reported as unknown with a warning rather than guessed.
/// - **The publisher** comes from the store-signed `snap-declaration` and `account` assertions.
/// - Debian packages a snap lists (`usr/share/snappy/dpkg.yaml`, `snap/manifest.yaml`) are
///   reported as `deb` packages with `bundledIn` metadata naming the snap.
///
/// Dates: `updatedAt` is `last-refresh-time` from the state (snapd 2.58+), else the mtime of the
/// `current` link (what `snap info` shows as the install date). snapd keeps no first-install time;
/// `installedAt` is the oldest retained `.snap` file's mtime when older, else `updatedAt`.
public struct SnapCollector: InventoryCollector {
    public init() {}
    public var name: String { "snap" }
    public var readsPackageDatabase: Bool { true }

    static let statePath = "/var/lib/snapd/state.json"
    static let snapFilesDirectory = "/var/lib/snapd/snaps"
    /// `/snap` on Debian and Ubuntu; `/var/lib/snapd/snap` on Fedora, Arch and openSUSE.
    static let mountDirectories = ["/snap", "/var/lib/snapd/snap"]
    static let stateLimit: Int64 = 512 << 20
    static let yamlLimit: Int64 = 4 << 20

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        let fileSystem = context.fileSystem
        var inventory = Inventory(root: fileSystem.rootDescription)
        let mountDirectory = Self.mountDirectories.first { fileSystem.isDirectory($0) }
        let snapFiles = readSnapFiles(fileSystem, issues: &inventory.issues)

        var entries: [SnapStateEntry] = []
        var source = Self.statePath
        var stateRead = false
        if fileSystem.exists(Self.statePath) {
            do {
                let bytes = try fileSystem.readFile(Self.statePath, limit: Self.stateLimit)
                let result = SnapStateParser.parse(bytes, path: Self.statePath)
                inventory.issues += result.errors.map { ScanIssue(collector: name, $0) }
                let unreadable = result.errors.contains { $0.problem == .malformedJSON || $0.problem == .notAState }
                if !unreadable {
                    entries = result.snaps
                    stateRead = true
                    inventory.sources.append(InventorySource(collector: name, path: Self.statePath, items: entries.count))
                }
            } catch {
                inventory.issues.append(ScanIssue(collector: name, error, consequence: "snaps are listed from the mount directory instead"))
            }
        }
        if !stateRead {
            entries = fallbackEntries(fileSystem, mountDirectory: mountDirectory, snapFiles: snapFiles)
            if !entries.isEmpty {
                source = ""
                inventory.issues.append(
                    ScanIssue(
                        collector: name, severity: .warning,
                        SnapError(
                            problem: .noState, path: Self.statePath,
                            detail: "snapd's state is missing or unreadable; \(entries.count) snap(s) listed from the mount directory and snap files, without channel, snap id or publisher")))
            }
        }

        let assertions = SnapAssertionStore(fileSystem: fileSystem)
        var owned: [(instance: String, id: PackageID)] = []
        for entry in entries {
            let revisionDirectory = mountDirectory.map { "\($0)/\(entry.instanceName)/\(entry.revision)" }
            var package = snapPackage(
                entry, revisionDirectory: revisionDirectory, source: source, fileSystem: fileSystem, issues: &inventory.issues)
            if let snapID = entry.snapID, let publisher = assertions.publisher(snapID: snapID) {
                package.publisher = publisher.displayName ?? publisher.username
                package.metadata["publisherID"] = publisher.accountID
                package.metadata["publisherUsername"] = publisher.username
                package.metadata["publisherValidation"] = publisher.validation
            }
            assignDates(
                &package, entry: entry, mountDirectory: mountDirectory, snapFiles: snapFiles[entry.instanceName] ?? [:],
                fileSystem: fileSystem)
            inventory.packages.append(package)
            owned.append((entry.instanceName, package.id))
            if let revisionDirectory {
                inventory.packages += bundledPackages(
                    of: package, revisionDirectory: revisionDirectory, fileSystem: fileSystem, inventory: &inventory)
            }
        }
        let ownership = owned.isEmpty ? nil : SnapPathOwnership(mountDirectory: mountDirectory, snaps: owned)
        return CollectorOutput(inventory: inventory, ownership: ownership)
    }

    // MARK: - Packages

    private func snapPackage(
        _ entry: SnapStateEntry, revisionDirectory: String?, source: String, fileSystem: RootFileSystem, issues: inout [ScanIssue]
    ) -> InstalledPackage {
        var metadata: SnapMetadata?
        let yamlPath = revisionDirectory.map { $0 + "/meta/snap.yaml" }
        if let yamlPath, fileSystem.exists(yamlPath) {
            do {
                let bytes = try fileSystem.readFile(yamlPath, limit: Self.yamlLimit)
                switch SnapYamlParser.metadata(bytes, path: yamlPath) {
                case .success(let value): metadata = value
                case .failure(let error): issues.append(ScanIssue(collector: name, error))
                }
            } catch {
                issues.append(ScanIssue(collector: name, error, consequence: "the version of snap '\(entry.instanceName)' is unknown"))
            }
        } else {
            issues.append(
                ScanIssue(
                    collector: name, severity: .warning,
                    SnapError(
                        problem: .notMounted, path: yamlPath ?? "\(Self.mountDirectories[0])/\(entry.instanceName)/\(entry.revision)/meta/snap.yaml",
                        detail: "snap '\(entry.instanceName)' revision \(entry.revision) is not mounted in this root; its version is unknown")))
        }
        if let metadata, let yamlPath {
            if metadata.name != entry.name {
                issues.append(
                    ScanIssue(
                        collector: name, severity: .warning,
                        SnapError(
                            problem: .mismatch, path: yamlPath, line: metadata.line,
                            detail: "snap.yaml names '\(metadata.name)' but snapd's state has '\(entry.name)'; the state's name is reported")))
            }
            let declaredType = metadata.type ?? "app"
            if let type = entry.type, type != declaredType {
                issues.append(
                    ScanIssue(
                        collector: name, severity: .warning,
                        SnapError(
                            problem: .mismatch, path: yamlPath, line: metadata.line,
                            detail: "snap.yaml declares type '\(declaredType)' but snapd's state has '\(type)'; the state's type is reported")))
            }
            if metadata.version?.isEmpty ?? true {
                issues.append(
                    ScanIssue(
                        collector: name, severity: .warning,
                        SnapError(
                            problem: .missingVersion, path: yamlPath, line: metadata.line,
                            detail: "snap.yaml of '\(entry.instanceName)' has no version; reported with an empty version")))
            }
        }
        let architectures = metadata?.architectures ?? []
        var package = InstalledPackage(
            type: .snap, name: entry.instanceName, version: metadata?.version ?? "",
            arch: architectures.isEmpty ? nil : architectures.joined(separator: ","),
            status: entry.active ? "active" : "disabled", state: .installed,
            source: source.isEmpty ? (yamlPath ?? entry.instanceName) : source)
        var values: [String: String] = [:]
        values["revision"] = entry.revision
        values["snapID"] = entry.snapID
        values["snapName"] = entry.name
        values["instanceKey"] = entry.instanceKey
        values["channel"] = entry.trackingChannel
        values["type"] = entry.type ?? metadata?.type ?? (metadata == nil ? nil : "app")
        values["confinement"] = metadata?.confinement
        values["confinementMode"] = entry.classic ? "classic" : entry.devMode ? "devmode" : entry.jailMode ? "jailmode" : nil
        values["base"] = metadata?.base ?? entry.base
        values["grade"] = metadata?.grade
        values["license"] = metadata?.license
        values["summary"] = metadata?.summary ?? entry.summary
        values["title"] = metadata?.title ?? entry.title
        if entry.revisions.count > 1 { values["retainedRevisions"] = entry.revisions.joined(separator: " ") }
        package.metadata = values
        return package
    }

    private func bundledPackages(
        of snap: InstalledPackage, revisionDirectory: String, fileSystem: RootFileSystem, inventory: inout Inventory
    ) -> [InstalledPackage] {
        var packages: [InstalledPackage] = []
        for relative in ["usr/share/snappy/dpkg.yaml", "snap/manifest.yaml"] {
            let path = revisionDirectory + "/" + relative
            guard fileSystem.exists(path) else { continue }
            let bytes: [UInt8]
            do {
                bytes = try fileSystem.readFile(path, limit: Self.yamlLimit)
            } catch {
                inventory.issues.append(ScanIssue(collector: name, error, consequence: "packages bundled in this snap were not read"))
                continue
            }
            let result = SnapYamlParser.manifest(bytes, path: path)
            inventory.issues += result.errors.map { ScanIssue(collector: name, $0) }
            guard let manifest = result.manifest else { continue }
            for bundled in manifest.packages {
                // A package without an `:arch` suffix has the snap's architecture when the manifest
                // names exactly one.
                let arch = bundled.architecture ?? (manifest.architectures.count == 1 ? manifest.architectures[0] : nil)
                var package = InstalledPackage(
                    type: .deb, name: bundled.name, version: bundled.version, arch: arch, state: .installed,
                    installedAt: snap.installedAt, updatedAt: snap.updatedAt, source: path)
                package.metadata = [
                    "bundledIn": "snap", "snap": snap.name, "snapRevision": snap.metadata["revision"] ?? "",
                ]
                package.metadata["snapType"] = snap.metadata["type"]
                package.metadata["snapVersion"] = manifest.snapVersion ?? (snap.version.isEmpty ? nil : snap.version)
                package.metadata["snapBase"] = manifest.base ?? snap.metadata["base"]
                packages.append(package)
            }
            inventory.sources.append(InventorySource(collector: name, path: path, items: manifest.packages.count))
        }
        return packages
    }

    // MARK: - Dates

    private func assignDates(
        _ package: inout InstalledPackage, entry: SnapStateEntry, mountDirectory: String?, snapFiles: [String: String],
        fileSystem: RootFileSystem
    ) {
        if let refreshed = entry.lastRefreshTime {
            package.updatedAt = RecordedDate(refreshed, source: .snapdState)
        } else if let mountDirectory,
            let linked = fileSystem.modificationDate("\(mountDirectory)/\(entry.instanceName)/current", ofLink: true)
        {
            package.updatedAt = RecordedDate(linked, source: .fileMtime)
        } else if let file = snapFiles[entry.revision], let modified = fileSystem.modificationDate(file) {
            package.updatedAt = RecordedDate(modified, source: .fileMtime)
        }
        let oldestFile = snapFiles.values.compactMap { fileSystem.modificationDate($0) }.min()
        if let oldestFile, package.updatedAt.map({ oldestFile < $0.date }) ?? true {
            package.installedAt = RecordedDate(oldestFile, source: .fileMtime)
        } else {
            package.installedAt = package.updatedAt
        }
    }

    // MARK: - Without a state

    /// `<instance>_<revision>.snap` files by instance and revision.
    private func readSnapFiles(_ fileSystem: RootFileSystem, issues: inout [ScanIssue]) -> [String: [String: String]] {
        guard fileSystem.isDirectory(Self.snapFilesDirectory),
            let entries = fileSystem.names(in: Self.snapFilesDirectory, kinds: [.regular, .symlink], collector: name, issues: &issues)
        else { return [:] }
        var files: [String: [String: String]] = [:]
        for entry in entries where entry.name.hasSuffix(".snap") {
            let stem = entry.name.dropLast(5)
            guard let underscore = stem.lastIndex(of: "_") else { continue }
            let instance = String(stem[..<underscore])
            let revision = String(stem[stem.index(after: underscore)...])
            guard !instance.isEmpty, !revision.isEmpty else { continue }
            files[instance, default: [:]][revision] = Self.snapFilesDirectory + "/" + entry.name
        }
        return files
    }

    private func fallbackEntries(
        _ fileSystem: RootFileSystem, mountDirectory: String?, snapFiles: [String: [String: String]]
    ) -> [SnapStateEntry] {
        var revisionsByInstance: [String: (current: String?, revisions: Set<String>)] = [:]
        for (instance, files) in snapFiles { revisionsByInstance[instance] = (nil, Set(files.keys)) }
        if let mountDirectory, let names = try? fileSystem.contentsOfDirectory(mountDirectory) {
            for directory in names where directory.hasExactName && directory.kind == .directory {
                let instanceDirectory = mountDirectory + "/" + directory.name
                guard let children = try? fileSystem.contentsOfDirectory(instanceDirectory) else { continue }
                var record = revisionsByInstance[directory.name] ?? (nil, [])
                for child in children where child.hasExactName {
                    if child.name == "current" {
                        if let target = try? fileSystem.symlinkTarget(instanceDirectory + "/current") {
                            record.current = target.split(separator: "/").last.map(String.init)
                        }
                    } else if child.kind == .directory, fileSystem.exists(instanceDirectory + "/" + child.name + "/meta/snap.yaml") {
                        record.revisions.insert(child.name)
                    }
                }
                if record.current != nil || !record.revisions.isEmpty { revisionsByInstance[directory.name] = record }
            }
        }
        return revisionsByInstance.keys.sorted().compactMap { instance in
            guard let record = revisionsByInstance[instance] else { return nil }
            let ordered = record.revisions.sorted { revisionOrder($0) < revisionOrder($1) }
            guard let revision = record.current ?? ordered.last else { return nil }
            let name = instance.split(separator: "_", maxSplits: 1).first.map(String.init) ?? instance
            return SnapStateEntry(
                instanceName: instance, name: name, snapID: nil, revision: revision, revisions: ordered, type: nil,
                active: record.current != nil, trackingChannel: nil,
                instanceKey: instance.contains("_") ? String(instance.split(separator: "_", maxSplits: 1)[1]) : nil,
                devMode: false, jailMode: false, classic: false, lastRefreshTime: nil, base: nil, title: nil, summary: nil,
                line: nil)
        }
    }

    /// Store revisions are numbers; local ones are `x<n>` and rank after them.
    private func revisionOrder(_ revision: String) -> (Int, Int) {
        if let number = Int(revision) { return (0, number) }
        if revision.hasPrefix("x"), let number = Int(revision.dropFirst()) { return (1, number) }
        return (2, 0)
    }
}

/// Ownership by place: files under a snap's mount directory and the systemd units snapd writes
/// for it (`snap.<instance>.<app>.service`, `snap-<instance>-<rev>.mount`) belong to that snap.
struct SnapPathOwnership: FileOwnershipSource {
    let mountDirectory: String?
    let snaps: [(instance: String, id: PackageID)]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        let unitDirectory = "/etc/systemd/system/"
        let prefixes = snaps.map { snap in
            (
                directory: mountDirectory.map { "\($0)/\(snap.instance)/" },
                service: "snap.\(snap.instance).",
                mount: mountDirectory.map { Self.escapedUnitName($0) + "-" + Self.escapedUnitName(snap.instance) + "-" },
                id: snap.id
            )
        }
        for path in paths {
            let unitName = path.hasPrefix(unitDirectory) ? String(path.dropFirst(unitDirectory.count)) : nil
            for prefix in prefixes {
                let underMount = prefix.directory.map { path.hasPrefix($0) } ?? false
                let isUnit = unitName.map { name in
                    !name.contains("/") && (name.hasPrefix(prefix.service) || prefix.mount.map { name.hasPrefix($0) } ?? false)
                } ?? false
                if underMount || isUnit { result.owners[path, default: []].append(prefix.id) }
            }
        }
        return result
    }

    /// systemd's path escaping for unit names: `/` becomes `-`, `-` becomes `\x2d`.
    static func escapedUnitName(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.first == "/" { trimmed = trimmed.dropFirst() }
        return trimmed.replacingOccurrences(of: "-", with: "\\x2d").replacingOccurrences(of: "/", with: "-")
    }
}
