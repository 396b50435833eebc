import Foundation

/// Policy files for daemon and journal tests: a small Kaspersky policy with chosen phase instants,
/// so a test can put a phase a few seconds in the future. (The bundled policies are the product's;
/// tests that depend on timing write their own.)
public enum TestPolicies {
    public struct Phase: Sendable {
        public var id: String
        /// RFC 3339 with an offset (`2024-07-20T00:00:00-04:00`).
        public var effective: String
        public var severity: String

        public init(id: String, effective: String, severity: String = "high") {
            self.id = id
            self.effective = effective
            self.severity = severity
        }
    }

    /// The two Commerce phases as the final determination dates them.
    public static let commercePhases = [
        Phase(id: "new-agreements", effective: "2024-07-20T00:00:00-04:00", severity: "high"),
        Phase(id: "updates", effective: "2024-09-29T00:00:00-04:00", severity: "critical"),
    ]

    /// A phase `seconds` from now, as an RFC 3339 UTC instant (whole seconds).
    public static func instant(secondsFromNow seconds: Double) -> (date: Date, text: String) {
        let date = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + seconds).rounded(.up))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return (date, formatter.string(from: date))
    }

    /// A valid policy document with profiles, the vendor `kaspersky` and products `kesl` and
    /// `klnagent64` (matched by package name and path).
    public static func kaspersky(id: String = "test-kaspersky", version: String = "1", phases: [Phase] = commercePhases) -> String {
        var text = """
            schema: embargo.policy/v1
            id: \(id)
            version: "\(version)"
            title: Test policy for daemon tests
            profiles:
              - id: us-commercial
                title: US commercial
                default: true
            vendors:
              - id: kaspersky
                name: Kaspersky
                products:
                  - id: kesl
                    name: Kaspersky Endpoint Security for Linux
                    identifiers:
                      - package: kesl
                        strength: vendor-documented
                        source: test
                      - path: /opt/kaspersky/kesl/**
                        strength: vendor-documented
                        source: test
                  - id: klnagent64
                    name: Kaspersky Security Center Network Agent
                    identifiers:
                      - package: klnagent64
                        strength: vendor-documented
                        source: test
                restrictions:
                  - id: commerce
                    title: Commerce final determination
                    authority: US Department of Commerce (BIS)
                    citations:
                      - cite: 89 FR 52434
                        url: https://www.federalregister.gov/d/2024-13532
                    binds: [us-commercial]
                    phases:

            """
        for phase in phases {
            text += "          - id: \(phase.id)\n"
            text += "            effective: \"\(phase.effective)\"\n"
            text += "            kind: updates\n"
            text += "            prohibits: Test phase \(phase.id).\n"
            text += "            severity: \(phase.severity)\n"
        }
        return text
    }

    /// A policy file with a YAML syntax error on line 3.
    public static let broken = """
        schema: embargo.policy/v1
        id: test-kaspersky
        vendors: [ {id: kaspersky, name: "unterminated
        """

    /// Test doubles of Kaspersky packages.
    public static let kesl = DebianPackageSpec(
        name: "kesl", version: "12.1.0.1297", maintainer: "AO Kaspersky Lab <support@kaspersky.com>",
        description: "Kaspersky Endpoint Security for Linux (test double)",
        executables: ["/opt/kaspersky/kesl/bin/kesl-control": "#!/bin/sh\nexit 0\n"])
    public static let klnagent = DebianPackageSpec(
        name: "klnagent64", version: "15.0.0.12912", maintainer: "AO Kaspersky Lab <support@kaspersky.com>",
        description: "Kaspersky Security Center Network Agent (test double)",
        executables: ["/opt/kaspersky/klnagent64/bin/klnagchk": "#!/bin/sh\nexit 0\n"])
}

extension ProjectPaths {
    /// The built `embargod` executable.
    public static var embargodExecutable: URL { buildProducts.appendingPathComponent("embargod") }
}

extension TestPolicies {
    /// A second vendor (no profiles: load it with ``kaspersky(id:version:phases:)``), so filters
    /// by vendor have something to leave out.
    public static func exampleVendor(effective: String = "2024-01-01T00:00:00Z") -> String {
        """
        schema: embargo.policy/v1
        id: test-example-vendor
        version: "1"
        vendors:
          - id: example-vendor
            name: Example Vendor
            products:
              - id: example-agent
                name: Example Agent
                identifiers:
                  - package: example-agent
                    strength: vendor-documented
                    source: test
            restrictions:
              - id: example-ban
                title: Example ban
                authority: Test authority
                citations:
                  - cite: Test citation
                binds: [us-commercial]
                phases:
                  - id: ban
                    effective: "\(effective)"
                    kind: use
                    prohibits: Use.
                    severity: medium

        """
    }

    public static let exampleAgent = DebianPackageSpec(
        name: "example-agent", version: "2.0", description: "Example agent (test double)",
        executables: ["/usr/bin/example-agent": "#!/bin/sh\nexit 0\n"])
}
