import ArgumentParser
import EmbargoAudit
import EmbargoCollectors
import EmbargoInventory
import EmbargoPolicy
import Foundation

/// Which policies to load.
struct PolicyOptions: ParsableArguments {
    @Option(
        name: .customLong("policy"),
        help: ArgumentHelp(
            "A policy file or directory to load in addition to the bundled ones; a file with the same id replaces a bundled policy. Repeatable.",
            valueName: "path"))
    var policyPaths: [String] = []

    @Flag(name: .customLong("no-bundled-policies"), help: "Load only the --policy paths.")
    var noBundledPolicies = false

    var selection: PolicySelection {
        PolicySelection(useBundled: !noBundledPolicies, extraPaths: policyPaths)
    }
}

/// Which waivers to apply.
struct WaiverOptions: ParsableArguments {
    @Option(
        name: .customLong("waivers"),
        help: ArgumentHelp(
            "A waiver file or directory of *.yaml files (default: \(WaiverSelection.defaultDirectory) when it exists). Repeatable.",
            valueName: "path"))
    var waiverPaths: [String] = []

    @Flag(name: .customLong("no-waivers"), help: "Apply no waivers, not even those of the default directory.")
    var noWaivers = false

    func validate() throws {
        if noWaivers && !waiverPaths.isEmpty { throw ValidationError("choose one of --waivers and --no-waivers") }
    }

    var selection: WaiverSelection {
        noWaivers ? WaiverSelection(paths: [], useDefault: false) : WaiverSelection(paths: waiverPaths)
    }

    /// Loads the waivers, checked against the policies; warnings go to standard error, errors end
    /// the command with exit code 2 (a broken waiver file is never half-applied).
    func load(policies: PolicySet) throws -> WaiverSet {
        do {
            let set = try selection.load(policies: policies)
            for warning in set.warnings { printError("embargo: \(warning)") }
            return set
        } catch {
            for problem in error.problems { printError(problem.description) }
            printError("embargo: \(error.errors.count) problem(s) in the waiver files; nothing was scanned")
            throw ExitStatus.usageOrFailure.exitCode
        }
    }
}

/// How far the scan looks for loose binaries beyond the package databases.
struct WalkOptions: ParsableArguments {
    @Option(
        name: .customLong("scan-path"),
        help: ArgumentHelp(
            "A directory (inside the root) to walk for loose binaries, instead of the defaults /opt, /usr/local, /srv, /home, /root, /var/opt, /etc/opt. Repeatable.",
            valueName: "dir"))
    var scanPaths: [String] = []

    @Option(
        name: .customLong("exclude"),
        help: ArgumentHelp("A path (inside the root) or file name the walk skips (default: /tmp). Repeatable.", valueName: "path"))
    var exclusions: [String] = []

    @Flag(name: .customLong("cross-file-systems"), help: "Let the walk descend into other mounted file systems.")
    var crossFileSystems = false

    @Flag(name: .customLong("no-walk"), help: "Skip the file walk: read package databases, policy paths, units, certificates and repositories only.")
    var noWalk = false

    @Option(
        name: .customLong("cache-directory"),
        help: ArgumentHelp(
            "Keep what was learned from each file here, so a rescan reads only files that changed (default: $XDG_CACHE_HOME/embargo or ~/.cache/embargo).",
            valueName: "dir"))
    var cacheDirectory: String?

    @Flag(name: .customLong("no-cache"), help: "Read every file again; keep no cache.")
    var noCache = false

    var collectionOptions: CollectionOptions {
        CollectionOptions(
            cacheDirectory: noCache ? nil : (cacheDirectory ?? Self.defaultCacheDirectory), walkPaths: scanPaths,
            walkExclusions: exclusions, crossFileSystems: crossFileSystems, walkFiles: !noWalk)
    }

    /// The XDG cache directory of the user running the scan.
    static var defaultCacheDirectory: String? {
        let environment = ProcessInfo.processInfo.environment
        if let base = environment["XDG_CACHE_HOME"], base.hasPrefix("/") { return base + "/embargo" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/embargo" }
        return nil
    }
}

/// Where and how to write output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format.")
    var format: OutputFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func write(_ data: Data) throws {
        try writeOutput(data, to: output)
    }
}

/// Writes a command's output to a file (atomically) or standard output.
func writeOutput(_ data: Data, to path: String?) throws {
    if let path {
        // Atomic (a temporary file renamed over the target) only for regular files: renaming over a
        // device or pipe (`-o /dev/stdout`, a FIFO, `-o /dev/null` as root) would replace it with a file.
        var status = stat()
        let special = stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG
        do {
            try data.write(to: URL(fileURLWithPath: path), options: special ? [] : .atomic)
        } catch {
            throw CommandFailure("embargo: cannot write \(path): \(error.localizedDescription)")
        }
    } else {
        FileHandle.standardOutput.write(data)
    }
}

/// A failure that ends the command with exit code 2 and a message on standard error.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Parses `--as-of`: a date (`2024-09-29`, midnight UTC) or an RFC 3339 instant.
func parseInstant(_ text: String) throws -> Date {
    if let date = RFC3339.parseDate(text) { return date }
    do {
        return try RFC3339.parse(text)
    } catch {
        throw ValidationError("--as-of '\(text)': expected YYYY-MM-DD or an RFC 3339 instant such as 2024-09-29T00:00:00-04:00 (\(error))")
    }
}

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
}

extension AuditError {
    /// Exits with code 2 after printing the error.
    func fail() -> ExitCode {
        printError("embargo: \(self)")
        return ExitStatus.usageOrFailure.exitCode
    }
}
