import EmbargoInventory

/// Alpine's `/etc/apk/repositories`: one repository per line, a URL or a local directory,
/// optionally preceded by an `@tag`. A commented-out address is recorded as disabled.
enum ApkRepositoriesParser {
    static func parse(_ bytes: [UInt8], path: String) -> RepositoryParseResult {
        var result = RepositoryParseResult()
        for line in TextLines(bytes: bytes) {
            var content = Substring(line.text.trimmingBlanks())
            if content.isEmpty { continue }
            var enabled = true
            if content.hasPrefix("#") {
                content = content.drop { $0 == "#" || $0 == " " || $0 == "\t" }
                enabled = false
            }
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            var tag: String?
            var address: Substring?
            if words.count == 1 {
                address = words[0]
            } else if words.count == 2, words[0].hasPrefix("@"), words[0].count > 1 {
                tag = String(words[0].dropFirst())
                address = words[1]
            }
            guard let address, looksLikeAddress(address) else {
                // A disabled line that is not an address is an ordinary comment.
                if enabled {
                    result.errors.append(
                        RepositoryError(
                            problem: .malformedLine("expected a repository URL or directory, optionally after an @tag"), path: path,
                            line: line.number))
                }
                continue
            }
            let url = RepositoryURL(String(address))
            var properties: [String: String] = [:]
            if let tag { properties["tag"] = tag }
            result.repositories.append(
                PackageRepository(
                    manager: "apk", path: path, line: line.number, url: url.text, host: url.host, enabled: enabled, properties: properties))
        }
        return result
    }

    /// A local directory or `scheme://...` with an RFC 3986 scheme.
    private static func looksLikeAddress(_ text: Substring) -> Bool {
        if text.hasPrefix("/") { return true }
        guard let separator = text.range(of: "://"), let first = text.first, first.isASCII, first.isLetter else { return false }
        return text[..<separator.lowerBound].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }
}
