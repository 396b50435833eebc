import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

/// The flatpak reader against real deployments made by Debian's flatpak 1.14
/// (`Fixtures/flatpak-root`, rebuilt by `Fixtures/make-flatpak-root.sh`) and the metainfo files
/// osv-scalibr tests with.
///
/// Deliberate choices:
/// - A deployed app whose metainfo has no version or is not XML (osv-scalibr's `noversion.xml`,
///   `bad.xml`) is still reported, with a located warning or error: osv-scalibr reads only the
///   metainfo and reports nothing, but the `active` deployment proves the app is installed.
/// - The version is the newest release by date when all releases are dated (the SampleApp lists
///   its newest release second); osv-scalibr takes the first one. Both agree on every osv-scalibr
///   fixture.
/// - The developer (`<developer_name>` or `<developer><name>`) is the package's `vendor`; the origin
///   remote is its `publisher`.
@Suite("flatpak fixtures")
struct FlatpakFixtureTests {
    static let fixtureRoot = FakeRoot.localFixture("flatpak-root", format: "Flatpak")
    static let sampleDeployment =
        "home/alice/.local/share/flatpak/app/org.embargo.SampleApp/x86_64/stable"
    static let deployed = Date(timeIntervalSince1970: 1_718_000_000)

    static func realRoot() throws -> FakeRoot {
        let root = try FakeRoot()
        try root.placeTree(fixtureRoot, at: "/")
        for deploy in try deployFiles(root) { try root.setModified(deploy, deployed) }
        return root
    }

