import ArgumentParser
import EmbargoAudit
import Foundation

/// The formats `embargo report` writes.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case csv
    case html
    case cyclonedx
}

extension Embargo {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write a compliance report: from the daemon's scan history, from a fresh scan, or across a fleet's journals.",
            discussion: """
                Sources: the latest scan in the state database (default), --scan ID, scans --since a date, a fresh \
                scan (--scan-now, with the scan options), or the journals of many hosts (--journal-directory, \
                repeatable, as systemd-journal-remote writes them). Exit codes: 0 no violation, 1 at least one \
                violation, 2 usage error or failure.
                """
        )

        @Option(
            name: .customLong("state-directory"),
            help: ArgumentHelp("embargod's state directory (its scan history).", valueName: "dir"))
        var stateDirectory: String = "/var/lib/embargo"

        @Option(name: .customLong("scan"), help: ArgumentHelp("Report this scan (an id or a unique prefix of one).", valueName: "id"))
        var scanID: String?

        @Option(help: ArgumentHelp("Report the scans since this date (YYYY-MM-DD or RFC 3339).", valueName: "date"))
        var since: String?

        @Flag(name: .customLong("scan-now"), help: "Scan now instead of reading the history (takes the scan options).")
        var scanNow = false

        @Option(
            name: .customLong("journal-directory"),
            help: ArgumentHelp("A directory of journal files of one or more hosts (fleet report). Repeatable.", valueName: "dir"))
        var journalDirectories: [String] = []

        @Option(help: ArgumentHelp("The root to scan with --scan-now.", valueName: "dir"))
        var root: String = "/"

        @OptionGroup var policy: PolicyOptions

        @Option(help: ArgumentHelp("Profile for --scan-now (default: the policy's default).", valueName: "name"))
        var profile: String?

        @Option(name: .customLong("as-of"), help: ArgumentHelp("Judge at this instant (--scan-now).", valueName: "date"))
        var asOf: String?

        @OptionGroup var walk: WalkOptions

        @OptionGroup var waivers: WaiverOptions

        @Option(help: "Output format.")
        var format: ReportFormat = .text

        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
        var output: String?

        func validate() throws {
            if !journalDirectories.isEmpty && (scanNow || scanID != nil) {
                throw ValidationError("--journal-directory (fleet) cannot be combined with --scan or --scan-now")
            }
            if scanNow && scanID != nil {
                throw ValidationError("choose one of --scan and --scan-now")
            }
        }

        func run() async throws {
            if journalDirectories.isEmpty {
                try await HostReport(command: self).run()
            } else {
                try await FleetReport(command: self).run()
            }
        }
    }
}
