import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

/// The apk reader against the installed databases trivy, syft and osv-scalibr test with.
///
/// Deliberate choices, where the peers differ or where embargo keeps more:
/// - A paragraph without `V:` (trivy's `invalidPackageWithoutAVersion`) is reported with an empty
///   version and an `apk.missing-version` warning: trivy drops it, syft 1.18.1 reports it as
///   `UNKNOWN`. An auditor must not lose a package because its version is missing.
/// - The version is split: `1.1.14-r10` becomes version `1.1.14` and release `r10`, as RPM and
///   pacman versions are; `fullVersion` (and the package id) is the text the peers compare.
/// - `L:` is kept verbatim: trivy rewrites licence names to SPDX (`GPL2` → `GPL-2.0-only`), syft
///   splits them into a set; the database text is the evidence.
/// - Dependencies are kept as written (`metadata["depends"]`); resolving them into a graph, as
///   trivy and syft do, is not part of the inventory.
/// - os-release fields (osv-scalibr's `os_id`, `os_version_id`) are not package fields here.
@Suite("apk fixtures")
struct ApkFixtureTests {
    static let databasePath = "/lib/apk/db/installed"

    static func scan(_ shared: String) async throws -> Inventory {
        let root = try FakeRoot()
        try root.place(shared: shared, at: databasePath)
        return try await root.scan([ApkCollector()])
    }