    static func deployFiles(_ root: FakeRoot) throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix("/deploy") { files.append("/" + path) }
        }
        return files
    }

    static func commit(of branchDirectory: String) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(
            atPath: fixtureRoot.appendingPathComponent(branchDirectory + "/active").path)
    }

    @Test("real system and user installations: apps and runtimes with versions, origins, developers and dates")
    func realInstallations() async throws {
        let root = try Self.realRoot()
        let inventory = try await root.scan([FlatpakCollector()])
        #expect(inventory.issues.isEmpty)
        let summary = inventory.packages.map { "\($0.metadata["installation"] ?? "?") \($0.name) \($0.version)" }
        #expect(summary == [
            "system org.embargo.ComposedApp 3.2.1", "system org.embargo.TestPlatform 23.08",
            "user:alice org.embargo.SampleApp 1.5.0", "user:alice org.embargo.TestPlatform 23.08",
        ])
        #expect(inventory.packages.allSatisfy { $0.type == .flatpak && $0.arch == "x86_64" && $0.state == .installed })
        #expect(inventory.packages.allSatisfy { $0.installedAt == RecordedDate(Self.deployed, source: .flatpakDeploy) })
        #expect(inventory.packages.allSatisfy { $0.updatedAt == $0.installedAt })

        let sample = try #require(inventory.packages.first { $0.name == "org.embargo.SampleApp" })
        let commit = try Self.commit(of: Self.sampleDeployment)
        #expect(sample.vendor == "Embargo Test Vendor")
        #expect(sample.publisher == "embargo-user")
        #expect(sample.source == "/\(Self.sampleDeployment)/\(commit)/deploy")
        #expect(sample.metadata["commit"] == commit)
        #expect(sample.metadata["ref"] == "app/org.embargo.SampleApp/x86_64/stable")
        #expect(sample.metadata["branch"] == "stable")
        #expect(sample.metadata["kind"] == "app")
        #expect(sample.metadata["versionSource"] == "metainfo")
        #expect(sample.metadata["appName"] == "Embargo Sample App")
        #expect(sample.metadata["summary"] == "A sample application & test fixture")
        #expect(sample.metadata["homepage"] == "https://example.org/sample")
        #expect(sample.metadata["license"] == "MIT")
        #expect(sample.metadata["releaseDate"] == "2024-06-15")
        #expect(sample.metadata["runtime"] == "org.embargo.TestPlatform/x86_64/23.08")
        #expect(sample.metadata["installationPath"] == "/home/alice/.local/share/flatpak")
        #expect(sample.metadata["metainfo"]?.hasSuffix("/files/share/metainfo/org.embargo.SampleApp.metainfo.xml") == true)
        #expect(Int(sample.metadata["installedSize"] ?? "") ?? 0 > 0)
        #expect(sample.metadata["commitTime"] != nil)

        // Described only by a composed catalog: the version, name and licence flatpak copied into
        // the deploy data agree with the catalog.
        let composed = try #require(inventory.packages.first { $0.name == "org.embargo.ComposedApp" })
        #expect(composed.vendor == "Composed Vendor Ltd")
        #expect(composed.publisher == "embargo-test")
        #expect(composed.metadata["license"] == "GPL-3.0-or-later")
        #expect(composed.metadata["metainfo"]?.hasSuffix("/files/share/app-info/xmls/org.embargo.ComposedApp.xml.gz") == true)
        let runtime = try #require(inventory.packages.first { $0.name == "org.embargo.TestPlatform" })
        #expect(runtime.metadata["versionSource"] == "branch")
        #expect(runtime.metadata["kind"] == "runtime")
        #expect(runtime.vendor == nil)
    }

    @Test("deploy data decoded as flatpak wrote it: origin, commit, size, appdata fields")
    func deployData() throws {
        let branch = "var/lib/flatpak/app/org.embargo.ComposedApp/x86_64/stable"
        let commit = try Self.commit(of: branch)
        let bytes = try [UInt8](Data(contentsOf: Self.fixtureRoot.appendingPathComponent("\(branch)/\(commit)/deploy")))
        let data = try FlatpakDeployData.parse(bytes, path: "deploy").get()
        #expect(data.origin == "embargo-test")
        #expect(data.commit == commit)
        #expect(data.subpaths.isEmpty)
        #expect(data.deployVersion == 4)
        #expect(data.appdataVersion == "3.2.1")
        #expect(data.appdataName == "Composed App")
        #expect(data.appdataSummary == "An application described only by a composed catalog")
        #expect(data.appdataLicense == "GPL-3.0-or-later")
        #expect(data.runtime == "org.embargo.TestPlatform/x86_64/23.08")
        #expect(data.installedSize > 0 && data.installedSize < 1 << 20)
        #expect((data.commitTimestamp ?? 0) > 1_600_000_000)
    }

    @Test("user installations of every home in /etc/passwd, and installations.d, are found")
    func otherInstallations() async throws {
        let root = try FakeRoot()
        try root.placeTree(Self.fixtureRoot.appendingPathComponent("home/alice/.local/share/flatpak"), at: "/srv/users/bob/.local/share/flatpak")
        try root.placeTree(Self.fixtureRoot.appendingPathComponent("var/lib/flatpak"), at: "/opt/flatpak-extra")
        try root.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001:Bob:/srv/users/bob:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n")
        try root.write("/etc/flatpak/installations.d/extra.conf", "[Installation \"extra\"]\nPath=/opt/flatpak-extra\nDisplayName=Extra\n")
        let inventory = try await root.scan([FlatpakCollector()])
        let installations = Set(inventory.packages.compactMap { $0.metadata["installation"] })
        #expect(installations == ["user:bob", "extra"])
        #expect(inventory.packages.count == 4)
    }

    @Test("an active link to a missing deployment: a warning, nothing reported")
    func brokenDeployment() async throws {
        let root = try FakeRoot()
        try root.symlink("/var/lib/flatpak/app/org.example.Gone/x86_64/stable/active", to: "0123abcd")
        let inventory = try await root.scan([FlatpakCollector()])
        #expect(inventory.packages.isEmpty)
        #expect(inventory.issues.map(\.code) == ["flatpak.broken-deployment"])
        #expect(inventory.issues.first?.location.path == "/var/lib/flatpak/app/org.example.Gone/x86_64/stable/active")
    }

    /// A deployment of `org.gimp.GIMP` whose exported metainfo is an osv-scalibr fixture.
    static func gimpRoot(metainfo shared: String) async throws -> Inventory {
        let root = try FakeRoot()
        let branch = "/var/lib/flatpak/app/org.gimp.GIMP/x86_64/stable"
        let commit = String(repeating: "ab", count: 32)
        let sampleCommit = try Self.commit(of: Self.sampleDeployment)
        let sample = Self.fixtureRoot.appendingPathComponent("\(Self.sampleDeployment)/\(sampleCommit)")
        try root.directory.copy(sample.appendingPathComponent("deploy"), to: "\(branch.dropFirst())/\(commit)/deploy")
        try root.directory.copy(sample.appendingPathComponent("metadata"), to: "\(branch.dropFirst())/\(commit)/metadata")
        try root.place(shared: shared, at: "\(branch)/\(commit)/export/share/metainfo/org.gimp.GIMP.metainfo.xml")
        try root.symlink("\(branch)/active", to: commit)
        return try await root.scan([FlatpakCollector()])
    }

    @Test("osv-scalibr valid.xml: id, version, developer, name and release date")
    func valid() async throws {
        let inventory = try await Self.gimpRoot(metainfo: "osv-scalibr/flatpak-valid.xml/valid.xml")
        let expectation = try PeerExpectations("osv-scalibr/flatpak-valid.xml").first
        #expect(inventory.packages.count == expectation.count)
        for peer in expectation.packages {
            let ours = try #require(inventory.package(named: peer.string("package_id") ?? ""))
            #expect(ours.name == peer.string("name"))
            #expect(ours.version == peer.string("version"))
            #expect(ours.version == peer.string("package_version"))
            #expect(ours.vendor == peer.string("developer"))
            #expect(ours.metadata["appName"] == peer.string("package_name"))
            #expect(ours.metadata["releaseDate"] == peer.string("release_date"))
        }
        #expect(inventory.issues.isEmpty)

        let bytes = try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture("osv-scalibr/flatpak-valid.xml/valid.xml")))
        let component = try #require(try AppStreamParser.components(bytes, path: "valid.xml").get().first)
        #expect(component.id == "org.gimp.GIMP")
        #expect(component.name == "GNU Image Manipulation Program")  // not the xml:lang="ar" one
        #expect(component.type == "desktop")
        #expect(component.releases.map(\.version) == ["2.10.38", "2.10.36"])
        #expect(component.currentRelease?.line == 12)
    }

    @Test("osv-scalibr noversion.xml: a located warning; the deployed app is still reported")
    func noVersion() async throws {
        #expect(try PeerExpectations("osv-scalibr/flatpak-noversion.xml").first.errorExpected)
        let inventory = try await Self.gimpRoot(metainfo: "osv-scalibr/flatpak-noversion.xml/noversion.xml")
        let gimp = try #require(inventory.package(named: "org.gimp.GIMP"))
        #expect(gimp.version == "")
        #expect(gimp.vendor == "The GIMP team")
        let warning = try #require(inventory.issues(code: "flatpak.missing-version").first)
        #expect(warning.location.path?.hasSuffix("/export/share/metainfo/org.gimp.GIMP.metainfo.xml") == true)
        #expect(warning.location.line == 2)
        #expect(inventory.issues.count == 1)
    }

    @Test("osv-scalibr bad.xml: a located error; the deployed app is still reported")
    func bad() async throws {
        #expect(try PeerExpectations("osv-scalibr/flatpak-bad.xml").first.errorExpected)
        let inventory = try await Self.gimpRoot(metainfo: "osv-scalibr/flatpak-bad.xml/bad.xml")
        #expect(inventory.packages.map(\.name) == ["org.gimp.GIMP"])
        let error = try #require(inventory.issues(code: "flatpak.malformed-metainfo").first)
        #expect(error.location.line == 1)
        #expect(error.location.column == 1)
        #expect(error.severity == .error)
        #expect(error.message.contains("text before the root element"))
    }
}

