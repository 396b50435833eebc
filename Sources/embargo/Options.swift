import ArgumentParser
import EmbargoAudit
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
        if let output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(data)
        }
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
