import EmbargoInventory

/// A file or directory an apk package installed: an `F:` (directory) or `R:` (file) line with the
/// `M:`/`a:` (owner, group, mode) and `Z:` (checksum) lines that follow it.
public struct ApkFileEntry: Sendable, Hashable {
    /// The path inside the root, with a leading `/` (the database writes it without).
    public var path: String
    public var isDirectory: Bool
    public var owner: String?
    public var group: String?
    /// The permission bits as written (`755`, `0640`).
    public var mode: String?
    /// The content checksum as written: `Q1` + base64 of the SHA-1 for apk v2 databases.
    public var digest: String?
    public var line: Int
}

/// One package paragraph of apk's `lib/apk/db/installed`.
public struct ApkEntry: Sendable, Hashable {
    /// `P:`
    public var name: String
    /// `V:` verbatim (`1.2.3-r4`); nil when the paragraph has none.
    public var version: String?
    /// `A:`
    public var architecture: String?
    /// `m:`
    public var maintainer: String?
    /// `o:`: the source package (aport) this package was built from.
    public var origin: String?
    /// `t:`: build time, seconds since the epoch.
    public var buildTime: Int?
    /// `L:` verbatim (an SPDX expression on current Alpine, free text on old releases).
    public var license: String?
    /// `U:`
    public var url: String?
    /// `T:`
    public var summary: String?
    /// `C:`: checksum of the package's control data (`Q1` + base64 SHA-1).
    public var checksum: String?
    /// `c:`: aports commit.
    public var commit: String?
    /// `S:`: package file size in bytes.
    public var size: Int?
    /// `I:`: installed size in bytes.
    public var installedSize: Int?
    /// `D:`, `p:`, `r:`, `i:`: space-separated lists.
    public var depends: [String] = []
    public var provides: [String] = []
    public var replaces: [String] = []
    public var installIf: [String] = []
    /// `k:`
    public var providerPriority: Int?
    public var files: [ApkFileEntry] = []
    /// Line of the paragraph's first line.
    public var line: Int
}

/// A problem in an apk installed database.
public struct ApkDatabaseError: LocatedError, Equatable {
    public enum Problem: String, Sendable, Equatable {
        /// A line that is not `<letter>:<value>`.
        case malformedLine = "malformed-line"
        /// A paragraph with fields but no `P:`: it cannot be reported.
        case missingName = "missing-name"
        /// A package without `V:`: reported with an empty version.
        case missingVersion = "missing-version"
        /// A number field (`S:`, `I:`, `t:`, `k:`) that is not a number.
        case invalidNumber = "invalid-number"
        /// An `R:`/`a:`/`Z:`/`M:` line with no directory or file before it.
        case orphanFileLine = "orphan-file-line"
        case tooManyPackages = "too-many-packages"
    }

    public var problem: Problem
    public var path: String
    public var line: Int?
    public var detail: String

    public var code: String { "apk.\(problem.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: path, line: line) }
    public var reason: String { detail }
}

/// Reads apk-tools' installed database: paragraphs separated by blank lines, each line one
/// letter, a colon and a value. The format is apk-tools' own (`apk_db_index_read`); the letters
/// kept here are those apk v2 and v3 write.
///
/// A malformed line loses only itself; a paragraph without a name loses only itself. Everything
/// else in the database is still returned.
public enum ApkDatabaseParser {
    public struct Result: Sendable {
        public var entries: [ApkEntry] = []
        /// Problems that lost data (a line or a paragraph).
        public var errors: [ApkDatabaseError] = []
        /// Problems where the package was still reported.
        public var warnings: [ApkDatabaseError] = []
    }

    /// More packages than any real system has; a bound against hostile input.
    public static let maximumPackages = 1_000_000

    public static func parse(_ bytes: [UInt8], path: String) -> Result {
        var result = Result()
        var builder = ParagraphBuilder(path: path)
        for line in ByteLines(bytes) {
            if line.isBlank {
                builder.finish(into: &result)
                if result.entries.count >= maximumPackages {
                    result.errors.append(
                        ApkDatabaseError(
                            problem: .tooManyPackages, path: path, line: line.number,
                            detail: "more than \(maximumPackages) packages; the rest of the database is ignored"))
                    return result
                }
                continue
            }
            builder.add(line, result: &result)
        }
        builder.finish(into: &result)
        return result
    }

    /// Accumulates one paragraph.
    private struct ParagraphBuilder {
        let path: String
        /// The paragraph being read; meaningful once `hasFields` is true.
        var entry = ApkEntry(name: "", line: 0)
        var firstLine: Int?
        var hasFields = false
        var directory: String?
        /// Index in `entry.files` of the entry that `a:`/`M:`/`Z:` lines describe.
        var currentFile: Int?

        init(path: String) {
            self.path = path
        }

