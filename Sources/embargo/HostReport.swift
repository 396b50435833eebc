import ArgumentParser
import EmbargoAudit
import EmbargoEvaluation
import EmbargoInventory
import EmbargoPolicy
import EmbargoReports
import EmbargoStore
import Foundation

/// `embargo report` for one host: from the state database (the latest scan, `--scan ID`, or
/// the scans `--since` a date) or from a fresh scan (`--scan-now`).
///
/// The report of a recorded scan is the report embargod stored for it, completed with the
/// change since the scan before it, and rendered the same way every time: the output depends
/// only on the database's content and the options (see docs/report.md, "Reproducible output").
struct HostReport {
    let command: Embargo.Report

    /// A report ready to render and the packages its CycloneDX form lists.
    struct Assembled {
        var report: AuditReport
        var inventory: ReportInventory
    }

    func run() async throws {
        if command.scanNow && command.since != nil {
            throw ValidationError("--since reads the state database; it cannot be combined with --scan-now")
        }
        if !command.scanNow && command.asOf != nil {
            throw ValidationError("--as-of judges a fresh scan: add --scan-now (a recorded scan keeps the instant it was judged at)")
        }
        let assembled = command.scanNow ? try await fromFreshScan() : try fromStateDatabase()
        let data = try ReportRenderer.render(assembled.report, format: format, inventory: assembled.inventory)
        try writeOutput(data, to: command.output)
        throw (assembled.report.hasViolation ? ExitStatus.violation : ExitStatus.clean).exitCode
    }

    var format: EmbargoReports.ReportFormat {
        switch command.format {
        case .text: return .text
        case .json: return .json
        case .csv: return .csv
        case .html: return .html
        case .cyclonedx: return .cyclonedx
        }
    }

    // MARK: - From the state database

    func fromStateDatabase() throws -> Assembled {
        let store = try StateDatabase.open(command.stateDirectory)
        do {
            let scan: ScanRecord
            let baseline: ScanRecord?
            var period: ReportPeriod?
            if let selector = command.scanID {
                scan = try StateDatabase.scan(selector, in: store)
                baseline = try store.scan(before: scan)
            } else if let since = command.since {
                let instant = try parseInstant(since, option: "--since")
                let scans = try store.scans(since: instant)
                guard let last = scans.last else {
                    throw CommandFailure("embargo: no scan since \(RFC3339.format(instant)) in \(store.path)")
                }
                scan = last
                // The period's change: from the last scan before it (or its first scan) to its last.
                baseline = try store.scan(startedBefore: instant) ?? (scans.count > 1 ? scans.first : nil)
                let events = try store.history(since: instant).filter { $0.at <= last.finishedAt }
                period = ReportPeriod(
                    since: instant,
                    scans: scans.map {
                        ReportPeriod.ScanSummary(
                            id: $0.id, kind: $0.kind.rawValue, trigger: $0.trigger, startedAt: $0.startedAt, finishedAt: $0.finishedAt,
                            findings: $0.findingCount, byStatus: $0.countsByStatus, packages: $0.packageCount, errors: $0.errorCount)
                    },
                    events: events.map {
                        ReportPeriod.FindingEvent(
                            at: $0.at, findingID: $0.findingID, scanID: $0.scanID, event: $0.event, oldStatus: $0.oldStatus,
                            newStatus: $0.newStatus, detail: $0.detail)
                    })
            } else {
                scan = try StateDatabase.scan("latest", in: store)
                baseline = try store.scan(before: scan)
            }
            guard var report = try store.report(scanID: scan.id) else {
                throw CommandFailure("embargo: the report of scan \(scan.id) is missing from \(store.path)")
            }
            report.scan.kind = scan.kind.rawValue
            report.scan.trigger = scan.trigger
            report.scan.inventoryScanID = scan.inventoryScanID
            if report.scope == nil, scan.inventoryScanID != scan.id {
                report.scope = try store.report(scanID: scan.inventoryScanID)?.scope
            }

            let inventory: ReportInventory
            let packages: [PackageID]?
            if let full = try store.inventory(scanID: scan.inventoryScanID) {
                inventory = .packages(full.packages)
                packages = full.packages.map(\.id)
            } else if let list = try store.packageList(scanID: scan.id) {
                inventory = .identities(list)
                packages = list
            } else {
                inventory = .unavailable("the state database no longer keeps the packages of scan \(scan.id)")
                packages = nil
            }
            if let baseline, let baselineReport = try store.report(scanID: baseline.id) {
                report.changes = ScanComparison.compare(
                    from: StateDatabase.reference(baseline), fromFindings: baselineReport.findings,
                    fromPackages: try StateDatabase.packages(of: baseline, in: store), to: StateDatabase.reference(scan),
                    toFindings: report.findings, toPackages: packages)
            }
            report.period = period
            return Assembled(report: report, inventory: inventory)
        } catch let error as StoreError {
            throw CommandFailure("embargo: \(error)")
        }
    }

    // MARK: - From a fresh scan

    func fromFreshScan() async throws -> Assembled {
        let instant = try command.asOf.map { try parseInstant($0, option: "--as-of") }
        let policies: PolicySet
        do {
            policies = try command.policy.selection.load()
        } catch {
            throw error.fail()
        }
        let waivers = try command.waivers.load(policies: policies)
        let request = AuditRequest(
            root: command.root, policies: policies, profileID: command.profile, asOf: instant,
            options: command.walk.collectionOptions, waivers: waivers.evaluatorWaivers)
        let result: AuditResult
        do {
            result = try await Audit.run(request)
        } catch {
            throw error.fail()
        }
        var report = result.report
        report.changes = try changeSinceRecordedScan(report, packages: result.inventory.packages.map(\.id))
        return Assembled(report: report, inventory: .packages(result.inventory.packages))
    }

    /// The change since embargod's latest scan of the same root, when its state database is
    /// there to read.
    func changeSinceRecordedScan(_ report: AuditReport, packages: [PackageID]) throws -> ScanComparison? {
        let path = (command.stateDirectory as NSString).appendingPathComponent(EmbargoStore.fileName)
        guard FileManager.default.fileExists(atPath: path), let store = try? EmbargoStore(path: path, readOnly: true),
            let latest = try? store.latestScan(),
            Self.sameRoot(latest.root, report.host.root),
            let latestReport = try? store.report(scanID: latest.id)
        else { return nil }
        return ScanComparison.compare(
            from: StateDatabase.reference(latest), fromFindings: latestReport.findings,
            fromPackages: try? StateDatabase.packages(of: latest, in: store), to: ScanReference(report.scan),
            toFindings: report.findings, toPackages: packages)
    }

    static func sameRoot(_ lhs: String, _ rhs: String) -> Bool {
        func canonical(_ path: String) -> String {
            URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        }
        return lhs == rhs || canonical(lhs) == canonical(rhs)
    }
}

/// Parses a date option: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant.
func parseInstant(_ text: String, option: String) throws -> Date {
    if let date = RFC3339.parseDate(text) { return date }
    do {
        return try RFC3339.parse(text)
    } catch {
        throw ValidationError("\(option) '\(text)': expected YYYY-MM-DD or an RFC 3339 instant such as 2024-09-29T00:00:00-04:00")
    }
}
