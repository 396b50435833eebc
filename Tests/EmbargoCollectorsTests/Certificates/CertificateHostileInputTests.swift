import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Trusted certificates: hostile input")
struct CertificateHostileInputTests {
    /// A deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Thousands of corrupted copies of a real certificate: each is decoded or rejected with a
    /// reason, never a crash; the name walk is also run on bytes swift-certificates rejected.
    @Test func mutatedCertificatesNeverCrash() throws {
        let work = try TemporaryDirectory()
        let original = Array(try GeneratedCertificate.make(subject: "/C=RU/O=AO Kaspersky Lab/CN=Mutated", in: work, name: "m").der)
        var random = SplitMix(state: 20_240_929)
        var decoded = 0
        var rejected = 0
        for round in 0..<3_000 {
            var bytes = original
            switch round % 3 {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            default:
                let at = Int.random(in: 0..<bytes.count, using: &random)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
            }
            do {
                _ = try CertificateDecoder.decode(bytes)
                decoded += 1
            } catch {
                rejected += 1
            }
            if let names = try? CertificateDecoder.nameElements(bytes) {
                _ = try? DistinguishedNameRenderer.render(bytes, name: names.subject)
            }
            _ = CertificateFileParser.parse(bytes, path: "/fuzz")
        }
        #expect(decoded + rejected == 3_000)
        #expect(rejected > 0)
    }

    @Test func derLengthsThatLieAreRejected() {
        let cases: [[UInt8]] = [
            [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00],  // 4 GB claimed
            [0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00],  // length of length over 4
            [0x30, 0x80, 0x00, 0x00],  // indefinite length (BER, not DER)
            [0x30, 0x82, 0x01],  // length field cut short
            [0x30],
        ]
        for bytes in cases {
            let result = CertificateFileParser.parse(bytes, path: "/x.der")
            #expect(result.blobs.isEmpty)
            #expect(result.errors.map(\.code) == ["certificates.invalid-certificate"], "\(bytes)")
            #expect(result.errors.first?.offset == 0)
        }
    }

    @Test func oversizedPEMBlockIsSkippedNotBuffered() {
        var text = "-----BEGIN CERTIFICATE-----\n"
        let line = String(repeating: "A", count: 64) + "\n"
        text += String(repeating: line, count: CertificateFileParser.maximumBlockBytes / 64 + 10)
        text += "-----END CERTIFICATE-----\n"
        let result = CertificateFileParser.parse(Array(text.utf8), path: "/big.pem")
        #expect(result.blobs.isEmpty)
        #expect(result.errors.map(\.code) == ["certificates.pem-too-large"])
        #expect(result.errors.first?.line == 1)
    }

    /// FIFOs are never opened (a read would block the scan), link loops end, and linked
    /// directories are not followed.
    @Test func specialFilesInAnchorDirectories() async throws {
        let root = try TemporaryDirectory()
        try root.makeDirectory("usr/local/share/ca-certificates")
        try Command.check("mkfifo", [root.url.appendingPathComponent("usr/local/share/ca-certificates/fifo.crt").path])
        try root.symlink("usr/local/share/ca-certificates/loop.crt", to: "loop.crt")
        try root.symlink("usr/local/share/ca-certificates/up", to: "..")
        try root.symlink("usr/local/share/ca-certificates/dangling.crt", to: "/nowhere/x.crt")
        try root.write("etc/ssl/certs/ca-certificates.crt", "")

        let output = await CertificateCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path)))
        #expect(output.inventory.certificates.isEmpty)
        let byPath = Dictionary(uniqueKeysWithValues: output.inventory.issues.map { ($0.location.path ?? "", $0) })
        #expect(byPath["/usr/local/share/ca-certificates/fifo.crt"]?.code == "fs.not-regular-file")
        #expect(byPath["/usr/local/share/ca-certificates/loop.crt"]?.code == "fs.symlink-loop")
        #expect(byPath["/usr/local/share/ca-certificates/dangling.crt"]?.code == "certificates.dangling-link")
        #expect(byPath["/usr/local/share/ca-certificates/dangling.crt"]?.message.contains("/nowhere/x.crt") == true)
        #expect(byPath["/usr/local/share/ca-certificates/dangling.crt"]?.severity == .warning)
        #expect(byPath["/etc/ssl/certs/ca-certificates.crt"]?.code == "certificates.no-certificate")
        #expect(output.inventory.issues.count == 4)
    }
}
