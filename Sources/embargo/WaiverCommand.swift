import ArgumentParser
import EmbargoAudit
import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import EmbargoReports
import Foundation

extension Embargo {
    struct WaiverCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "waiver",
            abstract: "Show and check waivers: approved, time-limited exceptions that turn a violation into waived.",
            discussion: """
                Waivers live in \(WaiverSelection.defaultDirectory)/*.yaml (see docs/waivers.md). An active waiver \
                turns a violation it covers into 'waived'; once it expires the finding is a violation again and \
                reports show the waiver as expired.
                """,
            subcommands: [List.self, Check.self]
        )
    }
}

extension Embargo.WaiverCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List every waiver with its status (active, expired, not-yet-valid) and what it covers.",
            discussion: "Exit codes: 0 listed, 2 a waiver file is invalid (run 'embargo waiver check').")

        @Option(
            name: .customLong("waivers"),
            help: ArgumentHelp("A waiver file or directory (default: \(WaiverSelection.defaultDirectory)). Repeatable.", valueName: "path"))
        var waiverPaths: [String] = []

        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp("Judge each waiver's status at this instant: YYYY-MM-DD (midnight UTC) or RFC 3339 (default: now).", valueName: "date"))
        var asOf: String?

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let instant = try asOf.map(parseInstant) ?? Date()
            let selection = WaiverSelection(paths: waiverPaths)
            let set: WaiverSet
            do {
                set = try selection.load()
            } catch {
                WaiverListing.printProblems(error.problems)
                throw ExitStatus.usageOrFailure.exitCode
            }
            let listing = WaiverListing(set: set, paths: selection.resolvedPaths(), asOf: instant)
            switch output.format {
            case .json: try output.write(try listing.json())
            case .text: try output.write(Data(listing.text().utf8))
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check waiver files and report every problem with file, line and column.",
            discussion: """
                Errors (syntax, unknown or missing keys, bad dates, expiry before creation, duplicate ids) stop \
                the waivers from loading; warnings (a vendor, product or package the policies do not know, so the \
                waiver can never match) do not. With --root, the root is scanned and the findings each waiver \
                covers are shown. Exit codes: 0 valid (warnings allowed), 2 any error.
                """)

        @Argument(help: ArgumentHelp("Waiver files or directories (default: \(WaiverSelection.defaultDirectory)).", valueName: "path"))
        var paths: [String] = []

        @OptionGroup var policy: PolicyOptions

        @Option(help: ArgumentHelp("Scan this root and show the findings each waiver covers.", valueName: "dir"))
        var root: String?

        @Option(help: ArgumentHelp("Profile for --root (default: the policy's default).", valueName: "name"))
        var profile: String?

        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp("Judge statuses at this instant: YYYY-MM-DD (midnight UTC) or RFC 3339 (default: now).", valueName: "date"))
        var asOf: String?

        @OptionGroup var walk: WalkOptions

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let instant = try asOf.map(parseInstant) ?? Date()
            let selection = WaiverSelection(paths: paths)
            let resolved = selection.resolvedPaths()
            if resolved.isEmpty {
                printError("embargo: no waiver files given and \(WaiverSelection.defaultDirectory) does not exist")
                throw ExitStatus.usageOrFailure.exitCode
            }
            let policies: PolicySet
            do {
                policies = try policy.selection.load()
            } catch {
                throw error.fail()
            }
            let set: WaiverSet
            do {
                set = try WaiverSet.load(paths: resolved, policies: policies)
            } catch {
                WaiverListing.printProblems(error.problems)
                throw ExitStatus.usageOrFailure.exitCode
            }
            var listing = WaiverListing(set: set, paths: resolved, asOf: instant)
            if let root {
                let request = AuditRequest(
                    root: root, policies: policies, profileID: profile, asOf: instant, options: walk.collectionOptions,
                    waivers: set.evaluatorWaivers)
                let result: AuditResult
                do {
                    result = try await Audit.run(request)
                } catch {
                    throw error.fail()
                }
                listing.coverage = WaiverCoverage(report: result.report, waivers: set)
            }
            for warning in set.warnings { printError(warning.description) }
            switch output.format {
            case .json: try output.write(try listing.json())
            case .text: try output.write(Data(listing.checkText().utf8))
            }
        }
    }
}

/// Which findings of one scan each waiver covers.
struct WaiverCoverage {
    struct Covered: Encodable {
        var finding: String
        var productName: String
        var status: String
        /// Whether this waiver is the one applied to the finding (another covering waiver may be).
        var applied: Bool
    }

    var root: String
    var hostname: String?
    var byWaiver: [String: [Covered]]

    init(report: AuditReport, waivers: WaiverSet) {
        root = report.host.root
        hostname = report.host.hostname
        var byWaiver: [String: [Covered]] = [:]
        for definition in waivers.waivers {
            let waiver = definition.waiver
            byWaiver[definition.id] = report.findings.filter { waiver.covers($0, hostName: report.host.hostname) }.map {
                Covered(finding: $0.id, productName: $0.productName, status: $0.status.rawValue, applied: $0.waiver?.id == definition.id)
            }
        }
        self.byWaiver = byWaiver
    }
}

