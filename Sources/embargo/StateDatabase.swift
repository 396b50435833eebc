import EmbargoInventory
import EmbargoReports
import EmbargoStore
import Foundation

/// embargod's state database as `embargo report`, `history` and `diff` read it: read-only,
/// with errors a person can act on.
enum StateDatabase {
    static let defaultDirectory = "/var/lib/embargo"

    static func open(_ directory: String) throws -> EmbargoStore {
        let path = (directory as NSString).appendingPathComponent(EmbargoStore.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(
                "embargo: no state database at \(path): embargod has recorded no scan there "
                    + "(pass --state-directory, or use embargo report --scan-now to scan now)")
        }
        do {
            return try EmbargoStore(path: path, readOnly: true)
        } catch {
            throw CommandFailure("embargo: \(error)")
        }
    }

    /// A scan by id, unique prefix, `latest` or `previous`.
    static func scan(_ selector: String, in store: EmbargoStore) throws -> ScanRecord {
        do {
            switch selector {
            case "latest":
                if let scan = try store.latestScan() { return scan }
                throw CommandFailure("embargo: the state database holds no scan yet")
            case "previous":
                let scans = try store.scans(limit: 2)
                if scans.count == 2 { return scans[1] }
                throw CommandFailure("embargo: the state database holds fewer than two scans")
            default:
                if let scan = try store.scan(id: selector) { return scan }
                throw CommandFailure(
                    "embargo: no scan '\(selector)' in \(store.path) (or the prefix is ambiguous); embargo history lists the scans kept")
            }
        } catch let error as StoreError {
            throw CommandFailure("embargo: \(error)")
        }
    }

    static func reference(_ scan: ScanRecord) -> ScanReference {
        ScanReference(id: scan.id, startedAt: scan.startedAt, finishedAt: scan.finishedAt)
    }

    /// The packages a scan saw: its package list, else the full inventory it judged if still kept.
    static func packages(of scan: ScanRecord, in store: EmbargoStore) throws -> [PackageID]? {
        if let list = try store.packageList(scanID: scan.id) { return list }
        return try store.inventory(scanID: scan.inventoryScanID)?.packages.map(\.id)
    }

    /// Compares two recorded scans.
    static func compare(_ from: ScanRecord, _ to: ScanRecord, in store: EmbargoStore) throws -> ScanComparison {
        do {
            guard let fromReport = try store.report(scanID: from.id), let toReport = try store.report(scanID: to.id) else {
                throw CommandFailure("embargo: the report of scan \(from.id) or \(to.id) is missing from \(store.path)")
            }
            return ScanComparison.compare(
                from: reference(from), fromFindings: fromReport.findings, fromPackages: try packages(of: from, in: store),
                to: reference(to), toFindings: toReport.findings, toPackages: try packages(of: to, in: store))
        } catch let error as StoreError {
            throw CommandFailure("embargo: \(error)")
        }
    }
}
