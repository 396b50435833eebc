import EmbargoInventory

/// One paragraph of a dpkg (or opkg) status database, with the fields the inventory keeps.
public struct DpkgEntry: Sendable, Hashable {
    public var package: String
    public var version: String?
    public var architecture: String?
    /// `Status:` verbatim (`install ok installed`); nil in `status.d` files, which have none.
    public var status: String?
    public var source: String?
    public var sourceVersion: String?
    public var maintainer: String?
    public var multiArch: String?
    public var homepage: String?
    public var installedSize: String?
    public var license: String?
    /// First line of `Description:`.
    public var summary: String?
    /// opkg `Installed-Time:` (seconds since the epoch).
    public var installedTime: Int?
    /// Line of the paragraph in its file.
    public var line: Int

    /// The package state from the third word of `Status:` (dpkg's "current state").
    public var state: PackageState {
        guard let status else { return .installed }
        let words = status.split(separator: " ")
        guard words.count == 3 else { return .partial }
        switch words[2] {
        case "installed", "triggers-awaited", "triggers-pending": return .installed
        case "config-files": return .configFiles
        case "not-installed": return .notInstalled
        default: return .partial
        }
    }
}

/// A problem with one dpkg/opkg status database.
public struct DpkgError: LocatedError, Equatable {
    public enum Problem: String, Sendable, Equatable {
        case missingPackage = "missing-package"
        case missingVersion = "missing-version"
        case malformedStatus = "malformed-status"
        case notADpkgDatabase = "not-a-dpkg-database"
        case malformedLine = "malformed-line"
    }

    public var problem: Problem
    public var path: String
    public var line: Int?
    public var detail: String

    public var code: String { "dpkg.\(problem.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: path, line: line) }
    public var reason: String { detail }
}

/// Reads the paragraphs of a dpkg status file into ``DpkgEntry`` values.
public enum DpkgStatusParser {
    public struct Result: Sendable {
        public var entries: [DpkgEntry]
        /// Problems, each marked error (entry lost) or warning (entry kept, something odd).
        public var errors: [DpkgError]
        public var warnings: [DpkgError]
    }

    /// The fields the inventory keeps (and the vcpkg tell-tales); the rest is skipped unread.
    static let selection = Deb822Parser.FieldSelection([
        "Package": .whole, "Version": .whole, "Architecture": .whole, "Status": .whole, "Source": .whole,
        "Maintainer": .whole, "Multi-Arch": .whole, "Homepage": .whole, "Installed-Size": .whole, "License": .whole,
        "Description": .firstLine, "Installed-Time": .whole, "Abi": .whole, "Type": .whole, "Feature": .whole,
    ])

    public static func parse(_ bytes: [UInt8], path: String) -> Result {
        let parsed = Deb822Parser.parse(bytes, path: path, selection: selection)
        var result = Result(entries: [], errors: [], warnings: [])
        result.errors = parsed.errors.map {
            DpkgError(problem: .malformedLine, path: path, line: $0.line, detail: $0.reason)
        }
        if let vcpkg = parsed.stanzas.first(where: isVcpkgParagraph) {
            result.errors.append(
                DpkgError(
                    problem: .notADpkgDatabase, path: path, line: vcpkg.line,
                    detail: "this is a vcpkg status file (Abi:/Type: Port/Feature: fields), not a dpkg database; ignored"))
            return result
        }
        for stanza in parsed.stanzas {
            guard let package = stanza["Package"], !package.isEmpty else {
                result.warnings.append(
                    DpkgError(
                        problem: .missingPackage, path: path, line: stanza.line,
                        detail: "paragraph has no Package field; skipped"))
                continue
            }
            var entry = DpkgEntry(package: package, line: stanza.line)
            entry.version = stanza["Version"]
            if entry.version?.isEmpty ?? true {
                // Kept, not dropped: a restricted package must not vanish because its version is missing.
                result.warnings.append(
                    DpkgError(
                        problem: .missingVersion, path: path, line: stanza.line,
                        detail: "package '\(package)' has no Version field; reported with an empty version"))
            }
            entry.architecture = stanza["Architecture"]
            entry.status = stanza["Status"]
            if let status = entry.status, status.split(separator: " ").count != 3 {
                result.warnings.append(
                    DpkgError(
                        problem: .malformedStatus, path: path, line: stanza.field("Status")?.line,
                        detail: "Status '\(status)' of '\(package)' is not 'want flag state'; treated as partly installed"))
            }
            if let source = stanza["Source"] {
                let parts = source.split(separator: " ", maxSplits: 1)
                entry.source = parts.first.map(String.init)
                if parts.count == 2 {
                    entry.sourceVersion = parts[1].trimmingCharacters(in: ["(", ")", " "])
                }
            }
            entry.maintainer = stanza["Maintainer"]
            entry.multiArch = stanza["Multi-Arch"]
            entry.homepage = stanza["Homepage"]
            entry.installedSize = stanza["Installed-Size"]
            entry.license = stanza["License"]
            entry.summary = stanza["Description"].map { String($0.prefix { $0 != "\n" }) }
            entry.installedTime = stanza["Installed-Time"].flatMap { Int($0) }
            result.entries.append(entry)
        }
        return result
    }

    /// vcpkg writes a status file with the same syntax; its ports carry `Abi:` and `Type: Port`.
    static func isVcpkgParagraph(_ stanza: Deb822Stanza) -> Bool {
        if stanza["Feature"] != nil && stanza["Package"] != nil { return true }
        return stanza["Abi"] != nil && stanza["Type"] == "Port"
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
