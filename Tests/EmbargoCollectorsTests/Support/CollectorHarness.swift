import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport

/// Runs collectors over a fake root, the way `embargo` does.
enum CollectorHarness {
    static func scan(
        root: TemporaryDirectory, collectors: [any InventoryCollector], plan: ScanPlan = ScanPlan()
    ) async throws -> Inventory {
        let fileSystem = try RootFileSystem(root: root.path)
        return await InventoryScanner(collectors: collectors).scan(CollectionContext(fileSystem: fileSystem, plan: plan))
    }

    /// A fake root holding one fixture file at a path inside it.
    static func root(with fixture: URL, at path: String) throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        try root.copy(fixture, to: path)
        return root
    }
}

/// The `expected.json` of a shared fixture: what the peer project's own tests assert.
struct PeerExpectations {
    struct Expectation {
        var testCase: String?
        var count: Int?
        var countAsserted: Bool
        var errorExpected: Bool
        var packages: [[String: Any]]
        var raw: [String: Any]
    }

    var expectations: [Expectation]

    init(_ fixtureDirectory: String) throws {
        let url = ProjectPaths.sharedFixture(fixtureDirectory).appendingPathComponent("expected.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        let list = object["expectations"] as? [[String: Any]] ?? []
        expectations = list.map {
            Expectation(
                testCase: $0["test_case"] as? String, count: $0["count"] as? Int,
                countAsserted: $0["count_asserted"] as? Bool ?? false, errorExpected: $0["error_expected"] as? Bool ?? false,
                packages: $0["packages"] as? [[String: Any]] ?? [], raw: $0)
        }
    }

    var first: Expectation { expectations[0] }
}
