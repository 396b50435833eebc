import EmbargoDaemon
import Foundation
import Testing

@Suite("embargod.conf")
struct ConfigurationFileTests {
    @Test("values, repeated policy lines, comments and units")
    func parsesValues() throws {
        let configuration = try ConfigurationFile.parse(
            """
            # comment
            root = /srv/image
            policy = /etc/embargo/a.yaml
              policy=/etc/embargo/b.yaml
            bundled-policies = no
            profile = us-federal
            state-directory = /var/lib/embargo-test
            scan-interval = 90m
            scan-jitter = 0
            rescan-delay = 500ms-is-not-valid-so-not-here
            """.replacingOccurrences(of: "rescan-delay = 500ms-is-not-valid-so-not-here", with: "rescan-delay = 2.5s"),
            file: "test.conf")
        #expect(configuration.root == "/srv/image")
        #expect(configuration.policyPaths == ["/etc/embargo/a.yaml", "/etc/embargo/b.yaml"])
        #expect(configuration.useBundledPolicies == false)
        #expect(configuration.profile == "us-federal")
        #expect(configuration.stateDirectory == "/var/lib/embargo-test")
        #expect(configuration.scanInterval == 5400)
        #expect(configuration.scanJitter == 0)
        #expect(configuration.rescanDelay == 2.5)
    }

    @Test("every problem of the file, each with its line")
    func reportsEveryProblemWithLine() {
        let text = """
            root = relative/path
            scan-interval = 6 hours
            unknown-key = 1
            no equals sign here
            reminder-days = 30, 0
            journal = maybe
            root = /again
            keep-inventories = 0
            """
        do {
            _ = try ConfigurationFile.parse(text, file: "/etc/embargo/embargod.conf")
            Issue.record("accepted an invalid file")
        } catch {
            let lines = error.problems.map(\.description)
            #expect(lines.contains("/etc/embargo/embargod.conf:1: root: 'relative/path' is not an absolute path"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("/etc/embargo/embargod.conf:2: scan-interval: '6 hours' is not a duration") })
            #expect(lines.contains { $0.hasPrefix("/etc/embargo/embargod.conf:3: unknown key 'unknown-key'") })
            #expect(lines.contains { $0.hasPrefix("/etc/embargo/embargod.conf:4: expected 'key = value'") })
            #expect(lines.contains { $0.hasPrefix("/etc/embargo/embargod.conf:5: reminder-days: '0' is not a number of days") })
            #expect(lines.contains { $0.hasPrefix("/etc/embargo/embargod.conf:6: journal: 'maybe' is not yes or no") })
            #expect(lines.contains("/etc/embargo/embargod.conf:7: 'root' is set twice (first on line 1)"))
            #expect(lines.contains { $0.hasPrefix("/etc/embargo/embargod.conf:8: keep-inventories:") })
            #expect(lines.count == 8)
        }
    }

    @Test("cross-field checks: jitter longer than the interval")
    func crossFieldChecks() {
        #expect(throws: ConfigurationProblems.self) {
            try ConfigurationFile.parse("scan-interval = 1h\nscan-jitter = 2h\n", file: "c")
        }
    }

    @Test("durations: units, bare seconds, and nonsense")
    func durations() {
        #expect(DurationText.parse("30s") == 30)
        #expect(DurationText.parse("5m") == 300)
        #expect(DurationText.parse("6h") == 21_600)
        #expect(DurationText.parse("1d") == 86_400)
        #expect(DurationText.parse("1.5h") == 5400)
        #expect(DurationText.parse("90") == 90)
        #expect(DurationText.parse("") == nil)
        #expect(DurationText.parse("-5s") == nil)
        #expect(DurationText.parse("6 hours") == nil)
        #expect(DurationText.parse("nan") == nil)
        #expect(DurationText.parse("99999d") == nil)
        #expect(DurationText.format(21_600) == "6h")
        #expect(DurationText.format(900) == "15m")
    }

    @Test("flags override the file; --policy adds; $STATE_DIRECTORY is the fallback")
    func overridesAndStateDirectory() throws {
        var file = DaemonConfiguration()
        file.policyPaths = ["/etc/embargo/a.yaml"]
        file.root = "/srv"
        let merged = DaemonOverrides(root: "/mnt", policyPaths: ["/srv/policies/b.yaml"], noBundledPolicies: true).apply(to: file)
        #expect(merged.root == "/mnt")
        #expect(merged.policyPaths == ["/etc/embargo/a.yaml", "/srv/policies/b.yaml"])
        #expect(merged.useBundledPolicies == false)
        #expect(DaemonConfiguration().resolvedStateDirectory(environment: [:]) == "/var/lib/embargo")
        #expect(DaemonConfiguration().resolvedStateDirectory(environment: ["STATE_DIRECTORY": "/var/lib/embargo:/x"]) == "/var/lib/embargo")
        #expect(DaemonConfiguration().resolvedStateDirectory(environment: ["STATE_DIRECTORY": "/run/state"]) == "/run/state")
        // A missing default file is fine; a missing explicit one is an error.
        #expect(throws: Never.self) { try ConfigurationSource(file: nil, overrides: DaemonOverrides()).load() }
        #expect(throws: ConfigurationProblems.self) {
            try ConfigurationSource(file: "/nonexistent/embargod.conf", overrides: DaemonOverrides()).load()
        }
    }
}
