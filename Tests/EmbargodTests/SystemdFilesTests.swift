import EmbargoDaemon
import EmbargoJournal
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EmbargodProcessTests {
    /// The unit file, the catalog and the sample configuration, checked with systemd's own tools.
    @Suite("systemd files", .serialized, .enabled(if: getuid() == 0 && Command.isAvailable("systemd-analyze"), "needs root and systemd-analyze"))
    struct SystemdFilesTests {
        static let systemdDirectory = ProjectPaths.root.appendingPathComponent("systemd")

        /// Runs a shell script in a private mount namespace with a tmpfs on /run/systemd (verify
        /// writes there), so the host stays untouched.
        static func privately(_ script: String) throws -> Command.Output {
            try Command.run(
                "/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs tmpfs /run/systemd && " + script],
                currentDirectory: systemdDirectory.path)
        }

        @Test("systemd-analyze verify prints nothing for embargod.service (ExecStart resolved to the built binary)")
        func verifyUnit() throws {
            // verify checks that ExecStart= exists: overlay the built embargod onto /usr/bin.
            let binaries = try TemporaryDirectory(prefix: "embargod-bin")
            try binaries.copy(ProjectPaths.embargodExecutable, to: "embargod")
            let output = try Self.privately(
                "mount -t overlay overlay -o lowerdir=\(binaries.path):/usr/bin /usr/bin && systemd-analyze verify --man=no ./embargod.service")
            #expect(output.status == 0)
            #expect(output.stderr.isEmpty, "verify warned:\n\(output.stderr)")
            #expect(output.stdout.isEmpty, "verify printed:\n\(output.stdout)")
        }

        @Test("systemd-analyze security: exposure 1.5 or lower")
        func securityExposure() throws {
            let output = try Self.privately("systemd-analyze security --offline=true --man=no ./embargod.service")
            let line = try #require(output.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }, "\(output.stderr)")
            let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first, "\(line)")
            #expect(score <= 1.5, "\(line)")
            // The hardening the auditor depends on: reads everything, writes only its state.
            let unit = try String(contentsOf: Self.systemdDirectory.appendingPathComponent("embargod.service"), encoding: .utf8)
            for directive in [
                "Type=notify", "ProtectSystem=strict", "ProtectHome=read-only", "NoNewPrivileges=yes", "PrivateNetwork=yes",
                "RestrictAddressFamilies=AF_UNIX", "SystemCallFilter=@system-service", "StateDirectory=embargo",
                "CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE", "IOSchedulingClass=idle", "WatchdogSec=",
            ] {
                #expect(unit.contains(directive), "missing \(directive)")
            }
            // The daemon's graceful shutdown must end before systemd's stop timeout.
            let timeout = try #require(unit.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") }.flatMap { Int($0.dropFirst(15)) })
            #expect(Embargod.maximumGracefulShutdown < .seconds(timeout))
        }

        @Test("the catalog has one entry per MESSAGE_ID and journalctl lists them all")
        func catalogListsEveryEvent() throws {
            let catalogRoot = try TemporaryDirectory(prefix: "embargo-catalog")
            try catalogRoot.copy(Self.systemdDirectory.appendingPathComponent("embargo.catalog"), to: "usr/lib/systemd/catalog/embargo.catalog")
            try catalogRoot.makeDirectory("var/lib/systemd/catalog")
            let update = try Command.run("journalctl", ["--root=\(catalogRoot.path)", "--update-catalog"])
            #expect(update.status == 0 && update.stderr.isEmpty, "\(update.stderr)")
            let list = try Command.run("journalctl", ["--root=\(catalogRoot.path)", "--list-catalog"])
            let listed = Set(list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
            #expect(listed == Set(JournalEvent.allCases.map(\.messageID)))
            for event in JournalEvent.allCases {
                let entry = try Command.run("journalctl", ["--root=\(catalogRoot.path)", "--dump-catalog", event.messageID]).stdout
                for header in ["Subject: ", "Defined-By: embargo", "Support: ", "Documentation: "] {
                    #expect(entry.contains(header), "\(event.rawValue) has no \(header)")
                }
                // Every @FIELD@ is a field embargod writes.
                let fields = Self.substitutions(in: entry)
                #expect(!fields.isEmpty, "\(event.rawValue) explains nothing specific")
                for field in fields { #expect(JournalField.isValidName(field), "\(event.rawValue): @\(field)@") }
            }
        }

        @Test("journalctl -x explains a real finding entry with its fields substituted")
        func catalogExplainsFindingEntries() throws {
            guard JournaldSandbox.isSupported, DebianRoot.toolsAvailable else { return }
            let harness = try DaemonHarness()
            try harness.root.install([TestPolicies.kesl])
            let output = try harness.once()
            #expect(output.status == 1, "a violation: \(output.stderr)")
            let catalogRoot = try TemporaryDirectory(prefix: "embargo-catalog")
            try catalogRoot.copy(Self.systemdDirectory.appendingPathComponent("embargo.catalog"), to: "usr/lib/systemd/catalog/embargo.catalog")
            try catalogRoot.makeDirectory("var/lib/systemd/catalog")
            try Command.check("journalctl", ["--root=\(catalogRoot.path)", "--update-catalog"])
            // -x reads the catalog database at its fixed place: bind the test's over it, privately.
            let explained = try Command.run(
                "/usr/bin/unshare",
                [
                    "--mount", "--propagation", "private", "/bin/sh", "-c",
                    "mount --bind \(catalogRoot.path)/var/lib/systemd/catalog /var/lib/systemd/catalog && journalctl --no-pager -x -D \(harness.sandbox.journalDirectory) MESSAGE_ID=\(JournalEvent.findingFound.messageID)",
                ])
            #expect(explained.stdout.contains("Subject: Restricted software found: Kaspersky Endpoint Security for Linux (violation)"), "\(explained.stdout)")
            #expect(explained.stdout.contains("Remediation: apt-get purge kesl"))
            #expect(explained.stdout.contains("package kesl 12.1.0.1297"))
            #expect(!explained.stdout.contains("@EMBARGO_"), "unsubstituted fields:\n\(explained.stdout)")
        }

        @Test("the sample embargod.conf parses, documents every key, and states the real defaults")
        func sampleConfiguration() throws {
            let sample = try String(contentsOf: Self.systemdDirectory.appendingPathComponent("embargod.conf"), encoding: .utf8)
            // As shipped (all commented out) it yields the defaults.
            #expect(try ConfigurationFile.parse(sample, file: "embargod.conf") == DaemonConfiguration())
            // Uncommented, every documented value is the default.
            let uncommented = sample.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("#") && line.dropFirst().first?.isLetter == true && line.contains(" = ") ? String(line.dropFirst()) : String(line)
            }.joined(separator: "\n")
            var expected = DaemonConfiguration()
            expected.policyPaths = ["/etc/embargo/policies"]
            expected.stateDirectory = "/var/lib/embargo"
            expected.waiverPaths = ["/etc/embargo/waivers.d"]
            #expect(try ConfigurationFile.parse(uncommented, file: "embargod.conf") == expected)
            for key in ConfigurationFile.keys {
                #expect(sample.contains("#\(key) ="), "the sample does not document \(key)")
            }
        }

        static func substitutions(in text: String) -> [String] {
            var fields: [String] = []
            var rest = Substring(text)
            while let start = rest.firstIndex(of: "@") {
                let after = rest[rest.index(after: start)...]
                guard let end = after.firstIndex(of: "@") else { break }
                let name = String(after[..<end])
                if !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
                    fields.append(name)
                    rest = after[after.index(after: end)...]
                } else {
                    rest = after
                }
            }
            return fields
        }
    }
}
