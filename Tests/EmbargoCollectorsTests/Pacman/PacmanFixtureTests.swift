import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport
import Testing

/// The pacman (`alpm`) reader against the local databases osv-scalibr and syft test with.
///
/// Deliberate choices:
/// - Versions are split as libalpm splits them: `5.3.1-1` is version `5.3.1`, release `1`, epoch
///   nil; `fullVersion` is the text the peers compare.
/// - A `desc` cut short after `%NAME%` (osv-scalibr's `invalid_value_eof`) is reported: osv-scalibr
///   returns no package and no error, but the entry names a package pacman installed and its
///   directory (`gawk-5.3.1-1`) carries the version. embargo reports it with that version, an
///   `alpm.truncated` error and a warning saying where the version came from.
/// - A `desc` without a readable `%NAME%` (syft's `corrupt-0.2.1-3`) is skipped, as syft does, with
///   typed errors locating each bad line; nothing is invented from the directory name.
/// - osv-scalibr's os-release fields are not package fields here.
@Suite("pacman fixtures")
struct PacmanFixtureTests {
    static let local = "/var/lib/pacman/local"

    static func scan(_ shared: String, directory: String) async throws -> Inventory {
        let root = try FakeRoot()
        try root.place(shared: shared, at: "\(local)/\(directory)/desc")
        return try await root.scan([PacmanCollector()])
    }

