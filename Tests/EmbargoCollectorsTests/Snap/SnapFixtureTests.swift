import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

/// The snap reader against a hand-made snapd root (see `Fixtures/README.md`) and the snap.yaml,
/// dpkg.yaml and manifest.yaml files osv-scalibr and syft test with.
///
/// Deliberate choices:
/// - A snap whose `meta/snap.yaml` is garbage or has no name (osv-scalibr's `invalid` and
///   `missing-name.yaml`) is still reported under the name snapd's state or its mount directory
///   gives it, with a located error: osv-scalibr reports nothing because it reads only the YAML,
///   but the snap is installed and an auditor must see it.
/// - Debian packages listed inside a snap become `deb` packages marked `bundledIn: snap`. syft calls
///   a manifest without `type:` an `app`; embargo takes the type from the snap itself.
/// - osv-scalibr's os-release fields are not package fields here.
@Suite("snap fixtures")
struct SnapFixtureTests {
    static let fixtureRoot = FakeRoot.localFixture("snap-root", format: "Snap")

    static func handMadeRoot() throws -> FakeRoot {
        let root = try FakeRoot()
        try root.placeTree(fixtureRoot, at: "/")
        return root
    }

    @Test("hand-made snapd root: every installed snap with state, snap.yaml and assertion fields")
    func handMadeState() async throws {
        let root = try Self.handMadeRoot()
        try root.place(shared: "syft/snap-dpkg/dpkg.yaml", at: "/snap/core20/2105/usr/share/snappy/dpkg.yaml")
        let firstDownload = Date(timeIntervalSince1970: 1_705_312_931)
        try root.setModified("/var/lib/snapd/snaps/core20_2015.snap", firstDownload)
        try root.setModified("/var/lib/snapd/snaps/core20_2105.snap", Date(timeIntervalSince1970: 1_716_185_700))
        let linked = Date(timeIntervalSince1970: 1_717_000_000)
        try root.setModified("/snap/firefox/current", linked, ofLink: true)
        try root.setModified("/var/lib/snapd/snaps/firefox_4259.snap", Date(timeIntervalSince1970: 1_717_000_100))
        let inventory = try await root.scan([SnapCollector()])

        let snaps = inventory.packages.filter { $0.type == .snap }
        #expect(snaps.map(\.name) == ["core20", "firefox", "hello_work", "local-dev", "oldnumeric"])
        #expect(snaps.allSatisfy { $0.source == "/var/lib/snapd/state.json" && $0.state == .installed })

        let core20 = try #require(inventory.package(named: "core20"))
        #expect(core20.version == "20240416")
        #expect(core20.arch == "amd64")
        #expect(core20.status == "active")
        #expect(core20.publisher == "Canonical")  // from active.1, the newer format
        #expect(core20.metadata["revision"] == "2105")
        #expect(core20.metadata["snapID"] == "EmbargoTestCore20SnapId0000000001")
        #expect(core20.metadata["type"] == "base")
        #expect(core20.metadata["channel"] == "latest/stable")
        #expect(core20.metadata["retainedRevisions"] == "2015 2105")
        #expect(core20.updatedAt == RecordedDate(try RFC3339.parse("2024-05-20T06:15:42.123456789Z"), source: .snapdState))
        #expect(core20.installedAt == RecordedDate(firstDownload, source: .fileMtime))

        let firefox = try #require(inventory.package(named: "firefox"))
        #expect(firefox.version == "126.0-2")
        #expect(firefox.publisher == "Mozilla")
        #expect(firefox.metadata["publisherUsername"] == "mozilla")
        #expect(firefox.metadata["publisherValidation"] == "verified")
        #expect(firefox.metadata["publisherID"] == "EmbargoTestMozillaAccount0000001")
        #expect(firefox.metadata["license"] == "MPL-2.0")
        #expect(firefox.metadata["base"] == "core22")
        #expect(firefox.metadata["confinement"] == "strict")
        #expect(firefox.metadata["summary"] == "Mozilla Firefox web browser")
        #expect(firefox.updatedAt == RecordedDate(linked, source: .fileMtime))
        #expect(firefox.installedAt == firefox.updatedAt)

        let hello = try #require(inventory.package(named: "hello_work"))
        #expect(hello.version == "2.10")
        #expect(hello.arch == "all")
        #expect(hello.metadata["snapName"] == "hello")
        #expect(hello.metadata["instanceKey"] == "work")
        #expect(hello.metadata["confinementMode"] == "devmode")
        #expect(hello.metadata["channel"] == "latest/candidate")

        let local = try #require(inventory.package(named: "local-dev"))
        #expect(local.version == "")
        #expect(local.status == "disabled")
        #expect(local.metadata["revision"] == "x1")
        #expect(inventory.issues(code: "snap.not-mounted").map(\.location.path) == ["/snap/local-dev/x1/meta/snap.yaml"])

        let old = try #require(inventory.package(named: "oldnumeric"))
        #expect(old.metadata["revision"] == "7")
        #expect(old.version == "0.9.1")
        let mismatch = try #require(inventory.issues(code: "snap.mismatch").first)
        #expect(mismatch.location == IssueLocation(path: "/snap/oldnumeric/7/meta/snap.yaml", line: 1))

        let malformed = inventory.issues(code: "snap.malformed-entry")
        #expect(malformed.map(\.location.path) == ["/var/lib/snapd/state.json", "/var/lib/snapd/state.json"])
        #expect(malformed.compactMap(\.location.line) == [11, 61])
        #expect(malformed.allSatisfy { $0.severity == .error })
        #expect(inventory.issues.count == 4)

        // The base's Debian packages, as syft reads dpkg.yaml.
        let expectation = try PeerExpectations("syft/snap-dpkg").first
        let bundled = inventory.packages.filter { $0.type == .deb }
        #expect(bundled.count == expectation.count)
        for peer in expectation.packages {
            let ours = try #require(bundled.first { $0.name == peer.string("name") })
            #expect(ours.version == peer.string("version"))
            let snapInfo = peer["snap"] as? [String: Any] ?? [:]
            #expect(ours.arch == snapInfo.string("architecture"))
            #expect(ours.metadata["snapType"] == snapInfo.string("snap_type"))
            #expect(ours.metadata["bundledIn"] == "snap")
            #expect(ours.metadata["snap"] == "core20")
            #expect(ours.source == "/snap/core20/2105/usr/share/snappy/dpkg.yaml")
            #expect(ours.updatedAt == core20.updatedAt)
        }
    }

