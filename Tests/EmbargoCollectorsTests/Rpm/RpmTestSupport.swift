import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport

/// Fake roots holding one rpm database at a standard place, and the peers' expectations.
enum RpmFixtures {
    /// The standard database directories, without the leading slash (paths inside a fake root).
    static let directories = RpmDatabaseLocator.directories.map { String($0.dropFirst()) }

    /// A temporary root with `database` copied to `<directory>/<fileName>`.
    static func root(with database: URL, directory: String = "var/lib/rpm", fileName: String? = nil) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory(prefix: "embargo-rpm")
        try root.copy(database, to: directory + "/" + (fileName ?? database.lastPathComponent))
        return root
    }

    static func collect(_ root: TemporaryDirectory, plan: ScanPlan = ScanPlan()) async throws -> CollectorOutput {
        let fileSystem = try RootFileSystem(root: root.path)
        return await RpmCollector().collect(CollectionContext(fileSystem: fileSystem, plan: plan))
    }

    /// `../shared/fixtures/<path>`.
    static func shared(_ path: String) -> URL { ProjectPaths.sharedFixture(path) }

    static func json(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The expectation blocks of a peer fixture's `expected.json`.
    static func expectations(_ fixture: String) throws -> [[String: Any]] {
        try json(shared(fixture + "/expected.json"))["expectations"] as? [[String: Any]] ?? []
    }

    /// The packages Debian's rpm 4.18 listed for a fixture (`_crosschecks/rpm-4.18-qa.json`).
    static func rpmQueryAll(_ fixture: String) throws -> [[String: Any]] {
        let crosscheck = try json(shared("_crosschecks/rpm-4.18-qa.json"))
        let results = crosscheck["results"] as? [String: Any] ?? [:]
        let entry = results[fixture] as? [String: Any] ?? [:]
        return entry["packages"] as? [[String: Any]] ?? []
    }

    static func sha256(_ url: URL) throws -> String {
        try Command.check("/usr/bin/sha256sum", [url.path]).stdout.split(separator: " ").first.map(String.init) ?? ""
    }
}

/// Reads optional JSON values the way each peer writes "absent".
extension Dictionary where Key == String, Value == Any {
    func peerText(_ key: String) -> String? { self[key] as? String }
    func peerInt(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    func int64(_ key: String) -> Int64? { (self[key] as? NSNumber)?.int64Value }
    /// A string where the peer writes "" (go-rpmdb, syft) or "(none)" (rpm) for an absent tag.
    func presentString(_ key: String) -> String? {
        guard let value = self[key] as? String, !value.isEmpty, value != "(none)" else { return nil }
        return value
    }
}
