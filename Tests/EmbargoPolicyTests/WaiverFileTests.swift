import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoPolicy

/// Waiver files (`embargo.waivers/v1`): loaded like policies, every problem with file, line and
/// column; a scope that can never match what the policies know is a warning.
@Suite("waiver files")
struct WaiverFileTests {
    static let valid = """
        schema: embargo.waivers/v1
        waivers:
          - id: CHG-1234
            vendor: kaspersky
            product: kesl
            host: build-01
            reason: Replacement EDR rollout is scheduled for Q2.
            approver: Jane Doe <jane@example.org>
            created: 2025-01-15
            expires: 2025-06-30T23:59:59+02:00
          - id: lab.kesl-path
            path: /opt/kaspersky/kesl/**
            reason: Malware lab keeps a copy for analysis.
            expires: "2026-01-01"

        """

    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "embargo-waivers")
    }

    func write(_ name: String, _ text: String) throws -> String {
        try directory.write(name, text).path
    }

    /// The problems of one file, in file order.
    func problems(_ text: String, name: String = "waivers.yaml") throws -> [WaiverProblem] {
        let path = try write(name, text)
        switch WaiverSet.loadFile(path) {
        case .success: return []
        case .failure(let failure): return failure.problems
        }
    }

    /// 1-based line and column of the n-th occurrence of `needle` (columns in characters).
    func position(of needle: String, in text: String, occurrence: Int = 1) throws -> (line: Int, column: Int) {
        let ranges = text.ranges(of: needle)
        try #require(ranges.count >= occurrence, "'\(needle)' occurs \(ranges.count) times")
        let prefix = text[..<ranges[occurrence - 1].lowerBound]
        let line = prefix.count(where: { $0 == "\n" }) + 1
        let lineStart = prefix.lastIndex(of: "\n").map { prefix.index(after: $0) } ?? prefix.startIndex
        return (line, prefix[lineStart...].unicodeScalars.count + 1)
    }

    func edit(_ old: String, _ new: String) throws -> String {
        try #require(Self.valid.ranges(of: old).count == 1, "'\(old)' must occur once")
        return Self.valid.replacingOccurrences(of: old, with: new)
    }

    @Test("a valid file: every field, dates and instants with offsets, the definition's position")
    func loadsValidFile() throws {
        let path = try write("waivers.yaml", Self.valid)
        let set = try WaiverSet.load(paths: [path])
        #expect(set.waivers.count == 2)
        let first = set.waivers[0]
        #expect(first.id == "CHG-1234")
        #expect(first.scope == WaiverScope(vendor: "kaspersky", product: "kesl", host: "build-01"))
        #expect(first.reason == "Replacement EDR rollout is scheduled for Q2.")
        #expect(first.approver == "Jane Doe <jane@example.org>")
        #expect(first.created == RFC3339.parseDate("2025-01-15"), "a date is 00:00 UTC of that day")
        #expect(RFC3339.format(first.expires) == "2025-06-30T21:59:59Z", "the offset is kept")
        #expect(first.expiresText == "2025-06-30T23:59:59+02:00")
        let location = try position(of: "id: CHG-1234", in: Self.valid)
        #expect(first.location == SourceLocation(file: path, line: location.line, column: location.column))
        #expect(set.waivers[1].scope.path == "/opt/kaspersky/kesl/**")
        #expect(RFC3339.format(set.waivers[1].expires) == "2026-01-01T00:00:00Z")
        #expect(set.files.first?.sha256.count == 64)
        #expect(set.warnings.isEmpty)
    }

    @Test("status at an instant: not yet valid before created, active until expires, expired from then on")
    func status() throws {
        let set = try WaiverSet.load(paths: [try write("waivers.yaml", Self.valid)])
        let waiver = set.waivers[0]
        #expect(waiver.status(at: RFC3339.parseDate("2025-01-14")!) == .notYetValid)
        #expect(waiver.status(at: RFC3339.parseDate("2025-01-15")!) == .active)
        #expect(waiver.status(at: try RFC3339.parse("2025-06-30T21:59:58Z")) == .active)
        #expect(waiver.status(at: try RFC3339.parse("2025-06-30T21:59:59Z")) == .expired, "expires is the first instant out of force")
        let transitions = set.transitions(after: RFC3339.parseDate("2025-01-01")!)
        #expect(transitions.map { RFC3339.format($0.date) } == ["2025-01-15T00:00:00Z", "2025-06-30T21:59:59Z", "2026-01-01T00:00:00Z"])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var old: String
        var new: String
        /// Text whose position the problem must point at, and which occurrence of it.
        var at: String
        var occurrence = 1
        var kind: PolicyProblem.Kind
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "unknown key with a did-you-mean", old: "    approver: Jane", new: "    aprover: Jane", at: "aprover", kind: .unknownKey,
            message: "unknown key 'aprover' in waiver 'CHG-1234'; did you mean 'approver'?"),
        Case(
            name: "missing reason", old: "    reason: Replacement EDR rollout is scheduled for Q2.\n", new: "", at: "id: CHG-1234",
            kind: .missingKey, message: "waiver 'CHG-1234' needs 'reason'"),
        Case(
            name: "missing expires", old: "    expires: 2025-06-30T23:59:59+02:00\n", new: "", at: "id: CHG-1234", kind: .missingKey,
            message: "waiver 'CHG-1234' needs 'expires'"),
        Case(
            name: "an instant without a time zone", old: "2025-06-30T23:59:59+02:00", new: "2025-06-30T23:59:59",
            at: "2025-06-30T23:59:59", kind: .missingTimeZone,
            message: "waiver 'CHG-1234': expires '2025-06-30T23:59:59' has no time zone; write a date (2025-06-30) or the instant with its offset, e.g. 2025-06-30T00:00:00+02:00"
        ),
        Case(
            name: "not a date", old: "created: 2025-01-15", new: "created: next week", at: "next week", kind: .badDate,
            message:
                "waiver 'CHG-1234': created 'next week' is not a date (YYYY-MM-DD) or an RFC 3339 instant: not an RFC 3339 date-time (expected e.g. 2024-09-29T00:00:00-04:00)"
        ),
        Case(
            name: "expires before created", old: "created: 2025-01-15", new: "created: 2025-07-01", at: "2025-06-30T23:59:59+02:00",
            kind: .invalidValue,
            message:
                "waiver 'CHG-1234': expires 2025-06-30T23:59:59+02:00 is not after created 2025-07-01; the waiver would never be in force"
        ),
        Case(
            name: "nothing covered", old: "    path: /opt/kaspersky/kesl/**\n", new: "", at: "id: lab.kesl-path", kind: .missingKey,
            message: "waiver 'lab.kesl-path' must say what it covers: at least one of vendor, product, package, path, host"),
        Case(
            name: "a number where text is expected", old: "host: build-01", new: "host: 42", at: "42", kind: .wrongType,
            message: "'host' must be a string; YAML reads 42 as an integer, so write \"42\""),
        Case(
            name: "an id with a space", old: "id: CHG-1234", new: "id: CHG 1234", at: "CHG 1234", kind: .invalidValue,
            message: "waiver id 'CHG 1234' must be 1 to 128 letters, digits, '-', '.' or '_', not starting with '-' or '.'"),
        Case(
            name: "an unterminated quote (YAML syntax)", old: "expires: \"2026-01-01\"", new: "expires: \"2026-01-01", at: "\"2026-01-01",
            kind: .syntax, message: ""),
        Case(
            name: "a wrong schema", old: "schema: embargo.waivers/v1", new: "schema: embargo.waivers/v2", at: "embargo.waivers/v2",
            kind: .invalidValue, message: "unsupported schema 'embargo.waivers/v2'; this version of embargo reads 'embargo.waivers/v1'"),
        Case(
            name: "a path glob that cannot compile", old: "path: /opt/kaspersky/kesl/**", new: "path: /opt/kaspersky/[kesl",
            at: "/opt/kaspersky/[kesl", kind: .unmatchableGlob, message: ""),
    ]

    @Test("each problem points at its file, line and column", arguments: cases)
    func brokenFile(_ testCase: Case) throws {
        let text = try edit(testCase.old, testCase.new)
        let found = try problems(text)
        try #require(found.count == 1, "\(found.map(\.description))")
        let problem = found[0]
        #expect(problem.kind == testCase.kind)
        #expect(problem.severity == .error)
        #expect(problem.file == directory.path + "/waivers.yaml")
        if testCase.kind != .syntax {
            let expected = try position(of: testCase.at, in: text, occurrence: testCase.occurrence)
            #expect(problem.line == expected.line, "line")
            #expect(problem.column == expected.column, "column")
        } else {
            // The scanner stops where the quoted scalar runs out: the end of the file.
            #expect(problem.line != nil && problem.column != nil)
            #expect(problem.message.hasPrefix("YAML syntax:"))
        }
        if !testCase.message.isEmpty { #expect(problem.message == testCase.message) }
        #expect(problem.description.hasPrefix("\(problem.file):\(problem.line ?? 0):\(problem.column ?? 0): error: "))
        #expect(problem.code == "waiver.\(testCase.kind.rawValue)")
    }

    @Test("every problem of a file is reported, in file order")
    func everyProblem() throws {
        var text = try edit("    approver: Jane", "    aprover: Jane")
        text = text.replacingOccurrences(of: "expires: \"2026-01-01\"", with: "expires: 2026-13-01")
        let found = try problems(text)
        #expect(found.map(\.kind) == [.unknownKey, .badDate], "\(found.map(\.description))")
        #expect(found.last?.message == "waiver 'lab.kesl-path': expires '2026-13-01' is not a calendar date (a month or day out of range)")
        #expect(found.map { $0.line ?? 0 } == found.map { $0.line ?? 0 }.sorted())
    }

    @Test("a duplicate id across files is an error at the second definition; nothing is loaded")
    func duplicateIDs() throws {
        let first = try write("a.yaml", Self.valid)
        let second = try write(
            "b.yaml",
            """
            schema: embargo.waivers/v1
            waivers:
              - id: CHG-1234
                host: other
                reason: Another exception that reuses the id.
                expires: 2026-01-01
            """)
        do {
            _ = try WaiverSet.load(paths: [directory.path])
            Issue.record("loaded duplicate ids")
        } catch {
            #expect(error.errors.count == 1)
            let problem = try #require(error.errors.first)
            #expect(problem.kind == .duplicateID)
            #expect(problem.file == second)
            #expect(problem.line == 3 && problem.column == 5)
            let firstAt = try position(of: "id: CHG-1234", in: Self.valid)
            #expect(problem.message == "waiver id 'CHG-1234' is also defined at \(first):\(firstAt.line):\(firstAt.column)")
        }
    }

    @Test("a directory: *.yaml and *.yml in name order; hidden files and other names skipped")
    func directoryExpansion() throws {
        _ = try write("b.yml", Self.valid.replacingOccurrences(of: "CHG-1234", with: "B-1").replacingOccurrences(of: "lab.kesl-path", with: "B-2"))
        _ = try write("a.yaml", Self.valid)
        _ = try write(".a.yaml.swp", "not yaml at all: [")
        _ = try write("a.yaml.dpkg-old", "not yaml at all: [")
        let set = try WaiverSet.load(paths: [directory.path])
        #expect(set.files.map { ($0.path as NSString).lastPathComponent } == ["a.yaml", "b.yml"])
        #expect(set.waivers.map(\.id) == ["CHG-1234", "lab.kesl-path", "B-1", "B-2"])
    }

    @Test("unreadable input: a missing path, a file that is not UTF-8, an empty file, a file too large")
    func unreadable() throws {
        do {
            _ = try WaiverSet.load(paths: [directory.path + "/missing.yaml"])
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.problems.first?.message == "no such file or directory")
        }
        var bytes = Data("schema: embargo.waivers/v1\nwaivers:\n  - id: x\n    reason: caf".utf8)
        bytes.append(0xE9)
        _ = try directory.write("latin1.yaml", bytes)
        let latin1 = try #require(WaiverSet.loadFile(directory.path + "/latin1.yaml").failure)
        #expect(latin1.problems.first?.line == 4)
        #expect(latin1.problems.first?.column == 16)
        #expect(latin1.problems.first?.message.contains("invalid byte 0xE9") == true)
        let empty = try #require(WaiverSet.loadFile(try write("empty.yaml", "")).failure)
        #expect(empty.problems.first?.message == "the waiver file is empty")
        let large = try #require(WaiverSet.loadFile(try write("large.yaml", String(repeating: "#", count: WaiverSet.maximumFileBytes + 1))).failure)
        #expect(large.problems.first?.message == "larger than \(WaiverSet.maximumFileBytes) bytes")
    }

    @Test("against the policies: a vendor, product or package they do not know is a warning, not an error")
    func scopeWarnings() throws {
        let policy = try write("policy.yaml", TestPolicies.kaspersky())
        let policies = try PolicySet.load(paths: [policy])
        let text = """
            schema: embargo.waivers/v1
            waivers:
              - id: typo-vendor
                vendor: kasperski
                reason: typo
                expires: 2030-01-01
              - id: typo-product
                vendor: kaspersky
                product: kesl11
                reason: typo
                expires: 2030-01-01
              - id: foreign-package
                product: kesl
                package: firefox
                reason: not a kesl package
                expires: 2030-01-01
              - id: unit-name
                path: kesl.service
                reason: a relative path
                expires: 2030-01-01
              - id: fine
                vendor: kaspersky
                package: kesl
                reason: ok
                expires: 2030-01-01
            """
        let set = try WaiverSet.load(paths: [try write("w.yaml", text)], policies: policies)
        #expect(set.waivers.count == 5, "warnings do not stop loading")
        let warnings = set.warnings
        #expect(warnings.allSatisfy { $0.severity == .warning })
        #expect(warnings.map { $0.line ?? 0 } == [3, 7, 12, 17])
        #expect(warnings[0].message.hasPrefix("waiver 'typo-vendor': vendor 'kasperski' is not in the loaded policies (known: kaspersky)"))
        #expect(warnings[1].message.hasPrefix("waiver 'typo-product': product 'kesl11' is not a product of vendor 'kaspersky'"))
        #expect(warnings[2].message == "waiver 'foreign-package': package 'firefox' matches no package identifier of the products it covers; it can never match")
        #expect(warnings[3].message.contains("is not absolute"))
        #expect(warnings[0].description.contains(": warning: "))
    }

    @Test("the JSON Schema accepts the valid file and rejects what it can express", .enabled(if: Command.isAvailable("python3")))
    func jsonSchema() throws {
        let schema = ProjectPaths.root.appendingPathComponent("docs/waiver.schema.json").path
        let files = [
            try write("valid.yaml", Self.valid),
            try write("unknown-key.yaml", try edit("    approver: Jane", "    aprover: Jane")),
            try write("no-reason.yaml", try edit("    reason: Replacement EDR rollout is scheduled for Q2.\n", "")),
            try write("no-expires.yaml", try edit("    expires: 2025-06-30T23:59:59+02:00\n", "")),
            try write("no-scope.yaml", try edit("    path: /opt/kaspersky/kesl/**\n", "")),
            try write("bad-schema.yaml", try edit("schema: embargo.waivers/v1", "schema: embargo.waivers/v2")),
            ProjectPaths.root.appendingPathComponent("docs/examples/waivers.yaml").path,
        ]
        // The policy schema's validator: YAML 1.2 core typing (dates stay text), any schema.
        let script = ProjectPaths.fixture("validate_policy_schema.py", target: "EmbargoPolicyTests").path
        let output = try Command.run("python3", [script, schema] + files)
        try #require(output.status == 0, "install with: pip install jsonschema pyyaml\n\(output.stderr)")
        struct Verdict: Decodable {
            var file: String
            var valid: Bool
        }
        let verdicts = try output.stdout.split(separator: "\n").map { try JSONDecoder().decode(Verdict.self, from: Data($0.utf8)) }
        // The documented example is valid too, for the schema and the loader.
        #expect(verdicts.map(\.valid) == [true, false, false, false, false, false, true], "\(output.stdout)")
        let example = try #require(files.last)
        #expect(try problems(String(contentsOfFile: example, encoding: .utf8)).isEmpty, "docs/examples/waivers.yaml loads")
        for file in files.dropFirst().dropLast() {
            #expect(!(try problems(String(contentsOfFile: file, encoding: .utf8))).isEmpty, "the loader rejects \(file) too")
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
