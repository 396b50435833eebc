import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum ReleasePackaging {
    static var isEnabled: Bool {
        ProcessInfo.processInfo.environment["EMBARGO_PACKAGE_RELEASE_TEST"] == "1" && getuid() == 0
    }
}

/// The packages as they ship: release binaries (a release build takes minutes, so these run only
/// with EMBARGO_PACKAGE_RELEASE_TEST=1), lintian and rpmlint clean, and the .deb installed by apt
/// into a fresh Debian minbase root made by mmdebstrap from this machine's own mirror.
@Suite(
    "release packages (EMBARGO_PACKAGE_RELEASE_TEST=1)", .serialized,
    .enabled(if: ReleasePackaging.isEnabled, "set EMBARGO_PACKAGE_RELEASE_TEST=1 (needs root, mmdebstrap, gpgv and the Debian mirror)"))
struct PackagedReleaseTests {
    /// Release binaries carry the Swift runtime inside: no libswift*/Foundation NEEDED, no RUNPATH,
    /// and full RELRO (BIND_NOW).
    static func expectReleaseBinary(_ path: String) throws {
        let dynamic = try Command.check("readelf", ["--dynamic", "--wide", path]).stdout
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.contains { $0.contains("swift") || $0.contains("Foundation") || $0.contains("dispatch") }, "\(needed)")
        #expect(!dynamic.contains("RUNPATH") && !dynamic.contains("RPATH"), "\(path): \(dynamic)")
        #expect(dynamic.contains("BIND_NOW") || dynamic.contains("Flags: NOW"), "\(path) is not linked with -z now")
    }

    /// The first `deb` entry of the machine's apt sources (deb822): mirror, suite, keyring. Read at
    /// run time, so no mirror is written into the repository.
    static func debianMirror() throws -> (uri: String, suite: String, keyring: String?) {
        let sources = try String(contentsOfFile: "/etc/apt/sources.list.d/debian.sources", encoding: .utf8)
        for stanza in sources.components(separatedBy: "\n\n") {
            var fields: [String: String] = [:]
            for line in stanza.split(separator: "\n") where !line.hasPrefix("#") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard fields["types"]?.split(separator: " ").contains("deb") == true,
                let uri = fields["uris"]?.split(separator: " ").first, let suite = fields["suites"]?.split(separator: " ").first
            else { continue }
            return (String(uri), String(suite), fields["signed-by"])
        }
        throw TestPackages.Failure(description: "no deb entry in /etc/apt/sources.list.d/debian.sources")
    }

    /// Runs a shell command inside the root, with its own /proc (a private PID namespace).
    static func inside(_ root: String, _ command: String) throws -> Command.Output {
        try Command.run(
            "/usr/bin/unshare",
            ["--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc=\(root)/proc", "chroot", root, "/bin/sh", "-c", command],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "EMBARGO_POLICY_DIR": ""], timeout: 600)
    }

    static func seconds(since start: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }

    @Test("release .deb: static Swift runtime, lintian clean; apt installs it into a Debian minbase and the service is set up")
    func debianMinbaseRoot() throws {
        let output = try TemporaryDirectory(prefix: "embargo-release")
        var start = Date()
        let deb = try TestPackages.build("deb", arguments: ["--lint"], output: output.url).get()
        print("release .deb built and linted in \(Self.seconds(since: start)): \(deb.lastPathComponent)")
        let tree = try TemporaryDirectory(prefix: "embargo-release-tree")
        try Command.check("dpkg-deb", ["--extract", deb.path, tree.path])
        for tool in ["embargo", "embargod"] { try Self.expectReleaseBinary("\(tree.path)/usr/bin/\(tool)") }

        // A fresh Debian: minbase plus systemd (for systemctl, the journal catalog trigger and
        // systemd-analyze), and our package resolved by apt against the mirror: Depends must be
        // satisfiable by real Debian packages.
        let mirror = try Self.debianMirror()
        let workspace = try TemporaryDirectory(prefix: "embargo-minbase")
        let root = workspace.url.appendingPathComponent("root").path
        let options = mirror.keyring.map { "[signed-by=\($0)] " } ?? ""
        start = Date()
        let bootstrap = try Command.run(
            "mmdebstrap",
            [
                // The hook makes the .deb visible at the same path inside the root, where dpkg runs.
                "--variant=minbase", "--mode=root", "--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount",
                "--include=systemd", "--include=\(deb.path)", mirror.suite, root,
                "deb \(options)\(mirror.uri) \(mirror.suite) main",
            ], timeout: 1200)
        #expect(bootstrap.status == 0, "\(bootstrap.stderr.suffix(4000))")
        print("mmdebstrap minbase + systemd + embargo in \(Self.seconds(since: start))")
        guard bootstrap.status == 0 else { return }

        let version = try TestPackages.embargoVersion()
        let status = try Self.inside(root, "dpkg-query --show --showformat='${Status} ${Version}' embargo")
        #expect(status.stdout == "install ok installed \(version)-1", "\(status.stderr)")
        let enabled = try Command.run("systemctl", ["--root=\(root)", "is-enabled", "embargod.service"])
        #expect(enabled.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "enabled")
        // systemd's dpkg trigger rebuilt the catalog index with our entries.
        let catalog = try Self.inside(root, "journalctl --list-catalog")
        #expect(catalog.stdout.contains("87a075aa074e47568ca0b83a3291df73"), "\(catalog.stdout.suffix(2000))")
        // The unit against the installed system: ExecStart, ExecReload's /bin/kill, every directive.
        let verify = try Self.inside(root, "systemd-analyze verify --man=no /usr/lib/systemd/system/embargod.service")
        #expect(verify.status == 0 && verify.stdout.isEmpty && verify.stderr.isEmpty, "verify:\n\(verify.stdout)\(verify.stderr)")

        let policies = try Self.inside(root, "embargo policy list")
        #expect(policies.status == 0 && policies.stdout.contains("path     /usr/share/embargo/policies/kaspersky.yaml"), "\(policies.stdout)\(policies.stderr)")
        // A minimal Debian has nothing from a restricted vendor: exit 0, and embargo sees itself.
        let scan = try Self.inside(root, "embargo scan --format json")
        #expect(scan.status == 0, "\(scan.stderr)")
        let inventory = try Self.inside(root, "embargo inventory --root / --format json")
        let packages = ((try? JSONSerialization.jsonObject(with: inventory.stdoutData)) as? [String: Any])?["packages"] as? [[String: Any]] ?? []
        #expect(packages.contains { $0["name"] as? String == "embargo" && $0["version"] as? String == "\(version)-1" })
        #expect(packages.contains { $0["name"] as? String == "systemd" })
        let configuration = try Self.inside(root, "embargod --check-config")
        #expect(configuration.status == 0, "\(configuration.stdout)\(configuration.stderr)")

        // dpkg -i again (the upgrade path of the maintainer scripts), then purge with apt.
        try FileManager.default.copyItem(atPath: deb.path, toPath: "\(root)/tmp/\(deb.lastPathComponent)")
        let reinstall = try Self.inside(root, "dpkg -i /tmp/\(deb.lastPathComponent)")
        #expect(reinstall.status == 0, "\(reinstall.stdout)\(reinstall.stderr)")
        let purge = try Self.inside(root, "apt-get purge -y -qq embargo")
        #expect(purge.status == 0, "\(purge.stdout)\(purge.stderr)")
        let afterPurge = try Command.run("systemctl", ["--root=\(root)", "is-enabled", "embargod.service"])
        #expect(afterPurge.status != 0, "\(afterPurge.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/etc/embargo"))
    }

    @Test("release .rpm: static Swift runtime, rpmlint clean")
    func releaseRpm() throws {
        let output = try TemporaryDirectory(prefix: "embargo-release")
        let start = Date()
        let rpm = try TestPackages.build("rpm", arguments: ["--lint"], output: output.url).get()
        print("release .rpm built and linted in \(Self.seconds(since: start)): \(rpm.lastPathComponent)")
        let tree = try TemporaryDirectory(prefix: "embargo-release-tree")
        try Command.check("rpm", ["--root", tree.path, "--dbpath", "/var/lib/rpm", "--install", "--nodeps", "--noscripts", rpm.path])
        for tool in ["embargo", "embargod"] { try Self.expectReleaseBinary("\(tree.path)/usr/bin/\(tool)") }
    }
}
