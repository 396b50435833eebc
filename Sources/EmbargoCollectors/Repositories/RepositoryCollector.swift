import EmbargoFileSystem
import EmbargoInventory

/// Configured update channels: apt sources (one-line and deb822), yum/dnf and zypper `.repo`
/// files, apk repositories and pacman servers, each address with the file and line it is written
/// on, whether it is enabled, and the keyrings it trusts.
public struct RepositoryCollector: InventoryCollector {
    public init() {}
    public var name: String { "repositories" }

    static let maximumFileBytes: Int64 = 4 << 20
    static let maximumFilesPerDirectory = 1_000
    static let maximumPacmanIncludeDepth = 3
    static let maximumPacmanFiles = 64

    private enum Format {
        case aptOneLine, aptDeb822, rpm(manager: String), apk

        func parse(_ bytes: [UInt8], path: String) -> RepositoryParseResult {
            switch self {
            case .aptOneLine: return AptSourcesParser.parseOneLine(bytes, path: path)
            case .aptDeb822: return AptSourcesParser.parseDeb822(bytes, path: path)
            case .rpm(let manager): return RpmRepoFileParser.parse(bytes, path: path, manager: manager)
            case .apk: return ApkRepositoriesParser.parse(bytes, path: path)
            }
        }
    }

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        var reader = Reader(collector: name, fileSystem: context.fileSystem)
        reader.read("/etc/apt/sources.list", as: .aptOneLine)
        reader.readDirectory("/etc/apt/sources.list.d", aptNamesOnly: true) { name in
            name.hasSuffix(".list") ? .aptOneLine : name.hasSuffix(".sources") ? .aptDeb822 : nil
        }
        for directory in ["/etc/yum.repos.d", "/etc/distro.repos.d"] {
            reader.readDirectory(directory) { $0.hasSuffix(".repo") ? .rpm(manager: "yum") : nil }
        }
        // dnf and yum also accept repository sections in their main configuration.
        for file in ["/etc/dnf/dnf.conf", "/etc/yum.conf"] { reader.read(file, as: .rpm(manager: "yum")) }
        reader.readDirectory("/etc/zypp/repos.d") { $0.hasSuffix(".repo") ? .rpm(manager: "zypper") : nil }
        reader.read("/etc/apk/repositories", as: .apk)
        reader.readDirectory("/etc/apk/repositories.d") { $0.hasSuffix(".list") ? .apk : nil }
        reader.readPacman("/etc/pacman.conf")
        return CollectorOutput(inventory: reader.inventory)
    }

    private struct Reader {
        let collector: String
        let fileSystem: RootFileSystem
        var inventory: Inventory

        init(collector: String, fileSystem: RootFileSystem) {
            self.collector = collector
            self.fileSystem = fileSystem
            self.inventory = Inventory(root: fileSystem.rootDescription)
        }

        /// Reads a file; nil when it does not exist or could not be read (the latter reported).
        mutating func bytes(_ path: String) -> [UInt8]? {
            do {
                return try fileSystem.readFile(path, limit: RepositoryCollector.maximumFileBytes)
            } catch .notFound {
                return nil
            } catch {
                inventory.issues.append(
                    ScanIssue(collector: collector, error))
                return nil
            }
        }

        mutating func read(_ path: String, as format: Format) {
            guard let bytes = bytes(path) else { return }
            record(format.parse(bytes, path: path), path: path)
        }

        mutating func record(_ result: RepositoryParseResult, path: String) {
            inventory.repositories += result.repositories
            inventory.issues += result.errors.map { ScanIssue(collector: collector, $0) }
            inventory.issues += result.warnings.map { ScanIssue(collector: collector, severity: .warning, $0) }
            inventory.sources.append(InventorySource(collector: collector, path: path, items: result.repositories.count))
        }

        /// - Parameter aptNamesOnly: skip names apt ignores (anything but letters, digits, `_`, `-`, `.`).
        mutating func readDirectory(_ directory: String, aptNamesOnly: Bool = false, format: (String) -> Format?) {
            let entries: [DirectoryEntry]
            do {
                entries = try fileSystem.contentsOfDirectory(directory)
            } catch .notFound {
                return
            } catch {
                inventory.issues.append(
                    ScanIssue(collector: collector, error))
                return
            }
            var count = 0
            for entry in entries where entry.hasExactName && (entry.kind == .regular || entry.kind == .symlink) {
                guard let fileFormat = format(entry.name) else { continue }
                if aptNamesOnly && !entry.name.utf8.allSatisfy(Self.isAptNameByte) { continue }
                count += 1
                if count > RepositoryCollector.maximumFilesPerDirectory {
                    inventory.issues.append(
                        ScanIssue(
                            collector: collector, severity: .warning, code: "repositories.truncated",
                            location: IssueLocation(path: directory),
                            message: "more than \(RepositoryCollector.maximumFilesPerDirectory) files; the rest were not read"))
                    return
                }
                read(RootFileSystem.join(directory, entry.name), as: fileFormat)
            }
        }

        static func isAptNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }

        /// pacman.conf and its includes, depth-first as pacman reads them, with bounded nesting.
        mutating func readPacman(_ path: String) {
            var filesRead = 0
            readPacman(path, section: nil, depth: 0, filesRead: &filesRead)
        }

        @discardableResult
        private mutating func readPacman(_ path: String, section: String?, depth: Int, filesRead: inout Int) -> String? {
            guard let bytes = bytes(path) else { return section }
            filesRead += 1
            let result = PacmanConfParser.parse(bytes, path: path, section: section)
            record(RepositoryParseResult(repositories: result.repositories, errors: result.errors), path: path)
            for include in result.includes {
                let limitProblem =
                    depth + 1 > RepositoryCollector.maximumPacmanIncludeDepth
                    ? "includes nested more than \(RepositoryCollector.maximumPacmanIncludeDepth) deep; not followed"
                    : filesRead >= RepositoryCollector.maximumPacmanFiles
                        ? "more than \(RepositoryCollector.maximumPacmanFiles) included files; not followed" : nil
                if let limitProblem {
                    inventory.issues.append(
                        ScanIssue(
                            collector: collector, severity: .warning,
                            RepositoryError(problem: .includeLimit(limitProblem), path: path, line: include.line)))
                    continue
                }
                for file in expand(include.pattern) {
                    readPacman(file, section: include.section, depth: depth + 1, filesRead: &filesRead)
                }
            }
            return result.finalSection
        }

        /// An Include pattern's files: pacman allows glob characters in the last component.
        private mutating func expand(_ pattern: String) -> [String] {
            guard pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else { return [pattern] }
            guard let slash = pattern.lastIndex(of: "/") else { return [] }
            let directory = slash == pattern.startIndex ? "/" : String(pattern[..<slash])
            guard let glob = try? Glob(String(pattern[pattern.index(after: slash)...])),
                let entries = try? fileSystem.contentsOfDirectory(directory)
            else { return [] }
            return entries.filter { $0.hasExactName && glob.matches($0.name) }.map { RootFileSystem.join(directory, $0.name) }
        }
    }
}
