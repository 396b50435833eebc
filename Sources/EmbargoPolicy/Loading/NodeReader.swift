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
        guard case .scalar(let scalar) = node else {
            problems.add(.wrongType, node, file: file, "'\(key)' must be a string")
            return nil
        }
        if required && scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.add(.invalidValue, node, file: file, "'\(key)' must not be empty")
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node, let flag = Bool(scalar.string.lowercased()) else {
            problems.add(.wrongType, node, file: file, "'\(key)' must be true or false")
            return nil
        }
        return flag
    }

    /// A list of strings; a single string is accepted as a list of one.
    mutating func strings(_ key: String, required: Bool = false, context: String) -> [String]? {
        guard let node = value(key) else {
            if required { problems.add(.missingKey, self.node, file: file, "\(context) needs '\(key)'") }
            return nil
        }
        switch node {
        case .scalar(let scalar):
            return [scalar.string]
        case .sequence(let sequence):
            var result: [String] = []
            for element in sequence {
                guard case .scalar(let scalar) = element else {
                    problems.add(.wrongType, element, file: file, "'\(key)' must be a list of strings")
                    continue
                }
                result.append(scalar.string)
            }
            return result
        default:
            problems.add(.wrongType, node, file: file, "'\(key)' must be a list of strings")
            return nil
        }
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
            if let suggestion = allowed.first(where: { $0.lowercased() == pair.key.lowercased() || editDistance($0, pair.key) <= 2 }) {
                message += "; did you mean '\(suggestion)'?"
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
