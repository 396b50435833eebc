import Foundation
import TestSupport
import Testing

/// One root holding every package format at once, as a fleet's mixed images do: `embargo
/// inventory` sees them all, in one shape that validates against docs/inventory.schema.json.
@Suite("inventory of a mixed root", .enabled(if: DebianRoot.toolsAvailable, "needs dpkg-deb and faketime"))
struct MixedRootInventoryTests {
    /// Copies a directory tree into the root, merging with what is there.
    static func merge(_ source: URL, into root: TemporaryDirectory) throws {
        try Command.check("cp", ["-a", source.path + "/.", root.path])
    }

    static func mixedRoot() throws -> DebianRoot {
        let root = try DebianRoot()
        try root.install([DebianPackageSpec(name: "debian-tool", version: "1.0-1")], at: "2024-05-01 00:00:00")
        try root.directory.copy(ProjectPaths.sharedFixture("osv-scalibr/opkg-valid/valid"), to: "usr/lib/opkg/status")
        try root.directory.copy(ProjectPaths.sharedFixture("trivy/apk-installed/apk"), to: "lib/apk/db/installed")
        try root.directory.copy(ProjectPaths.sharedFixture("go-rpmdb/sle15-bci/Packages.db"), to: "usr/lib/sysimage/rpm/Packages.db")
        try merge(ProjectPaths.sharedFixture("syft/alpm-local-db/rootfs"), into: root.directory)
        try merge(ProjectPaths.root.appendingPathComponent("Tests/EmbargoCollectorsTests/Snap/Fixtures/snap-root"), into: root.directory)
        try merge(ProjectPaths.root.appendingPathComponent("Tests/EmbargoCollectorsTests/Flatpak/Fixtures/flatpak-root"), into: root.directory)
        return root
    }

    @Test("every format is listed, and the document validates against the inventory schema")
    func everyFormat() throws {
        let root = try Self.mixedRoot()
        let output = try EmbargoProcess.run(["inventory", "--root", root.path, "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])
        let packages = document["packages"] as? [[String: Any]] ?? []
        let types = Set(packages.compactMap { $0["type"] as? String })
        #expect(types == ["deb", "opkg", "rpm", "apk", "alpm", "snap", "flatpak"], "\(types)")
        // One shape: every package has every key, null where the format has no value.
        let keys = Set(packages.first?.keys.map { $0 } ?? [])
        #expect(packages.allSatisfy { Set($0.keys) == keys })
        if JSONSchemaValidator.isAvailable {
            let schema = ProjectPaths.root.appendingPathComponent("docs/inventory.schema.json")
            let errors = try JSONSchemaValidator.errors(document: output.stdoutData, schema: schema)
            #expect(errors.isEmpty, "\(errors.prefix(10))")
        }
    }
}
