import Crypto
import EmbargoInventory
import Foundation

/// The waivers in force for one audit: every file loaded and checked together.
public struct WaiverSet: Sendable, Hashable {
    public private(set) var files: [WaiverFile]
    /// Doubts that do not stop loading: a scope that can never match what the policies know.
    public private(set) var warnings: [WaiverProblem]

    public init(files: [WaiverFile] = [], warnings: [WaiverProblem] = []) {
        self.files = files
        self.warnings = warnings
    }

    public var waivers: [WaiverDefinition] { files.flatMap(\.waivers) }

    public var isEmpty: Bool { files.allSatisfy(\.waivers.isEmpty) }

    /// SHA-256 over every file's path and digest, in load order: changes when any file changes.
    public var sha256: String {
        var hasher = SHA256()
        for file in files { hasher.update(data: Data("\(file.path)\u{0}\(file.sha256)\n".utf8)) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The instants at which some waiver's status changes (created or expires), after `instant`.
    public func transitions(after instant: Date) -> [(date: Date, waiver: WaiverDefinition, becomes: WaiverStatus)] {
        var result: [(Date, WaiverDefinition, WaiverStatus)] = []
        for waiver in waivers {
            if let created = waiver.created, created > instant { result.append((created, waiver, .active)) }
            if waiver.expires > instant { result.append((waiver.expires, waiver, .expired)) }
        }
        return result.sorted { $0.0 < $1.0 }
    }
}

extension WaiverSet {
    /// A waiver file larger than this is refused.
    public static let maximumFileBytes = 1 << 20
    /// Files loaded from one directory at most.
    public static let maximumFiles = 1000

    /// Loads waiver files and directories (every `*.yaml`/`*.yml` inside, sorted by name; names
    /// starting with `.` are skipped, as editors and package managers leave such files).
    ///
    /// Nothing is loaded unless every file is valid and every id is unique. With `policies`, each
    /// waiver's scope is checked against what the policies know, and one that can never match is a
    /// warning.
    public static func load(paths: [String], policies: PolicySet? = nil) throws(WaiverProblems) -> WaiverSet {
        var problems: [WaiverProblem] = []
        var files: [WaiverFile] = []
        for path in expand(paths: paths, problems: &problems) {
            switch loadFile(path) {
            case .success(let file): files.append(file)
            case .failure(let failure): problems += failure.problems
            }
        }
        var seen: [String: WaiverDefinition] = [:]
        for waiver in files.flatMap(\.waivers) {
            if let earlier = seen[waiver.id] {
                problems.append(
                    WaiverProblem(.duplicateID, at: waiver.location, "waiver id '\(waiver.id)' is also defined at \(earlier.location)"))
            } else {
                seen[waiver.id] = waiver
            }
        }
        if let policies {
            for waiver in files.flatMap(\.waivers) { problems += WaiverScopeChecker(policies: policies).check(waiver) }
        }
        if problems.contains(where: { $0.severity == .error }) { throw WaiverProblems(problems) }
        return WaiverSet(files: files, warnings: problems)
    }

    /// Loads and checks one file on its own.
    public static func loadFile(_ path: String) -> Result<WaiverFile, WaiverProblems> {
        func failure(_ message: String, line: Int? = nil, column: Int? = nil) -> Result<WaiverFile, WaiverProblems> {
            .failure(WaiverProblems([WaiverProblem(.unreadable, file: path, line: line, column: column, message)]))
        }
        var status = stat()
        guard stat(path, &status) == 0 else { return failure("cannot read the file: \(String(cString: strerror(errno)))") }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return failure("not a regular file") }
        guard Int(status.st_size) <= maximumFileBytes else { return failure("larger than \(maximumFileBytes) bytes") }
        guard let data = FileManager.default.contents(atPath: path) else { return failure("cannot read the file") }
        guard data.count <= maximumFileBytes else { return failure("larger than \(maximumFileBytes) bytes") }
        if let invalid = InvalidUTF8.find(in: Array(data)) {
            let hex = String(invalid.byte, radix: 16, uppercase: true)
            return failure(
                "the file is not UTF-8 text: invalid byte 0x\(hex.count == 1 ? "0" + hex : hex) at offset \(invalid.offset)",
                line: invalid.line, column: invalid.column)
        }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let decoder = WaiverDocumentDecoder(file: path)
        if let waivers = decoder.decode(yaml: String(decoding: data, as: UTF8.self)) {
            return .success(WaiverFile(path: path, sha256: digest, waivers: waivers))
        }
        let ordered = decoder.problems.problems.enumerated().sorted { left, right in
            (left.element.line ?? 0, left.element.column ?? 0, left.offset) < (right.element.line ?? 0, right.element.column ?? 0, right.offset)
        }
        return .failure(WaiverProblems(ordered.map { WaiverProblem($0.element) }))
    }

    static func expand(paths: [String], problems: inout [WaiverProblem]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(WaiverProblem(.unreadable, file: path, line: nil, column: nil, "no such file or directory"))
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }.sorted()
            if names.count > maximumFiles {
                problems.append(
                    WaiverProblem(.invalidValue, file: path, line: nil, column: nil, "more than \(maximumFiles) waiver files in the directory"))
                continue
            }
            files += names.map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
        }
        return files
    }
}

/// Warns about a waiver whose scope names nothing the policies know: it can never match.
struct WaiverScopeChecker {
    let policies: PolicySet

    func check(_ waiver: WaiverDefinition) -> [WaiverProblem] {
        var problems: [WaiverProblem] = []
        func warn(_ kind: PolicyProblem.Kind, _ message: String) {
            problems.append(WaiverProblem(kind, severity: .warning, at: waiver.location, "waiver '\(waiver.id)': \(message)"))
        }
        let scope = waiver.scope
        var vendors = policies.vendors
        if let vendor = scope.vendor {
            vendors = vendors.filter { $0.id == vendor }
            if vendors.isEmpty {
                warn(
                    .unknownReference,
                    "vendor '\(vendor)' is not in the loaded policies (known: \(policies.vendors.map(\.id).joined(separator: ", "))); it can never match")
                return problems
            }
        }
        var products = vendors.flatMap(\.products)
        if let product = scope.product {
            products = products.filter { $0.id == product }
            if products.isEmpty {
                let known = vendors.flatMap(\.products).map(\.id).sorted().joined(separator: ", ")
                warn(
                    .unknownReference,
                    "product '\(product)' is not a product of \(scope.vendor.map { "vendor '\($0)'" } ?? "any loaded vendor") (known: \(known)); it can never match")
                return problems
            }
        }
        if let package = scope.package {
            let identifiers = products.flatMap(\.identifiers)
            // A maintainer identifier can make any package evidence, so only names are checked.
            let named = identifiers.contains { $0.kind == .package && $0.matches(package) }
            let byMaintainer = identifiers.contains { $0.kind == .maintainer }
            if !named && !byMaintainer {
                warn(.unknownReference, "package '\(package)' matches no package identifier of the products it covers; it can never match")
            }
        }
        if let path = scope.path, !path.hasPrefix("/") {
            warn(
                .invalidValue,
                "path '\(path)' is not absolute: it matches only evidence written exactly so (a unit name, a URL), never a file")
        }
        return problems
    }
}
