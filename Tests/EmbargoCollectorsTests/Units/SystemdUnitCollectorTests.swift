import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Service units")
struct SystemdUnitCollectorTests {
    static let keslUnit = """
        [Unit]
        Description = Kaspersky Endpoint Security for Linux
        Documentation=https://support.kaspersky.com/KES4Linux
        Description=

        Description=Kaspersky Endpoint Security
        [Service]
        Type=forking
        ExecStart=/var/opt/kaspersky/kesl/install-current/etc/init.d/kesl \\
        # a comment inside a continued line is dropped
            start
        PIDFile=/var/run/wdserver.pid
        ; ExecStart=/commented/out
        [Install]
        WantedBy=multi-user.target

        """

    /// A usr-merged Debian root: vendor units in /usr/lib (also reachable as /lib), local
    /// configuration in /etc, and a dpkg database that lists unit files under /lib.
    func makeRoot() throws -> TemporaryDirectory {
        let root = try TemporaryDirectory()
        try root.symlink("lib", to: "usr/lib")
        let vendor = "usr/lib/systemd/system/"
        try root.write(vendor + "kesl.service", Self.keslUnit)
        try root.write(vendor + "klnagent64.service", "[Unit]\nDescription=Kaspersky Security Center Network Agent\n[Service]\nExecStart=/opt/kaspersky/klnagent64/sbin/klnagent\n")
        try root.write(vendor + "getty@.service", "[Unit]\nDescription=Getty on %I\n")
        try root.write(vendor + "kesl-masked.service", "[Service]\nExecStart=/opt/kaspersky/kesl/bin/masked\n")
        try root.write(vendor + "local.service", "[Unit]\nDescription=vendor copy\n")
        try root.write(vendor + "ssh.service", "[Unit]\nDescription=OpenBSD Secure Shell server\n")
        try root.write(vendor + "README", "not a unit\n")
        try root.symlink(vendor + "sysinit.target.wants/klnagent64.service", to: "../klnagent64.service")

        let local = "etc/systemd/system/"
        try root.symlink(local + "multi-user.target.wants/kesl.service", to: "/lib/systemd/system/kesl.service")
        try root.symlink(local + "getty.target.wants/getty@tty1.service", to: "/lib/systemd/system/getty@.service")
        try root.symlink(local + "multi-user.target.wants/kav4fs-supervisor.service", to: "/usr/lib/systemd/system/kav4fs-supervisor.service")
        try root.symlink(local + "multi-user.target.wants/kesl-masked.service", to: "/lib/systemd/system/kesl-masked.service")
        try root.symlink(local + "kesl-masked.service", to: "/dev/null")
        try root.write(local + "empty.service", "")
        try root.write(local + "local.service", "[Unit]\nDescription=local copy\n")
        try root.symlink(local + "sshd.service", to: "/lib/systemd/system/ssh.service")
        try root.write(local + "kesl.service.d/10-override.conf", "[Service]\nExecStart=\nExecStart=/opt/kaspersky/kesl/bin/kesl --override\n")
        try root.write("usr/lib/systemd/system/kesl.service.d/05-vendor.conf", "[Unit]\nDocumentation=man:kesl(8)\n")

        try root.write(
            "var/lib/dpkg/status",
            """
            Package: kesl
            Status: install ok installed
            Version: 12.1.0-1297
            Architecture: amd64
            Maintainer: AO Kaspersky Lab

            Package: klnagent64
            Status: install ok installed
            Version: 15.0.0-12345
            Architecture: amd64
            Maintainer: AO Kaspersky Lab

            """)
        try root.write("var/lib/dpkg/info/kesl.list", "/.\n/lib\n/lib/systemd\n/lib/systemd/system\n/lib/systemd/system/kesl.service\n/lib/systemd/system/kesl-masked.service\n")
        try root.write("var/lib/dpkg/info/klnagent64.list", "/.\n/usr/lib/systemd/system/klnagent64.service\n")
        return root
    }

