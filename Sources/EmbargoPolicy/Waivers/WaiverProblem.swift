import EmbargoInventory

/// One thing wrong (an error) or doubtful (a warning) in a waiver file, at a precise place.
public struct WaiverProblem: Error, Sendable, Hashable, CustomStringConvertible, LocatedError {
    public enum Severity: String, Sendable, Hashable, Codable {
        /// The waivers are not loaded.
        case error
        /// The waivers load, but this one can never match or looks wrong.
        case warning
    }

    public var kind: PolicyProblem.Kind
    public var severity: Severity
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(_ kind: PolicyProblem.Kind, severity: Severity = .error, file: String, line: Int?, column: Int?, _ message: String) {
        self.kind = kind
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public init(_ kind: PolicyProblem.Kind, severity: Severity = .error, at location: SourceLocation, _ message: String) {
        self.init(kind, severity: severity, file: location.file, line: location.line, column: location.column, message)
    }

    /// A problem found by the YAML reader shared with the policy loader.
    init(_ problem: PolicyProblem) {
        self.init(problem.kind, file: problem.file, line: problem.line, column: problem.column, problem.message)
    }

    public var code: String { "waiver.\(kind.rawValue)" }
    public var location: IssueLocation { IssueLocation(path: file, line: line, column: column) }
    public var reason: String { message }

    /// `file:line:column: error: message [waiver.kind]`, the form editors and CI logs link.
    public var description: String {
        "\(location.text): \(severity.rawValue): \(message) [\(code)]"
    }
}

/// Every error found in the waiver files (and the warnings met on the way). Nothing is loaded
/// when there is any error.
public struct WaiverProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [WaiverProblem]

    public init(_ problems: [WaiverProblem]) {
        self.problems = problems
    }

    public var errors: [WaiverProblem] { problems.filter { $0.severity == .error } }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
