import ArgumentParser
import EmbargoReports
import EmbargoStore
import Foundation

extension Embargo {
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show software and findings added, removed and changed between two recorded scans.",
            discussion: """
                osquery's differential model: A is the earlier state, B the later one. Packages are matched by \
                type, name and architecture (a new version is a change); findings by vendor/product (a change \
                of status, severity, phase, waiver, dates, evidence or package version). Scans are named by id, a \
                unique prefix (as embargo history shows them), 'latest' or 'previous'. Software is compared for \
                every scan the database keeps a package list for; for older scans only findings are compared, \
                and the output says so. Exit codes: 0 compared, 2 unknown scan or no readable state database.
                """
        )

        @Argument(help: ArgumentHelp("The earlier scan.", valueName: "A"))
        var from: String

        @Argument(help: ArgumentHelp("The later scan.", valueName: "B"))
        var to: String

        @Option(
            name: .customLong("state-directory"),
            help: ArgumentHelp("embargod's state directory.", valueName: "dir"))
        var stateDirectory: String = StateDatabase.defaultDirectory

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try StateDatabase.open(stateDirectory)
            let earlier = try StateDatabase.scan(from, in: store)
            let later = try StateDatabase.scan(to, in: store)
            let comparison = try StateDatabase.compare(earlier, later, in: store)
            switch output.format {
            case .json:
                try output.write(try StableJSON.encode(DiffDocument(comparison)))
            case .text:
                let title = "Changes from scan \(earlier.id) (\(comparison.from.startedAt)) to scan \(later.id) (\(comparison.to.startedAt))"
                try output.write(Data(TextReportRenderer.changesText(comparison, title: title).utf8))
            }
        }
    }
}

/// `embargo diff --format json` (docs/diff.schema.json).
struct DiffDocument: Encodable {
    var schema = "embargo.diff/v1"
    var from: ScanReference
    var to: ScanReference
    var findings: FindingChanges
    var packages: PackageChanges

    init(_ comparison: ScanComparison) {
        from = comparison.from
        to = comparison.to
        findings = comparison.findings
        packages = comparison.packages
    }
}
