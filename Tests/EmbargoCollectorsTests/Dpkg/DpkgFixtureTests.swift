import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

/// The dpkg reader against the status files other projects test with, field by field.
///
/// Deliberate differences from the peers, kept on purpose (an auditor must not lose a package):
/// - `deinstall ok config-files` and partly installed packages (`unpacked`, `half-installed`) are
///   reported, with `state` saying so; trivy, syft and osv-scalibr drop them. Only the current
///   state `not-installed` is left out: nothing of such a package is on disk.
/// - A paragraph without `Version:` is reported with an empty version and a warning, as syft does;
///   osv-scalibr skips it.
/// - A paragraph in the status file without `Status:` is reported as installed with no status, as
///   in `status.d` files; osv-scalibr reports it only from `status.d`.
/// - `sourcePackage` is the `Source:` field as written; trivy fills it with the package name when
///   absent, syft and osv-scalibr do not.
@Suite("dpkg fixtures")
struct DpkgFixtureTests {
    static func scanStatus(_ fixture: String, at path: String = "var/lib/dpkg/status") async throws -> Inventory {
        let root = try CollectorHarness.root(with: ProjectPaths.sharedFixture(fixture), at: path)
        return try await CollectorHarness.scan(root: root, collectors: [DpkgCollector()])
    }

    /// Every package the peer expects is ours too, with the same name, version, arch, maintainer,
    /// status and source.
    static func expectPeerPackages(_ expected: [[String: Any]], in inventory: Inventory, sourceLocation: SourceLocation = #_sourceLocation) {
        for package in expected {
            let name = package["name"] as? String ?? ""
            let ours = inventory.packages.first { $0.name == name }
            #expect(ours != nil, "missing package \(name)", sourceLocation: sourceLocation)
            guard let ours else { continue }
            if let version = package["version"] as? String { #expect(ours.version == version, sourceLocation: sourceLocation) }
            if let arch = package["arch"] as? String { #expect(ours.arch == arch, sourceLocation: sourceLocation) }
            if let maintainer = package["maintainer"] as? String {
                #expect(ours.maintainer == maintainer, sourceLocation: sourceLocation)
            }
            if let status = package["status"] as? String { #expect(ours.status == status, sourceLocation: sourceLocation) }
            if let source = package["source_name"] as? String, source != name {
                #expect(ours.sourcePackage == source, sourceLocation: sourceLocation)
            }
            if let sourceVersion = package["source_version"] as? String, sourceVersion != ours.version {
                #expect(ours.metadata["sourceVersion"] == sourceVersion, sourceLocation: sourceLocation)
            }
            #expect(ours.type == .deb, sourceLocation: sourceLocation)
            #expect(ours.source == "/var/lib/dpkg/status" || ours.source.hasPrefix("/var/lib/dpkg/status.d/"), sourceLocation: sourceLocation)
        }
    }

    @Test("osv-scalibr valid status: the 7 installed packages with their fields")
    func valid() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-valid/valid")
        let expectation = try PeerExpectations("osv-scalibr/dpkg-valid").first
        Self.expectPeerPackages(expectation.packages, in: inventory)
        #expect(inventory.packages.count == expectation.count)
        #expect(inventory.issues.isEmpty)
    }

    @Test("osv-scalibr single status file under every os-release variant")
    func single() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-single/single")
        for expectation in try PeerExpectations("osv-scalibr/dpkg-single").expectations {
            Self.expectPeerPackages(expectation.packages, in: inventory)
            #expect(inventory.packages.count == expectation.count)
        }
    }

    @Test("status field: every state but not-installed is kept, with its state")
    func statusField() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-statusfield/statusfield")
        let peers = try PeerExpectations("osv-scalibr/dpkg-statusfield")
        let installedOnly = peers.expectations[0]
        let everything = peers.expectations[1]
        // The peer's default (third word "installed") is a subset of ours...
        Self.expectPeerPackages(installedOnly.packages, in: inventory)
        // ...and ours equals the peer's "including not installed" list (this fixture has no
        // not-installed paragraph).
        Self.expectPeerPackages(everything.packages, in: inventory)
        #expect(inventory.packages.count == everything.count)
        let states = Dictionary(uniqueKeysWithValues: inventory.packages.map { ($0.name, $0.state) })
        #expect(states["wantinstall_installed"] == .installed)
        #expect(states["wantdeinstall_installed"] == .installed)
        #expect(states["wantpurge_installed"] == .installed)
        #expect(states["wantdeinstall_configfiles"] == .configFiles)
        #expect(states["wantinstall_unpacked"] == .partial)
        #expect(states["wantinstall_halfinstalled"] == .partial)
        #expect(states["wantnostatus"] == .installed)
    }