    @Test("ownership by place: files under the mount directory and the units snapd writes")
    func ownership() async throws {
        let root = try Self.handMadeRoot()
        let (output, fileSystem) = try await root.collect(SnapCollector())
        let ownership = try #require(output.ownership)
        let result = ownership.owners(
            of: [
                "/snap/firefox/4259/usr/lib/firefox/firefox", "/etc/systemd/system/snap.firefox.geckodriver.service",
                "/etc/systemd/system/snap-local\\x2ddev-x1.mount", "/etc/systemd/system/snap-core20-2105.mount",
                "/snap/firefoxy/1/x", "/etc/systemd/system/snap.core.service",
            ], aliases: fileSystem.usrMerge)
        #expect(result.owners["/snap/firefox/4259/usr/lib/firefox/firefox"]?.map(\.name) == ["firefox"])
        #expect(result.owners["/etc/systemd/system/snap.firefox.geckodriver.service"]?.map(\.name) == ["firefox"])
        #expect(result.owners["/etc/systemd/system/snap-local\\x2ddev-x1.mount"]?.map(\.name) == ["local-dev"])
        #expect(result.owners["/etc/systemd/system/snap-core20-2105.mount"]?.map(\.name) == ["core20"])
        #expect(result.owners["/snap/firefoxy/1/x"] == nil)
        #expect(result.owners["/etc/systemd/system/snap.core.service"] == nil)
    }

