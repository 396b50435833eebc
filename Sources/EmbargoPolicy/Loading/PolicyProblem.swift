import EmbargoInventory

/// One thing wrong with a policy file, at a precise place.
public struct PolicyProblem: Error, Sendable, Hashable, CustomStringConvertible, LocatedError {
    public enum Kind: String, Sendable, Hashable, Codable {
        case unreadable
        case syntax
        case unknownKey = "unknown-key"
        case missingKey = "missing-key"
        case wrongType = "wrong-type"
        case invalidValue = "invalid-value"
        case badDate = "bad-date"
        case missingTimeZone = "missing-time-zone"
        case duplicateID = "duplicate-id"
        case unknownReference = "unknown-reference"
        case unmatchableGlob = "unmatchable-glob"
    }

    public var kind: Kind
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(_ kind: Kind, file: String, line: Int?, column: Int?, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
        self.init(kind, file: location.file, line: location.line, column: location.column, message)
    }

    public var code: String { "policy.\(kind.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: file, line: line, column: column) }
    public var reason: String { message }

    /// `file:line:column: error: message [policy.kind]`, the form editors and CI logs link.
    public var description: String {
        "\(location.text): error: \(message) [\(code)]"
    }
}

/// Every problem found in one or more policy files. A policy with any problem is never loaded.
public struct PolicyProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [PolicyProblem]

    public init(_ problems: [PolicyProblem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
