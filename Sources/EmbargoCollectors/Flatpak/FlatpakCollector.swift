import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Flatpak applications and runtimes of every installation on the root: the system one
/// (`var/lib/flatpak`), those configured in `etc/flatpak/installations.d`, and each user's
/// (`~/.local/share/flatpak`, for every home in `etc/passwd` and under `home/`).
///
/// A ref is installed when `<kind>/<id>/<arch>/<branch>/active` links to a deployed commit. From
/// the deployment: `deploy` (origin remote, commit, installed size, flatpak's own copy of the
/// AppStream version), `metadata` (runtime, sdk), and the AppStream metainfo for the version and
/// developer.
///
/// Version: the metainfo's current release; else the `appdata-version` flatpak recorded at deploy
/// time; else, for runtimes, the branch (`23.08`), which is how runtimes are versioned.
///
/// Dates: flatpak records no deploy time (the deploy data's `timestamp` is the commit's build
/// time, kept as `commitTime`). The `deploy` file is written once when the commit is deployed, so
/// its mtime is the deploy time of the installed version: `flatpak-deploy` for both dates, as
/// flatpak keeps no first-install time either.
public struct FlatpakCollector: InventoryCollector {
    public init() {}
    public var name: String { "flatpak" }
    public var readsPackageDatabase: Bool { true }

    static let systemInstallation = "/var/lib/flatpak"
    static let installationsDirectory = "/etc/flatpak/installations.d"
    static let userInstallation = ".local/share/flatpak"
    static let deployLimit: Int64 = 16 << 20
    static let metainfoLimit: Int64 = 8 << 20
    static let maximumHomes = 100_000