    /// A root with one mounted snap and no snapd state, as osv-scalibr's fixtures describe it.
    static func mountedOnly(_ shared: String, name: String = "core", revision: String = "16928") async throws -> Inventory {
        let root = try FakeRoot()
        try root.place(shared: shared, at: "/snap/\(name)/\(revision)/meta/snap.yaml")
        try root.symlink("/snap/\(name)/current", to: revision)
        return try await root.scan([SnapCollector()])
    }

    @Test("osv-scalibr single-arch.yaml: name, version, architectures, grade and type")
    func singleArch() async throws {
        let inventory = try await Self.mountedOnly("osv-scalibr/snap-single-arch.yaml/single-arch.yaml")
        let expectation = try PeerExpectations("osv-scalibr/snap-single-arch.yaml").first
        #expect(inventory.packages.count == expectation.count)
        for peer in expectation.packages {
            let ours = try #require(inventory.package(named: peer.string("name") ?? ""))
            #expect(ours.type == .snap)
            #expect(ours.version == peer.string("version"))
            #expect(ours.arch == peer.strings("architectures")?.joined(separator: ","))
            #expect(ours.metadata["grade"] == peer.string("grade"))
            #expect(ours.metadata["type"] == peer.string("type"))
            #expect(ours.metadata["revision"] == "16928")
            #expect(ours.source == "/snap/core/16928/meta/snap.yaml")
        }
        // No state: a warning says what is missing.
        #expect(inventory.issues.map(\.code) == ["snap.no-state"])
    }

    @Test("osv-scalibr invalid snap.yaml: a located YAML error; the mounted snap is still reported")
    func invalidYaml() async throws {
        #expect(try PeerExpectations("osv-scalibr/snap-invalid").first.errorExpected)
        let inventory = try await Self.mountedOnly("osv-scalibr/snap-invalid/invalid")
        let error = try #require(inventory.issues(code: "snap.malformed-yaml").first)
        #expect(error.location.path == "/snap/core/16928/meta/snap.yaml")
        #expect(error.location.line == 1)
        #expect(error.severity == .error)
        #expect(inventory.packages.map(\.name) == ["core"])
        #expect(inventory.packages.first?.version == "")
    }

    @Test("osv-scalibr missing-name.yaml: a located missing-name error; the snap keeps its directory name")
    func missingName() async throws {
        #expect(try PeerExpectations("osv-scalibr/snap-missing-name.yaml").first.errorExpected)
        let inventory = try await Self.mountedOnly("osv-scalibr/snap-missing-name.yaml/missing-name.yaml")
        let error = try #require(inventory.issues(code: "snap.missing-name").first)
        #expect(error.location == IssueLocation(path: "/snap/core/16928/meta/snap.yaml", line: 1))
        #expect(inventory.packages.map(\.name) == ["core"])
    }

    @Test("syft manifest.yaml: the gadget's primed stage packages with the snap's architecture and version")
    func syftManifest() async throws {
        let root = try FakeRoot()
        try root.write("/snap/pc/146/meta/snap.yaml", "name: pc\nversion: 24-0.1\ntype: gadget\nbase: core24\narchitectures: [amd64]\n")
        try root.symlink("/snap/pc/current", to: "146")
        try root.place(shared: "syft/snap-manifest/manifest.yaml", at: "/snap/pc/146/snap/manifest.yaml")
        let inventory = try await root.scan([SnapCollector()])
        let expectation = try PeerExpectations("syft/snap-manifest").first
        let bundled = inventory.packages.filter { $0.type == .deb }
        #expect(bundled.count == expectation.count)
        for peer in expectation.packages {
            let ours = try #require(bundled.first { $0.name == peer.string("name") })
            let snapInfo = peer["snap"] as? [String: Any] ?? [:]
            #expect(ours.version == peer.string("version"))
            #expect(ours.arch == snapInfo.string("architecture"))
            #expect(ours.metadata["snap"] == snapInfo.string("snap_name"))
            #expect(ours.metadata["snapVersion"] == snapInfo.string("snap_version"))
            #expect(ours.metadata["snapBase"] == snapInfo.string("base"))
            #expect(ours.metadata["snapType"] == "gadget")  // syft: "app", see the suite's notes
        }
    }
}