/// What `embargo waiver list` and `check` print.
struct WaiverListing {
    let set: WaiverSet
    let paths: [String]
    let asOf: Date
    var coverage: WaiverCoverage?

    static func printProblems(_ problems: [WaiverProblem]) {
        for problem in problems { printError(problem.description) }
        let errors = problems.filter { $0.severity == .error }.count
        let warnings = problems.count - errors
        printError("\(errors) error(s)\(warnings > 0 ? ", \(warnings) warning(s)" : ""); no waiver was loaded")
    }

    /// Whole days from the as-of instant to an instant (negative when past).
    func days(until date: Date) -> Int {
        Int((date.timeIntervalSince(asOf) / 86_400).rounded(.down))
    }

    func when(_ date: Date, status: WaiverStatus) -> String {
        if status == .expired {
            let ago = Int((asOf.timeIntervalSince(date) / 86_400).rounded(.down))
            return ago == 0 ? "expired less than a day ago" : ago == 1 ? "expired 1 day ago" : "expired \(ago) days ago"
        }
        let days = days(until: date)
        return days == 0 ? "less than a day left" : days == 1 ? "1 day left" : "\(days) days left"
    }

    func text() -> String {
        let waivers = set.waivers.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
        if waivers.isEmpty {
            return paths.isEmpty
                ? "no waivers: \(WaiverSelection.defaultDirectory) does not exist and no --waivers path was given\n"
                : "no waivers in \(paths.joined(separator: ", "))\n"
        }
        var rows: [[String]] = [["ID", "STATUS", "EXPIRES", "COVERS", "APPROVER"]]
        for waiver in waivers {
            let status = waiver.status(at: asOf)
            rows.append([
                waiver.id, status.rawValue, "\(RFC3339.format(waiver.expires)) (\(when(waiver.expires, status: status)))",
                waiver.scope.description, waiver.approver ?? "-",
            ])
        }
        var text = TextTable.render(rows)
        for waiver in waivers {
            text += "\n\(waiver.id): \(SingleLine.of(waiver.reason))\n"
            if let created = waiver.created { text += "  created \(RFC3339.format(created))" + (waiver.createdText.map { " (written \($0))" } ?? "") + "\n" }
            text += "  expires \(RFC3339.format(waiver.expires)) (written \(waiver.expiresText))\n"
            text += "  defined at \(waiver.location)\n"
            if let covered = coverage?.byWaiver[waiver.id] {
                if covered.isEmpty {
                    text += "  covers no finding on \(coverage?.hostname ?? coverage?.root ?? "the host")\n"
                }
                for item in covered {
                    text += "  covers \(item.finding) (\(item.productName)): \(item.status)\(item.applied ? "" : ", by another waiver")\n"
                }
            }
        }
        let counts = WaiverStatus.allCases.map { status in (status, waivers.filter { $0.status(at: asOf) == status }.count) }
        text += "\n\(waivers.count) waiver(s): " + counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        text += " as of \(RFC3339.format(asOf))\n"
        return text
    }

    func checkText() -> String {
        var text = ""
        for file in set.files {
            text += "\(file.path): ok (\(file.waivers.count) waiver(s), sha256 \(file.sha256))\n"
        }
        if !set.warnings.isEmpty { text += "\(set.warnings.count) warning(s)\n" }
        return text + "\n" + self.text()
    }

    func json() throws -> Data {
        struct File: Encodable {
            var path: String
            var sha256: String
            var waivers: Int
        }
        struct Entry: Encodable {
            var id: String
            var status: String
            var covers: WaiverScope
            var reason: String
            var approver: String?
            var created: String?
            var expires: String
            var expiresWritten: String
            var daysLeft: Int
            var definedAt: String
            var coveredFindings: [WaiverCoverage.Covered]?
        }
        struct Problem: Encodable {
            var severity: String
            var code: String
            var file: String
            var line: Int?
            var column: Int?
            var message: String
        }
        struct Document: Encodable {
            var asOf: String
            var files: [File]
            var waivers: [Entry]
            var warnings: [Problem]
            var root: String?
            var hostname: String?
        }
        let waivers = set.waivers.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
        let document = Document(
            asOf: RFC3339.format(asOf),
            files: set.files.map { File(path: $0.path, sha256: $0.sha256, waivers: $0.waivers.count) },
            waivers: waivers.map { waiver in
                Entry(
                    id: waiver.id, status: waiver.status(at: asOf).rawValue, covers: waiver.scope, reason: waiver.reason,
                    approver: waiver.approver, created: waiver.created.map(RFC3339.format), expires: RFC3339.format(waiver.expires),
                    expiresWritten: waiver.expiresText, daysLeft: days(until: waiver.expires), definedAt: waiver.location.description,
                    coveredFindings: coverage?.byWaiver[waiver.id])
            },
            warnings: set.warnings.map {
                Problem(severity: $0.severity.rawValue, code: $0.code, file: $0.file, line: $0.line, column: $0.column, message: $0.message)
            },
            root: coverage?.root, hostname: coverage?.hostname)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document) + Data("\n".utf8)
    }
}
