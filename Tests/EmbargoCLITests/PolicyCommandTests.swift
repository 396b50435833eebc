import Foundation
import TestSupport
import Testing

@Suite("embargo policy")
struct PolicyCommandTests {
    @Test("policy list: the bundled policies are found without flags, with path and SHA-256")
    func listBundled() throws {
        let output = try EmbargoProcess.run(["policy", "list", "--format", "json"])
        #expect(output.status == 0, "\(output.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [[String: Any]])
        let ids = Set(rows.compactMap { $0["id"] as? String })
        #expect(ids.isSuperset(of: ["kaspersky", "positive-technologies", "profiles"]))
        for row in rows {
            let path = try #require(row["path"] as? String)
            #expect(path.hasPrefix(ProjectPaths.policies.path))
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let digest = try Command.check("sha256sum", [path]).stdout.prefix(64)
            #expect(row["sha256"] as? String == String(digest), "\(data.count) bytes")
        }
        let text = try EmbargoProcess.run(["policy", "list"])
        #expect(text.stdout.contains("kaspersky"))
        #expect(text.stdout.contains("sha256"))
    }

    @Test("--policy with the id of a bundled policy replaces it; EMBARGO_POLICY_DIR moves the bundle")
    func replaceAndRelocate() throws {
        let directory = try TemporaryDirectory()
        let replacement = try directory.write("kaspersky.yaml", """
            schema: embargo.policy/v1
            id: kaspersky
            version: "0.0.1-test"
            vendors:
              - id: kaspersky
                name: Kaspersky (test replacement)
                products:
                  - id: only
                    name: Only product
                    identifiers:
                      - package: only-this
                        strength: vendor-documented
                        source: https://example.org
                restrictions:
                  - id: test
                    title: Test
                    authority: Test
                    citations: [{cite: "Test"}]
                    binds: [us-commercial]
                    phases:
                      - id: p
                        effective: "2020-01-01T00:00:00Z"
                        kind: use
                        prohibits: Everything
            """)
        let output = try EmbargoProcess.run(["policy", "list", "--format", "json", "--policy", replacement.path])
        let rows = try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [[String: Any]])
        let kaspersky = rows.filter { $0["id"] as? String == "kaspersky" }
        #expect(kaspersky.count == 1)
        #expect(kaspersky.first?["version"] as? String == "0.0.1-test")

        let relocated = try EmbargoProcess.run(["policy", "list", "--format", "json"], environment: ["EMBARGO_POLICY_DIR": directory.path])
        #expect(relocated.status == 2, "the relocated bundle has no profiles document: \(relocated.stderr)")
        #expect(relocated.stderr.contains("no profiles are defined"))
    }

    @Test("policy validate: every problem as file:line:column, exit 2, nothing loaded")
    func validateReportsLocations() throws {
        let directory = try TemporaryDirectory()
        let broken = try directory.write("broken.yaml", """
            schema: embargo.policy/v1
            id: broken
            version: "1"
            vendors:
              - id: acme
                name: ACME
                prodcts: []
                products:
                  - id: tool
                    name: Tool
                    identifiers:
                      - path: opt/acme
                        strength: vendor-documented
                        source: https://example.org
                restrictions:
                  - id: r
                    title: R
                    authority: A
                    citations: [{cite: "C"}]
                    binds: [us-commercial]
                    phases:
                      - id: p
                        effective: "2024-07-20"
                        kind: use
                        prohibits: X
            """)
        let output = try EmbargoProcess.run(["policy", "validate", broken.path])
        #expect(output.status == 2)
        let lines = output.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(broken.path):7:5: error: unknown key 'prodcts'") })
        #expect(lines.contains { $0.hasPrefix("\(broken.path):12:19:") && $0.contains("must start with '/'") })
        #expect(lines.contains { $0.hasPrefix("\(broken.path):23:24:") && $0.contains("no time zone") })
        #expect(output.stderr.contains("nothing was loaded"))

        let valid = try EmbargoProcess.run(["policy", "validate", ProjectPaths.policies.appendingPathComponent("kaspersky.yaml").path])
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout.contains("ok"))
    }

    @Test("a scan with a broken extra policy fails with exit 2 and the problems, before scanning")
    func scanRefusesBrokenPolicy() throws {
        let directory = try TemporaryDirectory()
        let broken = try directory.write("bad.yaml", "schema: embargo.policy/v1\nid: [\n")
        let output = try EmbargoProcess.run(["scan", "--root", directory.path, "--policy", broken.path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(broken.path):"))
        #expect(output.stdout.isEmpty)
    }
}
