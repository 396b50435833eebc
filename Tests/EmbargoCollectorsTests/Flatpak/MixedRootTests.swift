import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

@Suite("mixed package formats")
struct MixedRootTests {
    @Test("one root with apk, pacman, snap and flatpak databases: the default scanner reports all four")
    func allFourFormats() async throws {
        let root = try FakeRoot()
        try root.place(shared: "syft/apk-multiple-1/rootfs/lib/apk/db/installed", at: "/lib/apk/db/installed")
        try root.placeTree(ProjectPaths.sharedFixture("syft/alpm-local-db/rootfs"), at: "/")
        try root.placeTree(SnapFixtureTests.fixtureRoot, at: "/")
        try root.placeTree(FlatpakFixtureTests.fixtureRoot, at: "/")
        let fileSystem = try RootFileSystem(root: root.path)
        let context = CollectionContext(fileSystem: fileSystem, options: CollectionOptions(packagesOnly: true))
        let inventory = await InventoryScanner().scan(context)

        var counts: [PackageType: Int] = [:]
        for package in inventory.packages { counts[package.type, default: 0] += 1 }
        #expect(counts[.apk] == 4)
        #expect(counts[.alpm] == 5)
        #expect(counts[.snap] == 5)
        #expect(counts[.flatpak] == 4)
        #expect(counts[.deb] == nil)  // no dpkg database, and no snap here bundles Debian packages
        let collectors = Set(inventory.sources.map(\.collector))
        #expect(collectors.isSuperset(of: ["apk", "alpm", "snap", "flatpak"]))
        // Every package has a date and says where it came from.
        #expect(inventory.packages.allSatisfy { $0.updatedAt != nil && $0.installedAt != nil })
        #expect(inventory.packages.allSatisfy { !$0.source.isEmpty })
        // The known damage in the fixtures is reported, nothing else.
        let codes = Set(inventory.issues.map(\.code))
        #expect(codes == ["alpm.malformed-line", "alpm.missing-name", "snap.malformed-entry", "snap.not-mounted", "snap.mismatch"])
    }
}
