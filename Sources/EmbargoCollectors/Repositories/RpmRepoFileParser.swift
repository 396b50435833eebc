import EmbargoInventory

/// yum/dnf (`/etc/yum.repos.d/*.repo`) and zypper (`/etc/zypp/repos.d/*.repo`) repository files:
/// INI sections named by the repository id, `key=value` lines, values continued on following
/// lines that start with white space (a multi-line `baseurl`), `#` and `;` comments.
///
/// Each address of a section (every `baseurl` entry, `mirrorlist`, `metalink`) becomes one
/// repository value with the line it was written on.
enum RpmRepoFileParser {
    struct Value {
        var text: String
        var line: Int
    }

    struct Section {
        var id: String
        var line: Int
        /// Keys lower-cased; each value keeps its pieces with their lines.
        var values: [String: [Value]] = [:]

        func first(_ key: String) -> String? {
            values[key].map { $0.map(\.text).joined(separator: " ").trimmingBlanks() }
        }
    }

    static func parse(_ bytes: [UInt8], path: String, manager: String) -> RepositoryParseResult {
        var result = RepositoryParseResult()
        let sections = parseSections(bytes, path: path, errors: &result.errors)
        for section in sections where section.id != "main" {
            var enabled = true
            if let text = section.first("enabled") {
                if let value = RepositoryBoolean.parse(text) {
                    enabled = value
                } else {
                    result.warnings.append(
                        RepositoryError(
                            problem: .invalidValue(field: "enabled", value: text), path: path, line: section.values["enabled"]?.first?.line))
                }
            }
            var properties: [String: String] = ["id": section.id]
            for key in ["name", "gpgcheck", "type", "path", "priority"] {
                if let value = section.first(key) { properties[key] = value }
            }
            let keys = (section.values["gpgkey"] ?? []).flatMap { words($0.text) }
            if !keys.isEmpty {
                properties["gpgkey"] = keys.joined(separator: " ")
                properties["keyrings"] = keys.map { $0.hasPrefix("file://") ? String($0.dropFirst("file://".count)) : $0 }
                    .joined(separator: " ")
            }
            var addresses: [(kind: String, url: String, line: Int)] = []
            for kind in ["baseurl", "mirrorlist", "metalink"] {
                for piece in section.values[kind] ?? [] {
                    for url in words(piece.text) { addresses.append((kind, url, piece.line)) }
                }
            }
            for address in addresses {
                var entryProperties = properties
                entryProperties["kind"] = address.kind
                let url = RepositoryURL(address.url)
                result.repositories.append(
                    PackageRepository(
                        manager: manager, path: path, line: address.line, url: url.text, host: url.host, enabled: enabled,
                        properties: entryProperties))
            }
        }
        return result
    }

    /// URLs in a value are separated by white space or commas (yum accepts both).
    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\n" }).map(String.init)
    }

    static func parseSections(_ bytes: [UInt8], path: String, errors: inout [RepositoryError]) -> [Section] {
        var sections: [Section] = []
        var lastKey: String?
        for line in TextLines(bytes: bytes) {
            let text = line.text
            let content = text.trimmingBlanks()
            if content.isEmpty || content.hasPrefix("#") || content.hasPrefix(";") { continue }
            if text.first == " " || text.first == "\t" {
                if let key = lastKey, !sections.isEmpty {
                    sections[sections.count - 1].values[key, default: []].append(Value(text: content, line: line.number))
                    continue
                }
            }
            if content.hasPrefix("[") {
                guard content.hasSuffix("]"), content.count > 2 else {
                    errors.append(RepositoryError(problem: .malformedLine("section header without ']'"), path: path, line: line.number))
                    lastKey = nil
                    continue
                }
                sections.append(Section(id: String(content.dropFirst().dropLast()).trimmingBlanks(), line: line.number))
                lastKey = nil
                continue
            }
            guard let equals = content.firstIndex(of: "=") else {
                errors.append(RepositoryError(problem: .malformedLine("line is not 'key=value'"), path: path, line: line.number))
                lastKey = nil
                continue
            }
            guard !sections.isEmpty else {
                errors.append(RepositoryError(problem: .malformedLine("'key=value' before any [section]"), path: path, line: line.number))
                continue
            }
            let key = String(content[..<equals]).trimmingBlanks().lowercased()
            let value = String(content[content.index(after: equals)...]).trimmingBlanks()
            // A repeated key replaces the earlier one, as in dnf.
            sections[sections.count - 1].values[key] = value.isEmpty ? [] : [Value(text: value, line: line.number)]
            lastKey = key
        }
        return sections
    }
}