    static func bytes(_ shared: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture(shared)))
    }

    @Test(
        "osv-scalibr valid desc files: name, version and dependencies in every test case",
        arguments: [
            ("osv-scalibr/pacman-valid", "valid", "gawk-5.3.1-1"),
            ("osv-scalibr/pacman-valid_no_dep", "valid_no_dep", "libxml2-2.13.5-1"),
        ])
    func osvScalibrValid(_ directory: String, _ file: String, _ entryDirectory: String) async throws {
        let inventory = try await Self.scan(directory + "/" + file, directory: entryDirectory)
        for expectation in try PeerExpectations(directory).expectations {
            #expect(inventory.packages.count == expectation.count)
            for peer in expectation.packages {
                let ours = try #require(inventory.package(named: peer.string("package_name") ?? ""))
                #expect(ours.name == peer.string("name"))
                #expect(ours.type == .alpm)
                #expect(ours.fullVersion == peer.string("version"))
                #expect(ours.fullVersion == peer.string("package_version"))
                let depends = peer.string("package_dependencies")?.components(separatedBy: ", ")
                #expect(ours.metadata["depends"]?.components(separatedBy: " ") == depends)
                #expect(ours.source == "\(Self.local)/\(entryDirectory)/desc")
            }
        }
        #expect(inventory.issues.isEmpty)
    }

    @Test("osv-scalibr valid: fields split and dated from %INSTALLDATE%")
    func fieldsAndDates() async throws {
        let inventory = try await Self.scan("osv-scalibr/pacman-valid/valid", directory: "gawk-5.3.1-1")
        let gawk = try #require(inventory.packages.first)
        #expect(gawk.version == "5.3.1")
        #expect(gawk.release == "1")
        #expect(gawk.epoch == nil)
        #expect(gawk.arch == "x86_64")
        #expect(gawk.packager == "Tobias Powalowski <tpowa@archlinux.org>")
        #expect(gawk.sourcePackage == "gawk")
        #expect(gawk.metadata["license"] == "GPL-3.0-or-later")
        #expect(gawk.metadata["homepage"] == "https://www.gnu.org/software/gawk/")
        #expect(gawk.metadata["buildTime"] == "2024-09-18T10:39:13Z")
        #expect(gawk.metadata["reason"] == "dependency")
        #expect(gawk.metadata["pkgtype"] == "pkg")
        let installed = RecordedDate(Date(timeIntervalSince1970: 1_733_011_443), source: .pacmanInstallDate)
        #expect(gawk.installedAt == installed)
        #expect(gawk.updatedAt == installed)
    }

    @Test("epochs and releases split as libalpm does")
    func versions() {
        let full = PacmanVersion("2:1.0.3-4")
        #expect(full.epoch == 2 && full.version == "1.0.3" && full.release == "4")
        let plain = PacmanVersion("20.30-4")
        #expect(plain.epoch == nil && plain.version == "20.30" && plain.release == "4")
        let noRelease = PacmanVersion("1.0")
        #expect(noRelease.version == "1.0" && noRelease.release == nil)
    }

    @Test("an epoch survives the round trip to the package id")
    func epochPackage() async throws {
        let root = try FakeRoot()
        try root.write("/var/lib/pacman/local/x-1:2.0-3/desc", "%NAME%\nx\n\n%VERSION%\n1:2.0-3\n\n")
        let package = try #require(try await root.scan([PacmanCollector()]).packages.first)
        #expect(package.epoch == 1 && package.version == "2.0" && package.release == "3")
        #expect(package.fullVersion == "1:2.0-3")
    }

    @Test("osv-scalibr invalid_value_eof: reported from its directory name, with a located truncation error")
    func truncated() async throws {
        let expectation = try PeerExpectations("osv-scalibr/pacman-invalid_value_eof").first
        #expect(expectation.count == 0)  // osv-scalibr drops it; see the suite's notes
        let inventory = try await Self.scan("osv-scalibr/pacman-invalid_value_eof/invalid_value_eof", directory: "gawk-5.3.1-1")
        let gawk = try #require(inventory.packages.first)
        #expect(gawk.name == "gawk")
        #expect(gawk.fullVersion == "5.3.1-1")
        #expect(gawk.metadata["versionSource"] == "directory-name")
        let path = "\(Self.local)/gawk-5.3.1-1/desc"
        let error = try #require(inventory.issues(code: "alpm.truncated").first)
        #expect(error.location == IssueLocation(path: path, line: 4))
        #expect(error.severity == .error)
        #expect(inventory.issues(code: "alpm.missing-version").first?.location == IssueLocation(path: path, line: 4))

        // Without a version in the directory name the package is still reported, version unknown.
        let bare = try await Self.scan("osv-scalibr/pacman-invalid_value_eof/invalid_value_eof", directory: "gawk")
        #expect(bare.packages.map(\.name) == ["gawk"])
        #expect(bare.packages.first?.version == "")
    }

    @Test("syft files: %FILES% and %BACKUP% with md5 digests")
    func syftFiles() throws {
        let peer = try #require(try PeerExpectations("syft/alpm-files-only").first.packages.first)
        let result = PacmanDatabaseParser.files(try Self.bytes("syft/alpm-files-only/files"), path: "files")
        #expect(result.errors.isEmpty)
        #expect(result.list.files == (peer["files"] as? [[String: Any]])?.compactMap { $0.string("path") })
        let backup = try #require(peer["backup"] as? [[String: Any]])
        #expect(result.list.backup.map(\.path) == backup.compactMap { $0.string("path") })
        #expect(
            result.list.backup.map(\.md5)
                == backup.compactMap { (($0["digests"] as? [[String: Any]])?.first)?.string("value") })
    }

    @Test("syft gmp desc: every field syft asserts")
    func syftDesc() throws {
        let peer = try #require(try PeerExpectations("syft/alpm-desc-gmp-6.2.1-2").first.packages.first)
        let result = PacmanDatabaseParser.desc(try Self.bytes("syft/alpm-desc-gmp-6.2.1-2/desc"), path: "desc")
        #expect(result.errors.isEmpty && result.warnings.isEmpty)
        let entry = try #require(result.entry)
        #expect(entry.name == peer.string("name"))
        #expect(entry.version == peer.string("version"))
        #expect(entry.architecture == peer.string("arch"))
        #expect(entry.base == peer.string("base"))
        #expect(entry.depends == peer.strings("depends"))
        #expect(entry.summary == peer.string("description"))
        #expect(entry.packager == peer.string("packager"))
        #expect(entry.reason == peer.int("reason"))
        #expect(entry.size == peer.int("installed_size"))
        #expect(entry.url == peer.string("url"))
        #expect(entry.validation == [peer.string("validation") ?? ""])
        #expect(entry.licenses.joined(separator: "\n") == peer.string("licenses_raw"))
    }

    @Test("syft local database: the 5 packages, the corrupt entry skipped with located errors")
    func syftLocalDatabase() async throws {
        let root = try FakeRoot()
        try root.placeTree(ProjectPaths.sharedFixture("syft/alpm-local-db/rootfs"), at: "/")
        let (output, fileSystem) = try await root.collect(PacmanCollector())
        let inventory = output.inventory
        let expectation = try PeerExpectations("syft/alpm-local-db").first
        #expect(inventory.packages.count == expectation.count)
        for peer in expectation.packages {
            let name = try #require(peer.string("name"))
            let ours = try #require(inventory.package(named: name))
            #expect(ours.fullVersion == peer.string("version"))
            #expect(ours.arch == peer.string("arch"))
            #expect(ours.sourcePackage == peer.string("base"))
            #expect(ours.packager == peer.string("packager"))
            #expect(ours.metadata["summary"] == peer.string("description"))
            #expect(ours.metadata["homepage"] == peer.string("url"))
            #expect(ours.metadata["installedSize"] == peer.int("installed_size").map(String.init))
            #expect(ours.metadata["provides"] == peer.strings("provides")?.joined(separator: " "))
            #expect(ours.metadata["depends"] == peer.strings("depends")?.joined(separator: " "))
            let licenses = peer.strings("licenses") ?? []
            #expect(ours.metadata["license"] == (licenses.isEmpty ? nil : licenses.joined(separator: " AND ")))
            #expect(ours.metadata["reason"] == peer.int("reason").map { $0 == 1 ? "dependency" : "explicit" })
        }
        let corrupt = "\(Self.local)/corrupt-0.2.1-3/desc"
        #expect(!inventory.packages.contains { $0.source == corrupt })
        let errors = inventory.issues.filter { $0.location.path == corrupt }
        #expect(errors.contains { $0.code == "alpm.malformed-line" && $0.location.line == 4 })
        #expect(errors.contains { $0.code == "alpm.missing-name" })
        #expect(errors.allSatisfy { $0.severity == .error })
        #expect(inventory.issues.allSatisfy { $0.location.path == corrupt })

        // Ownership from the `files` lists (gmp's matches its mtree; fuzzy's names its backup file).
        let ownership = try #require(output.ownership)
        let result = ownership.owners(
            of: ["/usr/include/gmp.h", "/etc/fuzzy.conf", "/usr/lib/libgmp.so.10", "/etc/pacman.conf"], aliases: fileSystem.usrMerge)
        #expect(result.owners["/usr/include/gmp.h"]?.map(\.name) == ["gmp"])
        #expect(result.owners["/usr/lib/libgmp.so.10"]?.map(\.name) == ["gmp"])
        #expect(result.owners["/etc/fuzzy.conf"]?.map(\.name) == ["fuzzy"])
        #expect(result.owners["/etc/pacman.conf"] == nil)
        #expect(result.issues.isEmpty)
    }
}

