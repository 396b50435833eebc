import Foundation

/// One problem in the configuration file, located by line.
public struct ConfigurationProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

/// Every problem found in one file (the whole file is checked, not just up to the first).
public struct ConfigurationProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    public init(_ problems: [ConfigurationProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// `embargod.conf`: `key = value` lines; `#` starts a comment line; blank lines are ignored;
/// `policy` and `waivers` may repeat, other keys may not. Durations take a unit: `30s`, `5m`, `6h`, `1d`
/// (a bare number is seconds). Booleans are `yes`/`no` (or `true`/`false`, `on`/`off`).
public enum ConfigurationFile {
    /// The keys, in the order the sample file documents them.
    public static let keys = [
        "root", "policy", "bundled-policies", "profile", "state-directory", "scan-interval", "scan-jitter",
        "rescan-delay", "rescan-maximum-delay", "watch-package-databases", "reminder-days", "keep-inventories",
        "history-days", "scan-timeout", "journal", "waivers", "metrics-file",
    ]

    /// Keys that may be given more than once (each adds a path).
    static let repeatableKeys: Set<String> = ["policy", "waivers"]

    /// Files larger than this are not configuration.
    static let maximumBytes = 1 << 20

    public static func load(path: String) throws(ConfigurationProblems) -> DaemonConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationProblems([ConfigurationProblem(file: path, line: nil, message: "cannot read the file")])
        }
        guard data.count <= maximumBytes else {
            throw ConfigurationProblems([ConfigurationProblem(file: path, line: nil, message: "larger than \(maximumBytes) bytes")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationProblems([ConfigurationProblem(file: path, line: nil, message: "not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationProblems) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        var problems: [ConfigurationProblem] = []
        var seen: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            func problem(_ message: String) { problems.append(ConfigurationProblem(file: file, line: lineNumber, message: message)) }
            guard let equals = line.firstIndex(of: "=") else {
                problem("expected 'key = value', found '\(line.prefix(80))'")
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard keys.contains(key) else {
                problem("unknown key '\(key)'; known keys: \(keys.joined(separator: ", "))")
                continue
            }
            if !repeatableKeys.contains(key), let earlier = seen[key] {
                problem("'\(key)' is set twice (first on line \(earlier))")
                continue
            }
            seen[key] = lineNumber
            if value.isEmpty && key != "profile" && key != "metrics-file" {
                problem("'\(key)' has no value")
                continue
            }
            do {
                try apply(key: key, value: value, to: &configuration)
            } catch {
                problem("\(key): \(error.message)")
            }
        }
        if configuration.scanJitter > configuration.scanInterval {
            problems.append(
                ConfigurationProblem(
                    file: file, line: seen["scan-jitter"],
                    message: "scan-jitter (\(DurationText.format(configuration.scanJitter))) is longer than scan-interval (\(DurationText.format(configuration.scanInterval)))"))
        }
        if configuration.rescanMaximumDelay < configuration.rescanDelay {
            problems.append(
                ConfigurationProblem(
                    file: file, line: seen["rescan-maximum-delay"],
                    message: "rescan-maximum-delay is shorter than rescan-delay"))
        }
        if !problems.isEmpty { throw ConfigurationProblems(problems) }
        return configuration
    }

    struct ValueError: Error {
        var message: String
    }

    static func apply(key: String, value: String, to configuration: inout DaemonConfiguration) throws(ValueError) {
        switch key {
        case "root": configuration.root = try absolutePath(value)
        case "policy": configuration.policyPaths.append(try absolutePath(value))
        case "bundled-policies": configuration.useBundledPolicies = try boolean(value)
        case "profile": configuration.profile = value.isEmpty ? nil : value
        case "state-directory": configuration.stateDirectory = try absolutePath(value)
        case "scan-interval": configuration.scanInterval = try duration(value, minimum: 1)
        case "scan-jitter": configuration.scanJitter = try duration(value, minimum: 0)
        case "rescan-delay": configuration.rescanDelay = try duration(value, minimum: 0)
        case "rescan-maximum-delay": configuration.rescanMaximumDelay = try duration(value, minimum: 0)
        case "watch-package-databases": configuration.watchPackageDatabases = try boolean(value)
        case "reminder-days": configuration.reminderDays = try days(value)
        case "keep-inventories": configuration.keepInventories = try integer(value, in: 1...1000)
        case "history-days": configuration.historyDays = try integer(value, in: 1...36500)
        case "scan-timeout": configuration.scanTimeout = try duration(value, minimum: 10)
        case "journal": configuration.journal = try boolean(value)
        case "waivers": configuration.waiverPaths.append(try absolutePath(value))
        case "metrics-file": configuration.metricsFile = value.isEmpty ? nil : try metricsPath(value)
        default: throw ValueError(message: "unknown key")
        }
    }

    static func absolutePath(_ value: String) throws(ValueError) -> String {
        guard value.hasPrefix("/") else { throw ValueError(message: "'\(value)' is not an absolute path") }
        guard !value.contains("\0") else { throw ValueError(message: "the path contains a NUL byte") }
        return value
    }

    /// node_exporter's textfile collector reads only `*.prom` files.
    static func metricsPath(_ value: String) throws(ValueError) -> String {
        let path = try absolutePath(value)
        guard path.hasSuffix(".prom"), !path.hasSuffix("/.prom") else {
            throw ValueError(message: "'\(value)' must name a file ending in .prom (node_exporter's textfile collector reads only those)")
        }
        return path
    }

    static func boolean(_ value: String) throws(ValueError) -> Bool {
        switch value.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: throw ValueError(message: "'\(value)' is not yes or no")
        }
    }

    static func integer(_ value: String, in range: ClosedRange<Int>) throws(ValueError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw ValueError(message: "'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func duration(_ value: String, minimum: Double) throws(ValueError) -> Double {
        guard let seconds = DurationText.parse(value) else {
            throw ValueError(message: "'\(value)' is not a duration (a number with s, m, h or d: 30s, 5m, 6h, 1d)")
        }
        guard seconds >= minimum else {
            throw ValueError(message: "'\(value)' is shorter than the minimum \(DurationText.format(minimum))")
        }
        return seconds
    }

    static func days(_ value: String) throws(ValueError) -> [Int] {
        let parts = value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
        var result: [Int] = []
        for part in parts {
            guard let day = Int(part), (1...3650).contains(day) else {
                throw ValueError(message: "'\(part)' is not a number of days from 1 to 3650")
            }
            result.append(day)
        }
        guard !result.isEmpty else { throw ValueError(message: "no days given") }
        return Array(Set(result)).sorted(by: >)
    }
}

/// Durations as the configuration and flags write them: `90`, `90s`, `5m`, `6h`, `1d`, `1.5h`.
public enum DurationText {
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let (number, unit): (Substring, Double) =
            if let unit = units[last] { (trimmed.dropLast(), unit) } else { (Substring(trimmed), 1) }
        guard let value = Double(number), value.isFinite, value >= 0, value * unit <= 3650 * 86_400 else { return nil }
        return value * unit
    }

    public static func format(_ seconds: Double) -> String {
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return String(format: "%.3gs", seconds)
    }
}
