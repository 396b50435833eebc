import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `.deb` and `.rpm` that `scripts/package` builds, from the debug binaries so the default test
/// run stays fast: their contents and metadata, and what installing them does to a private root.
/// The release build, lintian/rpmlint on it and an install into a real Debian root are in
/// `PackagedReleaseTests` (EMBARGO_PACKAGE_RELEASE_TEST=1).
enum TestPackages {
    struct Failure: Error, CustomStringConvertible, Sendable {
        let description: String
    }

    /// Where the tests' packages go (git-ignored, reused between runs).
    static let output = ProjectPaths.root.appendingPathComponent(".build-packages/tests")

    /// Built at most once per test process; both suites wait on theirs.
    static let deb: Result<URL, Failure> = build("deb")
    static let rpm: Result<URL, Failure> = build("rpm")

    static func build(_ format: String, arguments: [String]? = nil, output: URL = output) -> Result<URL, Failure> {
        let script = ProjectPaths.root.appendingPathComponent("scripts/package").path
        let arguments = arguments ?? ["--binaries", ProjectPaths.buildProducts.path]
        do {
            let result = try Command.run(script, [format] + arguments + ["--output", output.path], timeout: 1800)
            guard result.status == 0, let path = result.stdout.split(separator: "\n").last.map(String.init),
                FileManager.default.fileExists(atPath: path)
            else {
                return .failure(Failure(description: "scripts/package \(format) exited \(result.status):\n\(result.stderr.suffix(6000))"))
            }
            return .success(URL(fileURLWithPath: path))
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }

    /// The version the binaries report, which every package must carry.
    static func embargoVersion() throws -> String {
        try Command.check(ProjectPaths.embargoExecutable.path, ["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What both packages install outside their format's own places: (path, mode).
    static func commonFiles() throws -> [String: Int] {
        var files: [String: Int] = [
            "/usr/bin/embargo": 0o755,
            "/usr/bin/embargod": 0o755,
            "/usr/lib/systemd/system/embargod.service": 0o644,
            "/usr/lib/systemd/catalog/embargo.catalog": 0o644,
            "/etc/embargo/embargod.conf": 0o644,
        ]
        let policies = try FileManager.default.contentsOfDirectory(atPath: ProjectPaths.policies.path)
            .filter { $0.hasSuffix(".yaml") || $0 == "schema.json" }
        #expect(policies.contains("kaspersky.yaml") && policies.contains("schema.json"))
        for policy in policies { files["/usr/share/embargo/policies/\(policy)"] = 0o644 }
        let manPages = try FileManager.default.contentsOfDirectory(atPath: ProjectPaths.root.appendingPathComponent("docs/man").path)
            .filter { $0.hasSuffix(".1") }
        #expect(manPages.contains("embargo.1") && manPages.contains("embargod.1"))
        for page in manPages { files["/usr/share/man/man1/\(page).gz"] = 0o644 }
        for tool in ["embargo", "embargod"] {
            files["/usr/share/bash-completion/completions/\(tool)"] = 0o644
            files["/usr/share/fish/vendor_completions.d/\(tool).fish"] = 0o644
        }
        for document in ["README.md", "journal.md", "policy.md", "inventory.schema.json", "report.schema.json"] {
            files["/usr/share/doc/embargo/\(document)"] = 0o644
        }
        return files
    }

    /// The notices scripts/package collects: `<package>/<LICENSE|NOTICE|COPYING...>` of every Swift
    /// package the build resolved (in `checkouts/` of the build directory), and the runtime's.
    static func thirdPartyNotices() throws -> Set<String> {
        var directory = ProjectPaths.buildProducts.resolvingSymlinksInPath()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkouts").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        let checkouts = directory.appendingPathComponent("checkouts")
        var notices: Set<String> = []
        for dependency in try FileManager.default.contentsOfDirectory(atPath: checkouts.path) {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: checkouts.appendingPathComponent(dependency).path)) ?? []
            for file in files where ["LICENSE", "NOTICE", "COPYING"].contains(where: file.hasPrefix) {
                notices.insert("\(dependency)/\(file)")
            }
        }
        #expect(notices.contains { $0.hasPrefix("swift-crypto/LICENSE") } && notices.contains { $0.hasPrefix("Yams/LICENSE") })
        if Command.isAvailable("swift") {
            let swift = URL(fileURLWithPath: try Command.check("/bin/sh", ["-c", "readlink -f \"$(command -v swift)\""]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines))
            let license = swift.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/swift/LICENSE.txt")
            if FileManager.default.fileExists(atPath: license.path) { notices.insert("swift/LICENSE.txt") }
        }
        return notices
    }

    /// Runs `body` (a shell command) with the host's /run/systemd hidden when systemd runs here:
    /// Debian's maintainer scripts reload and start units when they see /run/systemd/system, even
    /// for a package installed with --root.
    static func withoutHostSystemd(_ command: String) throws -> Command.Output {
        guard FileManager.default.fileExists(atPath: "/run/systemd/system") else {
            return try Command.run("/bin/sh", ["-c", command], timeout: 600)
        }
        return try Command.run(
            "/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs tmpfs /run/systemd && " + command],
            timeout: 600)
    }

    /// An installed `embargo` run as users run it: no policy directory override, its own cache.
    static func runInstalled(_ root: String, _ arguments: [String]) throws -> Command.Output {
        let cache = try TemporaryDirectory(prefix: "embargo-installed-cache")
        return try Command.run(
            "\(root)/usr/bin/embargo", arguments, environment: ["EMBARGO_POLICY_DIR": "", "XDG_CACHE_HOME": cache.path])
    }

    /// Checks that `policy list` of the binary installed in `root` found the policies installed beside it.
    static func expectPoliciesFoundBesideBinary(root: String) throws {
        let list = try runInstalled(root, ["policy", "list", "--format", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: list.stdoutData) as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["id"] as? String }).isSuperset(of: ["kaspersky", "positive-technologies", "profiles"]))
        for row in rows {
            let path = try #require(row["path"] as? String)
            #expect(path.hasPrefix("\(root)/usr/share/embargo/policies/"), "policy read from \(path)")
        }
    }

    /// The packages `embargo inventory` reads from the root's own database.
    static func inventoriedPackages(root: String) throws -> [[String: Any]] {
        let inventory = try runInstalled(root, ["inventory", "--root", root, "--format", "json"])
        #expect(inventory.status == 0, "\(inventory.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: inventory.stdoutData) as? [String: Any])
        return object["packages"] as? [[String: Any]] ?? []
    }

    /// The bundled unit checked by systemd against the installed binary and man pages: /usr/bin is
    /// overlaid with the root's, `man` looks in the root's man pages (Documentation=man:...).
    static func verifyUnit(root: String) throws -> Command.Output {
        try Command.run(
            "/usr/bin/unshare",
            [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount -t tmpfs tmpfs /run/systemd && mount -t overlay overlay -o lowerdir=\(root)/usr/bin:/usr/bin /usr/bin && "
                    + "MANPATH=\(root)/usr/share/man systemd-analyze verify --man=yes \(root)/usr/lib/systemd/system/embargod.service",
            ])
    }

    static var canVerifyUnits: Bool { getuid() == 0 && Command.isAvailable("systemd-analyze") }
}