@Suite("flatpak parsers under damage")
struct FlatpakDamageTests {
    @Test("AppStream XML errors carry line and column")
    func xmlErrors() {
        let cases: [(String, Int, String)] = [
            ("<component><id>x</id>", 1, "ends inside <component>"),
            ("<component>\n  <id>x</name>\n</component>", 2, "does not match <id>"),
            ("<component><name>A &bogus; B</name></component>", 1, "unknown entity"),
            ("<?xml version=\"1.0\"?>\n<!-- c -->\n", 3, "no root element"),
            ("<component/><component/>", 1, "second root element"),
        ]
        for (text, line, reason) in cases {
            guard case .failure(let error) = AppStreamParser.components(Array(text.utf8), path: "m.xml") else {
                Issue.record("\(text) parsed")
                continue
            }
            #expect(error.line == line, "\(text)")
            #expect(error.detail.contains(reason), "\(error.detail)")
        }
        let entities = "<component><id>a</id><name>A &amp; B &#x263A; &lt;&#65;&gt;</name><releases><release version='1' date='2020-01-01'/></releases></component>"
        let component = try? AppStreamParser.components(Array(entities.utf8), path: "m.xml").get().first
        #expect(component?.name == "A & B \u{263A} <A>")
        #expect(component?.currentRelease?.version == "1")
    }