    /// One flatpak installation directory.
    struct Installation: Sendable {
        /// `system`, the configured installation's name, or `user:<name>`.
        var label: String
        var path: String
    }

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        let fileSystem = context.fileSystem
        var inventory = Inventory(root: fileSystem.rootDescription)
        var owned: [(prefix: String, exportsPrefix: String, id: String, package: PackageID)] = []
        for installation in installations(fileSystem, issues: &inventory.issues) {
            var count = 0
            for kind in ["app", "runtime"] {
                let kindDirectory = installation.path + "/" + kind
                guard fileSystem.isDirectory(kindDirectory) else { continue }
                for ref in refs(kindDirectory, fileSystem: fileSystem, issues: &inventory.issues) {
                    guard let package = deployment(ref, kind: kind, installation: installation, fileSystem: fileSystem, inventory: &inventory)
                    else { continue }
                    inventory.packages.append(package)
                    owned.append(("\(kindDirectory)/\(ref.id)/\(ref.arch)/\(ref.branch)/", installation.path + "/exports/", ref.id, package.id))
                    count += 1
                }
            }
            inventory.sources.append(InventorySource(collector: name, path: installation.path, items: count))
        }
        let ownership = owned.isEmpty ? nil : FlatpakPathOwnership(deployments: owned)
        return CollectorOutput(inventory: inventory, ownership: ownership)
    }

    // MARK: - Installations

    func installations(_ fileSystem: RootFileSystem, issues: inout [ScanIssue]) -> [Installation] {
        var candidates = [Installation(label: "system", path: Self.systemInstallation)]
        if fileSystem.isDirectory(Self.installationsDirectory),
            let files = fileSystem.names(in: Self.installationsDirectory, kinds: [.regular, .symlink], collector: name, issues: &issues)
        {
            for file in files where file.name.hasSuffix(".conf") {
                let path = Self.installationsDirectory + "/" + file.name
                guard let bytes = try? fileSystem.readFile(path, limit: 1 << 20) else { continue }
                candidates += Self.configuredInstallations(bytes)
            }
        }
        for (user, home) in homes(fileSystem, issues: &issues) {
            candidates.append(Installation(label: "user:" + user, path: RootFileSystem.join(home, Self.userInstallation)))
        }
        var seen = Set<String>()
        return candidates.filter { candidate in
            guard fileSystem.isDirectory(candidate.path), let resolved = try? fileSystem.resolve(candidate.path) else { return false }
            return seen.insert(resolved).inserted
        }
    }

    /// `[Installation "name"]` groups with `Path=` in `installations.d/*.conf`.
    static func configuredInstallations(_ bytes: [UInt8]) -> [Installation] {
        var result: [Installation] = []
        var group: String?
        for line in ByteLines(bytes) {
            let text = String(decoding: line.content.trimmingBlanks, as: UTF8.self)
            if text.hasPrefix("[") && text.hasSuffix("]") {
                let inner = text.dropFirst().dropLast()
                group = inner.hasPrefix("Installation ") ? String(inner.dropFirst("Installation ".count)).replacingOccurrences(of: "\"", with: "") : nil
                continue
            }
            guard let group, text.hasPrefix("Path") else { continue }
            let parts = text.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "Path" else { continue }
            let path = parts[1].trimmingCharacters(in: .whitespaces)
            if path.hasPrefix("/") { result.append(Installation(label: group, path: path)) }
        }
        return result
    }

    /// Home directories: every account in `/etc/passwd` with a home outside the system
    /// directories, every directory under `/home`, and `/root`.
    func homes(_ fileSystem: RootFileSystem, issues: inout [ScanIssue]) -> [(user: String, home: String)] {
        var homes: [(String, String)] = [("root", "/root")]
        if let bytes = try? fileSystem.readFile("/etc/passwd", limit: 64 << 20) {
            for line in ByteLines(bytes) {
                let fields = line.content.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
                guard fields.count >= 6 else { continue }
                let user = String(decoding: fields[0], as: UTF8.self)
                let home = String(decoding: fields[5], as: UTF8.self)
                guard home.hasPrefix("/"), home != "/", !["/bin", "/sbin", "/dev", "/proc", "/usr/sbin", "/nonexistent"].contains(home)
                else { continue }
                homes.append((user, home))
                if homes.count >= Self.maximumHomes { break }
            }
        }
        if fileSystem.isDirectory("/home"),
            let entries = fileSystem.names(in: "/home", kinds: [.directory, .symlink], collector: name, issues: &issues)
        {
            for entry in entries.prefix(Self.maximumHomes) { homes.append((entry.name, "/home/" + entry.name)) }
        }
        return homes
    }

    // MARK: - Refs

    struct Ref: Sendable {
        var id: String
        var arch: String
        var branch: String
    }

    /// `<id>/<arch>/<branch>` directories under `app/` or `runtime/`.
    private func refs(_ kindDirectory: String, fileSystem: RootFileSystem, issues: inout [ScanIssue]) -> [Ref] {
        var refs: [Ref] = []
        let directories: Set<FileKind> = [.directory]
        for id in fileSystem.names(in: kindDirectory, kinds: directories, collector: name, issues: &issues) ?? []
        where !id.name.hasPrefix(".") {
            let idDirectory = kindDirectory + "/" + id.name
            for arch in fileSystem.names(in: idDirectory, kinds: directories, collector: name, issues: &issues) ?? []
            where !arch.name.hasPrefix(".") {
                let archDirectory = idDirectory + "/" + arch.name
                for branch in fileSystem.names(in: archDirectory, kinds: directories, collector: name, issues: &issues) ?? []
                where !branch.name.hasPrefix(".") {
                    refs.append(Ref(id: id.name, arch: arch.name, branch: branch.name))
                }
            }
        }
        return refs
    }

    private func deployment(
        _ ref: Ref, kind: String, installation: Installation, fileSystem: RootFileSystem, inventory: inout Inventory
    ) -> InstalledPackage? {
        let branchDirectory = "\(installation.path)/\(kind)/\(ref.id)/\(ref.arch)/\(ref.branch)"
        let activeLink = branchDirectory + "/active"
        guard let target = try? fileSystem.symlinkTarget(activeLink) else { return nil }  // not deployed
        let commit = target.split(separator: "/").last.map(String.init) ?? target
        let deployDirectory = branchDirectory + "/" + commit
        guard fileSystem.isDirectory(deployDirectory) else {
            inventory.issues.append(
                ScanIssue(
                    collector: name, severity: .warning,
                    FlatpakError(
                        problem: .brokenDeployment, path: activeLink,
                        detail: "\(kind)/\(ref.id)/\(ref.arch)/\(ref.branch) is active but its deployment '\(excerpt(target))' is missing; not reported")))
            return nil
        }

        var deployData: FlatpakDeployData?
        let deployPath = deployDirectory + "/deploy"
        do {
            let bytes = try fileSystem.readFile(deployPath, limit: Self.deployLimit)
            switch FlatpakDeployData.parse(bytes, path: deployPath) {
            case .success(let data): deployData = data
            case .failure(let error): inventory.issues.append(ScanIssue(collector: name, error))
            }
        } catch {
            inventory.issues.append(ScanIssue(collector: name, error, consequence: "origin and commit data of \(ref.id) are missing"))
        }
        let metadata = (try? fileSystem.readFile(deployDirectory + "/metadata", limit: 1 << 20)).map(FlatpakMetadata.parse)
        let appStream = readMetainfo(ref.id, deployDirectory: deployDirectory, fileSystem: fileSystem, issues: &inventory.issues)

        var version = ""
        var versionSource: String?
        if let release = appStream?.component.currentRelease, let text = release.version {
            version = text
            versionSource = "metainfo"
        } else if let text = deployData?.appdataVersion, !text.isEmpty {
            version = text
            versionSource = "deploy-data"
        } else if kind == "runtime" {
            version = ref.branch
            versionSource = "branch"
        } else if appStream == nil {
            // (When AppStream data exists without a version, reading it already said so.)
            inventory.issues.append(
                ScanIssue(
                    collector: name, severity: .warning,
                    FlatpakError(
                        problem: .missingVersion, path: deployPath,
                        detail: "no AppStream data and no version in the deploy data of \(ref.id); reported with an empty version")))
        }
        if let appStream, let id = appStream.component.id, Self.normalizedID(id) != ref.id {
            inventory.issues.append(
                ScanIssue(
                    collector: name, severity: .warning,
                    FlatpakError(
                        problem: .mismatch, path: appStream.path, line: appStream.component.line,
                        detail: "metainfo describes '\(id)' but is deployed as \(ref.id)")))
        }

        let component = appStream?.component
        var package = InstalledPackage(
            type: .flatpak, name: ref.id, version: version, arch: ref.arch, vendor: component?.developer,
            publisher: deployData?.origin, state: .installed, source: deployPath)
        if let deployed = fileSystem.modificationDate(deployPath) {
            package.installedAt = RecordedDate(deployed, source: .flatpakDeploy)
            package.updatedAt = package.installedAt
        } else if let linked = fileSystem.modificationDate(activeLink, ofLink: true) {
            package.installedAt = RecordedDate(linked, source: .fileMtime)
            package.updatedAt = package.installedAt
        }
        var values: [String: String] = [
            "kind": kind, "ref": "\(kind)/\(ref.id)/\(ref.arch)/\(ref.branch)", "branch": ref.branch, "commit": commit,
            "installation": installation.label, "installationPath": installation.path,
        ]
        values["versionSource"] = versionSource
        values["appName"] = component?.name ?? deployData?.appdataName ?? metadata?.name
        values["summary"] = component?.summary ?? deployData?.appdataSummary
        values["license"] = component?.projectLicense ?? deployData?.appdataLicense
        values["homepage"] = component?.homepage
        values["releaseDate"] = component?.currentRelease?.date
        values["metainfo"] = appStream?.path
        values["runtime"] = metadata?.runtime ?? deployData?.runtime
        values["sdk"] = metadata?.sdk
        values["extensionOf"] = metadata?.extensionOf ?? deployData?.extensionOf
        values["installedSize"] = deployData.map { String($0.installedSize) }
        if let timestamp = deployData?.commitTimestamp, timestamp > 0, timestamp < 1 << 40 {
            values["commitTime"] = RFC3339.format(Date(timeIntervalSince1970: Double(timestamp)))
        }
        values["endOfLife"] = deployData?.endOfLife
        if let subpaths = deployData?.subpaths, !subpaths.isEmpty { values["subpaths"] = subpaths.joined(separator: " ") }
        if let deployed = deployData?.commit, deployed != commit { values["deployDataCommit"] = deployed }
        package.metadata = values
        return package
    }

    /// `org.gimp.GIMP.desktop` (old AppStream ids) → `org.gimp.GIMP`.
    static func normalizedID(_ id: String) -> String {
        id.hasSuffix(".desktop") ? String(id.dropLast(".desktop".count)) : id
    }

    /// The first readable AppStream description of the ref, with its path.
    private func readMetainfo(
        _ id: String, deployDirectory: String, fileSystem: RootFileSystem, issues: inout [ScanIssue]
    ) -> (component: AppStreamComponent, path: String)? {
        let candidates = [
            "files/share/metainfo/\(id).metainfo.xml", "files/share/metainfo/\(id).appdata.xml",
            "files/share/appdata/\(id).appdata.xml", "files/share/appdata/\(id).metainfo.xml",
            "export/share/metainfo/\(id).metainfo.xml", "files/share/app-info/xmls/\(id).xml.gz",
        ]
        var fallback: (AppStreamComponent, String)?
        for relative in candidates {
            let path = deployDirectory + "/" + relative
            guard fileSystem.exists(path) else { continue }
            var bytes: [UInt8]
            do {
                bytes = try fileSystem.readFile(path, limit: Self.metainfoLimit)
                if relative.hasSuffix(".gz") { bytes = try GzipDecoder.decompress(bytes, limit: Int(Self.metainfoLimit) * 8) }
            } catch let error as FileSystemError {
                issues.append(ScanIssue(collector: name, error, consequence: "the AppStream data of \(id) was not read"))
                continue
            } catch {
                issues.append(
                    ScanIssue(
                        collector: name, code: "flatpak.corrupt-gzip", location: IssueLocation(path: path),
                        message: "\(error); the AppStream data of \(id) was not read"))
                continue
            }
            switch AppStreamParser.components(bytes, path: path) {
            case .failure(let error):
                issues.append(ScanIssue(collector: name, error))
            case .success(let components):
                let component = components.first { Self.normalizedID($0.id ?? "") == id } ?? components[0]
                if component.currentRelease != nil { return (component, path) }
                issues.append(
                    ScanIssue(
                        collector: name, severity: .warning,
                        FlatpakError(
                            problem: .missingVersion, path: path, line: component.line,
                            detail: "AppStream data of \(id) has no <release> with a version; the version comes from the deploy data if any")))
                if fallback == nil { fallback = (component, path) }
            }
        }
        return fallback
    }
}

/// Ownership by place: a deployment's files and the exports named after the ref's id.
struct FlatpakPathOwnership: FileOwnershipSource {
    let deployments: [(prefix: String, exportsPrefix: String, id: String, package: PackageID)]

    func owners(of paths: Set<String>, aliases: UsrMergeAliases) -> OwnershipResult {
        var result = OwnershipResult()
        for path in paths {
            for deployment in deployments {
                var owns = path.hasPrefix(deployment.prefix)
                if !owns, path.hasPrefix(deployment.exportsPrefix) {
                    let fileName = path.split(separator: "/").last.map(String.init) ?? ""
                    owns = fileName.hasPrefix(deployment.id + ".") || fileName == deployment.id
                }
                if owns { result.owners[path, default: []].append(deployment.package) }
            }
        }
        return result
    }
}
