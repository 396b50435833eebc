/// Where in an input a problem was found. Every field is optional because formats differ: a text
/// database has lines, a binary one has byte offsets.
public struct IssueLocation: Sendable, Codable, Hashable {
    /// The file, as a path inside the scanned root (or a host path for policy files).
    public var path: String?
    public var line: Int?
    public var column: Int?
    public var offset: Int?

    public init(path: String? = nil, line: Int? = nil, column: Int? = nil, offset: Int? = nil) {
        self.path = path
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// `path:line:column` or `path@offset`, as compilers and linters print locations.
    public var text: String {
        var text = path ?? "<unknown>"
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        } else if let offset {
            text += "@\(offset)"
        }
        return text
    }
}

/// A typed error that can say exactly where it happened; every collector's error type conforms,
/// so any of them can become a ``ScanIssue`` in the report.
public protocol LocatedError: Error, Sendable {
    /// A stable code, `<collector>.<problem>` (`dpkg.missing-package-field`).
    var code: String { get }
    var location: IssueLocation { get }
    /// What is wrong, in one sentence, without the location.
    var reason: String { get }
}

/// A problem met during a scan: reported, counted, never fatal to the rest of the scan.
public struct ScanIssue: Sendable, Codable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable, Hashable {
        /// Input was skipped or could not be read: coverage is incomplete.
        case error
        /// Input was odd but was read.
        case warning
    }

    public var collector: String
    public var severity: Severity
    public var code: String
    public var location: IssueLocation
    public var message: String

    public init(collector: String, severity: Severity = .error, code: String, location: IssueLocation, message: String) {
        self.collector = collector
        self.severity = severity
        self.code = code
        self.location = location
        self.message = message
    }

    public init(collector: String, severity: Severity = .error, _ error: some LocatedError) {
        self.init(collector: collector, severity: severity, code: error.code, location: error.location, message: error.reason)
    }

    public var description: String { "\(location.text): \(message) [\(code)]" }
}