        mutating func add(_ line: ByteLines.Line, result: inout Result) {
            if firstLine == nil { firstLine = line.number }
            let content = line.content
            guard content.count >= 2, content[content.startIndex + 1] == UInt8(ascii: ":"),
                isFieldLetter(content[content.startIndex])
            else {
                result.errors.append(
                    ApkDatabaseError(
                        problem: .malformedLine, path: path, line: line.number,
                        detail: "line is not '<letter>:<value>': \"\(excerpt(line.text))\"; the line is ignored"))
                return
            }
            if !hasFields { entry = ApkEntry(name: "", line: firstLine ?? line.number) }
            hasFields = true
            let key = content[content.startIndex]
            let value = String(decoding: content.dropFirst(2), as: UTF8.self)
            switch key {
            case UInt8(ascii: "P"): entry.name = value
            case UInt8(ascii: "V"): entry.version = value
            case UInt8(ascii: "A"): entry.architecture = value
            case UInt8(ascii: "m"): entry.maintainer = value
            case UInt8(ascii: "o"): entry.origin = value
            case UInt8(ascii: "L"): entry.license = value
            case UInt8(ascii: "U"): entry.url = value
            case UInt8(ascii: "T"): entry.summary = value
            case UInt8(ascii: "C"): entry.checksum = value
            case UInt8(ascii: "c"): entry.commit = value
            case UInt8(ascii: "t"):
                let parsed = number(value, field: "t", line: line.number, result: &result)
                entry.buildTime = parsed
            case UInt8(ascii: "S"):
                let parsed = number(value, field: "S", line: line.number, result: &result)
                entry.size = parsed
            case UInt8(ascii: "I"):
                let parsed = number(value, field: "I", line: line.number, result: &result)
                entry.installedSize = parsed
            case UInt8(ascii: "k"):
                let parsed = number(value, field: "k", line: line.number, result: &result)
                entry.providerPriority = parsed
            case UInt8(ascii: "D"): entry.depends = Self.words(value)
            case UInt8(ascii: "p"): entry.provides = Self.words(value)
            case UInt8(ascii: "r"): entry.replaces = Self.words(value)
            case UInt8(ascii: "i"): entry.installIf = Self.words(value)
            case UInt8(ascii: "F"):
                directory = value
                entry.files.append(ApkFileEntry(path: "/" + value, isDirectory: true, line: line.number))
                currentFile = entry.files.count - 1
            case UInt8(ascii: "R"):
                guard let directory else {
                    result.warnings.append(
                        ApkDatabaseError(
                            problem: .orphanFileLine, path: path, line: line.number,
                            detail: "file '\(excerpt(value))' has no directory line (F:) before it; taken as a top-level file"))
                    entry.files.append(ApkFileEntry(path: "/" + value, isDirectory: false, line: line.number))
                    currentFile = entry.files.count - 1
                    return
                }
                let full = directory.isEmpty ? "/" + value : "/" + directory + "/" + value
                entry.files.append(ApkFileEntry(path: full, isDirectory: false, line: line.number))
                currentFile = entry.files.count - 1
            case UInt8(ascii: "a"), UInt8(ascii: "M"):
                guard let index = currentFile, entry.files.indices.contains(index) else {
                    orphan(key, line: line.number, result: &result)
                    return
                }
                // `uid:gid:mode`, possibly followed by more colon-separated attributes (an
                // extended-attribute checksum) that are ignored.
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count >= 3 {
                    entry.files[index].owner = String(parts[0])
                    entry.files[index].group = String(parts[1])
                    entry.files[index].mode = String(parts[2])
                }
            case UInt8(ascii: "Z"):
                guard let index = currentFile, entry.files.indices.contains(index), !entry.files[index].isDirectory else {
                    orphan(key, line: line.number, result: &result)
                    return
                }
                entry.files[index].digest = value
            default:
                // Letters this reader does not use (q: replaces priority, s: tags, f: ...).
                break
            }
        }

        private func isFieldLetter(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
        }

        private static func words(_ value: String) -> [String] {
            value.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }

        private func number(_ value: String, field: String, line: Int, result: inout Result) -> Int? {
            if let number = Int(value) { return number }
            result.warnings.append(
                ApkDatabaseError(
                    problem: .invalidNumber, path: path, line: line,
                    detail: "field \(field): is not a number: \"\(excerpt(value))\"; the field is ignored"))
            return nil
        }

        private func orphan(_ key: UInt8, line: Int, result: inout Result) {
            result.warnings.append(
                ApkDatabaseError(
                    problem: .orphanFileLine, path: path, line: line,
                    detail: "\(Character(Unicode.Scalar(key))): line does not follow a file or directory line; ignored"))
        }

        mutating func finish(into result: inout Result) {
            defer {
                firstLine = nil
                hasFields = false
                directory = nil
                currentFile = nil
            }
            guard hasFields else { return }
            guard !entry.name.isEmpty else {
                result.errors.append(
                    ApkDatabaseError(
                        problem: .missingName, path: path, line: entry.line,
                        detail: "paragraph has no package name (P:); skipped"))
                return
            }
            if entry.version?.isEmpty ?? true {
                // Kept, not dropped: a restricted package must not vanish because its version is missing.
                result.warnings.append(
                    ApkDatabaseError(
                        problem: .missingVersion, path: path, line: entry.line,
                        detail: "package '\(entry.name)' has no version (V:); reported with an empty version"))
            }
            result.entries.append(entry)
        }
    }
}

/// apk versions end in `-r<n>`, the package revision (`1.2.3-r4`). The database keeps them in one
/// `V:` field; the inventory splits them as it does RPM and pacman versions.
public enum ApkVersion {
    /// `("1.2.3", "r4")` for `1.2.3-r4`; the whole text and nil when there is no `-r<digits>` suffix.
    public static func split(_ version: String) -> (version: String, release: String?) {
        let bytes = Array(version.utf8)
        var digitsStart = bytes.count
        while digitsStart > 0 && bytes[digitsStart - 1] >= 0x30 && bytes[digitsStart - 1] <= 0x39 { digitsStart -= 1 }
        guard digitsStart < bytes.count, digitsStart >= 3, bytes[digitsStart - 1] == UInt8(ascii: "r"),
            bytes[digitsStart - 2] == UInt8(ascii: "-")
        else { return (version, nil) }
        return (
            String(decoding: bytes[..<(digitsStart - 2)], as: UTF8.self),
            "r" + String(decoding: bytes[digitsStart...], as: UTF8.self)
        )
    }
}
