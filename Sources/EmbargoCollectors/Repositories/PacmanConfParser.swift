import EmbargoInventory

/// `/etc/pacman.conf` and the files it includes: `[repository]` sections with `Server = url`
/// and `Include = file` lines. Commented-out `Server` lines are not recorded: the mirror list
/// pacman ships comments out hundreds of mirrors, none of them a configured channel.
enum PacmanConfParser {
    struct Include: Sendable, Equatable {
        var section: String
        var pattern: String
        var line: Int
    }

    struct Result: Sendable {
        var repositories: [PackageRepository] = []
        var includes: [Include] = []
        var errors: [RepositoryError] = []
        /// The section in force at the end of the file (an included file continues its includer's section).
        var finalSection: String?
    }

    static func parse(_ bytes: [UInt8], path: String, section initialSection: String?) -> Result {
        var result = Result()
        var section = initialSection
        for line in TextLines(bytes: bytes) {
            let withoutComment = line.text.firstIndex(of: "#").map { line.text[..<$0] } ?? Substring(line.text)
            let content = withoutComment.trimmingBlanks()
            if content.isEmpty { continue }
            if content.hasPrefix("[") {
                guard content.hasSuffix("]"), content.count > 2 else {
                    result.errors.append(RepositoryError(problem: .malformedLine("section header without ']'"), path: path, line: line.number))
                    continue
                }
                section = String(content.dropFirst().dropLast())
                continue
            }
            guard let equals = content.firstIndex(of: "=") else { continue }  // bare options such as `Color`
            let key = content[..<equals].trimmingBlanks()
            let value = content[content.index(after: equals)...].trimmingBlanks()
            guard key == "Server" || key == "Include" else { continue }
            guard let current = section else {
                result.errors.append(RepositoryError(problem: .malformedLine("'\(key)' before any [section]"), path: path, line: line.number))
                continue
            }
            // Include is meaningful in [options] too, but there it pulls in options, not servers.
            if key == "Include" {
                if current != "options" { result.includes.append(Include(section: current, pattern: value, line: line.number)) }
                continue
            }
            guard current != "options" else { continue }
            guard !value.isEmpty else {
                result.errors.append(RepositoryError(problem: .malformedLine("'Server' without a URL"), path: path, line: line.number))
                continue
            }
            let url = RepositoryURL(value)
            result.repositories.append(
                PackageRepository(
                    manager: "pacman", path: path, line: line.number, url: url.text, host: url.host, enabled: true,
                    properties: ["repository": current]))
        }
        result.finalSection = section
        return result
    }
}