    @Test("deploy data that is cut, empty or not a variant: a typed error with a byte offset")
    func deployErrors() throws {
        let branch = FlatpakFixtureTests.sampleDeployment
        let commit = try FlatpakFixtureTests.commit(of: branch)
        let bytes = try [UInt8](Data(contentsOf: FlatpakFixtureTests.fixtureRoot.appendingPathComponent("\(branch)/\(commit)/deploy")))
        for broken in [Array(bytes.prefix(bytes.count / 2)), [], Array("hello world".utf8), [UInt8](repeating: 0xFF, count: 64)] {
            guard case .failure(let error) = FlatpakDeployData.parse(broken, path: "deploy") else {
                Issue.record("\(broken.count) bytes parsed")
                continue
            }
            #expect(error.code == "flatpak.malformed-deploy-data")
            #expect(error.offset != nil)
        }
    }

    @Test("GVariant decoding of nested containers, and random damage never crashes it")
    func gvariant() throws {
        // ("ab", ["x", "yz"], 7 as u) in normal form: "ab\0" pad, array, u, framing offsets.
        let type = try #require(GVariantType("(sasu)"))
        let encoded: [UInt8] = [0x61, 0x62, 0x00, 0x78, 0x00, 0x79, 0x7A, 0x00, 0x02, 0x05, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x0A, 0x03]
        let value = try GVariantDecoder.decode(encoded, as: type)
        #expect(value == .tuple([.string("ab"), .array([.string("x"), .string("yz")]), .unsigned(7)]))
        #expect(GVariantType("(ss") == nil && GVariantType("a") == nil && GVariantType("{vs}") == nil)

        let branch = FlatpakFixtureTests.sampleDeployment
        let commit = try FlatpakFixtureTests.commit(of: branch)
        let deploy = try [UInt8](Data(contentsOf: FlatpakFixtureTests.fixtureRoot.appendingPathComponent("\(branch)/\(commit)/deploy")))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var damaged = deploy
            for _ in 0..<4 { damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = FlatpakDeployData.parse(Array(damaged.prefix(Int.random(in: 0...damaged.count, using: &generator))), path: "x")
        }
        let xml = try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture("osv-scalibr/flatpak-valid.xml/valid.xml")))
        for _ in 0..<500 {
            var damaged = xml
            for _ in 0..<6 { damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = AppStreamParser.components(Array(damaged.prefix(Int.random(in: 0...damaged.count, using: &generator))), path: "x")
        }
    }
}