@Suite("Debian package (scripts/package deb)", .serialized)
struct DebianPackageTests {
    static func package() throws -> URL { try TestPackages.deb.get() }

    static func field(_ name: String, of deb: URL) throws -> String {
        try Command.check("dpkg-deb", ["--field", deb.path, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("contents: binaries, policies, unit, catalog, conffile, man pages, completions, docs, and nothing else")
    func contents() throws {
        let deb = try Self.package()
        let listing = try Command.check("dpkg-deb", ["--contents", deb.path]).stdout
        var files: [String: (mode: String, owner: String)] = [:]
        var directories: Set<String> = []
        for line in listing.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 6 else { continue }
            let path = String(columns[5].dropFirst())  // "./usr/bin/embargo" → "/usr/bin/embargo"
            if columns[0].hasPrefix("d") {
                directories.insert(path.hasSuffix("/") ? String(path.dropLast()) : path)
            } else {
                files[path] = (String(columns[0]), String(columns[1]))
            }
        }
        var expected = try TestPackages.commonFiles()
        for tool in ["embargo", "embargod"] {
            expected["/usr/share/zsh/vendor-completions/_\(tool)"] = 0o644
        }
        expected["/usr/share/doc/embargo/copyright"] = 0o644
        expected["/usr/share/doc/embargo/changelog.Debian.gz"] = 0o644
        expected["/usr/share/lintian/overrides/embargo"] = 0o644
        for notice in try TestPackages.thirdPartyNotices() { expected["/usr/share/doc/embargo/third-party/\(notice)"] = 0o644 }
        #expect(Set(files.keys) == Set(expected.keys), """
            unexpected: \(Set(files.keys).subtracting(expected.keys).sorted())
            missing: \(Set(expected.keys).subtracting(files.keys).sorted())
            """)
        for (path, mode) in expected {
            guard let entry = files[path] else { continue }
            #expect(entry.mode == (mode == 0o755 ? "-rwxr-xr-x" : "-rw-r--r--"), "\(path): \(entry.mode)")
            #expect(entry.owner == "root/root", "\(path): \(entry.owner)")
        }
        // The empty directory for waivers, and the unit only in /usr/lib (not also in /lib).
        #expect(directories.contains("/etc/embargo/waivers.d"))
        #expect(!directories.contains("/lib"), "the unit belongs in /usr/lib/systemd/system only")
        // No test fixture ships (their licenses would have to travel with them).
        #expect(!listing.lowercased().contains("fixture"))
    }

    @Test("control: version of the binaries, Depends from dpkg-shlibdeps, the conffile, systemd snippets")
    func control() throws {
        let deb = try Self.package()
        #expect(try Self.field("Package", of: deb) == "embargo")
        let version = try TestPackages.embargoVersion()
        #expect(try Self.field("Version", of: deb) == "\(version)-1")
        let architecture = try Command.check("dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Self.field("Architecture", of: deb) == architecture)
        // The libraries the binaries link dynamically, each from its Debian package; the Swift
        // runtime of the toolchain (a debug build's) is left out, and a release build links it in.
        let depends = try Self.field("Depends", of: deb).split(separator: ",").map {
            String($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        for library in ["libc6", "libsystemd0", "libsqlite3-0", "zlib1g", "liblzma5", "libzstd1"] {
            #expect(depends.contains(library), "Depends: \(depends)")
        }
        // /bin/kill for ExecReload=: a minimal Debian with systemd has none.
        #expect(depends.contains("procps"))
        #expect(!depends.contains { $0.contains("swift") })

        let control = try TemporaryDirectory(prefix: "embargo-deb-control")
        try Command.check("dpkg-deb", ["--control", deb.path, control.path])
        func script(_ name: String) throws -> String {
            try String(contentsOf: control.url.appendingPathComponent(name), encoding: .utf8)
        }
        #expect(try script("conffiles") == "/etc/embargo/embargod.conf\n")
        let postinst = try script("postinst")
        #expect(postinst.contains("deb-systemd-helper enable 'embargod.service'"), "enabled on installation")
        #expect(postinst.contains("_dh_action=restart") && postinst.contains("_dh_action=start"), "started, restarted after upgrade")
        #expect(try script("prerm").contains("[ \"$1\" = remove ]"), "stopped on removal only, not before an upgrade")
        let postrm = try script("postrm")
        #expect(postrm.contains("deb-systemd-helper purge 'embargod.service'"))
        #expect(postrm.contains("/var/lib/embargo"), "purge removes the state directory")
        // dpkg's own checks of the maintainer scripts' syntax.
        for name in ["postinst", "prerm", "postrm"] {
            try Command.check("/bin/sh", ["-n", control.url.appendingPathComponent(name).path])
        }
    }

    @Test("files as shipped: stripped binaries, completions without #!, the documents the unit links to uncompressed")
    func shippedFiles() throws {
        let deb = try Self.package()
        let tree = try TemporaryDirectory(prefix: "embargo-deb-tree")
        try Command.check("dpkg-deb", ["--extract", deb.path, tree.path])
        for tool in ["embargo", "embargod"] {
            let sections = try Command.check("readelf", ["--section-headers", "--wide", "\(tree.path)/usr/bin/\(tool)"]).stdout
            #expect(!sections.contains(".debug_info"), "\(tool) is not stripped")
            let bash = try String(contentsOfFile: "\(tree.path)/usr/share/bash-completion/completions/\(tool)", encoding: .utf8)
            #expect(!bash.hasPrefix("#!") && bash.contains("complete"))
            let zsh = try String(contentsOfFile: "\(tree.path)/usr/share/zsh/vendor-completions/_\(tool)", encoding: .utf8)
            #expect(zsh.hasPrefix("#compdef \(tool)\n"))
        }
        for (shipped, source) in [
            ("etc/embargo/embargod.conf", "systemd/embargod.conf"),
            ("usr/lib/systemd/system/embargod.service", "systemd/embargod.service"),
            ("usr/lib/systemd/catalog/embargo.catalog", "systemd/embargo.catalog"),
            ("usr/share/doc/embargo/journal.md", "docs/journal.md"),
        ] {
            let data = try Data(contentsOf: tree.url.appendingPathComponent(shipped))
            #expect(data == (try Data(contentsOf: ProjectPaths.root.appendingPathComponent(source))), "\(shipped) differs from \(source)")
        }
        // Every man: and file: link of the unit and the catalog points into the package.
        let unit = try String(contentsOfFile: "\(tree.path)/usr/lib/systemd/system/embargod.service", encoding: .utf8)
        let catalog = try String(contentsOfFile: "\(tree.path)/usr/lib/systemd/catalog/embargo.catalog", encoding: .utf8)
        for link in Self.documentationLinks(in: unit + "\n" + catalog) {
            if link.hasPrefix("file://") {
                #expect(FileManager.default.fileExists(atPath: tree.path + link.dropFirst(7)), "\(link) is not shipped")
            } else if link.hasPrefix("man:"), let open = link.firstIndex(of: "(") {
                let name = link[link.index(link.startIndex, offsetBy: 4)..<open]
                let section = link[link.index(after: open)...].dropLast()
                #expect(
                    FileManager.default.fileExists(atPath: "\(tree.path)/usr/share/man/man\(section)/\(name).\(section).gz"),
                    "\(link) is not shipped")
            }
        }
    }

    /// The `man:` and `file:` URIs of `Documentation=`, `Documentation:` and `Support:` lines.
    static func documentationLinks(in text: String) -> Set<String> {
        var links: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix("Documentation") || line.hasPrefix("Support:") {
            for word in line.split(whereSeparator: { $0 == " " || $0 == "=" }) where word.hasPrefix("man:") || word.hasPrefix("file:") {
                links.insert(String(word))
            }
        }
        return links
    }

    @Test("dpkg --root: installs, enables embargod.service, finds its policies, sees itself, keeps the conffile, purges clean")
    func installIntoEmptyRoot() throws {
        let deb = try Self.package()
        let root = try DebianRoot()
        let dpkg = "dpkg --root=\(root.path) --force-script-chrootless --force-not-root --log=\(root.path)/var/log/dpkg.log"
        // --force-depends: the empty root has none of the libraries; the host provides them.
        let install = try TestPackages.withoutHostSystemd("\(dpkg) --force-depends --install \(deb.path)")
        #expect(install.status == 0, "\(install.stderr)")
        let status = try Command.check("dpkg-query", ["--root=\(root.path)", "--show", "--showformat=${Status} ${Version}", "embargo"]).stdout
        let version = try TestPackages.embargoVersion()
        #expect(status == "install ok installed \(version)-1")

        // Enabled by the postinst (deb-systemd-helper honours DPKG_ROOT), as systemctl sees it.
        let wants = "\(root.path)/etc/systemd/system/multi-user.target.wants/embargod.service"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: wants) == "/usr/lib/systemd/system/embargod.service")
        let enabled = try Command.run("systemctl", ["--root=\(root.path)", "is-enabled", "embargod.service"])
        #expect(enabled.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "enabled", "\(enabled.stderr)")

        try TestPackages.expectPoliciesFoundBesideBinary(root: root.path)
        let packages = try TestPackages.inventoriedPackages(root: root.path)
        let own = packages.first { $0["name"] as? String == "embargo" }
        #expect(own?["type"] as? String == "deb" && own?["version"] as? String == "\(version)-1")
        #expect(own?["state"] as? String == "installed")

        // Reinstalling (what an upgrade runs) keeps the administrator's configuration.
        let conf = "\(root.path)/etc/embargo/embargod.conf"
        let edited = try String(contentsOfFile: conf, encoding: .utf8) + "scan-interval = 1h\n"
        try edited.write(toFile: conf, atomically: true, encoding: .utf8)
        let reinstall = try TestPackages.withoutHostSystemd("\(dpkg) --force-depends --force-confold --install \(deb.path)")
        #expect(reinstall.status == 0, "\(reinstall.stderr)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == edited)
        // (The link points into the root, so it is read, not followed.)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: wants)) != nil, "still enabled after reinstalling")

        // Purge: unit disabled, configuration and the service's state gone.
        try FileManager.default.createDirectory(atPath: "\(root.path)/var/lib/embargo", withIntermediateDirectories: true)
        try Data("state".utf8).write(to: URL(fileURLWithPath: "\(root.path)/var/lib/embargo/embargo.sqlite"))
        let purge = try TestPackages.withoutHostSystemd("\(dpkg) --purge embargo")
        #expect(purge.status == 0, "\(purge.stderr)")
        for gone in [wants, conf, "\(root.path)/etc/embargo", "\(root.path)/var/lib/embargo", "\(root.path)/usr/bin/embargo"] {
            #expect((try? FileManager.default.attributesOfItem(atPath: gone)) == nil, "\(gone) is left after purge")
        }
    }

    @Test(
        "systemd-analyze verify: the installed unit, its ExecStart and its man page, silent",
        .enabled(if: TestPackages.canVerifyUnits, "needs root and systemd-analyze"))
    func verifyInstalledUnit() throws {
        let deb = try Self.package()
        let root = try DebianRoot()
        let install = try TestPackages.withoutHostSystemd(
            "dpkg --root=\(root.path) --force-script-chrootless --force-depends --log=\(root.path)/var/log/dpkg.log --install \(deb.path)")
        #expect(install.status == 0, "\(install.stderr)")
        let verify = try TestPackages.verifyUnit(root: root.path)
        #expect(verify.status == 0)
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "verify printed:\n\(verify.stdout)\(verify.stderr)")
    }

    @Test("lintian: nothing but what a debug build must have (the toolchain's RUNPATH)", .enabled(if: Command.isAvailable("lintian")))
    func lintian() throws {
        let deb = try Self.package()
        let output = try Command.run("lintian", ["--pedantic", deb.path], timeout: 600)
        let tags = output.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
        // The release build links the runtime statically and has no RUNPATH (PackagedReleaseTests).
        let unexpected = tags.filter { !$0.contains("custom-library-search-path") }
        #expect(unexpected.isEmpty, "lintian:\n\(output.stdout)")
    }
}

@Suite("RPM package (scripts/package rpm)", .serialized)
struct RpmPackageTests {
    static func package() throws -> URL { try TestPackages.rpm.get() }

    /// `rpm` reading a package file only: a private, empty database, never the host's or ~/.rpmdb.
    static func query(_ arguments: [String]) throws -> String {
        let database = try TemporaryDirectory(prefix: "embargo-rpmdb")
        return try Command.check("rpm", ["--dbpath", database.path, "--query", "--package"] + arguments + [try package().path]).stdout
    }

    @Test("contents: the same layout as the .deb in the RPM distributions' places")
    func contents() throws {
        let listing = try Self.query(["--list", "--verbose"])
        var files: [String: String] = [:]
        var directories: Set<String> = []
        for line in listing.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 9, let path = columns.first(where: { $0.hasPrefix("/") }).map(String.init) else { continue }
            // rpm's build-id links (/usr/lib/.build-id/xx/... → the binaries) are the distributions' own.
            if path.hasPrefix("/usr/lib/.build-id") { continue }
            if columns[0].hasPrefix("d") { directories.insert(path) } else { files[path] = String(columns[0]) }
        }
        var expected = try TestPackages.commonFiles()
        for tool in ["embargo", "embargod"] {
            expected["/usr/share/zsh/site-functions/_\(tool)"] = 0o644
        }
        expected["/usr/lib/systemd/system-preset/50-embargo.preset"] = 0o644
        expected["/usr/share/licenses/embargo/copyright"] = 0o644
        for notice in try TestPackages.thirdPartyNotices() { expected["/usr/share/licenses/embargo/third-party/\(notice)"] = 0o644 }
        #expect(Set(files.keys) == Set(expected.keys), """
            unexpected: \(Set(files.keys).subtracting(expected.keys).sorted())
            missing: \(Set(expected.keys).subtracting(files.keys).sorted())
            """)
        for (path, mode) in expected {
            guard let entry = files[path] else { continue }
            #expect(entry == (mode == 0o755 ? "-rwxr-xr-x" : "-rw-r--r--"), "\(path): \(entry)")
        }
        #expect(directories.isSuperset(of: ["/etc/embargo", "/etc/embargo/waivers.d", "/usr/share/embargo/policies"]))
        #expect(!listing.lowercased().contains("fixture"))
    }

    @Test("metadata: version, license, %config(noreplace), library requirements, systemd scriptlets")
    func metadata() throws {
        let version = try TestPackages.embargoVersion()
        #expect(try Self.query(["--queryformat", "%{NAME} %{VERSION} %{LICENSE}"]) == "embargo \(version) Apache-2.0")
        #expect(try Self.query(["--configfiles"]) == "/etc/embargo/embargod.conf\n")
        // noreplace: an edited configuration is kept on upgrade (the new one lands as .rpmnew).
        let flags = try Self.query(["--queryformat", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]"])
        #expect(flags.contains("/etc/embargo/embargod.conf cn"), "\(flags)")
        let requires = try Self.query(["--requires"]).split(separator: "\n").map(String.init)
        for library in ["libc.so.6()(64bit)", "libsystemd.so.0()(64bit)", "libsqlite3.so.0()(64bit)", "libz.so.1()(64bit)",
                        "liblzma.so.5()(64bit)", "libzstd.so.1()(64bit)"] {
            #expect(requires.contains(library), "\(requires)")
        }
        #expect(!requires.contains { $0.contains("swift") || $0.contains("Foundation") })
        #expect(requires.contains("util-linux"), "kill(1) for ExecReload=")
        let scripts = try Self.query(["--scripts"])
        #expect(scripts.contains("preset embargod.service"), "enabled by preset on first installation")
        #expect(scripts.contains("disable --now embargod.service"), "stopped and disabled on erase")
        #expect(scripts.contains("try-restart embargod.service"), "restarted after upgrade")
        let preset = try String(contentsOf: ProjectPaths.root.appendingPathComponent("Packaging/rpm/embargo.preset"), encoding: .utf8)
        #expect(preset.split(separator: "\n").contains("enable embargod.service"))
    }

    @Test("rpm --root: installs into a private database; the preset enables the unit; embargo finds its policies and itself")
    func installIntoPrivateRoot() throws {
        let rpm = try Self.package()
        let root = try TemporaryDirectory(prefix: "embargo-rpm-root")
        // --noscripts: scriptlets would run chrooted into a root without a shell; --nodeps: the
        // root has no libraries. The scriptlets' effect is checked by running the preset here.
        try Command.check("rpm", ["--root", root.path, "--dbpath", "/var/lib/rpm", "--install", "--nodeps", "--noscripts", rpm.path])
        let installed = try Command.check("rpm", ["--root", root.path, "--dbpath", "/var/lib/rpm", "--query", "embargo"]).stdout
        let version = try TestPackages.embargoVersion()
        #expect(installed.hasPrefix("embargo-\(version)-1"))
        #expect(FileManager.default.fileExists(atPath: "\(root.path)/var/lib/rpm/rpmdb.sqlite"))

        let before = try Command.run("systemctl", ["--root=\(root.path)", "is-enabled", "embargod.service"])
        #expect(before.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "disabled")
        try Command.check("systemctl", ["--root=\(root.path)", "preset", "embargod.service"])
        let after = try Command.run("systemctl", ["--root=\(root.path)", "is-enabled", "embargod.service"])
        #expect(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "enabled")

        try TestPackages.expectPoliciesFoundBesideBinary(root: root.path)
        // embargo's own RPM reader finds the package rpm just recorded.
        let packages = try TestPackages.inventoriedPackages(root: root.path)
        let own = packages.first { $0["name"] as? String == "embargo" }
        #expect(own?["type"] as? String == "rpm")
        #expect(own?["version"] as? String == version && own?["release"] as? String == "1")
    }

    @Test(
        "systemd-analyze verify: the unit as the RPM installs it",
        .enabled(if: TestPackages.canVerifyUnits, "needs root and systemd-analyze"))
    func verifyInstalledUnit() throws {
        let root = try TemporaryDirectory(prefix: "embargo-rpm-root")
        try Command.check("rpm", ["--root", root.path, "--dbpath", "/var/lib/rpm", "--install", "--nodeps", "--noscripts", try Self.package().path])
        let verify = try TestPackages.verifyUnit(root: root.path)
        #expect(verify.status == 0)
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "verify printed:\n\(verify.stdout)\(verify.stderr)")
    }

    @Test("rpmlint: nothing but what a debug build must have (the toolchain's RUNPATH)", .enabled(if: Command.isAvailable("rpmlint")))
    func rpmlint() throws {
        let packaging = ProjectPaths.root.appendingPathComponent("Packaging/rpm")
        let output = try Command.run(
            "rpmlint",
            [
                "--config", packaging.appendingPathComponent("rpmlint.toml").path,
                "--rpmlintrc", packaging.appendingPathComponent("embargo.rpmlintrc").path,
                packaging.appendingPathComponent("embargo.spec").path, try Self.package().path,
            ], timeout: 600)
        let findings = output.stdout.split(separator: "\n").filter { $0.contains(": E: ") || $0.contains(": W: ") }
        // The release build links Foundation statically, and with it the mktemp(3) call that one
        // filter explains; the debug build loads Foundation from the toolchain.
        let unexpected = findings.filter {
            !$0.contains("binary-or-shlib-defines-rpath") && !$0.contains("unused-rpmlintrc-filter \"call-to-mktemp")
        }
        #expect(unexpected.isEmpty, "rpmlint:\n\(output.stdout)")
    }
}

@Suite("package versions")
struct PackageVersionTests {
    @Test("debian/changelog and the spec carry the version embargo --version prints")
    func versionsAgree() throws {
        let version = try TestPackages.embargoVersion()
        let changelog = try Command.check(
            "dpkg-parsechangelog", ["-l", ProjectPaths.root.appendingPathComponent("Packaging/debian/changelog").path, "-S", "Version"]).stdout
        #expect(changelog.trimmingCharacters(in: .whitespacesAndNewlines) == "\(version)-1")
        let spec = try String(contentsOf: ProjectPaths.root.appendingPathComponent("Packaging/rpm/embargo.spec"), encoding: .utf8)
        let specVersion = spec.split(separator: "\n").first { $0.hasPrefix("Version:") }?.split(separator: " ").last.map(String.init)
        #expect(specVersion == version)
        #expect(spec.contains("- \(version)-1\n"), "the spec's %changelog has no entry for \(version)-1")
    }
}
