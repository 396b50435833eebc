import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Repositories (update channels)")
struct RepositoryCollectorTests {
    func collect(_ root: TemporaryDirectory) async throws -> Inventory {
        await RepositoryCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path))).inventory
    }

    @Test func aptOneLineSources() async throws {
        let root = try TemporaryDirectory()
        try root.write(
            "etc/apt/sources.list",
            """
            # See sources.list(5) for more information
            deb http://archive.example.org/debian bookworm main contrib
            deb-src http://archive.example.org/debian bookworm main # the sources too

            #deb http://archive.example.org/debian bookworm-backports main
            # deb [arch=amd64] https://old.example.org/debian stable main
            deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/kaspersky.gpg ] https://products.s.kaspersky-labs.com/endpoints/keslinux10/debian stable main non-free
            deb [trusted=yes] file:/srv/local-repo ./
            deb https://user:s3cret@Private.Example.COM:8443/apt/ flat/
            deb-src
            deb http://archive.example.org/debian
            deb http://archive.example.org/debian bookworm
            rpm http://example.org/ stable main
            deb [arch=amd64 https://broken.example.org/ stable main
            """)
        try root.write("etc/apt/sources.list.d/vendor.list", "deb\thttps://repo.example.net/ubuntu\tjammy\tmain\n")
        try root.write("etc/apt/sources.list.d/ignored.list.save", "deb https://saved.example.net/ jammy main\n")
        try root.write("etc/apt/sources.list.d/bad name.list", "deb https://badname.example.net/ jammy main\n")

        let inventory = try await collect(root)
        let repositories = inventory.repositories
        #expect(repositories.map(\.url) == [
            "http://archive.example.org/debian", "http://archive.example.org/debian", "http://archive.example.org/debian",
            "https://old.example.org/debian", "https://products.s.kaspersky-labs.com/endpoints/keslinux10/debian",
            "file:/srv/local-repo", "https://user:***@Private.Example.COM:8443/apt/", "https://repo.example.net/ubuntu",
        ])
        #expect(repositories.map(\.line) == [2, 3, 5, 6, 7, 8, 9, 1])
        #expect(repositories.map(\.enabled) == [true, true, false, false, true, true, true, true])
        #expect(repositories.map(\.host) == [
            "archive.example.org", "archive.example.org", "archive.example.org", "old.example.org", "products.s.kaspersky-labs.com", nil,
            "private.example.com", "repo.example.net",
        ])
        #expect(repositories.allSatisfy { $0.manager == "apt" })
        #expect(repositories[0].properties == ["format": "one-line", "types": "deb", "suites": "bookworm", "components": "main contrib"])
        #expect(repositories[1].properties["types"] == "deb-src")
        #expect(repositories[1].properties["components"] == "main")
        let kaspersky = repositories[4]
        #expect(kaspersky.path == "/etc/apt/sources.list")
        #expect(kaspersky.properties == [
            "format": "one-line", "types": "deb", "suites": "stable", "components": "main non-free",
            "architectures": "amd64 arm64", "signedBy": "/usr/share/keyrings/kaspersky.gpg",
            "keyrings": "/usr/share/keyrings/kaspersky.gpg",
        ])
        #expect(repositories[5].properties["suites"] == "./")
        #expect(repositories[5].properties["trusted"] == "yes")
        #expect(repositories[6].properties["suites"] == "flat/")
        #expect(!inventory.repositories.contains { $0.url.contains("s3cret") })

        let issues = inventory.issues.filter { $0.location.path == "/etc/apt/sources.list" }
        #expect(issues.map(\.location.line) == [10, 11, 12, 13, 14])
        #expect(issues.allSatisfy { $0.code == "repositories.malformed-line" && $0.severity == .error })
        #expect(issues[0].message.contains("no URI"))
        #expect(issues[1].message.contains("no suite"))
        #expect(issues[2].message.contains("no component"))
        #expect(issues[3].message.contains("neither 'deb' nor 'deb-src'"))
        #expect(issues[4].message.contains("option"))
        #expect(inventory.issues.count == 5)
        #expect(!inventory.sources.contains { $0.path.contains("ignored") || $0.path.contains("bad name") })
    }

    @Test func aptDeb822Sources() async throws {
        let root = try TemporaryDirectory()
        try root.write(
            "etc/apt/sources.list.d/kaspersky.sources",
            """
            # Kaspersky mirror pair
            Types: deb deb-src
            URIs: https://products.s.kaspersky-labs.com/debian
             http://mirror.kaspersky-labs.example/debian
            Suites: stable stable-updates
            Components: main
            Signed-By: /usr/share/keyrings/kaspersky-archive.gpg
            Enabled: no

            Types: deb
            URIs: https://archive.example.org/debian
            Suites: bookworm
            Components: main
            Signed-By:
             -----BEGIN PGP PUBLIC KEY BLOCK-----
             .
             mQINBGR...
             -----END PGP PUBLIC KEY BLOCK-----

            Types: deb
            Suites: bookworm
            Components: main

            Types: deb
            URIs: https://maybe.example.org/debian
            Suites: bookworm
            Components: main
            Enabled: perhaps

            this line is not a field
            """)
        let inventory = try await collect(root)
        let repositories = inventory.repositories
        #expect(repositories.map(\.url) == [
            "https://products.s.kaspersky-labs.com/debian", "http://mirror.kaspersky-labs.example/debian", "https://archive.example.org/debian",
            "https://maybe.example.org/debian",
        ])
        #expect(repositories.map(\.enabled) == [false, false, true, true])
        #expect(repositories.map(\.line) == [3, 3, 11, 25])
        #expect(repositories.map(\.host) == [
            "products.s.kaspersky-labs.com", "mirror.kaspersky-labs.example", "archive.example.org", "maybe.example.org",
        ])
        #expect(repositories[0].properties == [
            "format": "deb822", "types": "deb deb-src", "suites": "stable stable-updates", "components": "main",
            "signedBy": "/usr/share/keyrings/kaspersky-archive.gpg", "keyrings": "/usr/share/keyrings/kaspersky-archive.gpg",
        ])
        #expect(repositories[2].properties["signedBy"] == "embedded key")
        #expect(repositories[2].properties["keyrings"] == nil)

        let issues = inventory.issues
        #expect(issues.map(\.code) == ["repositories.malformed-line", "repositories.missing-field", "repositories.invalid-value"])
        #expect(issues.map(\.location.line) == [30, 20, 28])
        #expect(issues.map(\.severity) == [.error, .error, .warning])
        #expect(issues[1].message.contains("'URIs'"))
    }

    @Test func yumAndZypperRepoFiles() async throws {
        let root = try TemporaryDirectory()
        try root.write(
            "etc/yum.repos.d/kaspersky.repo",
            """
            ; Kaspersky channels
            [kaspersky-kesl]
            name = Kaspersky Endpoint Security for Linux
            baseurl=https://products.s.kaspersky-labs.com/endpoints/keslinux/$releasever/$basearch/
                    http://MIRROR.Kaspersky-Labs.example:8080/kesl/
              # a comment between the addresses
                    ftp://ftp.example.org/kesl/,https://third.example.org/kesl/
            enabled=1
            gpgcheck=1
            gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-kaspersky
                   https://products.s.kaspersky-labs.com/keys/kesl.asc

            [kaspersky-agent]
            name=Network Agent
            mirrorlist=https://mirrors.example.org/mirrorlist?repo=klnagent&arch=$basearch
            metalink=https://mirrors.example.org/metalink?repo=klnagent
            enabled = 0

            this line has no equals sign
            [unterminated
            [odd]
            baseurl=https://odd.example.org/
            enabled=sometimes
            """)
        try root.write("etc/yum.repos.d/notes.txt", "[ignored]\nbaseurl=https://ignored.example.org/\n")
        try root.write(
            "etc/zypp/repos.d/kaspersky.repo",
            "[kesl]\nname=KESL\nenabled=1\nautorefresh=1\nbaseurl=https://products.s.kaspersky-labs.com/zypper/\npath=/\ntype=rpm-md\n")
        try root.write("etc/dnf/dnf.conf", "[main]\ngpgcheck=1\n")

        let inventory = try await collect(root)
        let yum = inventory.repositories.filter { $0.manager == "yum" }
        #expect(yum.map(\.url) == [
            "https://products.s.kaspersky-labs.com/endpoints/keslinux/$releasever/$basearch/", "http://MIRROR.Kaspersky-Labs.example:8080/kesl/",
            "ftp://ftp.example.org/kesl/", "https://third.example.org/kesl/",
            "https://mirrors.example.org/mirrorlist?repo=klnagent&arch=$basearch", "https://mirrors.example.org/metalink?repo=klnagent",
            "https://odd.example.org/",
        ])
        #expect(yum.map(\.line) == [4, 5, 7, 7, 15, 16, 22])
        #expect(yum.map(\.host) == [
            "products.s.kaspersky-labs.com", "mirror.kaspersky-labs.example", "ftp.example.org", "third.example.org",
            "mirrors.example.org", "mirrors.example.org", "odd.example.org",
        ])
        #expect(yum.map(\.enabled) == [true, true, true, true, false, false, true])
        #expect(yum.map { $0.properties["kind"] } == ["baseurl", "baseurl", "baseurl", "baseurl", "mirrorlist", "metalink", "baseurl"])
        #expect(yum[0].properties == [
            "id": "kaspersky-kesl", "name": "Kaspersky Endpoint Security for Linux", "gpgcheck": "1", "kind": "baseurl",
            "gpgkey": "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-kaspersky https://products.s.kaspersky-labs.com/keys/kesl.asc",
            "keyrings": "/etc/pki/rpm-gpg/RPM-GPG-KEY-kaspersky https://products.s.kaspersky-labs.com/keys/kesl.asc",
        ])
        #expect(yum[4].properties["id"] == "kaspersky-agent")

        let zypper = inventory.repositories.filter { $0.manager == "zypper" }
        #expect(zypper.map(\.url) == ["https://products.s.kaspersky-labs.com/zypper/"])
        #expect(zypper.first?.properties["type"] == "rpm-md")
        #expect(zypper.first?.line == 5)

        let issues = inventory.issues
        #expect(issues.map(\.code) == ["repositories.malformed-line", "repositories.malformed-line", "repositories.invalid-value"])
        #expect(issues.map(\.location.line) == [19, 20, 23])
        #expect(issues.allSatisfy { $0.location.path == "/etc/yum.repos.d/kaspersky.repo" })
    }

    @Test func apkRepositories() async throws {
        let root = try TemporaryDirectory()
        try root.write(
            "etc/apk/repositories",
            """
            https://alpine.example.org/alpine/v3.19/main
            #https://alpine.example.org/alpine/v3.19/community
            # Local packages:
            @kaspersky https://products.s.kaspersky-labs.com/alpine/v3.19
            /media/cdrom/apks
            not a repository line
            """)
        let inventory = try await collect(root)
        #expect(inventory.repositories.map(\.url) == [
            "https://alpine.example.org/alpine/v3.19/main", "https://alpine.example.org/alpine/v3.19/community",
            "https://products.s.kaspersky-labs.com/alpine/v3.19", "/media/cdrom/apks",
        ])
        #expect(inventory.repositories.map(\.enabled) == [true, false, true, true])
        #expect(inventory.repositories.map(\.line) == [1, 2, 4, 5])
        #expect(inventory.repositories.map(\.host) == ["alpine.example.org", "alpine.example.org", "products.s.kaspersky-labs.com", nil])
        #expect(inventory.repositories[2].properties == ["tag": "kaspersky"])
        #expect(inventory.issues.map(\.location.line) == [6])
    }

    @Test func pacmanServersAndIncludes() async throws {
        let root = try TemporaryDirectory()
        try root.write(
            "etc/pacman.conf",
            """
            [options]
            HoldPkg = pacman glibc
            Include = /etc/pacman.d/options.conf
            Color

            [core]
            Include = /etc/pacman.d/mirrorlist

            #[testing]
            #Include = /etc/pacman.d/mirrorlist

            [kaspersky]
            SigLevel = Optional TrustAll
            Server = https://products.s.kaspersky-labs.com/arch/$arch # vendor channel
            Include = /etc/pacman.d/extra-*.conf
            Include = /etc/pacman.d/loop.conf
            """)
        try root.write(
            "etc/pacman.d/mirrorlist",
            "## Worldwide\n#Server = https://geo.mirror.example.org/$repo/os/$arch\nServer = https://mirror.example.org/archlinux/$repo/os/$arch\n")
        try root.write("etc/pacman.d/options.conf", "Server = https://not-a-repository.example.org/\n")
        try root.write("etc/pacman.d/extra-one.conf", "Server = https://one.example.org/$repo\n")
        try root.write("etc/pacman.d/extra-two.conf", "Server=https://two.example.org/$repo\n")
        try root.write("etc/pacman.d/loop.conf", "Include = /etc/pacman.d/loop.conf\n")

        let inventory = try await collect(root)
        let servers = inventory.repositories
        #expect(servers.map(\.url) == [
            "https://products.s.kaspersky-labs.com/arch/$arch", "https://mirror.example.org/archlinux/$repo/os/$arch",
            "https://one.example.org/$repo", "https://two.example.org/$repo",
        ])
        #expect(servers.map(\.path) == ["/etc/pacman.conf", "/etc/pacman.d/mirrorlist", "/etc/pacman.d/extra-one.conf", "/etc/pacman.d/extra-two.conf"])
        #expect(servers.map(\.line) == [14, 3, 1, 1])
        #expect(servers.map { $0.properties["repository"] } == ["kaspersky", "core", "kaspersky", "kaspersky"])
        #expect(servers.allSatisfy { $0.manager == "pacman" && $0.enabled })
        // The self-including file is followed only to the nesting limit.
        #expect(inventory.issues.map(\.code) == ["repositories.include-limit"])
        #expect(inventory.issues.first?.location.path == "/etc/pacman.d/loop.conf")
    }

    @Test func addressesAreSplitExactly() {
        let cases: [(String, String, String?)] = [
            ("https://Products.S.Kaspersky-Labs.com/x", "https://Products.S.Kaspersky-Labs.com/x", "products.s.kaspersky-labs.com"),
            ("http://host.example:8080/path", "http://host.example:8080/path", "host.example"),
            ("https://user@host.example/", "https://user@host.example/", "host.example"),
            ("https://user:pa:ss@host.example/", "https://user:***@host.example/", "host.example"),
            ("http://[2001:db8::1]:3142/debian", "http://[2001:db8::1]:3142/debian", "2001:db8::1"),
            ("mirror+https://mirrors.example.org/list.txt", "mirror+https://mirrors.example.org/list.txt", "mirrors.example.org"),
            ("tor+http://onion.example.onion./debian", "tor+http://onion.example.onion./debian", "onion.example.onion"),
            ("cdrom:[Debian GNU/Linux 12]/", "cdrom:[Debian GNU/Linux 12]/", nil),
            ("file:///srv/repo", "file:///srv/repo", nil),
            ("https://host.example?query", "https://host.example?query", "host.example"),
        ]
        for (raw, text, host) in cases {
            let url = RepositoryURL(raw)
            #expect(url.text == text, "\(raw)")
            #expect(url.host == host, "\(raw)")
        }
    }

    /// A FIFO is never opened, binary garbage yields issues rather than repositories, and very
    /// long lines do not stop the rest of the file from being read.
    @Test func hostileFiles() async throws {
        let root = try TemporaryDirectory()
        try root.makeDirectory("etc/apt")
        try Command.check("mkfifo", [root.url.appendingPathComponent("etc/apt/sources.list").path])
        var garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        garbage.append(Data(("\n" + String(repeating: "x", count: 200_000) + "\nbaseurl=https://late.example.org/\n").utf8))
        try root.write("etc/yum.repos.d/garbage.repo", garbage)
        try root.write("etc/apt/sources.list.d/garbage.list", garbage)
        try root.write("etc/apk/repositories", garbage)

        let inventory = try await collect(root)
        #expect(inventory.repositories.isEmpty)
        let fifo = try #require(inventory.issues.first { $0.location.path == "/etc/apt/sources.list" })
        #expect(fifo.code == "fs.not-regular-file")
        #expect(inventory.issues.contains { $0.location.path == "/etc/yum.repos.d/garbage.repo" })
        #expect(inventory.issues.contains { $0.location.path == "/etc/apt/sources.list.d/garbage.list" })
        #expect(inventory.issues.contains { $0.location.path == "/etc/apk/repositories" })
    }
}
