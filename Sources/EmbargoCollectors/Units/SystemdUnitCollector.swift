import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// systemd unit files in the standard unit directories and SysV init scripts, with whether each is
/// enabled (a `.wants`/`.requires`/`.upholds` link, an `rc?.d/S*` link) or masked.
///
/// One value per unit name, as systemd sees it: the file in the directory of highest precedence
/// is the unit, and the same name in lower directories is recorded in `overriddenPaths`. For a
/// masked unit (`/etc/systemd/system/x.service -> /dev/null`, or an empty file) the value's
/// `path` is the unit file the mask hides, when there is one, so that the package owning it is
/// found; the mask itself is in `maskedBy`. An enablement link whose unit file is gone (a
/// left-over of an uninstalled product) is recorded too, with `danglingLink`.
///
/// Properties: `linkTarget`, `aliasOf`, `masked`, `maskedBy`, `overriddenPaths`, `wantedBy`
/// (the targets whose `.wants`/`.requires`/`.upholds` directory links the unit), `danglingLink`;
/// and for units the plan names, the settings of ``UnitFileParser/recordedKeys`` (drop-ins
/// applied, listed in `dropIns`) or an init script's header.
public struct SystemdUnitCollector: InventoryCollector {
    public init() {}
    public var name: String { "units" }

    /// Search order of systemd itself: local configuration, runtime, vendor.
    public static let unitDirectories = [
        "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system", "/lib/systemd/system",
    ]
    static let unitSuffixes = [
        ".service", ".socket", ".timer", ".path", ".mount", ".automount", ".swap", ".target", ".slice",
    ]
    static let dependencyDirectorySuffixes = [".wants", ".requires", ".upholds"]
    static let maximumEntriesPerDirectory = 20_000
    static let maximumPropertyFileBytes = 64 << 10

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        var scan = UnitScan(collector: name, fileSystem: context.fileSystem)
        scan.readDirectories()
        var inventory = Inventory(root: context.fileSystem.rootDescription)
        inventory.units = scan.units(plan: context.plan)
        inventory.issues = scan.issues
        inventory.sources = scan.sources
        var sysV = SysVScriptReader(collector: name, fileSystem: context.fileSystem)
        inventory.units += sysV.read(plan: context.plan)
        inventory.issues += sysV.issues
        inventory.sources += sysV.sources
        return CollectorOutput(inventory: inventory)
    }

    static func isUnitName(_ name: String) -> Bool {
        unitSuffixes.contains { name.hasSuffix($0) && name.count > $0.count }
    }

    /// `getty@.service` for `getty@tty1.service`; nil for a name that is not a template instance.
    static func templateName(of name: String) -> String? {
        guard let at = name.firstIndex(of: "@"), let dot = name.lastIndex(of: "."), at < dot else { return nil }
        let instance = name[name.index(after: at)..<dot]
        guard !instance.isEmpty else { return nil }
        return String(name[...at]) + name[dot...]
    }
}

/// What the unit directories hold, gathered before units are built: a unit's state depends on
/// every directory (a mask in /etc, a file in /usr/lib, a link in a vendor `.wants`).
private struct UnitScan {
    struct UnitFile {
        var path: String
        var kind: FileKind
        var linkTarget: String?
    }

    struct EnablementLink {
        var path: String
        var target: String
        /// `multi-user.target` for a link in `multi-user.target.wants`.
        var dependent: String
    }

    let collector: String
    let fileSystem: RootFileSystem
    var issues: [ScanIssue] = []
    var sources: [InventorySource] = []
    /// Unit names in order of first appearance, and each name's files in precedence order.
    var names: [String] = []
    var files: [String: [UnitFile]] = [:]
    var links: [String: [EnablementLink]] = [:]
    var linkNames: [String] = []
    /// `x.service.d` directories, in precedence order.
    var dropInDirectories: [String: [String]] = [:]

    init(collector: String, fileSystem: RootFileSystem) {
        self.collector = collector
        self.fileSystem = fileSystem
    }

    mutating func readDirectories() {
        var seenDirectories = Set<String>()
        for directory in SystemdUnitCollector.unitDirectories {
            // /lib/systemd/system and /usr/lib/systemd/system are one directory on a usr-merged root.
            guard let resolved = try? fileSystem.resolve(directory), seenDirectories.insert(resolved).inserted,
                let entries = list(directory)
            else { continue }
            var count = 0
            for entry in entries where entry.hasExactName {
                let path = directory + "/" + entry.name
                if entry.kind == .directory {
                    if let suffix = SystemdUnitCollector.dependencyDirectorySuffixes.first(where: { entry.name.hasSuffix($0) }) {
                        readLinks(in: path, dependent: String(entry.name.dropLast(suffix.count)))
                    } else if entry.name.hasSuffix(".d") {
                        let unit = String(entry.name.dropLast(2))
                        if SystemdUnitCollector.isUnitName(unit) { dropInDirectories[unit, default: []].append(path) }
                    }
                    continue
                }
                guard entry.kind == .regular || entry.kind == .symlink, SystemdUnitCollector.isUnitName(entry.name) else { continue }
                let target = entry.kind == .symlink ? try? fileSystem.symlinkTarget(path) : nil
                if files[entry.name] == nil { names.append(entry.name) }
                files[entry.name, default: []].append(UnitFile(path: path, kind: entry.kind, linkTarget: target))
                count += 1
            }
            sources.append(InventorySource(collector: collector, path: directory, items: count))
        }
    }

