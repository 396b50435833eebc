import EmbargoInventory
import Foundation

/// A problem with snapd's files (state, snap.yaml, manifests, assertions).
public struct SnapError: LocatedError, Equatable {
    public enum Problem: String, Sendable, Equatable {
        case malformedJSON = "malformed-json"
        /// Valid JSON that is not a snapd state (no `data` object).
        case notAState = "not-a-state"
        /// A `data.snaps` entry without the fields that identify an installed revision.
        case malformedEntry = "malformed-entry"
        case malformedYAML = "malformed-yaml"
        case missingName = "missing-name"
        case missingVersion = "missing-version"
        /// The snap's files are not mounted in this root, so its version cannot be read.
        case notMounted = "not-mounted"
        /// state.json and the snap's own snap.yaml disagree.
        case mismatch
        /// state.json is missing or unreadable; snaps were listed from the mount directory.
        case noState = "no-state"
        case malformedPackageLine = "malformed-package-line"
        case tooLarge = "too-large"
    }

    public var problem: Problem
    public var path: String
    public var line: Int?
    public var column: Int?
    public var offset: Int?
    public var detail: String

    public init(problem: Problem, path: String, line: Int? = nil, column: Int? = nil, offset: Int? = nil, detail: String) {
        self.problem = problem
        self.path = path
        self.line = line
        self.column = column
        self.offset = offset
        self.detail = detail
    }

    public var code: String { "snap.\(problem.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: path, line: line, column: column, offset: offset) }
    public var reason: String { detail }
}

/// One installed snap as snapd's state records it (`data.snaps.<instance>` of `state.json`).
public struct SnapStateEntry: Sendable, Hashable {
    /// The key in `data.snaps`: the store name, plus `_<key>` for parallel instances.
    public var instanceName: String
    /// The store name (`name` of the current revision's side info).
    public var name: String
    public var snapID: String?
    /// The current revision (`current`): a number, or `x<n>` for a locally installed unasserted snap.
    public var revision: String
    /// Every revision kept on disk (`sequence`), oldest first.
    public var revisions: [String]
    /// `app`, `base`, `os`, `kernel`, `gadget`, `snapd`.
    public var type: String?
    /// Whether the current revision is enabled; false for `snap disable`d snaps and during operations.
    public var active: Bool
    /// The channel the snap follows (`latest/stable`).
    public var trackingChannel: String?
    public var instanceKey: String?
    public var devMode: Bool
    public var jailMode: Bool
    public var classic: Bool
    public var lastRefreshTime: Date?
    public var base: String?
    /// The store title and summary snapd kept for the current revision, when it did.
    public var title: String?
    public var summary: String?
    /// Approximate line of the entry in state.json, for messages.
    public var line: Int?
}

/// Reads the installed snaps out of `/var/lib/snapd/state.json`.
///
/// The layout follows snapd's `overlord/state` (`{"data": {"snaps": {...}}, "changes": ...}`) and
/// `overlord/snapstate.SnapState`: `sequence` is a list of side infos (`name`, `snap-id`,
/// `revision`, ...) each optionally with `components`; `current` is the current revision;
/// `channel` the tracking channel; `devmode`/`jailmode`/`classic` the confinement flags;
/// `last-refresh-time` an RFC 3339 time (snapd 2.58 and later).
public enum SnapStateParser {
    public struct Result: Sendable {
        public var snaps: [SnapStateEntry] = []
        public var errors: [SnapError] = []
    }

    /// Above this many snaps, messages about entries carry no line number.
    static let maximumLocatedEntries = 2_000