    static func parse(_ shared: String) throws -> ApkDatabaseParser.Result {
        let bytes = try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture(shared)))
        return ApkDatabaseParser.parse(bytes, path: databasePath)
    }

    /// trivy renders `C:` (`Q1` + base64 SHA-1) as `sha1:<hex>`.
    static func sha1Hex(_ checksum: String?) -> String? {
        guard let checksum, checksum.hasPrefix("Q1"), let data = Data(base64Encoded: String(checksum.dropFirst(2))) else { return nil }
        return "sha1:" + data.map { String(format: "%02x", $0) }.joined()
    }

    @Test("trivy apk-installed: the 15 packages in file order with their fields, plus the versionless one kept")
    func trivyInstalled() async throws {
        let inventory = try await Self.scan("trivy/apk-installed/apk")
        let expectation = try PeerExpectations("trivy/apk-installed").first
        let parsed = try Self.parse("trivy/apk-installed/apk")
        let versioned = inventory.packages.filter { !$0.version.isEmpty }
        #expect(versioned.count == expectation.count)
        #expect(inventory.packages.count == 16)
        for (peer, ours) in zip(expectation.packages, versioned) {
            let name = try #require(peer.string("name"))
            #expect(ours.name == name)
            #expect(ours.type == .apk)
            #expect(ours.fullVersion == peer.string("version"))
            #expect(ours.id.version == peer.string("version"))
            #expect(ours.sourcePackage == peer.string("origin"))
            #expect(ours.maintainer == peer.string("maintainer"))
            #expect(ours.arch == peer.string("arch"))
            #expect(Self.sha1Hex(ours.metadata["checksum"]) == peer.string("checksum"))
            #expect(ours.source == Self.databasePath)
            #expect(ours.state == .installed)
            // Licences: equal where trivy did not rename them; otherwise the database text is kept.
            let entry = try #require(parsed.entries.first { $0.name == name })
            #expect(ours.metadata["license"] == entry.license)
            if let tokens = peer.strings("license"), tokens.joined(separator: " ") == entry.license {
                #expect(ours.metadata["license"] == tokens.joined(separator: " "))
            }
            // trivy lists the installed files (R: lines) without the leading slash, in order.
            let files = entry.files.filter { !$0.isDirectory }.map { String($0.path.dropFirst()) }
            #expect(files == peer.strings("installed_files"))
        }
        let versionless = try #require(inventory.package(named: "invalidPackageWithoutAVersion"))
        #expect(versionless.version.isEmpty)
        let warning = try #require(inventory.issues(code: "apk.missing-version").first)
        #expect(warning.location.path == Self.databasePath)
        #expect(warning.location.line == 23)
        #expect(warning.severity == .warning)
        #expect(inventory.issues.count == 1)
        #expect(inventory.sources == [InventorySource(collector: "apk", path: Self.databasePath, items: 16)])
    }

    @Test("trivy apk-installed: releases split from versions, build time and sizes kept")
    func versionSplitAndMetadata() async throws {
        let inventory = try await Self.scan("trivy/apk-installed/apk")
        let musl = try #require(inventory.package(named: "musl"))
        #expect(musl.version == "1.1.14")
        #expect(musl.release == "r10")
        #expect(musl.epoch == nil)
        #expect(musl.metadata["buildTime"] == "2016-06-17T16:39:40Z")
        #expect(musl.metadata["size"] == "445080")
        #expect(musl.metadata["installedSize"] == "569344")
        #expect(musl.metadata["homepage"] == "http://www.musl-libc.org/")
        let test = try #require(inventory.package(named: "test"))
        #expect(test.version == "2.9.11_pre20061021")
        #expect(test.release == "r2")
        #expect(ApkVersion.split("1.0").release == nil)
        #expect(ApkVersion.split("-r1").release == nil)
        #expect(ApkVersion.split("2.0-rc1").version == "2.0-rc1")
        #expect(ApkVersion.split("2.0-rc1").release == nil)
    }

    @Test("apk records no install time: both dates are the database mtime, named as such")
    func dates() async throws {
        let root = try FakeRoot()
        try root.place(shared: "syft/apk-single/single", at: Self.databasePath)
        let stamp = Date(timeIntervalSince1970: 1_700_000_000)
        try root.setModified(Self.databasePath, stamp)
        let inventory = try await root.scan([ApkCollector()])
        let package = try #require(inventory.packages.first)
        #expect(package.installedAt == RecordedDate(stamp, source: .apkInstalledMtime))
        #expect(package.updatedAt == RecordedDate(stamp, source: .apkInstalledMtime))
    }

    /// syft's parser tests: every listed field, the file records with owner, group, mode and digest.
    @Test(
        "syft single-package databases: every field syft asserts",
        arguments: ["syft/apk-single/single", "syft/apk-empty-deps-and-provides/empty-deps-and-provides"])
    func syftSinglePackage(_ fixture: String) async throws {
        let expectation = try PeerExpectations(String(fixture[..<fixture.lastIndex(of: "/")!])).first
        let peer = try #require(expectation.packages.first)
        let parsed = try Self.parse(fixture)
        #expect(parsed.entries.count == 1)
        #expect(parsed.errors.isEmpty && parsed.warnings.isEmpty)
        let entry = try #require(parsed.entries.first)
        #expect(entry.name == peer.string("package"))
        #expect(entry.version == peer.string("version_field"))
        #expect(entry.architecture == peer.string("arch"))
        #expect(entry.checksum == peer.string("checksum"))
        #expect(entry.depends == peer.strings("depends"))
        #expect(entry.provides == peer.strings("provides"))
        #expect(entry.summary == peer.string("description"))
        #expect(entry.commit == peer.string("git_commit"))
        #expect(entry.installedSize == peer.int("installed_size"))
        #expect(entry.size == peer.int("size"))
        #expect(entry.maintainer == peer.string("maintainer"))
        #expect(entry.origin == peer.string("origin"))
        #expect(entry.url == peer.string("url"))
        #expect(Set(entry.license?.split(separator: " ").map(String.init) ?? []) == Set(peer.strings("licenses") ?? []))
        try Self.expectFiles(entry.files, equal: try #require(peer["files"] as? [[String: Any]]))

        let inventory = try await Self.scan(fixture)
        let package = try #require(inventory.packages.first)
        #expect(package.name == peer.string("name"))
        #expect(package.fullVersion == peer.string("version"))
        #expect(package.maintainer == peer.string("maintainer"))
        #expect(package.sourcePackage == peer.string("origin"))
        #expect(inventory.issues.isEmpty)
    }

    static func expectFiles(_ files: [ApkFileEntry], equal peer: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(files.map(\.path) == peer.map { $0.string("path") ?? "" }, sourceLocation: sourceLocation)
        for (file, expected) in zip(files, peer) {
            #expect(file.owner == expected.string("uid"), sourceLocation: sourceLocation)
            #expect(file.group == expected.string("gid"), sourceLocation: sourceLocation)
            #expect(file.mode == expected.string("mode"), sourceLocation: sourceLocation)
            #expect(file.digest == expected.string("digest"), sourceLocation: sourceLocation)
        }
    }

    @Test("syft extra per-file attributes: the extra a: field is ignored, the file records are exact")
    func extraFileAttributes() throws {
        let expectation = try PeerExpectations("syft/apk-extra-file-attributes").first
        let parsed = try Self.parse("syft/apk-extra-file-attributes/extra-file-attributes")
        #expect(parsed.entries.count == expectation.count)
        let files = try #require(expectation.packages.first?["files"] as? [[String: Any]])
        try Self.expectFiles(try #require(parsed.entries.first).files, equal: files)
    }

    @Test("syft multiple-1 rootfs: the 4 packages with their fields")
    func syftMultiple() async throws {
        let root = try FakeRoot()
        try root.placeTree(ProjectPaths.sharedFixture("syft/apk-multiple-1/rootfs"), at: "/")
        let inventory = try await root.scan([ApkCollector()])
        let expectation = try PeerExpectations("syft/apk-multiple-1").first
        #expect(inventory.packages.count == expectation.count)
        let parsed = try Self.parse("syft/apk-multiple-1/rootfs/lib/apk/db/installed")
        for peer in expectation.packages {
            let name = try #require(peer.string("name"))
            let ours = try #require(inventory.package(named: name))
            let entry = try #require(parsed.entries.first { $0.name == name })
            #expect(ours.fullVersion == peer.string("version"))
            #expect(ours.arch == peer.string("arch"))
            #expect(ours.maintainer == peer.string("maintainer"))
            #expect(ours.sourcePackage == peer.string("origin"))
            #expect(ours.metadata["summary"] == peer.string("description"))
            #expect(ours.metadata["homepage"] == peer.string("url"))
            #expect(ours.metadata["installedSize"] == peer.int("installed_size").map(String.init))
            #expect(ours.metadata["size"] == peer.int("size").map(String.init))
            #expect(Set(ours.metadata["license"]?.split(separator: " ").map(String.init) ?? []) == Set(peer.strings("licenses") ?? []))
            #expect(entry.depends == peer.strings("depends"))
            #expect(entry.provides == peer.strings("provides"))
        }
        #expect(inventory.issues.isEmpty)
    }

    @Test(
        "osv-scalibr single and different-arch: name, version, origin, maintainer, arch, licence, commit",
        arguments: [("osv-scalibr/apk-single", "single"), ("osv-scalibr/apk-different-arch", "different-arch")])
    func osvScalibr(_ directory: String, _ file: String) async throws {
        let inventory = try await Self.scan(directory + "/" + file)
        for expectation in try PeerExpectations(directory).expectations {
            #expect(inventory.packages.count == expectation.count)
            for peer in expectation.packages {
                let ours = try #require(inventory.package(named: peer.string("name") ?? ""))
                #expect(ours.fullVersion == peer.string("version"))
                #expect(ours.sourcePackage == peer.string("origin"))
                #expect(ours.maintainer == peer.string("maintainer"))
                #expect(ours.arch == peer.string("arch"))
                #expect(ours.metadata["license"] == peer.strings("license")?.joined(separator: " "))
                #expect(ours.metadata["commit"] == peer.string("commit"))
            }
        }
        #expect(inventory.issues.isEmpty)
    }

    @Test("osv-scalibr empty: no packages, no problem")
    func empty() async throws {
        let inventory = try await Self.scan("osv-scalibr/apk-empty/empty")
        #expect(inventory.packages.isEmpty)
        #expect(inventory.issues.isEmpty)
        #expect(inventory.sources.first?.items == 0)
    }

    @Test("osv-scalibr invalid: a typed error for each bad line, with file and line")
    func invalid() async throws {
        #expect(try PeerExpectations("osv-scalibr/apk-invalid").first.errorExpected)
        let inventory = try await Self.scan("osv-scalibr/apk-invalid/invalid")
        #expect(inventory.packages.isEmpty)
        let errors = inventory.issues(code: "apk.malformed-line")
        #expect(errors.map(\.location) == [
            IssueLocation(path: Self.databasePath, line: 1), IssueLocation(path: Self.databasePath, line: 3),
        ])
        #expect(errors.allSatisfy { $0.severity == .error && $0.collector == "apk" })
    }
}