@Suite("pacman dates, configuration and damage")
struct PacmanHistoryTests {
    static let log = """
        [2023-01-10T09:00:00+0100] [PACMAN] Running 'pacman -S gawk'
        [2023-01-10T09:00:01+0100] [ALPM] transaction started
        [2023-01-10T09:00:02+0100] [ALPM] installed gawk (5.1.1-1)
        [2024-02-01T10:00:00+0000] [ALPM] upgraded gawk (5.1.1-1 -> 5.3.0-1)
        [2024-11-30 23:59] [ALPM] installed libxml2 (2.13.5-1)
        [2024-12-01T00:04:03+0000] [ALPM] upgraded gawk (5.3.0-1 -> 5.3.1-1)
        [2024-12-01T00:05:00+0000] [ALPM] removed oldthing (1.0-1)
        [garbage] [ALPM] installed broken (1-1)
        """

    @Test("pacman.log gives the first install of the current installation; %INSTALLDATE% the last change")
    func logDates() async throws {
        let root = try FakeRoot()
        try root.place(shared: "osv-scalibr/pacman-valid/valid", at: "/var/lib/pacman/local/gawk-5.3.1-1/desc")
        try root.place(shared: "osv-scalibr/pacman-valid_no_dep/valid_no_dep", at: "/var/lib/pacman/local/libxml2-2.13.5-1/desc")
        try root.write("/var/log/pacman.log", Self.log)
        try root.write("/etc/timezone", "Europe/Berlin\n")
        let inventory = try await root.scan([PacmanCollector()])
        let gawk = try #require(inventory.package(named: "gawk"))
        #expect(gawk.installedAt == RecordedDate(Date(timeIntervalSince1970: 1_673_337_602), source: .pacmanLog))
        #expect(gawk.updatedAt == RecordedDate(Date(timeIntervalSince1970: 1_733_011_443), source: .pacmanInstallDate))
        // An old-style local time, read in the root's zone (23:59 CET = 22:59 UTC).
        let libxml2 = try #require(inventory.package(named: "libxml2"))
        #expect(libxml2.installedAt == RecordedDate(Date(timeIntervalSince1970: 1_733_007_540), source: .pacmanLog))
        #expect(inventory.issues(code: "alpm.malformed-log-line").first?.location.path == "/var/log/pacman.log")
    }

