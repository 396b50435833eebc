import EmbargoInventory
import Testing

/// The pattern language of policy identifiers (docs/policy.md, "Patterns").
@Suite struct GlobTests {
    private func glob(_ pattern: String, path: Bool = false, caseInsensitive: Bool = false) throws -> Glob {
        try Glob(pattern, isPath: path, caseInsensitive: caseInsensitive)
    }

    @Test func starMatchesAnyRunOfCharactersIncludingNone() throws {
        let pattern = try glob("kesl*")
        #expect(pattern.matches("kesl"))
        #expect(pattern.matches("kesl-gui"))
        #expect(pattern.matches("kesl-astra"))
        #expect(!pattern.matches("xkesl"))
        #expect(!pattern.matches("kes"))
        // Outside paths '*' also crosses '/', so it can match anywhere in a certificate subject.
        #expect(try glob("*O=AO Kaspersky Lab*").matches("CN=a/b,O=AO Kaspersky Lab,C=RU"))
    }

    @Test func starStaysInsideOnePathSegment() throws {
        let pattern = try glob("/opt/*/bin", path: true)
        #expect(pattern.matches("/opt/kesl/bin"))
        #expect(pattern.matches("/opt//bin") == true)  // '*' may match nothing
        #expect(!pattern.matches("/opt/kaspersky/kesl/bin"))
        #expect(!pattern.matches("/opt/kesl/bin/x"))
    }

    @Test func questionMarkMatchesExactlyOneCharacterButNotSlashInPaths() throws {
        #expect(try glob("kav4fs_oa?").matches("kav4fs_oas"))
        #expect(!(try glob("kav4fs_oa?").matches("kav4fs_oa")))
        #expect(!(try glob("kav4fs_oa?").matches("kav4fs_oass")))
        #expect(try glob("/opt/a?c", path: true).matches("/opt/abc"))
        #expect(!(try glob("/opt/a?c", path: true).matches("/opt/a/c")))
        #expect(try glob("a?c").matches("a/c"))
    }

    @Test func characterClassesRangesAndNegation() throws {
        let digits = try glob("s[0-1][0-9].upd.kaspersky.com")
        #expect(digits.matches("s00.upd.kaspersky.com"))
        #expect(digits.matches("s19.upd.kaspersky.com"))
        #expect(!digits.matches("s20.upd.kaspersky.com"))
        let list = try glob("klnagent[6x]4")
        #expect(list.matches("klnagent64"))
        #expect(list.matches("klnagentx4"))
        #expect(!list.matches("klnagent_4"))
        for negation in ["kesl[!-]*", "kesl[^-]*"] {
            let negated = try glob(negation)
            #expect(negated.matches("kesl2"), "\(negation)")
            #expect(!negated.matches("kesl-gui"), "\(negation)")
            #expect(!negated.matches("kesl"), "\(negation): a class needs one character")
        }
        // ']' first in a class is a member, not the end.
        #expect(try glob("a[]]b").matches("a]b"))
        #expect(try glob("a[!]]b").matches("axb"))
        #expect(!(try glob("a[!]]b").matches("a]b")))
        // A class never matches '/' in a path, negated or not.
        #expect(!(try glob("/opt/a[!x]b", path: true).matches("/opt/a/b")))
        #expect(!(try glob("/opt/a[/]b", path: true).matches("/opt/a/b")))
    }

    @Test func backslashEscapesAWildcard() throws {
        let pattern = try glob("a\\*b")
        #expect(pattern.matches("a*b"))
        #expect(!pattern.matches("axb"))
        #expect(pattern.isLiteral)
    }

    @Test func doubleStarAtTheEndMatchesTheDirectoryItselfAndEverythingBelow() throws {
        let pattern = try glob("/opt/kaspersky/**", path: true)
        #expect(pattern.matches("/opt/kaspersky"))
        #expect(pattern.matches("/opt/kaspersky/kesl"))
        #expect(pattern.matches("/opt/kaspersky/kesl/bin/kesl-control"))
        #expect(!pattern.matches("/opt/kasperskyx"))
        #expect(!pattern.matches("/opt/kasperskyx/kesl"))
        #expect(!pattern.matches("/opt"))
        #expect(!pattern.matches("/var/opt/kaspersky"))
    }

    @Test func doubleStarInTheMiddleMatchesZeroOrMoreDirectories() throws {
        let pattern = try glob("/opt/**/bin/kesl-control", path: true)
        #expect(pattern.matches("/opt/bin/kesl-control"))
        #expect(pattern.matches("/opt/kaspersky/bin/kesl-control"))
        #expect(pattern.matches("/opt/kaspersky/kesl/bin/kesl-control"))
        #expect(!pattern.matches("/opt/kaspersky/kesl/xbin/kesl-control"))
        #expect(!pattern.matches("/optx/bin/kesl-control"))
    }