@Suite("apk damaged databases")
struct ApkDamageTests {
    static func trivyBytes() throws -> [UInt8] {
        try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture("trivy/apk-installed/apk")))
    }

    @Test("a truncated database still reports every package before the cut")
    func truncated() async throws {
        let bytes = try Self.trivyBytes()
        // Cut inside the zlib paragraph, after its name but before its version.
        let text = String(decoding: bytes, as: UTF8.self)
        let cut = try #require(text.range(of: "P:zlib\n"))
        let root = try FakeRoot()
        try root.write(ApkFixtureTests.databasePath, String(text[..<cut.upperBound]) + "V:1.2")
        let inventory = try await root.scan([ApkCollector()])
        #expect(inventory.packages.map(\.name) == [
            "musl", "invalidPackageWithoutAVersion", "busybox", "alpine-baselayout", "alpine-keys", "zlib",
        ])
        #expect(inventory.package(named: "zlib")?.version == "1.2")
    }

    @Test("a corrupt paragraph costs only itself; bad lines and numbers are located")
    func corruptEntry() async throws {
        let database = """
            P:first
            V:1.0-r0
            S:notanumber

            garbage without a colon
            V:2.0-r0
            A:x86_64

            P:last
            V:3.0-r1
            R:orphan
            a:0:0:755
            """
        let root = try FakeRoot()
        try root.write(ApkFixtureTests.databasePath, database)
        let inventory = try await root.scan([ApkCollector()])
        #expect(inventory.packages.map(\.name) == ["first", "last"])
        #expect(inventory.issues(code: "apk.malformed-line").map(\.location.line) == [5])
        #expect(inventory.issues(code: "apk.missing-name").map(\.location.line) == [5])
        #expect(inventory.issues(code: "apk.invalid-number").map(\.location.line) == [3])
        #expect(inventory.issues(code: "apk.orphan-file-line").map(\.location.line) == [11])
        #expect(inventory.package(named: "first")?.metadata["size"] == nil)
    }

    @Test("binary garbage and random cuts never crash the parser")
    func garbage() throws {
        let bytes = try Self.trivyBytes()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var damaged = bytes
            for _ in 0..<20 {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let cut = Int.random(in: 0...damaged.count, using: &generator)
            _ = ApkDatabaseParser.parse(Array(damaged[..<cut]), path: "x")
        }
        let noise = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        _ = ApkDatabaseParser.parse(noise, path: "x")
    }

    @Test("ownership from R: lines, through usr-merge aliases")
    func ownership() async throws {
        let root = try FakeRoot()
        try root.place(shared: "trivy/apk-installed/apk", at: "/usr/lib/apk/db/installed")
        try root.symlink("/lib", to: "usr/lib")
        try root.directory.makeDirectory("usr/lib")
        let (output, fileSystem) = try await root.collect(ApkCollector())
        // Both candidate paths are one file on a usr-merged root: read once.
        #expect(output.inventory.packages.count == 16)
        let ownership = try #require(output.ownership)
        let result = ownership.owners(
            of: ["/usr/lib/libz.so.1", "/usr/bin/scanelf", "/etc/not-owned"], aliases: fileSystem.usrMerge)
        #expect(result.owners["/usr/lib/libz.so.1"]?.map(\.name) == ["zlib"])
        #expect(result.owners["/usr/bin/scanelf"]?.map(\.name) == ["scanelf"])
        #expect(result.owners["/etc/not-owned"] == nil)
    }
}
