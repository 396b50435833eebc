import EmbargoInventory

/// The parts of a repository address that evaluation and reports use.
struct RepositoryURL: Sendable, Equatable {
    /// The address as written, with any password replaced by `***`: reports must not leak the
    /// credentials some private repositories carry in their URLs.
    var text: String
    /// The host, lower-cased, without user, port or IPv6 brackets; nil for `file:`, `cdrom:` and
    /// local paths.
    var host: String?

    /// Splits `scheme://[user[:password]@]host[:port]/path`. Schemes with a transport prefix
    /// (`mirror+https`, `tor+http`) work the same; anything without `://` has no host.
    init(_ raw: String) {
        guard let separator = raw.range(of: "://") else {
            self.text = raw
            self.host = nil
            return
        }
        let afterScheme = raw[separator.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        var text = raw
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                text = String(raw[..<separator.upperBound]) + userInfo[..<colon] + ":***" + raw[at...]
            }
            authority = authority[authority.index(after: at)...]
        }
        var host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
        } else {
            host = authority
        }
        while host.hasSuffix(".") { host = host.dropLast() }
        self.text = text
        self.host = host.isEmpty ? nil : host.lowercased()
    }
}

/// A line or paragraph of a repository configuration file that could not be read.
public struct RepositoryError: LocatedError, Equatable {
    public enum Problem: Sendable, Equatable {
        /// A line that is not what the format allows; the text says what was expected.
        case malformedLine(String)
        /// A deb822 paragraph without a field apt requires (`Types`, `URIs`, `Suites`).
        case missingField(String)
        /// A value that is not one the format allows (`Enabled: maybe`).
        case invalidValue(field: String, value: String)
        /// Include nesting or count over the limit.
        case includeLimit(String)
    }

    public var problem: Problem
    public var path: String
    public var line: Int?

    public var code: String {
        switch problem {
        case .malformedLine: return "repositories.malformed-line"
        case .missingField: return "repositories.missing-field"
        case .invalidValue: return "repositories.invalid-value"
        case .includeLimit: return "repositories.include-limit"
        }
    }

    public var location: IssueLocation { IssueLocation(path: path, line: line) }

    public var reason: String {
        switch problem {
        case .malformedLine(let detail): return "\(detail); line skipped"
        case .missingField(let field): return "paragraph has no '\(field)' field; paragraph skipped"
        case .invalidValue(let field, let value):
            let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
            return "'\(field)' has an unrecognised value \"\(shown)\"; read as the default"
        case .includeLimit(let detail): return detail
        }
    }
}

/// Boolean words of the repository formats: apt's (`yes`/`no`, `true`/`false`, `on`/`off`,
/// `with`/`without`, `enable`/`disable`) and yum's (`1`/`0`).
enum RepositoryBoolean {
    static func parse(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "true", "on", "with", "enable", "1": return true
        case "no", "false", "off", "without", "disable", "0": return false
        default: return nil
        }
    }
}
