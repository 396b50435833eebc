import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

/// The real databases collected by go-rpmdb, syft and osv-scalibr, read through a fake root with
/// the database at each standard place, compared field by field with what the peers assert and
/// with `rpm -qa` (Debian's rpm 4.18) over the same files.
@Suite("RPM databases from peer fixtures")
struct RpmFixtureTests {
    struct Fixture: Sendable, CustomStringConvertible {
        var path: String
        var file: String
        var description: String { path }
    }

    /// Every fixture that `_crosschecks/rpm-4.18-qa.json` covers (all but NDB, which Debian's rpm
    /// cannot read).
    static let rpmReadable: [Fixture] = [
        Fixture(path: "go-rpmdb/centos5-plain", file: "Packages"),
        Fixture(path: "go-rpmdb/centos7-plain", file: "Packages"),
        Fixture(path: "go-rpmdb/centos7-httpd24", file: "Packages"),
        Fixture(path: "go-rpmdb/libuuid", file: "Packages"),
        Fixture(path: "go-rpmdb/cbl-mariner-2.0", file: "rpmdb.sqlite"),
        Fixture(path: "syft/redhat-dive-bdb", file: "Packages"),
    ]

    @Test("same packages, fields and order as rpm -qa", arguments: rpmReadable)
    func matchesRpmQueryAll(_ fixture: Fixture) async throws {
        let expected = try RpmFixtures.rpmQueryAll(fixture.path)
        #expect(!expected.isEmpty)
        let root = try RpmFixtures.root(with: RpmFixtures.shared(fixture.path + "/" + fixture.file))
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.issues.isEmpty, "\(output.inventory.issues)")
        let packages = output.inventory.packages
        // rpm -qa's order is the database's own iteration order (Berkeley DB bucket order, SQLite
        // hnum order); the reader keeps it.
        try #require(packages.count == expected.count)
        for (package, rpm) in zip(packages, expected) {
            let label = "\(fixture.path) \(package.name)"
            #expect(package.type == .rpm)
            #expect(package.name == rpm.peerText("name"), "\(label)")
            #expect(package.version == rpm.peerText("version"), "\(label)")
            #expect(package.release == rpm.peerText("release"), "\(label)")
            #expect(package.epoch == rpm.peerInt("epoch"), "\(label)")
            #expect(package.arch == rpm.presentString("arch"), "\(label)")
            #expect(package.vendor == rpm.presentString("vendor"), "\(label)")
            #expect(package.sourcePackage == rpm.presentString("source_rpm"), "\(label)")
            #expect(package.metadata["size"] == rpm.int64("size").map(String.init), "\(label)")
            #expect(package.metadata["sigmd5"] == rpm.presentString("sigmd5"), "\(label)")
            #expect(package.metadata["license"] == rpm.presentString("license"), "\(label)")
            #expect(package.metadata["summary"] == rpm.presentString("summary"), "\(label)")
            #expect(package.source == "/var/lib/rpm/" + fixture.file)
            #expect(package.state == .installed)
        }
        #expect(output.inventory.sources == [InventorySource(collector: "rpm", path: "/var/lib/rpm/" + fixture.file, items: expected.count)])
    }

    /// go-rpmdb's TestPackageList lists, including SLES 15's NDB database that no other oracle
    /// here can read. go-rpmdb writes "" for absent tags where the inventory has nil.
    @Test(
        "same packages as go-rpmdb's package lists",
        arguments: [
            Fixture(path: "go-rpmdb/centos5-plain", file: "Packages"),
            Fixture(path: "go-rpmdb/centos7-plain", file: "Packages"),
            Fixture(path: "go-rpmdb/centos7-httpd24", file: "Packages"),
            Fixture(path: "go-rpmdb/sle15-bci", file: "Packages.db"),
        ])
    func matchesGoRpmdbLists(_ fixture: Fixture) async throws {
        let list = try #require(try RpmFixtures.expectations(fixture.path).first)
        let expected = list["packages"] as? [[String: Any]] ?? []
        #expect(!expected.isEmpty)
        let root = try RpmFixtures.root(with: RpmFixtures.shared(fixture.path + "/" + fixture.file), directory: "usr/lib/sysimage/rpm")
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.issues.isEmpty, "\(output.inventory.issues)")
        let packages = output.inventory.packages
        // go-rpmdb does not assert the length, but its lists come from `rpm -qa` on the images
        // (and equal rpm 4.18's counts where rpm can read the file), so equality is the check.
        // NDB order: rpm lists blobs by block offset and so does this reader; go-rpmdb walks the
        // slots, which for this database gives the same order.
        try #require(packages.count == expected.count)
        for (package, peer) in zip(packages, expected) {
            let label = "\(fixture.path) \(package.name)"
            #expect(package.name == peer.peerText("name"), "\(label)")
            #expect(package.version == peer.peerText("version"), "\(label)")
            #expect(package.release == peer.peerText("release"), "\(label)")
            #expect(package.epoch == peer.peerInt("epoch"), "\(label)")
            #expect(package.arch == peer.presentString("arch"), "\(label)")
            #expect(package.vendor == peer.presentString("vendor"), "\(label)")
            #expect(package.sourcePackage == peer.presentString("source_rpm"), "\(label)")
            #expect(package.metadata["size"] == peer.int64("size").map(String.init), "\(label)")
            #expect(package.metadata["license"] == peer.presentString("license"), "\(label)")
            #expect(package.metadata["summary"] == peer.presentString("summary"), "\(label)")
            #expect(package.metadata["sigmd5"] == peer.presentString("sigmd5"), "\(label)")
            #expect(package.metadata["modularityLabel"] == peer.presentString("modularitylabel"), "\(label)")
            #expect(package.source == "/usr/lib/sysimage/rpm/" + fixture.file)
        }
    }

    /// go-rpmdb's TestRpmDB_Package: one package looked up in detail, with its install time,
    /// signature and file list.
    @Test(
        "single packages in detail as go-rpmdb asserts them",
        arguments: [
            Fixture(path: "go-rpmdb/centos5-plain", file: "Packages"),
            Fixture(path: "go-rpmdb/libuuid", file: "Packages"),
            Fixture(path: "go-rpmdb/cbl-mariner-2.0", file: "rpmdb.sqlite"),
        ])
    func matchesGoRpmdbPackageDetail(_ fixture: Fixture) async throws {
        let detail = try #require(try RpmFixtures.expectations(fixture.path).first { $0["single_package_lookup"] != nil })
        let peer = try #require((detail["packages"] as? [[String: Any]])?.first)
        let root = try RpmFixtures.root(with: RpmFixtures.shared(fixture.path + "/" + fixture.file), directory: "usr/share/rpm")
        let installedFiles = peer["installed_file_names"] as? [String] ?? []
        let fileSystem = try RootFileSystem(root: root.path)
        let output = await RpmCollector().collect(CollectionContext(fileSystem: fileSystem))
        let package = try #require(output.inventory.packages.first { $0.name == peer.peerText("name") })
        #expect(package.version == peer.peerText("version"))
        #expect(package.release == peer.peerText("release"))
        #expect(package.epoch == peer.peerInt("epoch"))
        #expect(package.arch == peer.presentString("arch"))
        #expect(package.vendor == peer.presentString("vendor"))
        #expect(package.sourcePackage == peer.presentString("source_rpm"))
        #expect(package.metadata["size"] == peer.int64("size").map(String.init))
        #expect(package.metadata["license"] == peer.presentString("license"))
        #expect(package.metadata["summary"] == peer.presentString("summary"))
        #expect(package.metadata["sigmd5"] == peer.presentString("sigmd5"))
        let installTime = try #require(peer.int64("install_time"))
        #expect(package.installedAt == RecordedDate(Date(timeIntervalSince1970: Double(installTime)), source: .rpmInstallTime))
        #expect(package.updatedAt == package.installedAt)
        // go-rpmdb renders RSAHEADER the way rpm's `pgpsig` format does; the time is UTC here.
        // CentOS 5 packages carry a DSA signature (DSAHEADER), which go-rpmdb does not read (its
        // "pgp" is empty); the reader keeps it because the signing key is vendor evidence, so
        // for them only the absence of an RSA signature is checked.
        if let rendered = peer.presentString("rsa_header") {
            #expect(package.metadata["signature"] == rendered)
            let keyID = try #require(rendered.split(separator: " ").last.map(String.init))
            #expect(package.metadata["signatureKeyID"] == keyID)
        } else if let signature = package.metadata["signature"] {
            #expect(signature.hasPrefix("DSA/"), "\(signature)")
        }
        // Ownership: every installed file the peer lists belongs to this package.
        let ownership = try #require(output.ownership)
        let result = ownership.owners(of: Set(installedFiles), aliases: fileSystem.usrMerge)
        #expect(result.issues.isEmpty)
        for file in installedFiles {
            #expect(result.owners[file] == [package.id], "\(file)")
        }
    }

    /// syft's parse_rpm_db_test: the one third-party package of a fresh CentOS 8 rpmdb.
    @Test func matchesSyftDive() async throws {
        let expectations = try RpmFixtures.expectations("syft/redhat-dive-bdb")
        let root = try RpmFixtures.root(with: RpmFixtures.shared("syft/redhat-dive-bdb/Packages"))
        let fileSystem = try RootFileSystem(root: root.path)
        let output = await RpmCollector().collect(CollectionContext(fileSystem: fileSystem))
        for expectation in expectations {
            let peers = expectation["packages"] as? [[String: Any]] ?? []
            // syft asserts the full list (count_asserted).
            #expect(output.inventory.packages.count == peers.count)
            for (package, peer) in zip(output.inventory.packages, peers) {
                #expect(package.name == peer.peerText("name"))
                #expect(package.version == peer.peerText("version"))
                #expect(package.release == peer.peerText("release"))
                #expect(package.fullVersion == peer.peerText("version_string"))
                #expect(package.epoch == peer.peerInt("epoch"))
                #expect(package.arch == peer.presentString("arch"))
                #expect(package.vendor == peer.presentString("vendor"))
                #expect(package.sourcePackage == peer.presentString("source_rpm"))
                #expect(package.metadata["size"] == peer.int64("size").map(String.init))
                #expect(package.metadata["license"] == (peer["license"] as? [String])?.joined(separator: " AND "))
                let files = (peer["files"] as? [[String: Any]] ?? []).compactMap { $0.peerText("path") }
                if !files.isEmpty {
                    let owners = try #require(output.ownership).owners(of: Set(files), aliases: fileSystem.usrMerge)
                    for file in files { #expect(owners.owners[file] == [package.id]) }
                }
            }
        }
    }

    /// Every standard directory is searched, and the database is found in each.
    @Test("database found at each standard place", arguments: RpmFixtures.directories)
    func findsDatabaseInEveryStandardDirectory(_ directory: String) async throws {
        let root = try RpmFixtures.root(with: RpmFixtures.shared("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"), directory: directory)
        let output = try await RpmFixtures.collect(root)
        #expect(output.inventory.packages.count == 129)
        #expect(output.inventory.packages.allSatisfy { $0.source == "/" + directory + "/rpmdb.sqlite" })
        #expect(output.inventory.issues.isEmpty)
    }

    /// The scanner's default collectors include rpm.
    @Test func scannerReadsRpmByDefault() async throws {
        let root = try RpmFixtures.root(with: RpmFixtures.shared("go-rpmdb/centos7-httpd24/Packages"))
        let fileSystem = try RootFileSystem(root: root.path)
        let inventory = await InventoryScanner().scan(
            CollectionContext(fileSystem: fileSystem, options: CollectionOptions(packagesOnly: true)))
        let rpm = inventory.packages.filter { $0.type == .rpm }
        #expect(rpm.count == 225)
        // rpm -qa lists the three imported signing keys as gpg-pubkey packages; so does the inventory.
        let keys = rpm.filter { $0.name == "gpg-pubkey" }
        #expect(keys.map(\.version).sorted() == ["352c64e5", "f2ee9d55", "f4a80eb5"])
        #expect(keys.allSatisfy { $0.arch == nil && $0.vendor == nil && $0.metadata["license"] == "pubkey" })
    }
}
