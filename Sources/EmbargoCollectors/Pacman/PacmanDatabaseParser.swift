import EmbargoInventory

/// One `%KEY%` section of a pacman local database file with its value lines.
public struct PacmanSection: Sendable, Hashable {
    public var key: String
    public var values: [String]
    /// Line of the `%KEY%` header.
    public var line: Int
}

/// A problem in a pacman local database file (`desc` or `files`).
public struct PacmanDatabaseError: LocatedError, Equatable {
    public enum Problem: String, Sendable, Equatable {
        /// A value line outside any section (after a blank line, with no `%KEY%` header).
        case malformedLine = "malformed-line"
        /// A section header without a value at the end of the file: the file was cut short.
        case truncated
        case missingName = "missing-name"
        case missingVersion = "missing-version"
        case invalidNumber = "invalid-number"
        /// The `%NAME%`/`%VERSION%` of the entry differ from its directory name.
        case nameMismatch = "name-mismatch"
        case tooManyLines = "too-many-lines"
    }

    public var problem: Problem
    public var path: String
    public var line: Int?
    public var detail: String

    public var code: String { "alpm.\(problem.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: path, line: line) }
    public var reason: String { detail }
}

/// The `desc` file of one installed package (`var/lib/pacman/local/<name>-<version>/desc`).
public struct PacmanEntry: Sendable, Hashable {
    public var name: String
    /// `%VERSION%` verbatim: `[epoch:]pkgver-pkgrel`.
    public var version: String?
    public var base: String?
    public var summary: String?
    public var url: String?
    public var architecture: String?
    /// Seconds since the epoch.
    public var buildDate: Int?
    public var installDate: Int?
    public var packager: String?
    /// Installed size in bytes.
    public var size: Int?
    /// 0 explicitly installed, 1 installed as a dependency.
    public var reason: Int?
    public var licenses: [String] = []
    public var validation: [String] = []
    public var groups: [String] = []
    public var depends: [String] = []
    public var optionalDepends: [String] = []
    public var provides: [String] = []
    public var conflicts: [String] = []
    public var replaces: [String] = []
    /// `%XDATA%` `key=value` lines (`pkgtype=pkg`).
    public var extendedData: [String: String] = [:]
    /// Line of `%NAME%`.
    public var line: Int
    /// Line of `%VERSION%`, for errors about the version.
    public var versionLine: Int?
}

/// The `files` file of one installed package: `%FILES%` (paths relative to the root, directories
/// ending in `/`) and `%BACKUP%` (`path<TAB>md5` of configuration files).
public struct PacmanFileList: Sendable, Hashable {
    public struct Backup: Sendable, Hashable {
        public var path: String
        public var md5: String
    }

    public var files: [String] = []
    public var backup: [Backup] = []
}

/// A pacman version split as libalpm splits it (`alpm_pkg_vercmp`'s `parseEVR`).
public struct PacmanVersion: Sendable, Hashable {
    public var epoch: Int?
    public var version: String
    public var release: String?

    /// `2:1.0-3` → epoch 2, version `1.0`, release `3`. A missing or non-numeric epoch is nil
    /// (libalpm treats it as 0); the release is what follows the last `-`.
    public init(_ text: String) {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":"), rest[..<colon].allSatisfy({ $0.isASCII && $0.isNumber }) {
            epoch = Int(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        if let dash = rest.lastIndex(of: "-") {
            version = String(rest[..<dash])
            release = String(rest[rest.index(after: dash)...])
        } else {
            version = String(rest)
        }
    }
}

/// Reads pacman's local database files: sections that start with a `%KEY%` line, hold one value
/// per line and end at a blank line (libalpm `be_local.c`).
public enum PacmanDatabaseParser {
    public struct SectionsResult: Sendable {
        public var sections: [PacmanSection] = []
        public var errors: [PacmanDatabaseError] = []
    }

    /// A bound on lines per file against hostile input; a real `files` list has tens of thousands.
    public static let maximumLines = 4_000_000

    /// Splits a file into its sections. A stray value line is reported and skipped.
    public static func sections(_ bytes: [UInt8], path: String) -> SectionsResult {
        var result = SectionsResult()
        var current: PacmanSection?
        for line in ByteLines(bytes) {
            if line.number > maximumLines {
                result.errors.append(
                    PacmanDatabaseError(
                        problem: .tooManyLines, path: path, line: line.number,
                        detail: "more than \(maximumLines) lines; the rest of the file is ignored"))
                break
            }
            if line.content.isEmpty || line.isBlank {
                if let section = current { result.sections.append(section) }
                current = nil
                continue
            }
            if current == nil {
                let content = line.content
                guard content.count >= 3, content.first == UInt8(ascii: "%"), content.last == UInt8(ascii: "%"),
                    !content.dropFirst().dropLast().contains(UInt8(ascii: "%"))
                else {
                    result.errors.append(
                        PacmanDatabaseError(
                            problem: .malformedLine, path: path, line: line.number,
                            detail: "expected a %KEY% section header, found \"\(excerpt(line.text))\"; the line is ignored"))
                    continue
                }
                current = PacmanSection(
                    key: String(decoding: content.dropFirst().dropLast(), as: UTF8.self), values: [], line: line.number)
                continue
            }
            current?.values.append(line.text)
        }
        if let section = current { result.sections.append(section) }
        return result
    }

