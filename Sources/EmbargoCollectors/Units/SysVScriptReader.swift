import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// SysV init scripts in `/etc/init.d`, enabled when a start link (`S<NN><name>`) for them is in
/// one of the multi-user run levels or `rcS.d`.
struct SysVScriptReader {
    let collector: String
    let fileSystem: RootFileSystem
    var issues: [ScanIssue] = []
    var sources: [InventorySource] = []

    static let startLevels = ["2", "3", "4", "5", "S"]
    /// Files of `/etc/init.d` that are not services.
    static let notScripts: Set<String> = ["README", "skeleton", "rc", "rcS", "functions", "halt", "killall", "single"]

    init(collector: String, fileSystem: RootFileSystem) {
        self.collector = collector
        self.fileSystem = fileSystem
    }

    mutating func read(plan: ScanPlan) -> [ServiceUnit] {
        let directory = "/etc/init.d"
        let scripts: [DirectoryEntry]
        do {
            scripts = try fileSystem.contentsOfDirectory(directory)
        } catch .notFound {
            return []
        } catch {
            issues.append(ScanIssue(collector: collector, error))
            return []
        }
        let started = startLinks()
        var units: [ServiceUnit] = []
        for script in scripts where script.hasExactName && (script.kind == .regular || script.kind == .symlink) {
            if script.name.hasPrefix(".") || Self.notScripts.contains(script.name) || script.name.hasSuffix(".dpkg-dist")
                || script.name.hasSuffix(".dpkg-old")
            {
                continue
            }
            let path = directory + "/" + script.name
            var unit = ServiceUnit(name: script.name, path: path, manager: "sysv", enabled: started[script.name] != nil)
            if let levels = started[script.name] { unit.properties["startLevels"] = levels.sorted().joined(separator: " ") }
            if let status = try? fileSystem.status(path) {
                unit.modifiedAt = Date(timeIntervalSince1970: status.modificationTime)
            }
            if plan.isInterestingUnit(script.name) {
                do {
                    let bytes = try fileSystem.readPrefix(path, maximumBytes: SystemdUnitCollector.maximumPropertyFileBytes)
                    unit.properties.merge(InitScriptHeaderParser.parse(bytes)) { current, _ in current }
                } catch {
                    issues.append(
                        ScanIssue(collector: collector, error))
                }
            }
            units.append(unit)
        }
        sources.append(InventorySource(collector: collector, path: directory, items: units.count))
        return units
    }

    /// Script name → run levels with a start link (`S20kesl` in `rc2.d` starts `kesl` in level 2).
    private func startLinks() -> [String: Set<String>] {
        var started: [String: Set<String>] = [:]
        for level in Self.startLevels {
            for entry in (try? fileSystem.contentsOfDirectory("/etc/rc\(level).d")) ?? [] where entry.hasExactName {
                guard entry.name.hasPrefix("S") else { continue }
                let name = entry.name.dropFirst().drop { $0.isASCII && $0.isNumber }
                guard !name.isEmpty else { continue }
                started[String(name), default: []].insert(level)
            }
        }
        return started
    }
}