    @Test func doubleStarAtTheStartMatchesAtAnyDepth() throws {
        let pattern = try glob("/**/kesl.ini", path: true)
        #expect(pattern.matches("/kesl.ini"))
        #expect(pattern.matches("/var/opt/kaspersky/kesl/common/kesl.ini"))
        #expect(!pattern.matches("/var/opt/kaspersky/kesl/common/xkesl.ini"))
        let everything = try glob("/**", path: true)
        #expect(everything.matches("/"))
        #expect(everything.matches("/etc/passwd"))
    }

    @Test func doubleStarInsideASegmentIsAPlainStar() throws {
        let pattern = try glob("/opt/kas**/bin", path: true)
        #expect(pattern.matches("/opt/kaspersky/bin"))
        #expect(!pattern.matches("/opt/kaspersky/kesl/bin"))
    }

    @Test func caseInsensitivePatternsFoldASCIILetters() throws {
        let subject = try glob("*O=AO Kaspersky Lab*", caseInsensitive: true)
        #expect(subject.matches("CN=x,O=AO Kaspersky Lab,C=RU"))
        #expect(subject.matches("cn=x,o=ao kaspersky lab,c=ru"))
        #expect(subject.matches("CN=X,O=AO KASPERSKY LAB"))
        #expect(try glob("[A-C]x", caseInsensitive: true).matches("bX"))
        // Case-sensitive by default: package names, paths and units compare exactly.
        #expect(!(try glob("kesl").matches("KESL")))
        #expect(!(try glob("/opt/kaspersky/ScanEngine/**", path: true).matches("/opt/kaspersky/scanengine")))
    }

    @Test func literalDirectoryPrefixIsWhereASearchStarts() throws {
        #expect(try glob("/opt/kaspersky/**", path: true).literalDirectoryPrefix == "/opt/kaspersky")
        #expect(try glob("/opt/kaspersky/kesl/**", path: true).literalDirectoryPrefix == "/opt/kaspersky/kesl")
        #expect(try glob("/opt/*/bin", path: true).literalDirectoryPrefix == "/opt")
        #expect(try glob("/opt/**/bin", path: true).literalDirectoryPrefix == "/opt")
        #expect(try glob("/opt/kas[pP]ersky", path: true).literalDirectoryPrefix == "/opt")
        #expect(try glob("/opt/ka?", path: true).literalDirectoryPrefix == "/opt")
        #expect(try glob("/kasp*", path: true).literalDirectoryPrefix == "/")
        #expect(try glob("/**", path: true).literalDirectoryPrefix == "/")
        #expect(try glob("/**/kesl.ini", path: true).literalDirectoryPrefix == "/")
        // A literal path is its own start: the collector looks at that one entry.
        #expect(try glob("/etc/ksc-web-console-setup.json", path: true).literalDirectoryPrefix == "/etc/ksc-web-console-setup.json")
    }

    @Test func fixedSegmentCountBoundsTheDepthOfASearch() throws {
        #expect(try glob("/opt/*/bin", path: true).fixedSegmentCount == 3)
        #expect(try glob("/run/bl4control", path: true).fixedSegmentCount == 2)
        #expect(try glob("/opt/kas**/bin", path: true).fixedSegmentCount == 3)
        #expect(try glob("/", path: true).fixedSegmentCount == 0)
        #expect(try glob("/opt/kaspersky/**", path: true).fixedSegmentCount == nil)
        #expect(try glob("/opt/**/bin", path: true).fixedSegmentCount == nil)
        #expect(try glob("kesl*").fixedSegmentCount == nil, "only path patterns have segments")
    }

    @Test func patternsThatCanNeverMatchAreRejected() {
        #expect(throws: GlobError.empty) { try Glob("") }
        #expect(throws: GlobError.notAbsolute) { try Glob("opt/kaspersky/**", isPath: true) }
        #expect(throws: GlobError.emptyPathSegment(offset: 5)) { try Glob("/opt//kaspersky", isPath: true) }
        #expect(throws: GlobError.emptyPathSegment(offset: 1)) { try Glob("//opt", isPath: true) }
        #expect(throws: GlobError.unterminatedClass(offset: 4)) { try Glob("kesl[ab") }
        #expect(throws: GlobError.unterminatedClass(offset: 1)) { try Glob("a[]") }
        #expect(throws: GlobError.unterminatedClass(offset: 1)) { try Glob("a[!]") }
        #expect(throws: GlobError.emptyClass(offset: 1)) { try Glob("a[z-a]b") }
    }

    @Test func matchingIsLinearOnPathologicalPatterns() throws {
        // Backtracking matchers take exponential time on this; the table matcher does not.
        let pattern = try glob(String(repeating: "*a", count: 40) + "b")
        let text = String(repeating: "a", count: 5_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(!pattern.matches(text)) }
        #expect(elapsed < .seconds(5))
    }
}