    public struct EntryResult: Sendable {
        /// Nil when the file names no package.
        public var entry: PacmanEntry?
        public var errors: [PacmanDatabaseError] = []
        public var warnings: [PacmanDatabaseError] = []
    }

    /// Reads a `desc` file.
    public static func desc(_ bytes: [UInt8], path: String) -> EntryResult {
        let parsed = sections(bytes, path: path)
        var result = EntryResult(errors: parsed.errors)
        // A header with no value is normal for empty lists, but at the very end of the file it
        // means the file was cut short (libalpm would fail to read it).
        if let last = parsed.sections.last, last.values.isEmpty, endsWithoutBlankLine(bytes) {
            result.errors.append(
                PacmanDatabaseError(
                    problem: .truncated, path: path, line: last.line,
                    detail: "%\(last.key)% is the last line and has no value: the file is truncated"))
        }
        guard let nameSection = parsed.sections.first(where: { $0.key == "NAME" }),
            let name = nameSection.values.first, !name.isEmpty
        else {
            let line = parsed.errors.first?.line ?? parsed.sections.first?.line ?? 1
            result.errors.append(
                PacmanDatabaseError(
                    problem: .missingName, path: path, line: line,
                    detail: "no %NAME% section with a value; the package cannot be identified and is skipped"))
            return result
        }
        var entry = PacmanEntry(name: name, line: nameSection.line)
        func single(_ section: PacmanSection) -> String? { section.values.first.flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ section: PacmanSection) -> Int? {
            guard let text = single(section) else { return nil }
            if let value = Int(text) { return value }
            result.warnings.append(
                PacmanDatabaseError(
                    problem: .invalidNumber, path: path, line: section.line + 1,
                    detail: "%\(section.key)% is not a number: \"\(excerpt(text))\"; ignored"))
            return nil
        }
        for section in parsed.sections {
            switch section.key {
            case "VERSION":
                entry.version = single(section)
                entry.versionLine = section.line
            case "BASE": entry.base = single(section)
            case "DESC": entry.summary = single(section)
            case "URL": entry.url = single(section)
            case "ARCH": entry.architecture = single(section)
            case "BUILDDATE": entry.buildDate = integer(section)
            case "INSTALLDATE": entry.installDate = integer(section)
            case "PACKAGER": entry.packager = single(section)
            case "SIZE": entry.size = integer(section)
            case "REASON": entry.reason = integer(section)
            case "LICENSE": entry.licenses = section.values
            case "VALIDATION": entry.validation = section.values
            case "GROUPS": entry.groups = section.values
            case "DEPENDS": entry.depends = section.values
            case "OPTDEPENDS": entry.optionalDepends = section.values
            case "PROVIDES": entry.provides = section.values
            case "CONFLICTS": entry.conflicts = section.values
            case "REPLACES": entry.replaces = section.values
            case "XDATA":
                for value in section.values {
                    let parts = value.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { entry.extendedData[String(parts[0])] = String(parts[1]) }
                }
            default:
                break
            }
        }
        if entry.version == nil {
            result.warnings.append(
                PacmanDatabaseError(
                    problem: .missingVersion, path: path, line: entry.versionLine ?? entry.line,
                    detail: "package '\(name)' has no %VERSION% value"))
        }
        result.entry = entry
        return result
    }

    public struct FilesResult: Sendable {
        public var list: PacmanFileList
        public var errors: [PacmanDatabaseError]
    }

    /// Reads a `files` file. Paths get a leading `/`.
    public static func files(_ bytes: [UInt8], path: String) -> FilesResult {
        let parsed = sections(bytes, path: path)
        var list = PacmanFileList()
        for section in parsed.sections {
            switch section.key {
            case "FILES":
                list.files += section.values.map { "/" + $0 }
            case "BACKUP":
                for value in section.values {
                    let parts = value.split(separator: "\t", maxSplits: 1)
                    list.backup.append(
                        PacmanFileList.Backup(
                            path: "/" + String(parts.first ?? ""), md5: parts.count == 2 ? String(parts[1]) : ""))
                }
            default:
                break
            }
        }
        return FilesResult(list: list, errors: parsed.errors)
    }

    private static func endsWithoutBlankLine(_ bytes: [UInt8]) -> Bool {
        var newlines = 0
        var index = bytes.count
        while index > 0 && (bytes[index - 1] == 0x0A || bytes[index - 1] == 0x0D) {
            if bytes[index - 1] == 0x0A { newlines += 1 }
            index -= 1
        }
        return newlines < 2
    }
}