    @Test func unitsEnablementMasksAndOwners() async throws {
        let root = try makeRoot()
        let plan = ScanPlan(unitNames: [try Glob("kesl*"), try Glob("klnagent*"), try Glob("kav4fs*")])
        let inventory = await InventoryScanner(collectors: [DpkgCollector(), SystemdUnitCollector()])
            .scan(CollectionContext(fileSystem: try RootFileSystem(root: root.path), plan: plan))
        let units = Dictionary(grouping: inventory.units, by: \.name)
        #expect(units.values.allSatisfy { $0.count == 1 }, "usr-merged directories are read once")
        #expect(inventory.issues.isEmpty, "\(inventory.issues)")
        func unit(_ name: String) throws -> ServiceUnit { try #require(units[name]?.first, "\(name)") }

        let kesl = try unit("kesl.service")
        #expect(kesl.path == "/usr/lib/systemd/system/kesl.service")
        #expect(kesl.manager == "systemd")
        #expect(kesl.enabled)
        #expect(kesl.owners.map(\.description) == ["deb:kesl:amd64@12.1.0-1297"])
        #expect(kesl.properties == [
            "wantedBy": "multi-user.target",
            "Description": "Kaspersky Endpoint Security",
            "Documentation": "man:kesl(8)",
            "Type": "forking",
            "ExecStart": "/opt/kaspersky/kesl/bin/kesl --override",
            "PIDFile": "/var/run/wdserver.pid",
            "WantedBy": "multi-user.target",
            "dropIns": "/usr/lib/systemd/system/kesl.service.d/05-vendor.conf /etc/systemd/system/kesl.service.d/10-override.conf",
        ])

        // Enabled by the vendor's own .wants directory.
        let agent = try unit("klnagent64.service")
        #expect(agent.enabled)
        #expect(agent.properties["wantedBy"] == "sysinit.target")
        #expect(agent.properties["ExecStart"] == "/opt/kaspersky/klnagent64/sbin/klnagent")
        #expect(agent.owners.map(\.description) == ["deb:klnagent64:amd64@15.0.0-12345"])

        // Masked: the value points at the unit file the mask hides, which its package owns.
        let masked = try unit("kesl-masked.service")
        #expect(!masked.enabled)
        #expect(masked.path == "/usr/lib/systemd/system/kesl-masked.service")
        #expect(masked.properties["masked"] == "true")
        #expect(masked.properties["maskedBy"] == "/etc/systemd/system/kesl-masked.service")
        #expect(masked.properties["ExecStart"] == "/opt/kaspersky/kesl/bin/masked")
        #expect(masked.owners.map(\.description) == ["deb:kesl:amd64@12.1.0-1297"])

        let empty = try unit("empty.service")
        #expect(empty.properties["masked"] == "true")
        #expect(empty.path == "/etc/systemd/system/empty.service")

        // A template is enabled by a link to one of its instances.
        let getty = try unit("getty@.service")
        #expect(getty.enabled)
        #expect(getty.properties["wantedBy"] == "getty.target")
        #expect(units["getty@tty1.service"] == nil)

