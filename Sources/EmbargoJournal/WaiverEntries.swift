import Foundation

extension EmbargoField {
    /// On `policy-loaded` entries: the number of waivers loaded with the policies.
    public static let waivers = "EMBARGO_WAIVERS"
    /// Repeated, one per waiver file: `sha256 path`.
    public static let waiverFile = "EMBARGO_WAIVER_FILE"
}

extension JournalEntries {
    /// Invalid waiver files were not loaded. At start embargod stops (exit 2); on reload the
    /// waivers in force (`keeping`, a count) stay. Written with the `configuration-rejected` id:
    /// waivers are configuration.
    public static func waiversRejected(problems: [String], paths: [String], keeping: Int?) -> JournalEntry {
        let kept = keeping.map { "the \($0) waiver(s) in force stay" } ?? "embargod does not start"
        var entry = base(
            .configurationRejected, priority: .error,
            message: "Waivers rejected: \(problems.count) problem(s) in \(paths.joined(separator: ", ")), \(kept); first: \(problems.first ?? "?")")
        for problem in problems.prefix(100) { entry.append(EmbargoField.problem, problem) }
        for path in paths { entry.append(EmbargoField.configFile, path) }
        return entry
    }
}
