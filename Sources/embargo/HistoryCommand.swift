import ArgumentParser
import EmbargoEvaluation
import EmbargoInventory
import EmbargoReports
import EmbargoStore
import Foundation

extension Embargo {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "List the scans embargod recorded: when, how long, what was found, under which policy.",
            discussion: """
                Reads embargod's state database (newest first). KEPT says what the database still holds for a \
                scan: 'inventory' (every package and file: embargo report --format cyclonedx lists them), \
                'packages' (package identities: embargo diff compares software), or '-' (findings only). \
                Exit codes: 0 listed, 2 no readable state database.
                """
        )

        @Option(
            name: .customLong("state-directory"),
            help: ArgumentHelp("embargod's state directory.", valueName: "dir"))
        var stateDirectory: String = StateDatabase.defaultDirectory

        @Option(help: ArgumentHelp("Show at most this many scans.", valueName: "count"))
        var limit: Int = 50

        @OptionGroup var output: OutputOptions

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let store = try StateDatabase.open(stateDirectory)
            let scans: [ScanRecord]
            let kept: (inventories: Set<String>, packageLists: Set<String>)
            do {
                scans = try store.scans(limit: limit)
                kept = try store.retainedData()
            } catch {
                throw CommandFailure("embargo: \(error)")
            }
            switch output.format {
            case .json:
                let document = HistoryDocument(
                    scans: scans.map {
                        HistoryDocument.Scan($0, inventory: kept.inventories.contains($0.id), packageList: kept.packageLists.contains($0.id))
                    })
                try output.write(try StableJSON.encode(document))
            case .text:
                try output.write(Data(Self.text(scans, kept: kept).utf8))
            }
        }

        static let statusColumns: [(FindingStatus, String)] = [
            (.violation, "VIOL"), (.suspected, "SUSP"), (.upcoming, "UPCOM"), (.remnant, "REMN"), (.waived, "WAIV"),
            (.exempt, "EXEMPT"), (.notApplicable, "N/A"),
        ]

        static func text(_ scans: [ScanRecord], kept: (inventories: Set<String>, packageLists: Set<String>)) -> String {
            guard !scans.isEmpty else { return "No scans recorded.\n" }
            var rows: [[String]] = [
                ["SCAN", "STARTED", "DURATION", "KIND", "PACKAGES"] + statusColumns.map(\.1) + ["ERRORS", "POLICY", "PROFILE", "KEPT"]
            ]
            for scan in scans {
                let duration = scan.finishedAt.timeIntervalSince(scan.startedAt)
                let kind = scan.kind == .scan ? scan.trigger : "re-eval (\(scan.trigger))"
                let retained =
                    kept.inventories.contains(scan.id) ? "inventory" : kept.packageLists.contains(scan.id) ? "packages" : "-"
                rows.append(
                    [
                        String(scan.id.prefix(8)), RFC3339.format(scan.startedAt), String(format: "%.1fs", duration), kind,
                        String(scan.packageCount),
                    ] + statusColumns.map { String(scan.countsByStatus[$0.0.rawValue] ?? 0) }
                        + [String(scan.errorCount), String(scan.policySHA256.prefix(12)), scan.profile, retained])
            }
            return TextTable.render(rows) + "\(scans.count) scan\(scans.count == 1 ? "" : "s") (newest first)\n"
        }
    }
}

/// `embargo history --format json` (docs/history.schema.json).
struct HistoryDocument: Encodable {
    var schema = "embargo.history/v1"
    var scans: [Scan]

    struct Scan: Encodable {
        var id: String
        var kind: String
        var trigger: String
        var startedAt: String
        var finishedAt: String
        var durationSeconds: Double
        var asOf: String
        var root: String
        var profile: String
        var policy: PolicyIdentity
        var inventoryScanId: String
        var packages: Int
        var findings: Int
        var byStatus: [String: Int]
        var errors: Int
        var warnings: Int
        var found: Int
        var changed: Int
        var resolved: Int
        var kept: Kept

        struct Kept: Encodable {
            var inventory: Bool
            var packageList: Bool
        }

        init(_ scan: ScanRecord, inventory: Bool, packageList: Bool) {
            id = scan.id
            kind = scan.kind.rawValue
            trigger = scan.trigger
            startedAt = RFC3339.format(scan.startedAt)
            finishedAt = RFC3339.format(scan.finishedAt)
            durationSeconds = (scan.finishedAt.timeIntervalSince(scan.startedAt) * 1000).rounded() / 1000
            asOf = RFC3339.format(scan.asOf)
            root = scan.root
            profile = scan.profile
            policy = PolicyIdentity(id: scan.policyID, version: scan.policyVersion, sha256: scan.policySHA256)
            inventoryScanId = scan.inventoryScanID
            packages = scan.packageCount
            findings = scan.findingCount
            var counts: [String: Int] = [:]
            for status in FindingStatus.allCases { counts[status.rawValue] = scan.countsByStatus[status.rawValue] ?? 0 }
            byStatus = counts
            errors = scan.errorCount
            warnings = scan.warningCount
            found = scan.foundCount
            changed = scan.changedCount
            resolved = scan.resolvedCount
            kept = Kept(inventory: inventory, packageList: packageList)
        }
    }
}
