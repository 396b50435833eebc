import Foundation

/// Builds real `.deb` files with `dpkg-deb` and installs them into a private root with `dpkg`,
/// optionally at a chosen date through `faketime`, so tests see exactly what dpkg writes.
public struct DebianPackageSpec: Sendable {
    public var name: String
    public var version: String
    public var architecture: String
    public var maintainer: String
    public var description: String
    /// Files to ship: path inside the root → contents.
    public var files: [String: String]
    /// Files to ship with mode 0755.
    public var executables: [String: String]
    /// Paths (inside the root) marked as configuration files, kept after `dpkg --remove`.
    public var conffiles: [String]
    /// Maintainer scripts (`postrm`, `preinst`...) by name.
    public var scripts: [String: String]
    public var extraControl: [String: String]

    public init(
        name: String, version: String, architecture: String = "amd64",
        maintainer: String = "Test Maintainer <test@example.org>", description: String = "test package",
        files: [String: String] = [:], executables: [String: String] = [:], conffiles: [String] = [],
        scripts: [String: String] = [:], extraControl: [String: String] = [:]
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.maintainer = maintainer
        self.description = description
        self.files = files
        self.executables = executables
        self.conffiles = conffiles
        self.scripts = scripts
        self.extraControl = extraControl
    }

    /// Builds the package into `directory` and returns the `.deb` path.
    public func build(in directory: URL) throws -> URL {
        let staging = directory.appendingPathComponent("build-\(name)-\(UUID().uuidString.prefix(6))")
        let control = staging.appendingPathComponent("DEBIAN")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        var text = "Package: \(name)\nVersion: \(version)\nArchitecture: \(architecture)\nMaintainer: \(maintainer)\n"
        for (key, value) in extraControl.sorted(by: { $0.key < $1.key }) { text += "\(key): \(value)\n" }
        text += "Description: \(description)\n"
        try Data(text.utf8).write(to: control.appendingPathComponent("control"))
        if !conffiles.isEmpty {
            try Data((conffiles.joined(separator: "\n") + "\n").utf8).write(to: control.appendingPathComponent("conffiles"))
        }
        for (script, body) in scripts {
            let url = control.appendingPathComponent(script)
            try Data(body.utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        for (path, contents) in files.merging(executables, uniquingKeysWith: { $1 }) {
            let url = staging.appendingPathComponent(String(path.drop { $0 == "/" }))
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
            try FileManager.default.setAttributes(
                [.posixPermissions: executables[path] != nil ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
        let output = directory.appendingPathComponent("\(name)_\(version)_\(architecture).deb")
        try Command.check("dpkg-deb", ["--root-owner-group", "--build", staging.path, output.path])
        try? FileManager.default.removeItem(at: staging)
        return output
    }
}

/// A private dpkg root: an empty tree with a dpkg database that `dpkg --root` installs into.
public final class DebianRoot: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var path: String { directory.path }
    private let workspace: TemporaryDirectory

    public init() throws {
        directory = try TemporaryDirectory(prefix: "embargo-root")
        workspace = try TemporaryDirectory(prefix: "embargo-debs")
        for sub in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log", "etc"] {
            try directory.makeDirectory(sub)
        }
        try directory.write("var/lib/dpkg/status", "")
        try directory.write("var/lib/dpkg/available", "")
        try directory.write("etc/hostname", "test-host\n")
        try directory.write(
            "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
    }

    /// The base `dpkg` invocation for this root (maintainer scripts run on the host, as
    /// `--force-script-chrootless` requires; they honour `DPKG_ROOT`).
    private func dpkg(_ arguments: [String], at date: String?) throws {
        var command = ["dpkg", "--root=\(path)", "--force-script-chrootless", "--force-not-root", "--log=\(path)/var/log/dpkg.log"]
        command += arguments
        if let date {
            // `-f` with an absolute date freezes the clock (plain `faketime DATE` lets it run, and a
            // slow machine would log the next second).
            try Command.check("faketime", ["-f", date] + command, environment: ["TZ": "UTC"])
        } else {
            try Command.check(command[0], Array(command.dropFirst()))
        }
    }

    /// Builds and installs packages; `date` (`YYYY-MM-DD HH:MM:SS`, UTC) is what dpkg records.
    public func install(_ packages: [DebianPackageSpec], at date: String? = nil) throws {
        let debs = try packages.map { try $0.build(in: workspace.url) }
        try dpkg(["-i"] + debs.map(\.path), at: date)
    }

    /// `dpkg --remove`: configuration files stay (state `config-files`).
    public func remove(_ name: String, at date: String? = nil) throws {
        try dpkg(["--remove", name], at: date)
    }

    /// `dpkg --purge`: nothing stays.
    public func purge(_ name: String, at date: String? = nil) throws {
        try dpkg(["--purge", name], at: date)
    }

    /// Whether the tools these helpers drive are installed (scripts/install-dependencies test).
    public static var toolsAvailable: Bool {
        Command.isAvailable("dpkg-deb") && Command.isAvailable("faketime")
    }
}
