import Foundation
import TestSupport
import Testing

@Suite("embargo inventory", .serialized, .enabled(if: DebianRoot.toolsAvailable, "needs dpkg-deb and faketime"))
struct InventoryCommandTests {
    @Test("every package with type, version, arch, state, dates from dpkg.log and the database path")
    func dpkgInventory() throws {
        let root = try DebianRoot()
        try root.install([DebianPackageSpec(name: "alpha", version: "1:2.0-3", files: ["/usr/share/alpha/a": "a"])], at: "2023-05-01 10:00:00")
        try root.install([DebianPackageSpec(name: "beta", version: "1.0", architecture: "all")], at: "2024-01-02 03:04:05")
        try root.install([DebianPackageSpec(name: "alpha", version: "1:2.1-1", files: ["/usr/share/alpha/a": "b"])], at: "2024-02-01 00:00:00")
        let (output, document) = try EmbargoProcess.json(["inventory", "--root", root.path, "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let packages = try #require(document["packages"] as? [[String: Any]])
        #expect(packages.count == 2)
        let alpha = try #require(packages.first { $0["name"] as? String == "alpha" })
        #expect(alpha["type"] as? String == "deb")
        #expect(alpha["version"] as? String == "1:2.1-1")
        #expect(alpha["epoch"] as? Int == 1)
        #expect(alpha["arch"] as? String == "amd64")
        #expect(alpha["state"] as? String == "installed")
        #expect(alpha["installedAt"] as? String == "2023-05-01T10:00:00Z")
        #expect(alpha["updatedAt"] as? String == "2024-02-01T00:00:00Z")
        #expect(alpha["installedAtSource"] as? String == "dpkg-log")
        #expect(alpha["source"] as? String == "/var/lib/dpkg/status")
        #expect(alpha.keys.contains("release"))
        #expect(alpha["release"] is NSNull)
        let beta = try #require(packages.first { $0["name"] as? String == "beta" })
        #expect(beta["epoch"] is NSNull)
        #expect(beta["arch"] as? String == "all")

        let text = try EmbargoProcess.run(["inventory", "--root", root.path])
        #expect(text.stdout.contains("alpha"))
        #expect(text.stdout.contains("2 packages"))
    }

    @Test("dates survive log rotation: installs found in dpkg.log.2.gz, fallback to the list mtime")
    func rotatedLogs() throws {
        let root = try DebianRoot()
        try root.install([DebianPackageSpec(name: "old", version: "1.0")], at: "2022-03-04 05:06:07")
        try root.install([DebianPackageSpec(name: "new", version: "2.0")], at: "2024-03-04 05:06:07")
        // Rotate as logrotate does: the old part compressed, the newest left plain.
        let log = root.directory.url.appendingPathComponent("var/log/dpkg.log")
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let oldPart = lines.filter { $0.hasPrefix("2022") }.joined(separator: "\n") + "\n"
        let newPart = lines.filter { $0.hasPrefix("2024") }.joined(separator: "\n") + "\n"
        let rotated = root.directory.url.appendingPathComponent("var/log/dpkg.log.2")
        try Data(oldPart.utf8).write(to: rotated)
        try Command.check("gzip", ["-9", rotated.path])
        try Data(newPart.utf8).write(to: log)
        // A package dpkg knows but no log mentions: dated by its file list.
        try root.install([DebianPackageSpec(name: "unlogged", version: "3.0")])
        try Data(newPart.utf8).write(to: log)
        let (_, document) = try EmbargoProcess.json(["inventory", "--root", root.path, "--format", "json"])
        let packages = document["packages"] as? [[String: Any]] ?? []
        let old = try #require(packages.first { $0["name"] as? String == "old" })
        #expect(old["installedAt"] as? String == "2022-03-04T05:06:07Z")
        #expect(old["installedAtSource"] as? String == "dpkg-log")
        let unlogged = try #require(packages.first { $0["name"] as? String == "unlogged" })
        #expect(unlogged["installedAtSource"] as? String == "dpkg-info-mtime")
        let sources = (document["sources"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(sources.contains("/var/log/dpkg.log.2.gz"))
    }

    @Test("local times in dpkg.log are read in the root's time zone")
    func rootTimeZone() throws {
        let root = try DebianRoot()
        try root.install([DebianPackageSpec(name: "tz", version: "1.0")], at: "2024-01-15 12:00:00")
        // The root says it lives in Berlin (UTC+1 in January): 12:00 local is 11:00 UTC.
        try root.directory.symlink("etc/localtime", to: "/usr/share/zoneinfo/Europe/Berlin")
        let (_, document) = try EmbargoProcess.json(["inventory", "--root", root.path, "--format", "json"])
        let tz = try #require((document["packages"] as? [[String: Any]])?.first)
        #expect(tz["installedAt"] as? String == "2024-01-15T11:00:00Z")
        // A container's copy of its zone file (no link naming the zone) is read as a TZif file.
        try FileManager.default.removeItem(atPath: root.path + "/etc/localtime")
        try root.directory.copy(
            URL(fileURLWithPath: "/usr/share/zoneinfo/America/New_York").resolvingSymlinksInPath(), to: "etc/localtime")
        let (_, copied) = try EmbargoProcess.json(["inventory", "--root", root.path, "--format", "json"])
        let newYork = try #require((copied["packages"] as? [[String: Any]])?.first)
        #expect(newYork["installedAt"] as? String == "2024-01-15T17:00:00Z")
    }

    @Test("a damaged status file: located errors, the other packages still listed, exit 0")
    func damagedDatabase() throws {
        let root = try DebianRoot()
        try root.directory.write("var/lib/dpkg/status", """
            Package: good
            Status: install ok installed
            Version: 1.0
            Architecture: amd64

            Package: broken
            Status: install ok installed
            this line is garbage
            Version: 2.0

            Package: also-good
            Status: install ok installed
            Version: 3.0

            """)
        let (output, document) = try EmbargoProcess.json(["inventory", "--root", root.path, "--format", "json"])
        #expect(output.status == 0)
        let names = (document["packages"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        // The garbage line is skipped and reported; the paragraph around it is still a package.
        #expect(names == ["also-good", "broken", "good"])
        let errors = document["errors"] as? [[String: Any]] ?? []
        let location = errors.first?["location"] as? [String: Any]
        #expect(location?["path"] as? String == "/var/lib/dpkg/status")
        #expect(location?["line"] as? Int == 8)
    }
}