        // The enablement link of an uninstalled product is a left-over, recorded as such.
        let leftOver = try unit("kav4fs-supervisor.service")
        #expect(leftOver.path == "/etc/systemd/system/multi-user.target.wants/kav4fs-supervisor.service")
        #expect(leftOver.enabled)
        #expect(leftOver.properties == [
            "linkTarget": "/usr/lib/systemd/system/kav4fs-supervisor.service", "danglingLink": "true", "wantedBy": "multi-user.target",
        ])

        let local = try unit("local.service")
        #expect(local.path == "/etc/systemd/system/local.service")
        #expect(local.properties["overriddenPaths"] == "/usr/lib/systemd/system/local.service")
        #expect(!local.enabled)

        let alias = try unit("sshd.service")
        #expect(alias.properties["linkTarget"] == "/lib/systemd/system/ssh.service")
        #expect(alias.properties["aliasOf"] == "ssh.service")
        #expect(units["README"] == nil)

        let sources = inventory.sources.filter { $0.collector == "units" }.map(\.path)
        #expect(sources == ["/etc/systemd/system", "/usr/lib/systemd/system"])
    }

    /// On a root that is not usr-merged, /lib/systemd/system is a directory of its own; a name in
    /// both is one unit, the /usr/lib file taking precedence as in systemd's search path.
    @Test func splitUsrRootReadsBothDirectories() async throws {
        let root = try TemporaryDirectory()
        try root.write("usr/lib/systemd/system/both.service", "[Unit]\nDescription=usr\n")
        try root.write("lib/systemd/system/both.service", "[Unit]\nDescription=lib\n")
        try root.write("lib/systemd/system/old.service", "[Unit]\nDescription=old\n")
        let plan = ScanPlan(unitNames: [try Glob("*.service")])
        let inventory = await SystemdUnitCollector()
            .collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path), plan: plan)).inventory
        #expect(inventory.units.map(\.name) == ["both.service", "old.service"])
        #expect(inventory.units[0].path == "/usr/lib/systemd/system/both.service")
        #expect(inventory.units[0].properties["Description"] == "usr")
        #expect(inventory.units[0].properties["overriddenPaths"] == "/lib/systemd/system/both.service")
        #expect(inventory.units[1].path == "/lib/systemd/system/old.service")
    }

    @Test func sysVScripts() async throws {
        let root = try TemporaryDirectory()
        try root.write(
            "etc/init.d/kav4fs-supervisor",
            """
            #!/bin/sh
            ### BEGIN INIT INFO
            # Provides:          kav4fs-supervisor
            # Required-Start:    $remote_fs
            # Default-Start:     2 3 4 5
            # Short-Description: Kaspersky Anti-Virus for Linux File Server
            # Description:       Supervisor of the on-access scanner
            ### END INIT INFO
            exit 0
            """, permissions: 0o755)
        try root.write(
            "etc/init.d/klms",
            "#!/bin/bash\n# chkconfig: 345 90 10\n# description: Kaspersky Security for Linux Mail Server\n# processname: klms\n",
            permissions: 0o755)
        try root.write("etc/init.d/README", "not a script\n")
        try root.write("etc/init.d/skeleton", "#!/bin/sh\n")
        try root.write("etc/init.d/ssh", "#!/bin/sh\n", permissions: 0o755)
        try root.symlink("etc/rc2.d/S20kav4fs-supervisor", to: "../init.d/kav4fs-supervisor")
        try root.symlink("etc/rc3.d/S20kav4fs-supervisor", to: "../init.d/kav4fs-supervisor")
        try root.symlink("etc/rc3.d/K10klms", to: "../init.d/klms")
        try root.symlink("etc/rcS.d/S01ssh", to: "../init.d/ssh")

        let plan = ScanPlan(unitNames: [try Glob("kav4fs*"), try Glob("klms")])
        let inventory = await SystemdUnitCollector()
            .collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path), plan: plan)).inventory
        #expect(inventory.units.map(\.name) == ["kav4fs-supervisor", "klms", "ssh"])
        #expect(inventory.units.allSatisfy { $0.manager == "sysv" })
        #expect(inventory.units.map(\.enabled) == [true, false, true])
        #expect(inventory.units[0].properties == [
            "startLevels": "2 3", "Provides": "kav4fs-supervisor", "Default-Start": "2 3 4 5",
            "Short-Description": "Kaspersky Anti-Virus for Linux File Server", "Description": "Supervisor of the on-access scanner",
        ])
        #expect(inventory.units[1].properties == [
            "chkconfig": "345 90 10", "Description": "Kaspersky Security for Linux Mail Server", "processname": "klms",
        ])
        #expect(inventory.units[2].properties == ["startLevels": "S"])
        #expect(inventory.issues.isEmpty)
    }

    /// A unit directory that cannot be listed is reported; the others are still read.
    @Test func unreadableDirectoryIsReported() async throws {
        let root = try TemporaryDirectory()
        try root.write("usr/lib/systemd/system/a.service", "[Unit]\n")
        try root.write("etc/systemd/system", "a file where a directory should be")
        let inventory = await SystemdUnitCollector()
            .collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path))).inventory
        #expect(inventory.units.map(\.name) == ["a.service"])
        #expect(inventory.issues.map(\.location.path) == ["/etc/systemd/system"])
    }
}
