import EmbargoInventory

/// The result of reading one repository configuration file.
struct RepositoryParseResult: Sendable {
    var repositories: [PackageRepository] = []
    var errors: [RepositoryError] = []
    /// Problems that did not stop the entry from being read.
    var warnings: [RepositoryError] = []
}

/// apt's source lists (sources.list(5)).
enum AptSourcesParser {
    /// One-line style: `deb [ option=value ... ] uri suite [component ...]`, one source per line.
    ///
    /// A `#` starts a comment anywhere on a line. A line that is wholly a comment but would be a
    /// valid source once the `#` is removed is recorded as a disabled source: that is how
    /// administrators switch a source off, and a switched-off channel is still evidence.
    static func parseOneLine(_ bytes: [UInt8], path: String) -> RepositoryParseResult {
        var result = RepositoryParseResult()
        for line in TextLines(bytes: bytes) {
            let trimmed = line.text.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let uncommented = trimmed.drop { $0 == "#" || $0 == " " || $0 == "\t" }
                guard uncommented.hasPrefix("deb"), case .success(let entry) = parseEntry(stripComment(uncommented)) else { continue }
                result.repositories += entry.repositories(path: path, line: line.number, enabled: false)
                continue
            }
            let content = stripComment(trimmed)
            if content.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            switch parseEntry(content) {
            case .success(let entry):
                result.repositories += entry.repositories(path: path, line: line.number, enabled: true)
            case .failure(let error):
                result.errors.append(RepositoryError(problem: .malformedLine(error.detail), path: path, line: line.number))
            }
        }
        return result
    }

    /// deb822 style (`.sources`): paragraphs of `Types`, `URIs`, `Suites`, `Components`,
    /// `Enabled`, `Signed-By`...; one repository value per URI.
    static func parseDeb822(_ bytes: [UInt8], path: String) -> RepositoryParseResult {
        var result = RepositoryParseResult()
        let parsed = Deb822Parser.parse(bytes, path: path, allowComments: true)
        for error in parsed.errors {
            result.errors.append(
                RepositoryError(problem: .malformedLine("not a 'Field: value' line"), path: error.path, line: error.line))
        }
        for stanza in parsed.stanzas {
            func words(_ name: String) -> [String] {
                (stanza[name] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            }
            let types = words("Types")
            let uris = words("URIs")
            let suites = words("Suites")
            let missing = types.isEmpty ? "Types" : uris.isEmpty ? "URIs" : suites.isEmpty ? "Suites" : nil
            if let missing {
                result.errors.append(RepositoryError(problem: .missingField(missing), path: path, line: stanza.line))
                continue
            }
            if let unknown = types.first(where: { $0 != "deb" && $0 != "deb-src" }) {
                result.errors.append(
                    RepositoryError(problem: .invalidValue(field: "Types", value: unknown), path: path, line: stanza.field("Types")?.line))
                continue
            }
            var enabled = true
            if let field = stanza.field("Enabled") {
                if let value = RepositoryBoolean.parse(field.value) {
                    enabled = value
                } else {
                    result.warnings.append(
                        RepositoryError(problem: .invalidValue(field: "Enabled", value: field.value), path: path, line: field.line))
                }
            }
            var properties: [String: String] = ["format": "deb822", "types": types.joined(separator: " "), "suites": suites.joined(separator: " ")]
            let components = words("Components")
            if !components.isEmpty { properties["components"] = components.joined(separator: " ") }
            let architectures = words("Architectures")
            if !architectures.isEmpty { properties["architectures"] = architectures.joined(separator: " ") }
            if let signedBy = stanza["Signed-By"] {
                if signedBy.contains("BEGIN PGP PUBLIC KEY BLOCK") {
                    properties["signedBy"] = "embedded key"
                } else {
                    let keys = signedBy.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "," })
                    properties["signedBy"] = keys.joined(separator: " ")
                    let keyrings = keys.filter { $0.hasPrefix("/") }
                    if !keyrings.isEmpty { properties["keyrings"] = keyrings.joined(separator: " ") }
                }
            }
            if let trusted = stanza["Trusted"] { properties["trusted"] = trusted }
            let line = stanza.field("URIs")?.line ?? stanza.line
            for uri in uris {
                let url = RepositoryURL(uri)
                result.repositories.append(
                    PackageRepository(
                        manager: "apt", path: path, line: line, url: url.text, host: url.host, enabled: enabled, properties: properties))
            }
        }
        return result
    }

    struct Entry {
        var type: String
        var options: [(key: String, value: String)]
        var uri: String
        var suite: String
        var components: [String]

        func repositories(path: String, line: Int, enabled: Bool) -> [PackageRepository] {
            let url = RepositoryURL(uri)
            var properties: [String: String] = ["format": "one-line", "types": type, "suites": suite]
            if !components.isEmpty { properties["components"] = components.joined(separator: " ") }
            for option in options {
                // Named as the deb822 fields are, so both styles read alike in reports.
                let key = option.key == "signed-by" ? "signedBy" : option.key == "arch" ? "architectures" : option.key
                if properties[key] == nil { properties[key] = option.value.split(separator: ",").joined(separator: " ") }
            }
            if let signedBy = options.first(where: { $0.key == "signed-by" }) {
                let keyrings = signedBy.value.split(separator: ",").filter { $0.hasPrefix("/") }
                if !keyrings.isEmpty { properties["keyrings"] = keyrings.joined(separator: " ") }
            }
            return [PackageRepository(manager: "apt", path: path, line: line, url: url.text, host: url.host, enabled: enabled, properties: properties)]
        }
    }

    struct EntryError: Error {
        var detail: String
    }

    static func stripComment(_ text: Substring) -> Substring {
        text.firstIndex(of: "#").map { text[..<$0] } ?? text
    }

    static func parseEntry(_ text: Substring) -> Result<Entry, EntryError> {
        var rest = text.drop { $0 == " " || $0 == "\t" }
        let typeEnd = rest.firstIndex { $0 == " " || $0 == "\t" || $0 == "[" } ?? rest.endIndex
        let type = String(rest[..<typeEnd])
        guard type == "deb" || type == "deb-src" else {
            return .failure(EntryError(detail: "type \"\(type.prefix(20))\" is neither 'deb' nor 'deb-src'"))
        }
        rest = rest[typeEnd...].drop { $0 == " " || $0 == "\t" }
        var options: [(key: String, value: String)] = []
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return .failure(EntryError(detail: "options '[' is never closed")) }
            for word in rest[rest.index(after: rest.startIndex)..<close].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                    return .failure(EntryError(detail: "option \"\(word.prefix(30))\" is not 'name=value'"))
                }
                var key = word[..<equals]
                if key.hasSuffix("+") || key.hasSuffix("-") { key = key.dropLast() }
                options.append((key.lowercased(), String(word[word.index(after: equals)...])))
            }
            rest = rest[rest.index(after: close)...]
        }
        let words = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let uri = words.first else { return .failure(EntryError(detail: "no URI after the type")) }
        guard words.count >= 2 else { return .failure(EntryError(detail: "no suite after the URI")) }
        let suite = words[1]
        let components = Array(words.dropFirst(2))
        // apt: an exact path (ending in '/') takes no components; a distribution name needs one.
        if suite.hasSuffix("/") && !components.isEmpty {
            return .failure(EntryError(detail: "suite \"\(suite.prefix(40))\" is an exact path but components follow"))
        }
        if !suite.hasSuffix("/") && components.isEmpty {
            return .failure(EntryError(detail: "suite \"\(suite.prefix(40))\" has no component"))
        }
        return .success(Entry(type: type, options: options, uri: uri, suite: suite, components: components))
    }
}
