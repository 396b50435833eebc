import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

/// The real rpm (Debian's rpm 4.18: `apt-get install -y rpm faketime`) as the oracle: packages
/// built with rpmbuild and installed with rpm into a fresh root, and the peer databases rpm can
/// read, compared field by field with `rpm -qa --queryformat`.
///
/// The comparison runs at the collector and scanner level, and through the `embargo` CLI as a
/// process (`embargo inventory --format json`, `embargo scan`).
@Suite(
    "RPM against the real rpm",
    .enabled(if: RealRpm.rpmAvailable, "rpm is not installed: apt-get install -y rpm faketime"),
    .timeLimit(.minutes(5)))
struct RpmRealToolsTests {
    @Test("every field rpm prints for the fixtures it can read", arguments: [
        ("go-rpmdb/centos5-plain", "Packages"), ("go-rpmdb/centos7-plain", "Packages"), ("go-rpmdb/centos7-httpd24", "Packages"),
        ("go-rpmdb/libuuid", "Packages"), ("go-rpmdb/cbl-mariner-2.0", "rpmdb.sqlite"), ("syft/redhat-dive-bdb", "Packages"),
    ])
    func fixtureFieldsMatchRpm(_ fixture: String, _ file: String) async throws {
        let root = try RpmFixtures.root(with: RpmFixtures.shared(fixture + "/" + file))
        // rpm reads a copy: it may write lock files and indexes beside the database.
        let rpmCopy = try TemporaryDirectory(prefix: "embargo-rpm-oracle")
        try rpmCopy.copy(RpmFixtures.shared(fixture + "/" + file), to: file)
        let backend = file == "Packages" ? "bdb_ro" : "sqlite"
        let expected = try RealRpm.query(["--dbpath", rpmCopy.path, "--define", "_db_backend \(backend)"])
        let fileSystem = try RootFileSystem(root: root.path)
        let output = await RpmCollector().collect(CollectionContext(fileSystem: fileSystem))
        #expect(output.inventory.issues.isEmpty)
        try RealRpm.compare(output.inventory.packages, with: expected, context: fixture)
        // File lists: rpm's FILENAMES of every package, and ownership from ours.
        let listed = try RealRpm.fileNames(["--dbpath", rpmCopy.path, "--define", "_db_backend \(backend)"])
        try RealRpm.compareOwnership(output, packages: output.inventory.packages, listed: listed, aliases: fileSystem.usrMerge)
    }

