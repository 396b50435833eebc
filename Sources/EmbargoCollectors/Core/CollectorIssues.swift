import EmbargoFileSystem
import EmbargoInventory
import Foundation

extension ScanIssue {
    /// A file-system failure met by a collector, optionally with what it cost (`its contents were not read`).
    init(collector: String, severity: Severity = .error, _ error: FileSystemError, consequence: String? = nil) {
        self.init(
            collector: collector, severity: severity, code: error.code, location: IssueLocation(path: error.path),
            message: consequence.map { error.reason + "; " + $0 } ?? error.reason)
    }
}

extension RootFileSystem {
    /// The modification time of a path inside the root, without following a final symbolic link
    /// when `ofLink` is true.
    func modificationDate(_ path: String, ofLink: Bool = false) -> Date? {
        guard let status = try? status(path, followFinalSymlink: !ofLink) else { return nil }
        return Date(timeIntervalSince1970: status.modificationTime)
    }

    /// The names in a directory that are exactly representable, of the wanted kinds; nil when the
    /// directory cannot be listed (the error is appended to `issues`).
    func names(
        in directory: String, kinds: Set<FileKind>? = nil, collector: String, issues: inout [ScanIssue]
    ) -> [DirectoryEntry]? {
        do {
            return try contentsOfDirectory(directory).filter { entry in
                guard entry.hasExactName else {
                    issues.append(
                        ScanIssue(
                            collector: collector, severity: .warning, code: "fs.invalid-name",
                            location: IssueLocation(path: RootFileSystem.join(directory, entry.name)),
                            message: "file name is not valid UTF-8; skipped"))
                    return false
                }
                return kinds.map { $0.contains(entry.kind) } ?? true
            }
        } catch {
            issues.append(ScanIssue(collector: collector, error, consequence: "its contents were not read"))
            return nil
        }
    }
}