    private mutating func readLinks(in directory: String, dependent: String) {
        for link in list(directory) ?? [] where link.hasExactName && SystemdUnitCollector.isUnitName(link.name) {
            let path = directory + "/" + link.name
            let target = link.kind == .symlink ? (try? fileSystem.symlinkTarget(path)) ?? "" : ""
            if links[link.name] == nil { linkNames.append(link.name) }
            links[link.name, default: []].append(EnablementLink(path: path, target: target, dependent: dependent))
        }
    }

    mutating func units(plan: ScanPlan) -> [ServiceUnit] {
        var units: [ServiceUnit] = []
        var readIssues: [ScanIssue] = []
        for name in names {
            guard let candidates = files[name], let effective = candidates.first else { continue }
            let masked = isMask(effective)
            let shown = masked ? candidates.dropFirst().first(where: { !isMask($0) }) ?? effective : effective
            var unit = ServiceUnit(name: name, path: shown.path, manager: "systemd", enabled: false)
            if let target = shown.linkTarget {
                unit.properties["linkTarget"] = target
                let targetName = target.split(separator: "/").last.map(String.init) ?? target
                if targetName != name && SystemdUnitCollector.isUnitName(targetName) { unit.properties["aliasOf"] = targetName }
            }
            if masked {
                unit.properties["masked"] = "true"
                unit.properties["maskedBy"] = effective.path
            }
            let others = candidates.filter { $0.path != shown.path && $0.path != effective.path }.map(\.path)
            if !others.isEmpty { unit.properties["overriddenPaths"] = others.joined(separator: " ") }
            let enabling = enablementLinks(for: name)
            if !enabling.isEmpty {
                unit.properties["wantedBy"] = Array(Set(enabling.map(\.dependent))).sorted().joined(separator: " ")
            }
            unit.enabled = !masked && !enabling.isEmpty
            // A mask link's own time says when the unit was masked; a file's, when it was installed.
            let followLink = !(masked && shown.path == effective.path)
            if let status = try? fileSystem.status(shown.path, followFinalSymlink: followLink) {
                unit.modifiedAt = Date(timeIntervalSince1970: status.modificationTime)
            }
            if plan.isInterestingUnit(name) && !(masked && shown.path == effective.path) {
                var properties: [String: String] = [:]
                let dropIns = dropInFiles(for: name)
                for path in [shown.path] + dropIns {
                    guard let bytes = read(path, issues: &readIssues) else { continue }
                    UnitFileParser.apply(bytes, to: &properties)
                }
                if !dropIns.isEmpty { properties["dropIns"] = dropIns.joined(separator: " ") }
                unit.properties.merge(properties) { current, _ in current }
            }
            units.append(unit)
        }
        // Enablement links whose unit has no file in any unit directory.
        for name in linkNames where files[name] == nil && SystemdUnitCollector.templateName(of: name).flatMap({ files[$0] }) == nil {
            guard let link = links[name]?.first else { continue }
            var unit = ServiceUnit(name: name, path: link.path, manager: "systemd", enabled: true)
            unit.properties["linkTarget"] = link.target
            unit.properties["wantedBy"] = Array(Set(links[name]!.map(\.dependent))).sorted().joined(separator: " ")
            if (try? fileSystem.resolve(link.path)) == nil { unit.properties["danglingLink"] = "true" }
            if let status = try? fileSystem.status(link.path, followFinalSymlink: false) {
                unit.modifiedAt = Date(timeIntervalSince1970: status.modificationTime)
            }
            units.append(unit)
        }
        issues += readIssues
        return units
    }

    /// Links naming the unit itself or, for a template, any of its instances.
    private func enablementLinks(for name: String) -> [EnablementLink] {
        var result = links[name] ?? []
        if name.contains("@."), let at = name.firstIndex(of: "@") {
            let prefix = name[...at]
            let suffix = name[name.index(after: at)...]
            for linkName in linkNames where linkName.hasPrefix(prefix) && linkName.hasSuffix(suffix) && linkName != name {
                result += links[linkName] ?? []
            }
        }
        return result
    }

    /// Masked: a link to /dev/null or an empty file (systemd treats both as masked).
    private func isMask(_ file: UnitFile) -> Bool {
        if let target = file.linkTarget { return target == "/dev/null" }
        return (try? fileSystem.status(file.path))?.size == 0
    }

    /// `*.conf` files of the unit's drop-in directories; a name in a higher directory hides the
    /// same name below, and the rest apply in name order.
    private func dropInFiles(for name: String) -> [String] {
        var byName: [String: String] = [:]
        for directory in dropInDirectories[name] ?? [] {
            for entry in (try? fileSystem.contentsOfDirectory(directory)) ?? []
            where entry.hasExactName && entry.name.hasSuffix(".conf") && byName[entry.name] == nil {
                byName[entry.name] = directory + "/" + entry.name
            }
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    private func read(_ path: String, issues: inout [ScanIssue]) -> [UInt8]? {
        do {
            return try fileSystem.readPrefix(path, maximumBytes: SystemdUnitCollector.maximumPropertyFileBytes)
        } catch {
            issues.append(ScanIssue(collector: collector, error))
            return nil
        }
    }

    private mutating func list(_ directory: String) -> [DirectoryEntry]? {
        do {
            return Array(try fileSystem.contentsOfDirectory(directory).prefix(SystemdUnitCollector.maximumEntriesPerDirectory))
        } catch .notFound {
            return nil
        } catch {
            issues.append(ScanIssue(collector: collector, error))
            return nil
        }
    }
}