@Suite("snap damage")
struct SnapDamageTests {
    @Test("a state that is not JSON: a located error, then the snaps are listed from the mount directory")
    func corruptState() async throws {
        let root = try SnapFixtureTests.handMadeRoot()
        let original = try String(contentsOf: SnapFixtureTests.fixtureRoot.appendingPathComponent("var/lib/snapd/state.json"), encoding: .utf8)
        // Cut the file in the middle of the firefox entry.
        let cut = try #require(original.range(of: "\"title\": \"firefox\""))
        try root.write("/var/lib/snapd/state.json", String(original[..<cut.lowerBound]) + "\"title\": ,")
        let inventory = try await root.scan([SnapCollector()])
        let error = try #require(inventory.issues(code: "snap.malformed-json").first)
        #expect(error.location.path == "/var/lib/snapd/state.json")
        #expect(error.location.line == 31)
        #expect(error.location.offset != nil)
        #expect(inventory.issues(code: "snap.no-state").count == 1)
        let names = inventory.packages.filter { $0.type == .snap }.map(\.name)
        #expect(names == ["core20", "firefox", "hello_work", "local-dev", "oldnumeric"])
        #expect(inventory.package(named: "firefox")?.version == "126.0-2")
        #expect(inventory.package(named: "local-dev")?.metadata["revision"] == "x1")
    }

    @Test("valid JSON that is not a snapd state, and an empty state")
    func notAState() async throws {
        let root = try FakeRoot()
        try root.write("/var/lib/snapd/state.json", "[1, 2, 3]")
        let inventory = try await root.scan([SnapCollector()])
        #expect(inventory.issues.map(\.code) == ["snap.not-a-state"])
        #expect(inventory.packages.isEmpty)

        let fresh = try FakeRoot()
        try fresh.write("/var/lib/snapd/state.json", "{\"data\": {\"seeded\": false}, \"changes\": {}, \"tasks\": {}}")
        let seeded = try await fresh.scan([SnapCollector()])
        #expect(seeded.packages.isEmpty && seeded.issues.isEmpty)
    }

    @Test("random damage never crashes the state, snap.yaml or assertion readers")
    func fuzz() throws {
        let state = try [UInt8](Data(contentsOf: SnapFixtureTests.fixtureRoot.appendingPathComponent("var/lib/snapd/state.json")))
        let yaml = try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture("syft/snap-manifest/manifest.yaml")))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<150 {
            for source in [state, yaml] {
                var damaged = source
                for _ in 0..<8 { damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
                let cut = Array(damaged[..<Int.random(in: 0...damaged.count, using: &generator)])
                _ = SnapStateParser.parse(cut, path: "x")
                _ = SnapYamlParser.metadata(cut, path: "x")
                _ = SnapYamlParser.manifest(cut, path: "x")
                _ = SnapAssertionParser.headers(cut)
            }
        }
        // Aliases are never expanded: a "billion laughs" document is read in constant time.
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...12 { bomb += "l\(level): &l\(level) [" + Array(repeating: level == 1 ? "*a" : "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        bomb += "name: bomb\nversion: '1'\npackages: *l12\n"
        // Deep nesting stops at libyaml's limit (1000) with an error, not a stack overflow.
        for depth in [900, 5000] {
            let flow = "name: deep\nversion: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
            _ = SnapYamlParser.metadata(Array(flow.utf8), path: "deep")
            var block = "name: deep\n"
            for level in 0..<depth { block += String(repeating: " ", count: level) + "k\(level):\n" }
            _ = SnapYamlParser.manifest(Array(block.utf8), path: "deep")
        }
        let started = Date()
        _ = SnapYamlParser.metadata(Array(bomb.utf8), path: "bomb")
        _ = SnapYamlParser.manifest(Array(bomb.utf8), path: "bomb")
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
