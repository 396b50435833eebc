import EmbargoInventory
import Foundation
import Yams

/// Turns the YAML of one waiver file into ``WaiverDefinition`` values, collecting every problem
/// with its line and column (the policy loader's reader: unknown keys with a did-you-mean, YAML 1.2
/// scalar types, positions from Yams' marks).
struct WaiverDocumentDecoder {
    static let schemaIdentifier = "embargo.waivers/v1"
    static let documentKeys = ["schema", "waivers"]
    static let waiverKeys = ["id", "vendor", "product", "package", "path", "host", "reason", "approver", "created", "expires"]
    static let scopeKeys = ["vendor", "product", "package", "path", "host"]
    /// Waivers in one file at most: an exception list, not a database.
    static let maximumWaivers = 10_000

    let file: String
    let problems = ProblemCollector()

    /// Decodes a file; returns nil when anything is wrong (see ``problems``).
    func decode(yaml: String) -> [WaiverDefinition]? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            problems.add(PolicyDocumentDecoder.problem(from: error, file: file))
            return nil
        } catch {
            problems.add(PolicyProblem(.syntax, file: file, line: nil, column: nil, "\(error)"))
            return nil
        }
        guard let root else {
            problems.add(PolicyProblem(.missingKey, file: file, line: 1, column: 1, "the waiver file is empty"))
            return nil
        }
        guard var reader = MappingReader(root, file: file, problems: problems, what: "a waiver file") else { return nil }
        if let schema = reader.string("schema", required: true, context: "a waiver file"), schema != Self.schemaIdentifier {
            problems.add(
                .invalidValue, reader.value("schema"), file: file,
                "unsupported schema '\(schema)'; this version of embargo reads '\(Self.schemaIdentifier)'")
        }
        let nodes = reader.sequence("waivers", required: true, context: "a waiver file") ?? []
        reader.reportUnknownKeys(allowed: Self.documentKeys, context: "the waiver file")
        if nodes.count > Self.maximumWaivers {
            problems.add(.invalidValue, reader.value("waivers"), file: file, "more than \(Self.maximumWaivers) waivers in one file")
            return nil
        }
        let waivers = nodes.compactMap(decodeWaiver)
        guard problems.problems.isEmpty else { return nil }
        return waivers
    }

    private func decodeWaiver(_ node: Node) -> WaiverDefinition? {
        guard var reader = MappingReader(node, file: file, problems: problems, what: "a waiver") else { return nil }
        let id = reader.string("id", required: true, context: "a waiver")
        if let id, let idNode = reader.value("id") { checkID(id, node: idNode) }
        let context = "waiver '\(id ?? "?")'"
        var scope = WaiverScope()
        scope.vendor = reader.string("vendor", context: context)
        scope.product = reader.string("product", context: context)
        scope.package = reader.string("package", context: context)
        scope.path = reader.string("path", context: context)
        scope.host = reader.string("host", context: context)
        for key in Self.scopeKeys {
            if let value = reader.value(key), case .scalar(let scalar) = value, scalar.coreType == .string,
                scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.add(.invalidValue, value, file: file, "\(context): '\(key)' must not be empty; remove the key to cover any \(key)")
            }
        }
        if scope.isEmpty && Self.scopeKeys.allSatisfy({ !reader.has($0) }) {
            problems.add(
                .missingKey, node, file: file,
                "\(context) must say what it covers: at least one of \(Self.scopeKeys.joined(separator: ", "))")
        }
        if let path = scope.path, path.hasPrefix("/"), let pathNode = reader.value("path") {
            do {
                _ = try Glob(path, isPath: true)
            } catch {
                problems.add(.unmatchableGlob, pathNode, file: file, "\(context): path '\(path)': \(error)")
            }
        }
        let reason = reader.string("reason", required: true, context: context)
        let approver = reader.string("approver", context: context)
        let created = instant("created", reader: &reader, context: context)
        let expires = instant("expires", reader: &reader, context: context, required: true)
        if let created, let expires, expires.date <= created.date, let expiresNode = reader.value("expires") {
            problems.add(
                .invalidValue, expiresNode, file: file,
                "\(context): expires \(expires.text) is not after created \(created.text); the waiver would never be in force")
        }
        reader.reportUnknownKeys(allowed: Self.waiverKeys, context: context)
        guard let id, let reason, let expires, !scope.isEmpty else { return nil }
        return WaiverDefinition(
            id: id, scope: scope, reason: reason, approver: approver, created: created?.date, createdText: created?.text,
            expires: expires.date, expiresText: expires.text, location: node.location(in: file))
    }

    /// A date (`2025-06-30`, 00:00 UTC of that day) or an RFC 3339 instant with its offset.
    private func instant(_ key: String, reader: inout MappingReader, context: String, required: Bool = false) -> (date: Date, text: String)? {
        guard let text = reader.string(key, required: required, context: context) else { return nil }
        let node = reader.value(key)
        if let date = RFC3339.parseDate(text) { return (date, text) }
        if Self.isDateShaped(text) {
            problems.add(.badDate, node, file: file, "\(context): \(key) '\(text)' is not a calendar date (a month or day out of range)")
            return nil
        }
        do {
            return (try RFC3339.parse(text), text)
        } catch .missingTimeZone {
            problems.add(
                .missingTimeZone, node, file: file,
                "\(context): \(key) '\(text)' has no time zone; write a date (\(text.prefix(10))) or the instant with its offset, e.g. \(text.prefix(10))T00:00:00+02:00")
        } catch {
            problems.add(
                .badDate, node, file: file, "\(context): \(key) '\(text)' is not a date (YYYY-MM-DD) or an RFC 3339 instant: \(error)")
        }
        return nil
    }

    /// `DDDD-DD-DD`: a date, whatever its values.
    static func isDateShaped(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 ? byte == UInt8(ascii: "-") : (48...57).contains(byte)
        }
    }

    /// Ids appear in journal fields, reports and file names: change-ticket style, no spaces.
    private func checkID(_ id: String, node: Node) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")
        if id.isEmpty || id.count > 128 || !id.allSatisfy({ allowed.contains($0) }) || id.first == "-" || id.first == "." {
            problems.add(
                .invalidValue, node, file: file,
                "waiver id '\(id)' must be 1 to 128 letters, digits, '-', '.' or '_', not starting with '-' or '.'")
        }
    }
}
