import ArgumentParser
import EmbargoAudit
import Foundation

/// `embargo`: audit a Linux host (or an offline root) for software from restricted vendors.
@main
struct Embargo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embargo",
        abstract: "Find software from restricted vendors and date it against each ban.",
        discussion: """
            Exit codes: 0 no violation, 1 at least one violation, 2 usage error or failed scan.
            Bundled policies are found without flags (the checkout's Policies/ or \
            /usr/share/embargo/policies); --policy adds files or replaces a policy with the same id.
            """,
        version: EmbargoVersion.current,
        subcommands: [
            Scan.self, Inventory.self, Report.self, History.self, Diff.self, Findings.self, PolicyCommand.self, WaiverCommand.self,
        ],
        defaultSubcommand: Scan.self
    )

    /// Parses and runs, mapping every usage error to exit code 2 (argument-parser's default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(ExitStatus.usageOrFailure.rawValue)
        }
    }
}

/// The exit codes scripts and CI rely on.
enum ExitStatus: Int32 {
    case clean = 0
    case violation = 1
    case usageOrFailure = 2

    var exitCode: ExitCode { ExitCode(rawValue) }
}
