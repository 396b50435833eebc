import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@Suite("Finding RPM databases in a root")
struct RpmDatabaseLocationTests {
    static let mariner = RpmFixtures.shared("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite")
    static let centos = RpmFixtures.shared("go-rpmdb/centos7-plain/Packages")

    /// Fedora 36+: `/var/lib/rpm` is a link to `/usr/lib/sysimage/rpm`. One database, read once,
    /// named by its real place.
    @Test("linked directories are read once", arguments: ["../../usr/lib/sysimage/rpm", "/usr/lib/sysimage/rpm"])
    func linkedDirectory(_ target: String) async throws {
        let root = try RpmFixtures.root(with: Self.mariner, directory: "usr/lib/sysimage/rpm")
        try root.makeDirectory("var/lib")
        try root.symlink("var/lib/rpm", to: target)
        try root.makeDirectory("usr/share")
        try root.symlink("usr/share/rpm", to: "../lib/sysimage/rpm")
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.count == 129)
        #expect(output.inventory.sources.map(\.path) == ["/usr/lib/sysimage/rpm/rpmdb.sqlite"])
        #expect(output.inventory.issues.isEmpty)
    }

    @Test func hardLinkedDatabaseIsReadOnce() async throws {
        let root = try RpmFixtures.root(with: Self.centos)
        try root.makeDirectory("usr/share/rpm")
        try FileManager.default.linkItem(
            at: root.url.appendingPathComponent("var/lib/rpm/Packages"), to: root.url.appendingPathComponent("usr/share/rpm/Packages"))
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.count == 144)
        #expect(output.inventory.sources.count == 1)
    }

    /// A link that points outside the root is resolved inside it: the host's own database is
    /// never read by mistake.
    @Test func linkCannotEscapeTheRoot() async throws {
        let outside = try RpmFixtures.root(with: Self.mariner)
        let root = try TemporaryDirectory(prefix: "embargo-rpm-escape")
        try root.makeDirectory("var/lib")
        try root.symlink("var/lib/rpm", to: "../../../../../../.." + outside.path + "/var/lib/rpm")
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.isEmpty)
    }

    /// After a conversion a directory can hold two formats; rpm reads one (sqlite first), and a
    /// stale database must not add packages that are gone. The other is named in a warning.
    @Test func oneFormatPerDirectory() async throws {
        let root = try RpmFixtures.root(with: Self.mariner)
        try root.copy(Self.centos, to: "var/lib/rpm/Packages")
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.count == 129)
        #expect(output.inventory.packages.allSatisfy { $0.source == "/var/lib/rpm/rpmdb.sqlite" })
        let warning = try #require(output.inventory.issues.first)
        #expect(output.inventory.issues.count == 1)
        #expect(warning.severity == .warning)
        #expect(warning.code == "rpm.ignored-database")
        #expect(warning.location.path == "/var/lib/rpm/Packages")
    }

    /// Separate databases in separate standard directories are all read, each package naming its
    /// own source.
    @Test func separateDatabasesAreAllRead() async throws {
        let root = try RpmFixtures.root(with: Self.centos)
        try root.copy(RpmFixtures.shared("go-rpmdb/sle15-bci/Packages.db"), to: "usr/lib/sysimage/rpm/Packages.db")
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.sources.map(\.path) == ["/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm/Packages.db"])
        #expect(output.inventory.sources.map(\.items) == [144, 35])
        #expect(output.inventory.packages.count == 179)
    }

    /// A FIFO where the database should be is reported, never opened (opening would block).
    @Test func fifoIsNotOpened() async throws {
        let root = try TemporaryDirectory(prefix: "embargo-rpm-fifo")
        try root.makeDirectory("var/lib/rpm")
        try Command.check("/usr/bin/mkfifo", [root.url.appendingPathComponent("var/lib/rpm/Packages").path])
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.isEmpty)
        let issue = try #require(output.inventory.issues.first)
        #expect(issue.code == "rpm.unreadable")
        #expect(issue.location.path == "/var/lib/rpm/Packages")
    }

    @Test func rootWithoutRpmHasNothingToSay() async throws {
        let root = try TemporaryDirectory(prefix: "embargo-rpm-none")
        try root.makeDirectory("var/lib/dpkg")
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.isEmpty)
        #expect(output.inventory.issues.isEmpty)
        #expect(output.inventory.sources.isEmpty)
        #expect(output.ownership == nil)
    }
}
