import Foundation
import Testing
import TestSupport

@testable import EmbargoPolicy

/// A small valid policy that each test breaks in one place.
private let template = """
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
            category: tools
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

/// Where the n-th occurrence of `needle` starts: 1-based line and column, columns counted in
/// characters as YAML positions are.
private func position(of needle: String, in text: String, occurrence: Int = 1) throws -> (line: Int, column: Int) {
    let occurrences = text.ranges(of: needle)
    try #require(occurrences.count >= occurrence, "'\(needle)' occurs \(occurrences.count) times, not \(occurrence)")
    let prefix = text[..<occurrences[occurrence - 1].lowerBound]
    let line = prefix.count(where: { $0 == "\n" }) + 1
    let lineStart = prefix.lastIndex(of: "\n").map { prefix.index(after: $0) } ?? prefix.startIndex
    return (line, prefix[lineStart...].unicodeScalars.count + 1)
}

/// Replaces exactly one occurrence of `old`.
private func edit(_ text: String, _ old: String, _ new: String) throws -> String {
    let ranges = text.ranges(of: old)
    try #require(ranges.count == 1, "'\(old)' occurs \(ranges.count) times")
    return text.replacingCharacters(in: ranges[0], with: new)
}

/// The template with one more identifier in product `widget`, written at identifier indentation.
private func withIdentifier(_ lines: String) throws -> String {
    let indented = lines.split(separator: "\n").enumerated().map { index, line in
        (index == 0 ? "          - " : "            ") + line
    }.joined(separator: "\n")
    return try edit(template, "    restrictions:\n", indented + "\n    restrictions:\n")
}

@Suite struct PolicyProblemTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "embargo-policy")
    }

    /// Writes the files and loads them together; returns the problems (none when it loads).
    private func problems(_ files: [(name: String, text: String)]) throws -> [PolicyProblem] {
        let paths = try files.map { try directory.write($0.name, $0.text).path }
        do {
            _ = try PolicySet.load(paths: paths)
            return []
        } catch {
            return error.problems
        }
    }

    private func path(_ name: String) -> String { directory.url.appendingPathComponent(name).path }

    /// Loads `text` as `test.yaml` and expects exactly one problem, of `kind`, where `token` is,
    /// saying `message`.
    private func expectOneProblem(
        _ text: String, _ kind: PolicyProblem.Kind, at token: String, occurrence: Int = 1, _ message: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let found = try problems([("test.yaml", text)])
        try #require(found.count == 1, "expected one problem, got \(found)", sourceLocation: sourceLocation)
        let expected = try position(of: token, in: text, occurrence: occurrence)
        let problem = found[0]
        #expect(problem.kind == kind, sourceLocation: sourceLocation)
        #expect(problem.file == path("test.yaml"), sourceLocation: sourceLocation)
        #expect(problem.line == expected.line, "line", sourceLocation: sourceLocation)
        #expect(problem.column == expected.column, "column", sourceLocation: sourceLocation)
        #expect(problem.message == message, sourceLocation: sourceLocation)
    }

    // MARK: - The template

    @Test func theTemplateLoads() throws {
        #expect(try problems([("test.yaml", template)]).isEmpty)
        let set = try PolicySet.load(paths: [path("test.yaml")])
        #expect(set.vendors.map(\.id) == ["acme"])
        // YAML 1.2 typing: NO is Norway, not false.
        #expect(set.vendors[0].legalEntities[0].country == "NO")
    }

    @Test func problemsPrintAsFileLineColumnErrorMessageCode() throws {
        let text = try edit(template, "    name: Widget\n", "    name: Widget\n        remediaton: Remove it.\n")
        let found = try problems([("test.yaml", text)])
        let at = try position(of: "remediaton", in: text)
        #expect(
            found.map(\.description) == [
                "\(path("test.yaml")):\(at.line):\(at.column): error: unknown key 'remediaton' in product 'widget'; did you mean 'remediation'? [policy.unknown-key]"
            ])
    }

    // MARK: - Keys and types

    @Test func unknownKeyWithDidYouMean() throws {
        let text = try edit(template, "    name: Widget\n", "    name: Widget\n        remediaton: Remove it.\n")
        try expectOneProblem(
            text, .unknownKey, at: "remediaton", "unknown key 'remediaton' in product 'widget'; did you mean 'remediation'?")
        // A key far from every known key gets no suggestion.
        let far = try edit(template, "    kind: use\n", "    kind: use\n            flavour: strawberry\n")
        try expectOneProblem(far, .unknownKey, at: "flavour", "unknown key 'flavour' in phase 'start' of restriction 'ban'")
        // The closest key wins, not the first within reach.
        let close = try edit(template, "    title: Ban\n", "    title: Ban\n        notes: x\n")
        try expectOneProblem(close, .unknownKey, at: "notes", "unknown key 'notes' in restriction 'ban'; did you mean 'note'?")
    }

    @Test func missingKey() throws {
        let text = try edit(template, "        authority: Someone\n", "")
        try expectOneProblem(text, .missingKey, at: "id: ban", "restriction 'ban' needs 'authority'")
        let noSource = try edit(template, "            source: https://example.com/widget\n", "")
        try expectOneProblem(noSource, .missingKey, at: "package: widget", "an identifier of product 'widget' needs 'source'")
    }

    @Test func wrongTypes() throws {
        try expectOneProblem(
            try edit(template, "version: \"1\"", "version: 1.0"), .wrongType, at: "1.0",
            "'version' must be a string; YAML reads 1.0 as a float, so write \"1.0\"")
        try expectOneProblem(
            try edit(template, "binds: [p1]", "binds: {p1: yes}"), .wrongType, at: "{p1",
            "'binds' must be a list of strings")
        try expectOneProblem(
            try edit(template, "phases:\n", "phases: later\n").replacingOccurrences(
                of: "          - id: start\n            effective: \"2024-01-01T00:00:00Z\"\n            kind: use\n            prohibits: Everything.\n",
                with: ""),
            .wrongType, at: "later", "'phases' must be a list")
        try expectOneProblem(
            try edit(template, "binds: [p1]", "binds: []"), .invalidValue, at: "[]", "restriction 'ban' binds no profile; it would never apply")
        try expectOneProblem(
            try edit(template, "default: true", "default: \"true\""), .wrongType, at: "\"true\"",
            "'default' must be true or false")
        try expectOneProblem(
            try edit(template, "source: https://example.com/widget", "source: ~"), .wrongType, at: "~",
            "'source' has no value; give a string or remove the key")
        try expectOneProblem(
            try edit(template, "legalEntities:\n      - name: Acme AS\n        country: NO\n", "legalEntities: Acme AS\n"),
            .wrongType, at: "Acme AS", "'legalEntities' must be a list")
    }

    // MARK: - Dates

    @Test func badDates() throws {
        try expectOneProblem(
            try edit(template, "2024-01-01T00:00:00Z", "2024-02-30T00:00:00Z"), .badDate, at: "\"2024-02-30",
            "phase 'start' of restriction 'ban': effective '2024-02-30T00:00:00Z': a date or time field is out of range")
        try expectOneProblem(
            try edit(template, "\"2024-01-01T00:00:00Z\"", "next tuesday"), .badDate, at: "next tuesday",
            "phase 'start' of restriction 'ban': effective 'next tuesday': not an RFC 3339 date-time (expected e.g. 2024-09-29T00:00:00-04:00)")
        try expectOneProblem(
            try edit(template, "published: \"2024-01-02\"", "published: \"2024-13-02\""), .badDate, at: "\"2024-13-02",
            "'published' must be a date YYYY-MM-DD")
    }

    @Test func phaseWithoutTimeZone() throws {
        try expectOneProblem(
            try edit(template, "\"2024-01-01T00:00:00Z\"", "\"2024-07-20T00:00:00\""), .missingTimeZone, at: "\"2024-07-20",
            "phase 'start' of restriction 'ban': effective '2024-07-20T00:00:00' has no time zone; write the instant the law gives, e.g. 2024-07-20T00:00:00-04:00")
        // An unquoted date is a string in YAML 1.2, and a day is not an instant.
        try expectOneProblem(
            try edit(template, "\"2024-01-01T00:00:00Z\"", "2024-07-20"), .missingTimeZone, at: "2024-07-20",
            "phase 'start' of restriction 'ban': effective '2024-07-20' has no time zone; write the instant the law gives, e.g. 2024-07-20T00:00:00-04:00")
    }

    // MARK: - Identities

    @Test func duplicateVendorAcrossDocuments() throws {
        let second = try edit(template, "id: test\n", "id: test2\n").replacingOccurrences(
            of: "profiles:\n  - id: p1\n    title: Profile one\n    default: true\n", with: "")
        let found = try problems([("a.yaml", template), ("b.yaml", second)])
        try #require(found.count == 1, "\(found)")
        let first = try position(of: "id: acme", in: template)
        let again = try position(of: "id: acme", in: second)
        #expect(found[0].kind == .duplicateID)
        #expect(found[0].file == path("b.yaml"))
        #expect(found[0].line == again.line && found[0].column == again.column)
        #expect(found[0].message == "vendor id 'acme' is also defined at \(path("a.yaml")):\(first.line):\(first.column)")
    }

    @Test func duplicateProductRestrictionAndPhase() throws {
        let product = try edit(
            template, "    restrictions:\n",
            "      - id: widget\n        name: Widget again\n        identifiers:\n          - path: /opt/widget\n            strength: third-party\n            source: somewhere\n    restrictions:\n"
        )
        let productLine = try position(of: "id: widget", in: product).line
        try expectOneProblem(
            product, .duplicateID, at: "id: widget", occurrence: 2,
            "product id 'widget' is used twice in vendor 'acme' (first at line \(productLine))")

        let restriction = template + """
                  - id: ban
                    title: Ban again
                    authority: Someone
                    citations: [{cite: "2 FR 2"}]
                    binds: p1
                    phases: [{id: later, effective: "2025-01-01T00:00:00Z", kind: use, prohibits: More.}]

            """
        let restrictionLine = try position(of: "id: ban", in: restriction).line
        try expectOneProblem(
            restriction, .duplicateID, at: "id: ban", occurrence: 2,
            "restriction id 'ban' is used twice in vendor 'acme' (first at line \(restrictionLine))")

        let phase = template + """
                      - id: start
                        effective: "2025-01-01T00:00:00Z"
                        kind: removal
                        prohibits: More.

            """
        let phaseLine = try position(of: "id: start", in: phase).line
        try expectOneProblem(
            phase, .duplicateID, at: "id: start", occurrence: 2,
            "phase id 'start' is used twice in restriction 'ban' (first at line \(phaseLine))")
    }

    @Test func duplicateProfileAndDuplicateKey() throws {
        let profile = try edit(template, "vendors:\n", "  - id: p1\n    title: Profile again\nvendors:\n")
        let first = try position(of: "id: p1", in: profile)
        try expectOneProblem(
            profile, .duplicateID, at: "id: p1", occurrence: 2,
            "profile id 'p1' is defined twice (first at \(path("test.yaml")):\(first.line):\(first.column))")
        try expectOneProblem(
            try edit(template, "vendors:\n", "  - id: p2\n    title: Two\n    default: true\nvendors:\n"), .invalidValue,
            at: "id: p2", "more than one default profile: p1, p2")
        // Two equal keys in one mapping are a YAML-level duplicate, reported at the first of them.
        let key = try edit(template, "    title: Ban\n", "    title: Ban\n        title: Ban twice\n")
        try expectOneProblem(key, .duplicateID, at: "title: Ban\n", "duplicate key(s) in one mapping: title")
    }

    // MARK: - References

    @Test func unknownProfileReference() throws {
        try expectOneProblem(
            try edit(template, "binds: [p1]", "binds: [p1, p2]"), .unknownReference, at: "p2]",
            "restriction 'ban' binds unknown profile 'p2'; known: p1")
    }

    @Test func unknownExemptedProduct() throws {
        let text = try edit(
            template, "        binds: [p1]\n", "        binds: [p1]\n        exemptions:\n          - products: [gadget]\n            reason: Not covered.\n")
        try expectOneProblem(
            text, .unknownReference, at: "gadget",
            "an exemption of restriction 'ban' names unknown product 'gadget' of vendor 'acme'")
    }

    @Test func anExemptedCategoryNeedsNoProduct() throws {
        // The law exempts security training; this policy lists no such product, and that is fine.
        let text = try edit(
            template, "        binds: [p1]\n",
            "        binds: [p1]\n        exemptions:\n          - categories: [security-training, tools]\n            reason: Exempt by the rule.\n")
        #expect(try problems([("test.yaml", text)]).isEmpty)
        let set = try PolicySet.load(paths: [path("test.yaml")])
        let restriction = set.vendors[0].restrictions[0]
        #expect(restriction.exemptions[0].categories == ["security-training", "tools"])
        #expect(restriction.exemption(for: set.vendors[0].products[0]) != nil)
    }

    @Test func vendorsWithoutProfilesAreRefused() throws {
        let lonely = try edit(template, "profiles:\n  - id: p1\n    title: Profile one\n    default: true\n", "")
        try expectOneProblem(
            lonely, .unknownReference, at: "id: acme",
            "no profiles are defined; load a profiles document (the bundled Policies/profiles.yaml) with the vendors")
    }

    // MARK: - Patterns that can never match

    @Test(arguments: [
        ("path: opt/acme/**", "opt/acme/**", "path 'opt/acme/**': a path pattern must start with '/'"),
        ("path: /opt/acme/", "/opt/acme/", "path '/opt/acme/': paths are compared without a trailing '/'"),
        ("path: /opt//acme", "/opt//acme", "path '/opt//acme': empty path segment ('//') at offset 5 can never match a normalised path"),
        ("path: /opt/acme/../etc", "/opt/acme/../etc", "path '/opt/acme/../etc': '.' and '..' never appear in a normalised path"),
        ("path: /opt/acme/[ab", "/opt/acme/[ab", "path '/opt/acme/[ab': character class opened at offset 10 is never closed"),
        ("package: Widget-Pro\necosystems: [deb]", "Widget-Pro", "package 'Widget-Pro': deb package names are lower case"),
        ("package: acme/widget", "acme/widget", "package 'acme/widget': package names contain neither '/' nor spaces"),
        (
            "repositoryHost: https://repo.acme.example/debian", "https://repo.acme.example/debian",
            "repositoryHost 'https://repo.acme.example/debian': give a host name pattern (e.g. *.example.com), not a URL"
        ),
        ("repositoryHost: repo[.acme.example", "repo[.acme.example", "repositoryHost 'repo[.acme.example': character class opened at offset 4 is never closed"),
        ("marker: abc", "abc", "marker 'abc': markers shorter than 4 bytes match too much to be evidence"),
        ("sha256: abc123", "abc123", "sha256 'abc123': a SHA-256 digest is 64 hexadecimal digits"),
        ("fileName: acme-*.sh", "acme-*.sh", "fileName 'acme-*.sh': file names are matched exactly; use a path identifier for a pattern"),
        ("kernelModule: acme.ko", "acme.ko", "kernelModule 'acme.ko': give the module name (kav4fs_oas), not a file"),
        ("unit: /etc/systemd/system/acme.service", "/etc/systemd/system/acme.service", "unit '/etc/systemd/system/acme.service': a unit name has no '/'"),
        ("unit: acme[.service", "acme[.service", "unit 'acme[.service': character class opened at offset 4 is never closed"),
        ("process: \" acme\"", "\" acme\"", "process ' acme': leading or trailing white space can never match"),
    ])
    func unmatchablePattern(identifier: String, token: String, message: String) throws {
        let text = try withIdentifier(identifier + "\nstrength: third-party\nsource: somewhere")
        try expectOneProblem(text, .unmatchableGlob, at: token, message)
    }

    @Test func matchablePatternsOfTheSameKindsAreAccepted() throws {
        for identifier in [
            "package: Widget-Pro\necosystems: [rpm]", "path: /", "path: /opt/acme/**", "repositoryHost: \"*.acme.example\"",
            "marker: abcd", "sha256: \(String(repeating: "aB", count: 32))", "kernelModule: acme-oas",
        ] {
            let text = try withIdentifier(identifier + "\nstrength: third-party\nsource: somewhere")
            #expect(try problems([("test.yaml", text)]).isEmpty, "\(identifier)")
        }
        let set = try PolicySet.load(paths: [path("test.yaml")])
        let module = try #require(set.vendors[0].products[0].identifiers.last)
        #expect(module.value == "acme_oas", "the kernel lists module names with '_'")
    }

    @Test func anIdentifierHasExactlyOneKind() throws {
        try expectOneProblem(
            try withIdentifier("package: widget2\npath: /opt/widget\nstrength: third-party\nsource: somewhere"), .invalidValue,
            at: "package: widget2",
            "an identifier of product 'widget' has several kinds (package, path); use one identifier per entry")
        let none = try withIdentifier("strength: third-party\nsource: somewhere")
        let found = try problems([("test.yaml", none)])
        #expect(found.map(\.kind) == [.invalidValue])
        #expect(found.first?.message.hasPrefix("an identifier of product 'widget' needs exactly one of: package, maintainer, path,") == true)
        try expectOneProblem(
            try withIdentifier("path: /opt/widget\necosystems: [deb]\nstrength: third-party\nsource: somewhere"), .invalidValue,
            at: "[deb]", occurrence: 2, "'ecosystems' applies only to package identifiers")
    }

    // MARK: - Files that are not policies

    @Test func yamlSyntaxError() throws {
        let text = try edit(template, "    title: Ban\n", "    title: Ban: the sequel\n")
        try expectOneProblem(text, .syntax, at: ": the sequel", "YAML syntax: mapping values are not allowed in this context")
    }

    @Test func emptyFile() throws {
        for text in ["", "# nothing here\n", "\n\n"] {
            let found = try problems([("test.yaml", text)])
            try #require(found.count == 1, "\(found)")
            #expect(found[0].kind == .missingKey)
            #expect(found[0].file == path("test.yaml"))
            #expect(found[0].line == 1 && found[0].column == 1)
            #expect(found[0].message == "the policy file is empty")
        }
    }

    @Test func nonUTF8File() throws {
        let head = Data("schema: embargo.policy/v1\nid: test\n# é".utf8)
        let file = try directory.write("latin1.yaml", head + Data([0xE9]) + Data(" t\n".utf8))
        let found: [PolicyProblem]
        do {
            _ = try PolicySet.load(paths: [file.path])
            found = []
        } catch {
            found = error.problems
        }
        try #require(found.count == 1, "\(found)")
        #expect(found[0].kind == .unreadable)
        #expect(found[0].file == file.path)
        #expect(found[0].line == 3)
        #expect(found[0].column == 4, "'#', ' ' and 'é' come first")
        #expect(found[0].message == "the file is not UTF-8 text: invalid byte 0xE9 at offset \(head.count)")
        #expect(found[0].code == "policy.unreadable")
    }

    @Test func invalidUTF8IsFoundWhereverItIs() {
        func find(_ bytes: [UInt8]) -> InvalidUTF8? { InvalidUTF8.find(in: bytes) }
        #expect(find(Array("plain\nascii é € 😀".utf8)) == nil)
        #expect(find([0x61, 0x80]) == InvalidUTF8(offset: 1, line: 1, column: 2, byte: 0x80), "stray continuation byte")
        #expect(find([0x0A, 0xC3]) == InvalidUTF8(offset: 1, line: 2, column: 1, byte: 0xC3), "truncated sequence")
        #expect(find([0xC0, 0xAF]) == InvalidUTF8(offset: 0, line: 1, column: 1, byte: 0xC0), "overlong '/'")
        #expect(find([0xE0, 0x80, 0xAF]) == InvalidUTF8(offset: 0, line: 1, column: 1, byte: 0xE0), "overlong three bytes")
        #expect(find([0xED, 0xA0, 0x80]) == InvalidUTF8(offset: 0, line: 1, column: 1, byte: 0xED), "surrogate")
        #expect(find([0xF4, 0x90, 0x80, 0x80]) == InvalidUTF8(offset: 0, line: 1, column: 1, byte: 0xF4), "above U+10FFFF")
        #expect(find([0xFF]) == InvalidUTF8(offset: 0, line: 1, column: 1, byte: 0xFF))
    }

    // MARK: - All or nothing

    @Test func aDocumentWithAnErrorIsNeverHalfLoaded() throws {
        let profiles = "schema: embargo.policy/v1\nid: profiles\nversion: \"1\"\nprofiles:\n  - id: p1\n    title: One\n"
        let vendors = try withIdentifier("path: opt/bad\nstrength: third-party\nsource: somewhere")
            .replacingOccurrences(of: "profiles:\n  - id: p1\n    title: Profile one\n    default: true\n", with: "")
        try directory.write("policies/a-profiles.yaml", profiles)
        try directory.write("policies/b-vendor.yaml", vendors)
        var loaded: PolicySet?
        var thrown: PolicyProblems?
        do {
            loaded = try PolicySet.load(paths: [path("policies")])
        } catch {
            thrown = error
        }
        #expect(loaded == nil, "nothing is returned")
        let reported = try #require(thrown).problems
        #expect(reported.map(\.kind) == [.unmatchableGlob])
        #expect(reported.map(\.file) == [path("policies/b-vendor.yaml")])
        // The file on its own fails whole too: no document with the good products only.
        guard case .failure(let failure) = PolicySet.loadDocument(file: path("policies/b-vendor.yaml")) else {
            Issue.record("a broken document must not load")
            return
        }
        #expect(failure.problems.count == 1)
        // Every problem of a file is reported, in file order, not only the first.
        let several = try edit(
            try edit(try edit(template, "binds: [p1]", "binds: [p1, p9]"), "kind: use", "kind: usage"), "title: Ban\n",
            "title: Ban\n        colour: red\n")
        let found = try problems([("test.yaml", several)])
        #expect(found.map(\.kind) == [.unknownKey, .invalidValue])
        #expect(found.map { $0.line ?? 0 } == found.map { $0.line ?? 0 }.sorted())
        do {
            _ = try PolicySet.load(paths: [path("does-not-exist")])
            Issue.record("a missing path must not load")
        } catch {
            #expect(error.problems.map(\.message) == ["no such file or directory"])
        }
    }
}
