import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Marker matcher")
struct MarkerMatcherTests {
    /// A plain reference: every occurrence of every marker, checked for the token rule directly.
    static func reference(_ markers: [String], in data: [UInt8]) -> [String] {
        var found: [String] = []
        for marker in markers where !found.contains(marker) {
            let pattern = Array(marker.utf8)
            guard !pattern.isEmpty, pattern.count <= data.count else { continue }
            for start in 0...(data.count - pattern.count) where Array(data[start..<start + pattern.count]) == pattern {
                let before = start > 0 ? data[start - 1] : nil
                let after = start + pattern.count < data.count ? data[start + pattern.count] : nil
                let startOK = !isWordByte(pattern[0]) || before.map { !isWordByte($0) } ?? true
                let endOK = !isWordByte(pattern[pattern.count - 1]) || after.map { !isWordByte($0) } ?? true
                if startOK && endOK {
                    found.append(marker)
                    break
                }
            }
        }
        return found
    }

    @Test("kesl is a token in kesl-control but not in makeslice")
    func goRuntime() {
        let matcher = MarkerMatcher(markers: ["kesl"])
        #expect(matcher.tokens(in: Array("runtime.makeslice\0runtime.makeslicecopy".utf8)).isEmpty)
        #expect(matcher.tokens(in: Array("/opt/kaspersky/kesl/bin/kesl-control".utf8)) == ["kesl"])
        #expect(matcher.tokens(in: Array("kesl".utf8)) == ["kesl"])
        #expect(matcher.tokens(in: Array("\"kesl\"".utf8)) == ["kesl"])
        #expect(matcher.tokens(in: Array("kesl_x".utf8)).isEmpty)
        #expect(matcher.tokens(in: Array("xkesl".utf8)).isEmpty)
        #expect(matcher.tokens(in: Array("KESL".utf8)).isEmpty)  // case-sensitive by design
        #expect(matcher.tokens(in: Array("kesl9".utf8)).isEmpty)
    }

    @Test("markers edged by punctuation need no boundary on that side")
    func punctuationEdges() {
        let matcher = MarkerMatcher(markers: ["/opt/kaspersky/", "kesl-control"])
        #expect(matcher.tokens(in: Array("X=/opt/kaspersky/kesl".utf8)) == ["/opt/kaspersky/"])
        #expect(matcher.tokens(in: Array("usr/opt/kaspersky/x".utf8)) == ["/opt/kaspersky/"])
        #expect(matcher.tokens(in: Array("run kesl-control --app-info".utf8)) == ["kesl-control"])
        #expect(matcher.tokens(in: Array("kesl-controller".utf8)).isEmpty)
    }

    @Test("overlapping markers and markers inside markers")
    func overlapping() {
        let matcher = MarkerMatcher(markers: ["kesl", "kesl-control", "control", "kaspersky", "kasper", "", "kesl"])
        #expect(matcher.markers == ["kesl", "kesl-control", "control", "kaspersky", "kasper"])
        #expect(matcher.tokens(in: Array("kesl-control".utf8)) == ["kesl", "kesl-control", "control"])
        #expect(matcher.tokens(in: Array("Kaspersky kaspersky".utf8)) == ["kaspersky"])
        #expect(matcher.tokens(in: Array("kasper.".utf8)) == ["kasper"])
    }

    @Test("matches across chunk boundaries equal one-buffer matches, at every split point")
    func chunking() {
        let markers = ["kesl", "kesl-control", "klnagent64", "/var/opt/kaspersky", "ab", "b"]
        let text = Array("xx kesl-control\0makeslice klnagent64 ab /var/opt/kaspersky_x b;kesl".utf8)
        let expected = Self.reference(markers, in: text)
        #expect(expected == ["kesl", "kesl-control", "klnagent64", "ab", "b"])  // the path ends in a word byte and "_x" follows
        let matcher = MarkerMatcher(markers: markers)
        for first in 0...text.count {
            for second in stride(from: first, through: text.count, by: 7) {
                var search = MarkerSearch(matcher)
                for piece in [text[0..<first], text[first..<second], text[second...]] {
                    Array(piece).withUnsafeBufferPointer { search.feed($0) }
                }
                #expect(search.finish() == expected, "split at \(first), \(second)")
            }
        }
    }

    @Test("agrees with a plain search on random data")
    func randomAgreement() {
        var generator = SplitMix64(seed: 42)
        let alphabet = Array("ak_es-l.K0 ".utf8)
        for _ in 0..<300 {
            let markers = (0..<Int(generator.next() % 5 + 1)).map { _ in
                String(decoding: (0..<Int(generator.next() % 4 + 1)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            }
            let data = (0..<Int(generator.next() % 64)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let matcher = MarkerMatcher(markers: markers)
            let unique = matcher.markers
            #expect(matcher.tokens(in: data) == Self.reference(unique, in: data), "\(markers) in \(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test("a real Go binary has makeslice but no kesl token", .enabled(if: FileManager.default.fileExists(atPath: ProjectPaths.sharedFixture("trivy/go-binary-test/test.elf").path)))
    func realGoBinary() throws {
        let bytes = Array(try Data(contentsOf: ProjectPaths.sharedFixture("trivy/go-binary-test/test.elf")))
        // The bytes "kesl" are there (inside "runtime.makeslice"), but never as a token.
        #expect(MarkerMatcher(markers: ["makeslice"]).tokens(in: bytes) == ["makeslice"])
        #expect(bytes.count > 0 && MarkerMatcher(markers: ["runtime.makeslice"]).tokens(in: bytes) == ["runtime.makeslice"])
        #expect(MarkerMatcher(markers: ["kesl", "kaspersky", "klnagent"]).tokens(in: bytes).isEmpty)
    }
}

@Suite("File signatures")
struct FileSignatureTests {
    @Test("ELF, AppImage, scripts and other files")
    func sniffing() {
        #expect(FileSignature.sniff([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]) == .elf(appImageType: nil))
        #expect(FileSignature.sniff([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0x41, 0x49, 2]) == .elf(appImageType: 2))
        #expect(FileSignature.sniff([0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0, 0x41, 0x49, 1]) == .elf(appImageType: 1))
        #expect(FileSignature.sniff([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0x41, 0x49, 3]) == .elf(appImageType: nil))
        #expect(FileSignature.sniff(Array("#!/bin/sh -e\necho".utf8)) == .script(interpreter: "/bin/sh -e"))
        #expect(FileSignature.sniff(Array("#! /usr/bin/env python3\r\n".utf8)) == .script(interpreter: "/usr/bin/env python3"))
        #expect(FileSignature.sniff(Array("#!".utf8)) == .script(interpreter: ""))
        #expect(FileSignature.sniff([0x7F, 0x45, 0x4C]) == .other)
        #expect(FileSignature.sniff([]) == .other)
        #expect(FileSignature.sniff(Array("# comment".utf8)) == .other)
    }
}
