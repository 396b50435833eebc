import ArgumentParser
import EmbargoDaemon
import Foundation
import Logging

/// `embargod`: watches the host and writes every finding to the systemd journal.
@main
struct EmbargodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embargod",
        abstract: "Watch a host for software from restricted vendors and write every finding to the systemd journal.",
        discussion: """
            Runs as a systemd service (Type=notify): a full scan at start, a rescan seconds after a package \
            database changes, a periodic scan (default every 6 h), and a re-evaluation at the instant a policy \
            phase takes effect. Findings are logged when they appear, change or are resolved; every scan logs \
            one summary. SIGHUP reloads the configuration and policies (an invalid policy is rejected and the \
            previous one stays in force); SIGTERM stops. Settings: \(DaemonConfiguration.defaultFile) \
            (see embargod.conf), then these flags. Exit codes: 0 stopped cleanly (or --once found no \
            violation), 1 --once found a violation, 2 invalid configuration or policy, or a failed scan.
            """,
        version: "0.1.0"
    )

    @Option(help: ArgumentHelp("The configuration file (default \(DaemonConfiguration.defaultFile), if present).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("The root to watch and scan (default /).", valueName: "dir"))
    var root: String?

    @Option(
        name: .customLong("policy"),
        help: ArgumentHelp("A policy file or directory, added to the bundled ones and the configuration's. Repeatable.", valueName: "path"))
    var policyPaths: [String] = []

    @Flag(name: .customLong("no-bundled-policies"), help: "Load only the --policy paths and the configuration's.")
    var noBundledPolicies = false

    @Option(help: ArgumentHelp("The profile to judge against (default: the policies' default).", valueName: "name"))
    var profile: String?

    @Option(
        name: .customLong("state-directory"),
        help: ArgumentHelp("Where the state database lives (default: $STATE_DIRECTORY, else /var/lib/embargo).", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("scan-interval"), help: ArgumentHelp("Time between full scans, e.g. 6h, 30m.", valueName: "duration"))
    var scanInterval: String?

    @Option(
        name: .customLong("rescan-delay"),
        help: ArgumentHelp("Quiet time after a package database change before the rescan, e.g. 2s.", valueName: "duration"))
    var rescanDelay: String?

    @Flag(help: "Scan once, log, and exit: 0 no violation, 1 a violation, 2 failure.")
    var once = false

    @Flag(name: .customLong("check-config"), help: "Check the configuration file and the policies, print the settings, and exit.")
    var checkConfig = false

    /// Parses and runs, mapping usage errors to exit code 2 as `embargo` does. Synchronous on
    /// purpose: the daemon's tasks run on its own thread pool (``ThreadPoolExecutor``), never on
    /// the global executor.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
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
            Foundation.exit(Embargod.ExitCode.failure.rawValue)
        }
    }

    func validate() throws {
        if let scanInterval, DurationText.parse(scanInterval) == nil {
            throw ValidationError("--scan-interval '\(scanInterval)': expected a duration such as 30s, 5m, 6h")
        }
        if let rescanDelay, DurationText.parse(rescanDelay) == nil {
            throw ValidationError("--rescan-delay '\(rescanDelay)': expected a duration such as 2s")
        }
        for path in [root, stateDirectory].compactMap({ $0 }) where path.isEmpty {
            throw ValidationError("paths must not be empty")
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "embargod")
        let overrides = DaemonOverrides(
            root: root.map(absolute), policyPaths: policyPaths.map(absolute), noBundledPolicies: noBundledPolicies,
            profile: profile, stateDirectory: stateDirectory.map(absolute), scanInterval: scanInterval.flatMap(DurationText.parse),
            rescanDelay: rescanDelay.flatMap(DurationText.parse))
        let source = ConfigurationSource(file: config.map(absolute), overrides: overrides)
        let code: Embargod.ExitCode
        if checkConfig {
            code = Embargod.checkConfiguration(source: source)
        } else if once {
            code = ThreadPoolExecutor.run { _ in await Embargod.runOnce(source: source, logger: logger) }
        } else {
            code = ThreadPoolExecutor.run { pool in await Embargod.runService(source: source, logger: logger, executor: pool) }
        }
        throw ExitCode(code.rawValue)
    }

    /// Relative paths are taken from the working directory at start (a reload must not move them).
    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