    public static func parse(_ bytes: [UInt8], path: String) -> Result {
        var result = Result()
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            let offset = characterOffset(in: error)
            result.errors.append(
                SnapError(
                    problem: .malformedJSON, path: path, line: offset.map { lineNumber(ofOffset: $0, in: bytes) }, offset: offset,
                    detail: "state is not valid JSON (\(debugDescription(of: error))); no snap could be read from it"))
            return result
        }
        guard let root = object as? [String: Any], let data = root["data"] as? [String: Any] else {
            result.errors.append(
                SnapError(problem: .notAState, path: path, line: 1, detail: "JSON has no \"data\" object: not a snapd state file"))
            return result
        }
        guard let snaps = data["snaps"] as? [String: Any] else {
            // A freshly seeded system has no snaps key yet.
            return result
        }
        let snapsOffset = find(Array("\"snaps\"".utf8), in: bytes, from: 0)
        // Lines are found by searching the text, which is only affordable for real-sized states.
        let locateLines = snaps.count <= maximumLocatedEntries
        for instanceName in snaps.keys.sorted() {
            let line = locateLines ? find(Array("\"\(instanceName)\"".utf8), in: bytes, from: snapsOffset ?? 0).map {
                lineNumber(ofOffset: $0, in: bytes)
            } : nil
            switch entry(instanceName: instanceName, value: snaps[instanceName] as Any, line: line) {
            case .success(let entry): result.snaps.append(entry)
            case .failure(let reason):
                result.errors.append(
                    SnapError(problem: .malformedEntry, path: path, line: line, detail: "snap '\(instanceName)': \(reason); skipped"))
            }
        }
        return result
    }

    private static func entry(instanceName: String, value: Any, line: Int?) -> EntryOutcome {
        guard let state = value as? [String: Any] else { return .failure("entry is not an object") }
        guard let current = revisionText(state["current"]) else { return .failure("no current revision") }
        let sequence = (state["sequence"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        let revisions = sequence.compactMap { revisionText($0["revision"]) }
        // Newer snapd nests the side info under "side-info" when components are present.
        let sideInfos = sequence.map { ($0["side-info"] as? [String: Any]) ?? $0 }
        let currentInfo = sideInfos.last { revisionText($0["revision"]) == current }
        let instanceKey = state["instance-key"] as? String
        var storeName = currentInfo?["name"] as? String ?? ""
        if storeName.isEmpty {
            storeName = instanceKey.map { key in
                instanceName.hasSuffix("_" + key) ? String(instanceName.dropLast(key.count + 1)) : instanceName
            } ?? instanceName
        }
        var entry = SnapStateEntry(
            instanceName: instanceName, name: storeName, snapID: nonEmpty(currentInfo?["snap-id"]), revision: current,
            revisions: revisions, type: nonEmpty(state["type"]), active: state["active"] as? Bool ?? false,
            trackingChannel: nonEmpty(state["channel"]), instanceKey: nonEmpty(instanceKey), devMode: state["devmode"] as? Bool ?? false,
            jailMode: state["jailmode"] as? Bool ?? false, classic: state["classic"] as? Bool ?? false,
            lastRefreshTime: nil, base: nonEmpty(state["base"]), title: nonEmpty(currentInfo?["title"]),
            summary: nonEmpty(currentInfo?["summary"]), line: line)
        if let text = state["last-refresh-time"] as? String {
            entry.lastRefreshTime = try? RFC3339.parse(text)
        }
        return .success(entry)
    }

    private enum EntryOutcome {
        case success(SnapStateEntry)
        case failure(String)
    }

    /// snapd writes revisions as strings (`"123"`, `"x1"`); very old states wrote numbers.
    private static func revisionText(_ value: Any?) -> String? {
        if let text = value as? String, !text.isEmpty, text != "unset" { return text }
        if let number = value as? NSNumber, !(number is Bool) {
            let integer = number.intValue
            return integer == 0 ? nil : (integer < 0 ? "x\(-integer)" : String(integer))
        }
        return nil
    }

    private static func nonEmpty(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        return text
    }

    // MARK: - Locations

    /// The offset in "around character N" of Foundation's JSON errors.
    static func characterOffset(in error: any Error) -> Int? {
        let text = debugDescription(of: error)
        guard let range = text.range(of: "character ") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    static func debugDescription(of error: any Error) -> String {
        let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return description.hasSuffix(".") ? String(description.dropLast()) : description
    }

    static func lineNumber(ofOffset offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for byte in bytes.prefix(max(0, offset)) where byte == 0x0A { line += 1 }
        return line
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        let last = bytes.count - needle.count
        while index <= last {
            if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
