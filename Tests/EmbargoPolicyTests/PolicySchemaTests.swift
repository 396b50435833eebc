import Foundation
import Testing
import TestSupport

@testable import EmbargoPolicy

/// `Policies/schema.json` against the loader: every bundled policy passes both, and documents
/// broken in ways the schema can express fail both.
///
/// The check runs python3 with the `jsonschema` and `pyyaml` modules
/// (`pip install jsonschema pyyaml`); without python3 the suite is skipped.
@Suite(.enabled(if: Command.isAvailable("python3"), "python3 is not installed: the JSON Schema is not checked"))
struct PolicySchemaTests {
    struct Verdict: Decodable {
        struct Failure: Decodable {
            var path: String
            var message: String
        }
        var file: String
        var valid: Bool
        var errors: [Failure]
    }

    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "embargo-schema")
    }

    private var schema: String { ProjectPaths.policies.appendingPathComponent("schema.json").path }

    /// Runs the validator script over files; one verdict per file, in order.
    private func validate(_ files: [String]) throws -> [Verdict] {
        let script = ProjectPaths.fixture("validate_policy_schema.py", target: "EmbargoPolicyTests").path
        let output = try Command.run("python3", [script, schema] + files, timeout: 120)
        try #require(
            output.status == 0,
            "the schema check did not run (status \(output.status)); install its modules with: pip install jsonschema pyyaml\n\(output.stderr)")
        return try output.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Verdict.self, from: Data($0.utf8))
        }
    }

    private func loaderAccepts(_ file: String) -> Bool {
        if case .success = PolicySet.loadDocument(file: file) { return true }
        return false
    }

    @Test func theSchemaIsValidDraft202012JSON() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: schema))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let kinds = IdentifierKind.allCases.map(\.rawValue)
        let definitions = try #require(object["$defs"] as? [String: Any])
        let identifier = try #require(definitions["identifier"] as? [String: Any])
        let properties = try #require(identifier["properties"] as? [String: Any])
        // The schema knows every identifier kind the loader knows, and nothing else.
        #expect(Set(properties.keys) == Set(kinds + PolicyDocumentDecoder.identifierCommonKeys))
        let oneOf = try #require(identifier["oneOf"] as? [[String: Any]])
        #expect(Set(oneOf.compactMap { ($0["required"] as? [String])?.first }) == Set(kinds))
        // And the keys of every object are the decoder's.
        func keys(_ name: String) throws -> Set<String> {
            let definition = try #require(definitions[name] as? [String: Any])
            #expect(definition["additionalProperties"] as? Bool == false, "\(name)")
            return Set(try #require(definition["properties"] as? [String: Any]).keys)
        }
        #expect(try keys("vendor") == Set(PolicyDocumentDecoder.vendorKeys))
        #expect(try keys("product") == Set(PolicyDocumentDecoder.productKeys))
        #expect(try keys("restriction") == Set(PolicyDocumentDecoder.restrictionKeys))
        #expect(try keys("profile") == Set(PolicyDocumentDecoder.profileKeys))
        #expect(try keys("citation") == Set(PolicyDocumentDecoder.citationKeys))
        #expect(Set(try #require(object["properties"] as? [String: Any]).keys) == Set(PolicyDocumentDecoder.documentKeys))
    }

    @Test func everyBundledPolicyConformsToTheSchema() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ProjectPaths.policies.path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { ProjectPaths.policies.appendingPathComponent($0).path }
        #expect(files.count == 3)
        for verdict in try validate(files) {
            #expect(verdict.valid, "\(verdict.file): \(verdict.errors.map { "\($0.path): \($0.message)" })")
        }
    }

    /// Broken documents: each must fail the schema and the loader alike.
    static let broken: [(name: String, from: String, to: String)] = [
        ("unknown key", "    name: Widget\n", "    name: Widget\n        remediaton: Remove it.\n"),
        ("no schema", "schema: embargo.policy/v1\n", ""),
        ("other schema", "schema: embargo.policy/v1", "schema: embargo.policy/v2"),
        ("upper-case id", "id: test", "id: Test"),
        ("number for a string", "version: \"1\"", "version: 1.5"),
        ("quoted boolean", "default: true", "default: \"true\""),
        ("two kinds", "      - package: widget\n", "      - package: widget\n            path: /opt/widget\n"),
        ("no kind", "      - package: widget\n            ecosystems: [deb]\n", "      - note: nothing\n"),
        ("relative path", "      - package: widget\n            ecosystems: [deb]\n", "      - path: opt/widget\n"),
        ("path with //", "      - package: widget\n            ecosystems: [deb]\n", "      - path: /opt//widget\n"),
        ("trailing slash", "      - package: widget\n            ecosystems: [deb]\n", "      - path: /opt/widget/\n"),
        ("upper-case deb name", "      - package: widget\n", "      - package: Widget\n"),
        ("URL as host", "      - package: widget\n            ecosystems: [deb]\n", "      - repositoryHost: https://example.com/repo\n"),
        ("short marker", "      - package: widget\n            ecosystems: [deb]\n", "      - marker: abc\n"),
        ("bad sha256", "      - package: widget\n            ecosystems: [deb]\n", "      - sha256: abc123\n"),
        ("unclosed class", "      - package: widget\n", "      - package: widget[\n"),
        ("wildcard file name", "      - package: widget\n            ecosystems: [deb]\n", "      - fileName: widget*\n"),
        ("effective without offset", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00"),
        ("effective date only", "\"2024-01-01T00:00:00Z\"", "2024-01-01"),
        ("month 13", "2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z"),
        ("unknown phase kind", "kind: use", "kind: usage"),
        ("unknown strength", "strength: vendor-documented", "strength: rumour"),
        ("no citations", "        citations:\n          - cite: \"1 FR 1\"\n            published: \"2024-01-02\"\n", "        citations: []\n"),
        ("empty binds", "binds: [p1]", "binds: []"),
        ("exemption without products or categories", "        binds: [p1]\n", "        binds: [p1]\n        exemptions:\n          - reason: Because.\n"),
        ("ecosystems on a path", "      - package: widget\n", "      - path: /opt/widget\n"),
        ("null note", "        title: Ban\n", "        title: Ban\n        note:\n"),
    ]

    @Test func brokenDocumentsFailTheSchemaAndTheLoader() throws {
        var files: [String] = []
        for (index, sample) in Self.broken.enumerated() {
            let text = Self.template.replacingOccurrences(of: sample.from, with: sample.to)
            #expect(text != Self.template, "\(sample.name): the edit applies")
            files.append(try directory.write("broken-\(index).yaml", text).path)
        }
        let verdicts = try validate(files)
        try #require(verdicts.count == Self.broken.count)
        for (index, sample) in Self.broken.enumerated() {
            #expect(!verdicts[index].valid, "the schema accepts: \(sample.name)")
            #expect(!loaderAccepts(files[index]), "the loader accepts: \(sample.name)")
        }
    }

    @Test func validVariantsPassTheSchemaAndTheLoader() throws {
        let variants: [(name: String, from: String, to: String)] = [
            ("the template", "", ""),
            ("strings for one-element lists", "binds: [p1]", "binds: p1"),
            ("category exemption with no such product", "        binds: [p1]\n", "        binds: [p1]\n        exemptions:\n          - categories: security-training\n            reason: Exempt.\n"),
            ("legal entity as a string", "      - name: Acme AS\n        country: NO\n", "      - Acme AS\n"),
            ("rpm names keep their case", "ecosystems: [deb]", "ecosystems: rpm"),
            ("offset with minutes and fraction", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.5+05:30"),
            ("yes is a string", "title: Ban", "title: yes"),
            ("a path glob", "      - package: widget\n            ecosystems: [deb]\n", "      - path: /opt/widget/**\n"),
            ("marker made sufficient", "      - package: widget\n            ecosystems: [deb]\n", "      - marker: widget-ctl\n            weight: sufficient\n"),
        ]
        var files: [String] = []
        for (index, variant) in variants.enumerated() {
            let text = variant.from.isEmpty ? Self.template : Self.template.replacingOccurrences(of: variant.from, with: variant.to)
            files.append(try directory.write("valid-\(index).yaml", text).path)
        }
        let verdicts = try validate(files)
        try #require(verdicts.count == variants.count)
        for (index, variant) in variants.enumerated() {
            #expect(verdicts[index].valid, "\(variant.name): \(verdicts[index].errors.map(\.message))")
            let loaded = PolicySet.loadDocument(file: files[index])
            if case .failure(let failure) = loaded { Issue.record("\(variant.name): \(failure)") }
        }
    }

    static let template = """
        schema: embargo.policy/v1
        id: test
        version: "1"
        profiles:
          - id: p1
            title: Profile one
            default: true
        vendors:
          - id: acme
            name: Acme
            legalEntities:
              - name: Acme AS
                country: NO
            products:
              - id: widget
                name: Widget
                identifiers:
                  - package: widget
                    ecosystems: [deb]
                    strength: vendor-documented
                    source: https://example.com/widget
            restrictions:
              - id: ban
                title: Ban
                authority: Someone
                citations:
                  - cite: "1 FR 1"
                    published: "2024-01-02"
                binds: [p1]
                phases:
                  - id: start
                    effective: "2024-01-01T00:00:00Z"
                    kind: use
                    prohibits: Everything.

        """
}
