import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// Files and directories at the places the policy names (`/opt/kaspersky/**`), found by listing
/// from each pattern's literal directory: no tree-wide search.
public struct PolicyPathCollector: InventoryCollector {
    public init() {}
    public var name: String { "policy-paths" }

    /// Entries examined per starting directory at most: a product tree has thousands, not millions.
    public static let maximumEntriesPerStart = 50_000
    /// Directory depth followed below a starting directory when a pattern has `**`.
    public static let maximumDepth = 32

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        var inventory = Inventory(root: context.fileSystem.rootDescription)
        for (start, globs) in Self.startingDirectories(for: context.plan.pathGlobs) {
            let startDepth = start.split(separator: "/").count
            let depthLimit = globs.map { $0.fixedSegmentCount.map { $0 - startDepth } ?? Self.maximumDepth }.max() ?? 0
            var walk = Walk(collector: name, fileSystem: context.fileSystem, globs: globs, depthLimit: depthLimit)
            walk.visit(start, depth: 0)
            if walk.budget <= 0 {
                walk.issues.append(
                    ScanIssue(
                        collector: name, severity: .warning, code: "policy-paths.truncated", location: IssueLocation(path: start),
                        message: "more than \(Self.maximumEntriesPerStart) entries under \(start); the rest were not examined"))
            }
            inventory.files += walk.records
            inventory.issues += walk.issues
        }
        inventory.files.sort { $0.path < $1.path }
        return CollectorOutput(inventory: inventory)
    }

    /// Groups patterns by the directory a listing must start from, merging nested starts so each
    /// tree is listed once.
    static func startingDirectories(for globs: [Glob]) -> [(String, [Glob])] {
        let prefixes = Set(globs.map(\.literalDirectoryPrefix)).sorted()
        var starts: [String] = []
        for prefix in prefixes where !starts.contains(where: { isAncestor($0, of: prefix) }) {
            starts.append(prefix)
        }
        return starts.map { start in (start, globs.filter { isAncestor(start, of: $0.literalDirectoryPrefix) }) }
    }

    static func isAncestor(_ ancestor: String, of path: String) -> Bool {
        ancestor == path || ancestor == "/" || path.hasPrefix(ancestor + "/")
    }

    private struct Walk {
        let collector: String
        let fileSystem: RootFileSystem
        let globs: [Glob]
        let depthLimit: Int
        var budget = PolicyPathCollector.maximumEntriesPerStart
        var records: [FileRecord] = []
        var issues: [ScanIssue] = []

        mutating func visit(_ path: String, depth: Int) {
            guard budget > 0 else { return }
            let status: FileStatus
            do {
                status = try fileSystem.status(path, followFinalSymlink: false)
            } catch .notFound {
                return
            } catch .notADirectory {
                return
            } catch {
                issues.append(ScanIssue(collector: collector, error))
                return
            }
            budget -= 1
            if globs.contains(where: { $0.matches(path) }) {
                records.append(
                    FileRecord(
                        path: path, kind: status.kind.rawValue, size: status.kind == .regular ? status.size : nil,
                        modifiedAt: Date(timeIntervalSince1970: status.modificationTime), permissions: status.permissions,
                        foundBy: collector))
            }
            // Symbolic links are recorded, never followed: a link to "/" must not become a full walk.
            guard status.kind == .directory, depth < depthLimit else { return }
            let entries: [DirectoryEntry]
            do {
                entries = try fileSystem.contentsOfDirectory(path)
            } catch {
                issues.append(ScanIssue(collector: collector, error))
                return
            }
            for entry in entries {
                let child = RootFileSystem.join(path, entry.name)
                guard entry.hasExactName else {
                    issues.append(
                        ScanIssue(
                            collector: collector, severity: .warning, code: "fs.invalid-name", location: IssueLocation(path: child),
                            message: "file name is not valid UTF-8; not examined"))
                    continue
                }
                visit(child, depth: depth + 1)
            }
        }
    }
}