    @Test("a log line later than %INSTALLDATE% belongs to another installation: the database wins")
    func logLaterThanDatabase() async throws {
        let root = try FakeRoot()
        try root.place(shared: "osv-scalibr/pacman-valid/valid", at: "/var/lib/pacman/local/gawk-5.3.1-1/desc")
        try root.write("/var/log/pacman.log", "[2030-01-01T00:00:00+0000] [ALPM] installed gawk (5.3.1-1)\n")
        let gawk = try #require(try await root.scan([PacmanCollector()]).packages.first)
        #expect(gawk.installedAt?.source == .pacmanInstallDate)
    }

    @Test("without %INSTALLDATE% or a log, the desc mtime is the last resort")
    func mtimeFallback() async throws {
        let root = try FakeRoot()
        try root.write("/var/lib/pacman/local/fuzzy-1.2-3/desc", "%NAME%\nfuzzy\n\n%VERSION%\n1.2-3\n\n")
        let stamp = Date(timeIntervalSince1970: 1_600_000_000)
        try root.setModified("/var/lib/pacman/local/fuzzy-1.2-3/desc", stamp)
        let fuzzy = try #require(try await root.scan([PacmanCollector()]).packages.first)
        #expect(fuzzy.installedAt == RecordedDate(stamp, source: .fileMtime))
    }

    @Test("DBPath and LogFile in pacman.conf move the database and the log")
    func configuration() async throws {
        let root = try FakeRoot()
        try root.write("/etc/pacman.conf", "[options]\n# comment\nDBPath = /srv/pacman/\nLogFile = /srv/pacman.log\n[core]\nDBPath = /wrong\n")
        try root.place(shared: "osv-scalibr/pacman-valid/valid", at: "/srv/pacman/local/gawk-5.3.1-1/desc")
        try root.write("/srv/pacman.log", "[2023-01-10T09:00:02+0100] [ALPM] installed gawk (5.1.1-1)\n")
        let inventory = try await root.scan([PacmanCollector()])
        #expect(inventory.packages.first?.source == "/srv/pacman/local/gawk-5.3.1-1/desc")
        #expect(inventory.packages.first?.installedAt?.source == .pacmanLog)
    }

    @Test("empty, garbage and unreadable entries: located errors, the other packages still reported")
    func damaged() async throws {
        let root = try FakeRoot()
        try root.place(shared: "osv-scalibr/pacman-valid/valid", at: "/var/lib/pacman/local/gawk-5.3.1-1/desc")
        try root.write("/var/lib/pacman/local/empty-1-1/desc", "")
        try root.write("/var/lib/pacman/local/garbage-1-1/desc", "\u{7F}ELF\u{0}\u{1}binary\n\nnot a section\n")
        try root.directory.makeDirectory("var/lib/pacman/local/nodesc-1-1")
        try root.write("/var/lib/pacman/local/ALPM_DB_VERSION", "9\n")
        let inventory = try await root.scan([PacmanCollector()])
        #expect(inventory.packages.map(\.name) == ["gawk"])
        #expect(inventory.issues.contains { $0.code == "alpm.missing-name" && $0.location.path == "/var/lib/pacman/local/empty-1-1/desc" })
        #expect(inventory.issues.contains {
            $0.code == "alpm.malformed-line" && $0.location == IssueLocation(path: "/var/lib/pacman/local/garbage-1-1/desc", line: 1)
        })
        #expect(inventory.issues.contains { $0.code == "fs.not-found" && $0.location.path == "/var/lib/pacman/local/nodesc-1-1/desc" })
    }

    @Test("random damage never crashes the parsers")
    func fuzz() throws {
        let bytes = try [UInt8](Data(contentsOf: ProjectPaths.sharedFixture("syft/alpm-desc-gmp-6.2.1-2/desc")))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var damaged = bytes
            for _ in 0..<10 { damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            let cut = Int.random(in: 0...damaged.count, using: &generator)
            _ = PacmanDatabaseParser.desc(Array(damaged[..<cut]), path: "x")
            _ = PacmanDatabaseParser.files(Array(damaged[..<cut]), path: "x")
            var events: [PacmanLogEvent] = []
            _ = PacmanLogParser(timeZone: .utc).parse(Array(damaged[..<cut]), into: &events)
        }
    }
}
