import Foundation
import Yams

/// Reads one YAML mapping into typed values while recording every problem with its position,
/// and reports keys nobody asked for as unknown keys.
struct MappingReader {
    let file: String
    let node: Node
    let pairs: [(key: String, keyNode: Node, value: Node)]
    private(set) var consumed: Set<String> = []
    let problems: ProblemCollector

    init?(_ node: Node, file: String, problems: ProblemCollector, what: String) {
        guard case .mapping(let mapping) = node else {
            problems.add(.wrongType, node, file: file, "\(what) must be a mapping")
            return nil
        }
        self.file = file
        self.node = node
        self.problems = problems
        var pairs: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                problems.add(.wrongType, key, file: file, "keys must be strings")
                continue
            }
            pairs.append((name, key, value))
        }
        self.pairs = pairs
    }

    var location: SourceLocation { SourceLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0) }

    mutating func value(_ key: String) -> Node? {
        consumed.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    mutating func string(_ key: String, required: Bool = false, context: String) -> String? {
        guard let node = value(key) else {
            if required { problems.add(.missingKey, self.node, file: file, "\(context) needs '\(key)'") }
            return nil
        }
        guard let text = text(of: node, key: key) else { return nil }
        if required && text.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.add(.invalidValue, node, file: file, "'\(key)' must not be empty")
            return nil
        }
        return text
    }

    /// The text of a scalar that YAML 1.2 (and so JSON Schema tools and editors) reads as a string.
    ///
    /// A plain `1.0`, `true` or `~` is a number, a boolean or null to every other YAML tool; taking
    /// its text here would make embargo and the JSON Schema disagree, so it must be quoted.
    func text(of node: Node, key: String) -> String? {
        guard case .scalar(let scalar) = node else {
            problems.add(.wrongType, node, file: file, "'\(key)' must be a string")
            return nil
        }
        switch scalar.coreType {
        case .string:
            return scalar.string
        case .null:
            problems.add(.wrongType, node, file: file, "'\(key)' has no value; give a string or remove the key")
        case .boolean, .integer, .float:
            problems.add(
                .wrongType, node, file: file,
                "'\(key)' must be a string; YAML reads \(scalar.string) as \(scalar.coreType.article) \(scalar.coreType.rawValue), so write \"\(scalar.string)\"")
        }
        return nil
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node, scalar.coreType == .boolean else {
            problems.add(.wrongType, node, file: file, "'\(key)' must be true or false")
            return nil
        }
        return scalar.string.lowercased() == "true"
    }

    /// A list of strings; a single string is accepted as a list of one.
    mutating func strings(_ key: String, required: Bool = false, context: String) -> [String]? {
        guard let node = value(key) else {
            if required { problems.add(.missingKey, self.node, file: file, "\(context) needs '\(key)'") }
            return nil
        }
        switch node {
        case .scalar:
            return text(of: node, key: key).map { [$0] }
        case .sequence(let sequence):
            var result: [String] = []
            for element in sequence {
                guard case .scalar = element else {
                    problems.add(.wrongType, element, file: file, "'\(key)' must be a list of strings")
                    continue
                }
                if let text = text(of: element, key: key) { result.append(text) }
            }
            return result
        default:
            problems.add(.wrongType, node, file: file, "'\(key)' must be a list of strings")
            return nil
        }
    }

    /// Where each string of a string-or-list value is written, so that a later check of what it
    /// refers to can point at the very entry.
    func locations(ofStrings key: String) -> [String: SourceLocation] {
        guard let node = pairs.first(where: { $0.key == key })?.value else { return [:] }
        let elements: [Node]
        switch node {
        case .scalar: elements = [node]
        case .sequence(let sequence): elements = Array(sequence)
        default: elements = []
        }
        var locations: [String: SourceLocation] = [:]
        for element in elements {
            guard case .scalar(let scalar) = element, locations[scalar.string] == nil else { continue }
            locations[scalar.string] = element.location(in: file)
        }
        return locations
    }

    mutating func sequence(_ key: String, required: Bool = false, context: String) -> [Node]? {
        guard let node = value(key) else {
            if required { problems.add(.missingKey, self.node, file: file, "\(context) needs '\(key)'") }
            return nil
        }
        guard case .sequence(let sequence) = node else {
            problems.add(.wrongType, node, file: file, "'\(key)' must be a list")
            return nil
        }
        return Array(sequence)
    }

    /// Reports every key that was not read, with a hint when it looks like a known key.
    func reportUnknownKeys(allowed: [String], context: String) {
        for pair in pairs where !consumed.contains(pair.key) {
            var message = "unknown key '\(pair.key)' in \(context)"
            // The closest known key within two edits; the list order only breaks ties.
            let candidates = allowed.map { (key: $0, distance: editDistance($0, pair.key)) }.filter { $0.distance <= 2 }
            if let suggestion = candidates.min(by: { $0.distance < $1.distance }) {
                message += "; did you mean '\(suggestion.key)'?"
            }
            problems.add(.unknownKey, pair.keyNode, file: file, message)
        }
    }
}

/// Collects problems; a reference type so nested readers append to one list.
final class ProblemCollector {
    private(set) var problems: [PolicyProblem] = []

    func add(_ kind: PolicyProblem.Kind, _ node: Node?, file: String, _ message: String) {
        problems.append(PolicyProblem(kind, file: file, line: node?.mark?.line, column: node?.mark?.column, message))
    }

    func add(_ problem: PolicyProblem) {
        problems.append(problem)
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased())
    let b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension Node {
    func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }
}

/// The type YAML 1.2's core schema gives a scalar, which is what editors and JSON Schema tools see.
enum CoreScalarType: String {
    case string
    case null
    case boolean
    case integer
    case float
}

extension Node.Scalar {
    /// Quoted and block scalars, and scalars tagged `!!str`, are strings; a plain scalar is typed by
    /// its text as the YAML 1.2 core schema says (so `yes`, `no` and dates stay strings).
    var coreType: CoreScalarType {
        guard style == .plain || style == .any, tag.description != Tag.Name.str.rawValue else { return .string }
        return CoreScalarType(plainText: string)
    }
}

extension CoreScalarType {
    var article: String { self == .integer ? "an" : "a" }

    init(plainText text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE", "false", "False", "FALSE": self = .boolean
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            self = .float
        default:
            self = Self.numberType(Array(text.utf8)) ?? .string
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+` are integers;
    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` is a float.
    private static func numberType(_ bytes: [UInt8]) -> CoreScalarType? {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        func all(_ slice: ArraySlice<UInt8>, _ test: (UInt8) -> Bool) -> Bool { !slice.isEmpty && slice.allSatisfy(test) }
        if bytes.count > 2 && bytes[0] == UInt8(ascii: "0") {
            if bytes[1] == UInt8(ascii: "o") && all(bytes[2...], { $0 >= 48 && $0 <= 55 }) { return .integer }
            if bytes[1] == UInt8(ascii: "x") && all(bytes[2...], { isDigit($0) || (65...70).contains($0 & 0xDF) }) {
                return .integer
            }
        }
        var index = 0
        if index < bytes.count && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) { index += 1 }
        let integerStart = index
        while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        let integerDigits = index - integerStart
        var isFloat = false
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            isFloat = true
            index += 1
            let fractionStart = index
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            if integerDigits == 0 && index == fractionStart { return nil }
        } else if integerDigits == 0 {
            return nil
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            isFloat = true
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) { index += 1 }
            let exponentStart = index
            while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            if index == exponentStart { return nil }
        }
        guard index == bytes.count else { return nil }
        return isFloat ? .float : .integer
    }
}
