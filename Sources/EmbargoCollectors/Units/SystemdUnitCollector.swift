import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// systemd unit files in the standard unit directories and SysV init scripts, with whether each is
/// enabled (a `.wants`/`.requires` link, an `rc?.d/S*` link) or masked.
public struct SystemdUnitCollector: InventoryCollector {
    public init() {}
    public var name: String { "units" }

    /// Search order of systemd itself: local configuration, runtime, vendor.
    public static let unitDirectories = [
        "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system", "/lib/systemd/system",
    ]
    static let unitSuffixes = [".service", ".socket", ".timer", ".path", ".mount", ".target", ".automount", ".slice"]

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        let fileSystem = context.fileSystem
        var inventory = Inventory(root: fileSystem.rootDescription)
        var seenDirectories = Set<String>()
        var seenUnits = Set<String>()
        var enabled = Set<String>()

        for directory in Self.unitDirectories {
            guard let resolved = try? fileSystem.resolve(directory), seenDirectories.insert(resolved).inserted else { continue }
            guard let entries = list(directory, fileSystem: fileSystem, issues: &inventory.issues) else { continue }
            var count = 0
            for entry in entries where entry.hasExactName {
                if entry.kind == .directory && (entry.name.hasSuffix(".wants") || entry.name.hasSuffix(".requires")) {
                    for link in list(directory + "/" + entry.name, fileSystem: fileSystem, issues: &inventory.issues) ?? [] {
                        enabled.insert(link.name)
                    }
                    continue
                }
                guard entry.kind == .regular || entry.kind == .symlink,
                    Self.unitSuffixes.contains(where: { entry.name.hasSuffix($0) }),
                    seenUnits.insert(entry.name).inserted
                else { continue }
                let path = directory + "/" + entry.name
                var unit = ServiceUnit(name: entry.name, path: path, manager: "systemd", enabled: false)
                if entry.kind == .symlink, let target = try? fileSystem.symlinkTarget(path) {
                    unit.properties["linkTarget"] = target
                    if target == "/dev/null" { unit.properties["masked"] = "true" }
                }
                if let status = try? fileSystem.status(path) {
                    unit.modifiedAt = Date(timeIntervalSince1970: status.modificationTime)
                }
                if context.plan.isInterestingUnit(entry.name) && unit.properties["masked"] == nil {
                    unit.properties.merge(readProperties(path, fileSystem: fileSystem, issues: &inventory.issues)) { $1 }
                }
                inventory.units.append(unit)
                count += 1
            }
            inventory.sources.append(InventorySource(collector: name, path: directory, items: count))
        }
        for index in inventory.units.indices where inventory.units[index].properties["masked"] == nil {
            inventory.units[index].enabled = enabled.contains(inventory.units[index].name)
        }
        collectSysV(fileSystem: fileSystem, plan: context.plan, inventory: &inventory)
        return CollectorOutput(inventory: inventory)
    }

    private func collectSysV(fileSystem: RootFileSystem, plan: ScanPlan, inventory: inout Inventory) {
        guard fileSystem.isDirectory("/etc/init.d"),
            let scripts = list("/etc/init.d", fileSystem: fileSystem, issues: &inventory.issues)
        else { return }
        var started = Set<String>()
        for level in ["2", "3", "4", "5", "S"] {
            let directory = "/etc/rc\(level).d"
            guard fileSystem.isDirectory(directory) else { continue }
            for entry in (try? fileSystem.contentsOfDirectory(directory)) ?? [] where entry.name.hasPrefix("S") {
                started.insert(String(entry.name.dropFirst(3)))
            }
        }
        for script in scripts where script.hasExactName && (script.kind == .regular || script.kind == .symlink) {
            if script.name.hasPrefix(".") || script.name == "README" || script.name == "skeleton" { continue }
            let path = "/etc/init.d/" + script.name
            var unit = ServiceUnit(name: script.name, path: path, manager: "sysv", enabled: started.contains(script.name))
            if let status = try? fileSystem.status(path) {
                unit.modifiedAt = Date(timeIntervalSince1970: status.modificationTime)
            }
            if plan.isInterestingUnit(script.name) {
                unit.properties.merge(readProperties(path, fileSystem: fileSystem, issues: &inventory.issues)) { $1 }
            }
            inventory.units.append(unit)
        }
    }

    private func list(_ directory: String, fileSystem: RootFileSystem, issues: inout [ScanIssue]) -> [DirectoryEntry]? {
        do {
            return try fileSystem.contentsOfDirectory(directory)
        } catch .notFound {
            return nil
        } catch {
            issues.append(ScanIssue(collector: name, code: error.code, location: IssueLocation(path: error.path), message: error.reason))
            return nil
        }
    }

    /// `Description=`, `ExecStart=` and friends from a unit file, or the LSB header of an init script.
    private func readProperties(_ path: String, fileSystem: RootFileSystem, issues: inout [ScanIssue]) -> [String: String] {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readPrefix(path, maximumBytes: 64 << 10)
        } catch {
            issues.append(ScanIssue(collector: name, code: error.code, location: IssueLocation(path: error.path), message: error.reason))
            return [:]
        }
        var properties: [String: String] = [:]
        let wanted = ["Description", "ExecStart", "PIDFile", "Documentation", "# Short-Description", "# Provides"]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            for key in wanted where properties[key] == nil {
                for separator in ["=", ":"] where line.hasPrefix(key + separator) {
                    let name = key.hasPrefix("# ") ? String(key.dropFirst(2)) : key
                    properties[name] = line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return properties
    }
}
