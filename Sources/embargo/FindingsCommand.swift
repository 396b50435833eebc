import ArgumentParser
import EmbargoEvaluation
import EmbargoJournal
import EmbargoReports
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Embargo {
    struct Findings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "findings",
            abstract: "Read the findings embargod logged back from the systemd journal.",
            discussion: """
                Reads the entries embargod wrote (found, changed, resolved, upcoming phase, waiver expired) from \
                this machine's journal (--journal, the default) or from a copied or forwarded journal \
                (--journal-directory). Filters combine: entries must match one of the given vendors AND one of \
                the given statuses, within --since/--until. Times are YYYY-MM-DD (midnight UTC) or RFC 3339. \
                Exit codes: 0 read (even if nothing matched), 2 usage error or unreadable journal.
                """
        )

        @Flag(help: "Read this machine's journal (the default).")
        var journal = false

        @Option(
            name: .customLong("journal-directory"),
            help: ArgumentHelp("Read the journal files below this directory (journalctl -D).", valueName: "dir"))
        var journalDirectory: String?

        @Option(
            name: .customLong("journal-file"),
            help: ArgumentHelp("Read this journal file (journalctl --file). Repeatable.", valueName: "file"))
        var journalFiles: [String] = []

        @Option(help: ArgumentHelp("Only this vendor id (kaspersky). Repeatable.", valueName: "id"))
        var vendor: [String] = []

        @Option(help: ArgumentHelp("Only this product id (kesl). Repeatable.", valueName: "id"))
        var product: [String] = []

        @Option(
            help: ArgumentHelp(
                "Only entries with this status: \((FindingStatus.allCases.map(\.rawValue) + ["resolved"]).joined(separator: ", ")). Repeatable.",
                valueName: "status"))
        var status: [String] = []

        @Option(help: ArgumentHelp("Only entries logged at or after this time.", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Only entries logged at or before this time.", valueName: "time"))
        var until: String?

        @OptionGroup var output: OutputOptions

        func validate() throws {
            let sources = (journal ? 1 : 0) + (journalDirectory == nil ? 0 : 1) + (journalFiles.isEmpty ? 0 : 1)
            if sources > 1 {
                throw ValidationError("choose one of --journal, --journal-directory and --journal-file")
            }
            let known = Set(FindingStatus.allCases.map(\.rawValue) + ["resolved"])
            for value in status where !known.contains(value) {
                throw ValidationError("--status '\(value)': expected one of \(known.sorted().joined(separator: ", "))")
            }
            if let since { _ = try Self.instant(since, option: "--since") }
            if let until { _ = try Self.instant(until, option: "--until") }
        }

        func run() async throws {
            let source: JournalSource =
                if let journalDirectory { .directory(journalDirectory) } else if !journalFiles.isEmpty { .files(journalFiles) } else { .local }
            if case .directory(let path) = source, !FileManager.default.fileExists(atPath: path) {
                printError("embargo: no such journal directory: \(path)")
                throw ExitStatus.usageOrFailure.exitCode
            }
            let query = FindingQuery(
                vendors: vendor, statuses: status, products: product, since: try since.map { try Self.instant($0, option: "--since") },
                until: try until.map { try Self.instant($0, option: "--until") })
            let entries: [FindingLogEntry]
            do {
                entries = try FindingLog.read(source, query: query)
            } catch {
                printError("embargo: \(error)")
                throw ExitStatus.usageOrFailure.exitCode
            }
            if entries.isEmpty, case .local = source, getuid() != 0 {
                printError(
                    "embargo: no entries; the system journal is readable by root and the systemd-journal and adm groups only (journal files it cannot open are skipped silently)")
            }
            switch output.format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try output.write(try encoder.encode(entries) + Data("\n".utf8))
            case .text:
                try output.write(Data(Self.text(entries).utf8))
            }
        }

        static func instant(_ text: String, option: String) throws -> Date {
            do {
                return try parseInstant(text)
            } catch {
                throw ValidationError("\(option) '\(text)': expected YYYY-MM-DD or an RFC 3339 instant such as 2024-09-29T00:00:00-04:00")
            }
        }

        /// `deb:kesl:amd64@12.1` → `kesl 12.1`.
        static func nameAndVersion(_ packageID: String) -> String {
            guard let at = packageID.lastIndex(of: "@") else { return packageID }
            let parts = packageID[..<at].split(separator: ":")
            let name = parts.count >= 2 ? parts[1] : packageID[..<at]
            return "\(name) \(packageID[packageID.index(after: at)...])"
        }

        static func text(_ entries: [FindingLogEntry]) -> String {
            let header = ["TIME", "EVENT", "STATUS", "SEVERITY", "FINDING", "PACKAGES", "PHASE", "HOST"]
            var rows: [[String]] = [header]
            for entry in entries {
                let status =
                    entry.previousStatus.map { previous in previous == entry.status ? (entry.status ?? "-") : "\(previous)→\(entry.status ?? "-")" }
                    ?? (entry.status ?? "-")
                // EMBARGO_PACKAGE_ID keeps name and version together (repeated fields have no order).
                let packages = entry.packageIDs.map(Self.nameAndVersion)
                rows.append([
                    entry.time, entry.event, status, entry.severity ?? "-", entry.findingID ?? "-",
                    packages.isEmpty ? (entry.packages.isEmpty ? "-" : entry.packages.joined(separator: ",")) : packages.joined(separator: ", "),
                    entry.phase.map { phase in entry.daysUntil.map { "\(phase) in \($0)d" } ?? phase } ?? "-",
                    entry.hostname ?? "-",
                ])
            }
            var text = TextTable.render(rows)
            text += "\(entries.count) entr\(entries.count == 1 ? "y" : "ies")\n"
            return text
        }
    }
}