    @Test("a paragraph without Package is skipped with a warning that names its line")
    func noPackage() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-nopackage/nopackage")
        let expectation = try PeerExpectations("osv-scalibr/dpkg-nopackage").first
        Self.expectPeerPackages(expectation.packages, in: inventory)
        #expect(inventory.packages.count == 2)
        let warning = try #require(inventory.issues.first { $0.code == "dpkg.missing-package" })
        #expect(warning.severity == .warning)
        #expect(warning.location.path == "/var/lib/dpkg/status")
        #expect(warning.location.line == 5)
    }

    @Test("a paragraph without Version is kept with an empty version and a warning")
    func noVersion() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-noversion/noversion")
        let expectation = try PeerExpectations("osv-scalibr/dpkg-noversion").first
        Self.expectPeerPackages(expectation.packages, in: inventory)
        // osv-scalibr skips it (2 packages); we keep it (3) so a restricted package cannot hide.
        #expect(inventory.packages.count == expectation.count! + 1)
        let kept = inventory.packages.filter { $0.version.isEmpty }
        #expect(kept.count == 1)
        #expect(inventory.issues.contains { $0.code == "dpkg.missing-version" && $0.severity == .warning })
    }

    @Test("status.d file without a Status field is an installed package")
    func statusDirectory() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-status.d-foo/foo", at: "var/lib/dpkg/status.d/foo")
        let expectation = try PeerExpectations("osv-scalibr/dpkg-status.d-foo").first
        Self.expectPeerPackages(expectation.packages, in: inventory)
        let foo = try #require(inventory.packages.first { $0.name == "foo" })
        #expect(foo.source == "/var/lib/dpkg/status.d/foo")
        #expect(foo.state == .installed)
        // The peer drops `bar` (deinstall ok config-files); we keep it as a remnant.
        #expect(inventory.packages.count == expectation.count! + 1)
        #expect(inventory.packages.first { $0.name == "bar" }?.state == .configFiles)
    }

    @Test("transitional packages keep their source package", arguments: ["dpkg-transitional/transitional", "dpkg-transitional_empty/transitional_empty"])
    func transitional(fixture: String) async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/" + fixture)
        let expectation = try PeerExpectations("osv-scalibr/" + fixture.split(separator: "/")[0]).first
        Self.expectPeerPackages(expectation.packages, in: inventory)
        #expect(inventory.packages.count == expectation.count)
    }

    @Test("an empty status file is an empty database, not an error")
    func empty() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-empty/empty")
        #expect(inventory.packages.isEmpty)
        #expect(inventory.issues.isEmpty)
    }

    @Test("a file that is not a status file gives located errors and no package")
    func invalid() async throws {
        let inventory = try await Self.scanStatus("osv-scalibr/dpkg-invalid/invalid")
        #expect(inventory.packages.isEmpty)
        let errors = inventory.issues.filter { $0.severity == .error }
        #expect(errors.map(\.location.line) == [1, 3])
        #expect(errors.allSatisfy { $0.code == "dpkg.malformed-line" && $0.location.path == "/var/lib/dpkg/status" })
    }

    @Test("syft's corrupt entry: misspelled keys and a stray line are an error with its line")
    func corrupt() async throws {
        let inventory = try await Self.scanStatus("syft/dpkg-corrupt/corrupt", at: "var/lib/dpkg/status.d/corrupt")
        #expect(inventory.packages.isEmpty)
        let error = try #require(inventory.issues.first { $0.severity == .error })
        #expect(error.code == "dpkg.malformed-line")
        #expect(error.location.line == 5)
        #expect(error.message.contains("Insterface to the configuration settings"))
    }

    @Test("a vcpkg status file is recognised and rejected, not read as Debian packages")
    func vcpkg() async throws {
        let inventory = try await Self.scanStatus("claircore/dpkg-vcpkg/vcpkg.status")
        #expect(inventory.packages.isEmpty)
        #expect(inventory.issues.contains { $0.code == "dpkg.not-a-dpkg-database" && $0.severity == .error })
    }

    @Test("claircore's 467 KB texlive status: every one of its 357 paragraphs is read")
    func texlive() throws {
        let bytes = try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture("claircore/dpkg-texlive/texlive.status")))
        let parsed = Deb822Parser.parse(bytes, path: "/var/lib/dpkg/status")
        #expect(parsed.stanzas.count == 357)
        #expect(parsed.errors.isEmpty)
        let entries = DpkgStatusParser.parse(bytes, path: "/var/lib/dpkg/status").entries
        #expect(entries.count == 357)
    }

    @Test("claircore's keyring package: the first paragraph's version")
    func keyring() async throws {
        let inventory = try await Self.scanStatus("claircore/dpkg-debian-only/debian-only.status")
        #expect(inventory.packages.first?.version == "2019.1")
    }

    @Test("syft status.d files: single and multiple, with source, size and summary")
    func syftStatusD() async throws {
        let single = try await Self.scanStatus("syft/dpkg-single/single", at: "var/lib/dpkg/status.d/single")
        let singleExpected = try PeerExpectations("syft/dpkg-single").first.packages[0]
        let apt = try #require(single.packages.first)
        #expect(apt.name == singleExpected["name"] as? String)
        #expect(apt.version == singleExpected["version"] as? String)
        #expect(apt.sourcePackage == singleExpected["source_name"] as? String)
        #expect(apt.metadata["installedSize"] == (singleExpected["installed_size"] as? Int).map(String.init))
        #expect(apt.metadata["summary"] == (singleExpected["description"] as? String)?.split(separator: "\n").first.map(String.init))

        let multiple = try await Self.scanStatus("syft/dpkg-multiple/multiple", at: "var/lib/dpkg/status.d/multiple")
        let expected = try PeerExpectations("syft/dpkg-multiple").first
        // Same list, same order as syft (the empty `Package:` paragraph is skipped by both).
        #expect(multiple.packages.map(\.name) == expected.packages.map { $0["name"] as? String ?? "" })
        for (ours, theirs) in zip(multiple.packages, expected.packages) {
            #expect(ours.version == (theirs["version"] as? String ?? ""))
            #expect(ours.arch == theirs["arch"] as? String)
            #expect(ours.maintainer == theirs["maintainer"] as? String)
            if let source = theirs["source_name"] as? String { #expect(ours.sourcePackage == source) }
        }
        #expect(multiple.issues.contains { $0.code == "dpkg.missing-package" && $0.location.line == 1 })
    }

    @Test("trivy roots: packages, and file ownership from info/*.md5sums")
    func trivyRoots() async throws {
        for fixture in ["dpkg-only-apt", "dpkg-digest", "dpkg-md5sums"] {
            let root = try TemporaryDirectory()
            let rootfs = ProjectPaths.sharedFixture("trivy/\(fixture)/rootfs")
            try FileManager.default.removeItem(at: root.url)
            try FileManager.default.copyItem(at: rootfs, to: root.url)
            let expectation = try PeerExpectations("trivy/\(fixture)").first
            var plan = ScanPlan()
            let expectedFiles = expectation.packages.flatMap { $0["installed_files"] as? [String] ?? [] }
            plan.pathGlobs = try expectedFiles.map { try Glob($0, isPath: true) }
            let inventory = try await CollectorHarness.scan(root: root, collectors: [DpkgCollector()], plan: plan)
            Self.expectPeerPackages(expectation.packages, in: inventory)
            #expect(inventory.packages.count == expectation.count)
            for package in expectation.packages {
                let ours = try #require(inventory.packages.first { $0.name == package["name"] as? String })
                #expect(ours.epoch == ((package["epoch"] as? Int).flatMap { $0 == 0 ? nil : $0 }))
            }
            // Ownership: each installed file trivy lists is owned by its package in our lists.
            if !expectedFiles.isEmpty {
                let fileSystem = try EmbargoFileSystem.RootFileSystem(root: root.path)
                let output = await DpkgCollector().collect(CollectionContext(fileSystem: fileSystem))
                let owners = output.ownership?.owners(of: Set(expectedFiles), aliases: fileSystem.usrMerge).owners ?? [:]
                for file in expectedFiles {
                    #expect(owners[file]?.map(\.name) == ["tar"], "owner of \(file)")
                }
            }
        }
    }

    @Test("syft image root: the package and its md5sums file list (zlib's content, as syft keeps it)")
    func syftImage() async throws {
        let root = try TemporaryDirectory()
        try FileManager.default.removeItem(at: root.url)
        try FileManager.default.copyItem(at: ProjectPaths.sharedFixture("syft/dpkg-image-dpkg/rootfs"), to: root.url)
        let fileSystem = try EmbargoFileSystem.RootFileSystem(root: root.path)
        let output = await DpkgCollector().collect(CollectionContext(fileSystem: fileSystem))
        let expected = try PeerExpectations("syft/dpkg-image-dpkg").first.packages[0]
        let package = try #require(output.inventory.packages.first)
        #expect(package.name == expected["name"] as? String)
        #expect(package.version == expected["version"] as? String)
        #expect(package.arch == expected["arch"] as? String)
        #expect(package.maintainer == expected["maintainer"] as? String)
        let files = (expected["files"] as? [[String: Any]] ?? []).filter { ($0["is_config_file"] as? Bool) == false }
            .compactMap { $0["path"] as? String }
        let owners = output.ownership?.owners(of: Set(files), aliases: fileSystem.usrMerge).owners ?? [:]
        #expect(!files.isEmpty)
        for file in files { #expect(owners[file]?.first?.name == "libpam-runtime", "owner of \(file)") }
    }
}

@Suite("opkg fixtures")
struct OpkgFixtureTests {
    static func scan(_ fixture: String) async throws -> Inventory {
        let root = try CollectorHarness.root(with: ProjectPaths.sharedFixture(fixture), at: "usr/lib/opkg/status")
        return try await CollectorHarness.scan(root: root, collectors: [OpkgCollector()])
    }

    @Test(
        "OpenWrt status files: same packages, versions and arches as the peers",
        arguments: [
            "osv-scalibr/opkg-valid/valid", "osv-scalibr/opkg-single/single", "osv-scalibr/opkg-nopackage/nopackage",
            "osv-scalibr/opkg-trailingnewlines/trailingnewlines", "osv-scalibr/opkg-transitional/transitional",
            "osv-scalibr/opkg-empty/empty", "syft/opkg-status/status",
        ])
    func fixture(path: String) async throws {
        let inventory = try await Self.scan(path)
        let directory = path.split(separator: "/").prefix(2).joined(separator: "/")
        for expectation in try PeerExpectations(directory).expectations {
            #expect(inventory.packages.count == expectation.count)
            for package in expectation.packages {
                let ours = try #require(inventory.packages.first { $0.name == package["name"] as? String })
                #expect(ours.type == .opkg)
                #expect(ours.version == package["version"] as? String)
                #expect(ours.arch == package["arch"] as? String)
                if let status = package["status"] as? String { #expect(ours.status == status) }
                #expect(ours.source == "/usr/lib/opkg/status")
            }
        }
    }

    @Test("opkg's Installed-Time is the install date")
    func installedTime() async throws {
        let inventory = try await Self.scan("osv-scalibr/opkg-valid/valid")
        let ubus = try #require(inventory.packages.first { $0.name == "ubus" })
        #expect(ubus.installedAt == RecordedDate(Date(timeIntervalSince1970: 1_730_715_936), source: .opkgInstalledTime))
    }
}