    @Test(.enabled(if: RealRpm.rpmbuildAvailable, "rpmbuild or faketime is not installed: apt-get install -y rpm faketime"))
    func packagesInstalledByRpm() async throws {
        let work = try TemporaryDirectory(prefix: "embargo-rpmbuild")
        let top = work.url.appendingPathComponent("top").path
        let root = work.url.appendingPathComponent("root")
        // A usr-merged root: /lib is a link to usr/lib, as on RHEL 9 and Fedora.
        try work.makeDirectory("root/usr/lib")
        try work.symlink("root/lib", to: "usr/lib")
        let specs = [
            RealRpm.Spec(
                name: "kesl", version: "12.1.0", release: "1297", epoch: nil, arch: "x86_64", vendor: "AO Kaspersky Lab",
                files: ["/opt/kaspersky/kesl/bin/kesl-control", "/lib/systemd/system/kesl.service"]),
            RealRpm.Spec(
                name: "klnagent64", version: "15.1.0", release: "20748", epoch: 1, arch: "x86_64", vendor: "AO Kaspersky Lab",
                files: ["/opt/kaspersky/klnagent64/sbin/klnagent"]),
            RealRpm.Spec(name: "hello-doc", version: "2.12", release: "3.el9", epoch: nil, arch: "noarch", vendor: nil, files: ["/usr/share/hello/README"]),
        ]
        var built: [String] = []
        for spec in specs {
            let specPath = work.url.appendingPathComponent(spec.name + ".spec")
            try spec.text.write(to: specPath, atomically: true, encoding: .utf8)
            try Command.check("rpmbuild", [
                "--define", "_topdir \(top)", "--dbpath", work.url.appendingPathComponent("builddb").path,
                "--define", "_build_id_links none", "--define", "debug_package %{nil}", "-bb", specPath.path,
            ], environment: ["LC_ALL": "C"])
            built.append("\(top)/RPMS/\(spec.arch)/\(spec.name)-\(spec.version)-\(spec.release).\(spec.arch).rpm")
        }
        let installDates = ["2024-10-15 12:00:00", "2024-11-01 08:30:00", "2024-10-15 12:00:00"]
        for (package, date) in zip(built, installDates) {
            try Command.check("faketime", [
                date, "rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--noscripts", package,
            ], environment: ["TZ": "UTC"])
        }
        let expected = try RealRpm.query(["--root", root.path, "--dbpath", "/var/lib/rpm"])
        #expect(expected.count == 3)
        let databaseDirectory = root.appendingPathComponent("var/lib/rpm")
        let before = try RpmSqliteReadOnlyTests.snapshot(databaseDirectory)

        let fileSystem = try RootFileSystem(root: root.path)
        let plan = ScanPlan(pathGlobs: [try Glob("/opt/kaspersky/**", isPath: true)], unitNames: [try Glob("kesl*.service")])
        let inventory = await InventoryScanner().scan(CollectionContext(fileSystem: fileSystem, plan: plan))
        let packages = inventory.packages.filter { $0.type == .rpm }
        #expect(inventory.issues.filter { $0.collector == "rpm" }.isEmpty)
        try RealRpm.compare(packages, with: expected, context: "rpmbuild root")
        #expect(packages.allSatisfy { $0.source == "/var/lib/rpm/rpmdb.sqlite" })

        // faketime starts the clock at the given time and lets it run, so rpm records the date
        // plus the seconds rpm took to start (the exact value is checked against rpm above).
        func isShortlyAfter(_ recorded: RecordedDate?, _ text: String) throws -> Bool {
            guard let recorded, recorded.source == .rpmInstallTime else { return false }
            let start = try RFC3339.parse(text)
            return recorded.date >= start && recorded.date < start.addingTimeInterval(60)
        }
        let kesl = try #require(packages.first { $0.name == "kesl" })
        #expect(kesl.vendor == "AO Kaspersky Lab")
        #expect(try isShortlyAfter(kesl.installedAt, "2024-10-15T12:00:00Z"))
        let agent = try #require(packages.first { $0.name == "klnagent64" })
        #expect(agent.epoch == 1)
        #expect(agent.fullVersion == "1:15.1.0-20748")
        #expect(try isShortlyAfter(agent.installedAt, "2024-11-01T08:30:00Z"))

        // Ownership through the scanner, as rpm -qf answers it.
        let control = "/opt/kaspersky/kesl/bin/kesl-control"
        let record = try #require(inventory.files.first { $0.path == control })
        #expect(record.owners == [kesl.id])
        // The unit is listed under /lib, found under /usr/lib: usr-merge aliases join them.
        let unit = try #require(inventory.units.first { $0.name == "kesl.service" })
        #expect(unit.owners == [kesl.id])
        let ownership = try #require(await RpmCollector().collect(CollectionContext(fileSystem: fileSystem)).ownership)
        let owners = ownership.owners(of: ["/usr/lib/systemd/system/kesl.service", "/opt/kaspersky/klnagent64/sbin/klnagent"], aliases: fileSystem.usrMerge)
        #expect(owners.owners["/usr/lib/systemd/system/kesl.service"] == [kesl.id])
        #expect(owners.owners["/opt/kaspersky/klnagent64/sbin/klnagent"] == [agent.id])

        // The same through the CLI, as a process: `embargo inventory` and `embargo scan`.
        try Self.inventoryThroughCLI(root: root.path, expected: expected)
        try Self.scanThroughCLI(root: root.path)

        // The scans left the database directory as rpm left it (rpm itself, below, does not).
        #expect(try RpmSqliteReadOnlyTests.snapshot(databaseDirectory) == before)
        let rpmOwner = try Command.check("rpm", ["--root", root.path, "--dbpath", "/var/lib/rpm", "-qf", control]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(rpmOwner == "kesl-12.1.0-1297.x86_64")
    }
}

extension RpmRealToolsTests {
    /// `embargo inventory --root R --format json`: the rpm packages, field by field against rpm,
    /// in a document that validates against docs/inventory.schema.json.
    static func inventoryThroughCLI(root: String, expected: [[String: String]]) throws {
        let (output, document) = try EmbargoProcess.json(["inventory", "--root", root, "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let packages = (document["packages"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "rpm" }
        try #require(packages.count == expected.count)
        // The CLI sorts its listing; pair the packages by name.
        for rpm in expected {
            let label = "embargo inventory \(rpm["NAME"] ?? "?")"
            let package = try #require(packages.first { $0["name"] as? String == rpm["NAME"] }, "\(label)")
            #expect(package["name"] as? String == rpm["NAME"], "\(label)")
            #expect(package["version"] as? String == rpm["VERSION"], "\(label)")
            #expect(package["release"] as? String == rpm["RELEASE"], "\(label)")
            #expect((package["epoch"] as? NSNumber)?.intValue == rpm["EPOCH"].flatMap { Int($0) }, "\(label)")
            #expect(package["arch"] as? String == rpm["ARCH"], "\(label)")
            #expect(package["vendor"] as? String == rpm["VENDOR"], "\(label)")
            #expect(package["sourcePackage"] as? String == rpm["SOURCERPM"], "\(label)")
            let installTime = rpm["INSTALLTIME"].flatMap { Int64($0) }.map { UTCStamp.text($0) }
            #expect(package["installedAt"] as? String == installTime, "\(label)")
            #expect(package["installedAtSource"] as? String == "rpm-installtime", "\(label)")
            #expect(package["source"] as? String == "/var/lib/rpm/rpmdb.sqlite", "\(label)")
            #expect((package["metadata"] as? [String: Any])?["size"] as? String == rpm["SIZE"], "\(label)")
        }
        if JSONSchemaValidator.isAvailable {
            let schema = ProjectPaths.root.appendingPathComponent("docs/inventory.schema.json")
            let errors = try JSONSchemaValidator.errors(document: output.stdoutData, schema: schema)
            #expect(errors.isEmpty, "\(errors.prefix(5))")
        }
    }

    /// `embargo scan --root R`: the kesl RPM is a finding (exit status 1), with the package and
    /// its file, owned by the package, as evidence.
    static func scanThroughCLI(root: String) throws {
        let (output, document) = try EmbargoProcess.json(["scan", "--root", root, "--format", "json"])
        #expect(output.status == 1, "\(output.stderr)")
        let findings = document["findings"] as? [[String: Any]] ?? []
        let evidence = findings.flatMap { $0["evidence"] as? [[String: Any]] ?? [] }
        let package = evidence.first { $0["kind"] as? String == "package" && $0["locator"] as? String == "kesl" }
        let packageDetail = try #require(package?["detail"] as? [String: Any])
        #expect(packageDetail["type"] as? String == "rpm")
        #expect(packageDetail["vendor"] as? String == "AO Kaspersky Lab")
        #expect(packageDetail["database"] as? String == "/var/lib/rpm/rpmdb.sqlite")
        let file = evidence.first { $0["locator"] as? String == "/opt/kaspersky/kesl/bin/kesl-control" }
        let fileDetail = try #require(file?["detail"] as? [String: Any])
        #expect((fileDetail["ownedBy"] as? String)?.hasPrefix("rpm:kesl:x86_64@") == true, "\(fileDetail)")
    }
}

/// RFC 3339 text of a Unix time, as the inventory writes it.
enum UTCStamp {
    static func text(_ seconds: Int64) -> String { RFC3339.format(Date(timeIntervalSince1970: Double(seconds))) }
}

/// Runs Debian's rpm and turns its `--queryformat` output into comparable records.
enum RealRpm {
    static let rpmAvailable = Command.isAvailable("rpm")
    static let rpmbuildAvailable = Command.isAvailable("rpmbuild") && Command.isAvailable("faketime")

    static let environment = ["LC_ALL": "C", "TZ": "UTC"]

    /// The fields compared, in query order, with rpm's `(none)` for an absent tag.
    static let fields: [(tag: String, format: String)] = [
        ("NAME", "%{NAME}"), ("EPOCH", "%{EPOCH}"), ("VERSION", "%{VERSION}"), ("RELEASE", "%{RELEASE}"),
        ("ARCH", "%{ARCH}"), ("VENDOR", "%{VENDOR}"), ("PACKAGER", "%{PACKAGER}"), ("SOURCERPM", "%{SOURCERPM}"),
        ("INSTALLTIME", "%{INSTALLTIME}"), ("BUILDTIME", "%{BUILDTIME}"), ("BUILDHOST", "%{BUILDHOST}"),
        ("SIZE", "%{LONGSIZE}"), ("URL", "%{URL}"), ("LICENSE", "%{LICENSE}"), ("SUMMARY", "%{SUMMARY}"),
        ("DISTRIBUTION", "%{DISTRIBUTION}"), ("SIGMD5", "%{SIGMD5}"), ("SHA1HEADER", "%{SHA1HEADER}"),
        ("SHA256HEADER", "%{SHA256HEADER}"), ("PAYLOADDIGEST", "%{PAYLOADDIGEST}"),
        ("SIGNATURE", "%|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{%|SIGPGP?{%{SIGPGP:pgpsig}}:{%|SIGGPG?{%{SIGGPG:pgpsig}}:{(none)}|}|}|}|"),
    ]

    static func query(_ arguments: [String]) throws -> [[String: String]] {
        let format = fields.map(\.format).joined(separator: "\\t") + "\\n"
        let output = try Command.check("rpm", arguments + ["-qa", "--queryformat", format], environment: environment)
        return output.stdout.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            let values = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var record: [String: String] = [:]
            // rpm prints "(none)" for an absent tag and nothing for a tag holding an empty string
            // (syft's dive package has `Vendor:` empty); the inventory has nil for both, since an
            // empty vendor attributes the package to no one.
            for (index, field) in fields.enumerated() where index < values.count && values[index] != "(none)" && !values[index].isEmpty {
                record[field.tag] = values[index]
            }
            return record
        }
    }

    /// `[(package index, path)]` from rpm's FILENAMES of every package, in -qa order.
    static func fileNames(_ arguments: [String]) throws -> [[String]] {
        let output = try Command.check(
            "rpm", arguments + ["-qa", "--queryformat", "@@package@@\\n[%{FILENAMES}\\n]"], environment: environment)
        var packages: [[String]] = []
        for line in output.stdout.split(separator: "\n", omittingEmptySubsequences: true) {
            if line == "@@package@@" { packages.append([]) } else if !packages.isEmpty && line != "(none)" { packages[packages.count - 1].append(String(line)) }
        }
        return packages
    }

    static func compare(_ packages: [InstalledPackage], with expected: [[String: String]], context: String) throws {
        try #require(packages.count == expected.count, "\(context): \(packages.count) packages, rpm lists \(expected.count)")
        for (package, rpm) in zip(packages, expected) {
            let label = "\(context) \(package.name)"
            #expect(package.name == rpm["NAME"], "\(label)")
            #expect(package.epoch == rpm["EPOCH"].flatMap { Int($0) }, "\(label)")
            #expect(package.version == rpm["VERSION"], "\(label)")
            #expect(package.release == rpm["RELEASE"], "\(label)")
            #expect(package.arch == rpm["ARCH"], "\(label)")
            #expect(package.vendor == rpm["VENDOR"], "\(label)")
            #expect(package.packager == rpm["PACKAGER"], "\(label)")
            #expect(package.sourcePackage == rpm["SOURCERPM"], "\(label)")
            #expect(package.installedAt.map { String(Int($0.date.timeIntervalSince1970)) } == rpm["INSTALLTIME"], "\(label)")
            #expect(package.installedAt?.source == .rpmInstallTime, "\(label)")
            #expect(package.updatedAt == package.installedAt, "\(label)")
            let buildTime = rpm["BUILDTIME"].flatMap { Double($0) }.map { RFC3339.format(Date(timeIntervalSince1970: $0)) }
            #expect(package.metadata["buildTime"] == buildTime, "\(label)")
            #expect(package.metadata["buildHost"] == rpm["BUILDHOST"], "\(label)")
            #expect(package.metadata["size"] == rpm["SIZE"], "\(label)")
            #expect(package.metadata["url"] == rpm["URL"], "\(label)")
            #expect(package.metadata["license"] == rpm["LICENSE"], "\(label)")
            #expect(package.metadata["summary"] == rpm["SUMMARY"], "\(label)")
            #expect(package.metadata["distribution"] == rpm["DISTRIBUTION"], "\(label)")
            #expect(package.metadata["sigmd5"] == rpm["SIGMD5"], "\(label)")
            #expect(package.metadata["sha1Header"] == rpm["SHA1HEADER"], "\(label)")
            #expect(package.metadata["sha256Header"] == rpm["SHA256HEADER"], "\(label)")
            #expect(package.metadata["payloadDigest"] == rpm["PAYLOADDIGEST"], "\(label)")
            #expect(package.metadata["signature"] == rpm["SIGNATURE"], "\(label)")
        }
    }

    /// Every path rpm lists is owned by exactly the packages that list it.
    static func compareOwnership(_ output: CollectorOutput, packages: [InstalledPackage], listed: [[String]], aliases: UsrMergeAliases) throws {
        try #require(listed.count == packages.count)
        var expected: [String: Set<PackageID>] = [:]
        for (package, files) in zip(packages, listed) {
            for file in files { expected[file, default: []].insert(package.id) }
        }
        let ownership = try #require(output.ownership)
        let result = ownership.owners(of: Set(expected.keys), aliases: aliases)
        #expect(result.issues.isEmpty)
        var mismatches = 0
        for (path, owners) in expected where Set(result.owners[path] ?? []) != owners {
            mismatches += 1
            if mismatches <= 5 { Issue.record("\(path): rpm says \(owners), inventory says \(result.owners[path] ?? [])") }
        }
        #expect(mismatches == 0)
        #expect(Set(result.owners.keys) == Set(expected.keys))
    }

    /// A binary RPM whose files are small shell scripts.
    struct Spec {
        var name: String
        var version: String
        var release: String
        var epoch: Int?
        var arch: String
        var vendor: String?
        var files: [String]

        var text: String {
            var lines = [
                "Name: \(name)", "Version: \(version)", "Release: \(release)", "Summary: \(name) test package",
                "License: Proprietary", "URL: https://example.org/\(name)", "Packager: Embargo Tests <tests@example.org>",
                "BuildArch: \(arch)",
            ]
            if let epoch { lines.append("Epoch: \(epoch)") }
            if let vendor { lines.append("Vendor: \(vendor)") }
            lines += ["", "%description", "Built by the embargo test suite.", "", "%install"]
            for file in files {
                let directory = (file as NSString).deletingLastPathComponent
                lines.append("mkdir -p %{buildroot}\(directory)")
                lines.append("printf '#!/bin/sh\\necho \(name)\\n' > %{buildroot}\(file)")
                lines.append("chmod 755 %{buildroot}\(file)")
            }
            lines += ["", "%files"] + files
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
