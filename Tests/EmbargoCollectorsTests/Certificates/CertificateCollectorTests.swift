import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Trusted certificates")
struct CertificateCollectorTests {
    static let kasperskySubject = "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate"

    /// A Debian-style trust store: the vendor CA installed as a local anchor, linked from
    /// /etc/ssl/certs as update-ca-certificates does, and inside the generated bundle after an
    /// unrelated CA, with comment text and garbage between the blocks.
    @Test func readsAnchorsLinksAndBundleAsOneCertificateEach() async throws {
        let work = try TemporaryDirectory()
        let kaspersky = try GeneratedCertificate.make(subject: Self.kasperskySubject, in: work, name: "kaspersky")
        let unrelated = try GeneratedCertificate.make(subject: "/C=US/O=Example Trust/CN=Example Root CA", in: work, name: "unrelated")
        let root = try TemporaryDirectory()
        try root.write("usr/local/share/ca-certificates/kaspersky.crt", kaspersky.pem)
        try root.symlink("etc/ssl/certs/kaspersky.pem", to: "/usr/local/share/ca-certificates/kaspersky.crt")
        let bundle = "# Example Root CA\n" + unrelated.pem + "this line is not PEM at all\n\u{1}\u{2}garbage\n" + kaspersky.pem
        try root.write("etc/ssl/certs/ca-certificates.crt", bundle)

        let output = await CertificateCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path)))
        let certificates = output.inventory.certificates
        #expect(output.inventory.issues.isEmpty, "\(output.inventory.issues)")
        #expect(certificates.count == 2)

        let found = try #require(certificates.first { $0.sha256Fingerprint == kaspersky.sha256 })
        #expect(found.subject == kaspersky.subject)
        #expect(found.subject == "CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU")
        #expect(found.issuer == kaspersky.issuer)
        #expect(found.serialNumber == kaspersky.serial)
        #expect(found.notBefore == kaspersky.notBefore)
        #expect(found.notAfter == kaspersky.notAfter)
        // The anchor is read first, so it is the certificate's main path.
        #expect(found.path == "/usr/local/share/ca-certificates/kaspersky.crt")
        #expect(found.index == 0)
        let bundleLine = bundle.prefix(upTo: bundle.range(of: kaspersky.pem)!.lowerBound).filter { $0 == "\n" }.count + 1
        #expect(
            found.locations == [
                CertificateLocation(path: "/usr/local/share/ca-certificates/kaspersky.crt", index: 0, line: 1, kind: .anchor),
                CertificateLocation(
                    path: "/etc/ssl/certs/kaspersky.pem", index: 0, line: 1, resolvedPath: "/usr/local/share/ca-certificates/kaspersky.crt",
                    kind: .anchor),
                CertificateLocation(path: "/etc/ssl/certs/ca-certificates.crt", index: 1, line: bundleLine, kind: .bundle),
            ])

        let other = try #require(certificates.first { $0.sha256Fingerprint == unrelated.sha256 })
        #expect(other.subject == "CN=Example Root CA,O=Example Trust,C=US")
        #expect(other.locations == [CertificateLocation(path: "/etc/ssl/certs/ca-certificates.crt", index: 0, line: 2, kind: .bundle)])

        let sources = Dictionary(uniqueKeysWithValues: output.inventory.sources.map { ($0.path, $0.items) })
        #expect(sources["/usr/local/share/ca-certificates"] == 1)
        #expect(sources["/etc/ssl/certs"] == 1)
        #expect(sources["/etc/ssl/certs/ca-certificates.crt"] == 2)
    }

    /// Damaged blocks are reported with their index and line; the certificates around them are read.
    @Test func damagedBlocksAreReportedAndTheRestIsRead() async throws {
        let work = try TemporaryDirectory()
        let first = try GeneratedCertificate.make(subject: "/O=First/CN=First CA", in: work, name: "first")
        let last = try GeneratedCertificate.make(subject: "/O=Last/CN=Last CA", in: work, name: "last")
        let notBase64 = "-----BEGIN CERTIFICATE-----\nMIIB!!!not*base64\n-----END CERTIFICATE-----\n"
        // Valid base64, but a DER INTEGER rather than a certificate.
        let notCertificate = "-----BEGIN CERTIFICATE-----\nAgEF\n-----END CERTIFICATE-----\n"
        let unterminated = "-----BEGIN CERTIFICATE-----\nMIIB\n"
        let privateKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        let text = first.pem + "garbage between\n" + notBase64 + privateKey + notCertificate + last.pem + unterminated
        let root = try TemporaryDirectory()
        try root.write("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", text)
        try root.symlink("etc/pki/tls/certs/ca-bundle.crt", to: "../../ca-trust/extracted/pem/tls-ca-bundle.pem")

        let output = await CertificateCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path)))
        #expect(Set(output.inventory.certificates.map(\.sha256Fingerprint)) == [first.sha256, last.sha256])

        func lineOf(_ fragment: String, after offset: String.Index? = nil) -> Int {
            let range = text.range(of: fragment, range: (offset ?? text.startIndex)..<text.endIndex)!
            return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
        }
        let path = "/etc/pki/tls/certs/ca-bundle.crt"
        let issues = output.inventory.issues.filter { $0.location.path == path }
        #expect(issues.map(\.code) == ["certificates.invalid-base64", "certificates.unterminated-pem", "certificates.invalid-certificate"])
        #expect(issues[0].location.line == lineOf(notBase64))
        #expect(issues[0].message.contains("certificate #1"))
        #expect(issues[1].location.line == lineOf(unterminated, after: text.range(of: last.pem)!.upperBound))
        #expect(issues[1].message.contains("certificate #4"))
        #expect(issues[2].location.line == lineOf(notCertificate))
        #expect(issues[2].message.contains("certificate #2"))
        // The same file reached through its real path is not parsed, or reported, twice.
        let real = try #require(output.inventory.certificates.first { $0.sha256Fingerprint == last.sha256 })
        #expect(real.locations.map(\.path) == [path, "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"])
        #expect(real.locations.map(\.index) == [3, 3])
        #expect(real.locations[0].resolvedPath == "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem")
        #expect(output.inventory.issues.count == 3)
    }

    @Test func readsDERAnchorsAndReportsATruncatedOne() async throws {
        let work = try TemporaryDirectory()
        let anchor = try GeneratedCertificate.make(subject: Self.kasperskySubject, in: work, name: "anchor")
        let root = try TemporaryDirectory()
        try root.write("etc/pki/ca-trust/source/anchors/kaspersky.der", anchor.der)
        try root.write("etc/pki/ca-trust/source/anchors/truncated.cer", anchor.der.prefix(anchor.der.count / 2))
        try root.write("etc/pki/ca-trust/source/anchors/README", "Put your anchors here.\n")

        let output = await CertificateCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path)))
        let certificate = try #require(output.inventory.certificates.first)
        #expect(output.inventory.certificates.count == 1)
        #expect(certificate.sha256Fingerprint == anchor.sha256)
        #expect(certificate.subject == anchor.subject)
        #expect(certificate.locations == [CertificateLocation(path: "/etc/pki/ca-trust/source/anchors/kaspersky.der", index: 0, kind: .anchor)])

        let truncated = try #require(output.inventory.issues.first { $0.location.path?.hasSuffix("truncated.cer") == true })
        #expect(truncated.code == "certificates.invalid-certificate")
        #expect(truncated.location.offset == 0)
        #expect(truncated.severity == .error)
        let readme = try #require(output.inventory.issues.first { $0.location.path?.hasSuffix("README") == true })
        #expect(readme.code == "certificates.no-certificate")
        #expect(readme.severity == .warning)
        #expect(output.inventory.issues.count == 2)
    }

    /// Names with characters RFC 4514 escapes, several values in one RDN, UTF-8 and an e-mail
    /// attribute render exactly as `openssl -nameopt RFC2253,-esc_msb` renders them.
    @Test func unusualNamesRenderAsOpenSSLRendersThem() async throws {
        let work = try TemporaryDirectory()
        let subjects = [
            "/C=DE/O=Comma\\, Plus+ \"Quotes\" <Angles>; Semicolon/OU=#Hash/CN= Leading and trailing space ",
            "/DC=com/DC=example/O=Multi/OU=One+CN=Two",
            "/C=RU/O=АО Лаборатория Касперского/CN=Корневой сертификат/emailAddress=ca@example.ru",
            "/serialNumber=1234/street=Main Street 1/L=Moscow/ST=Moscow/postalCode=125212/CN=Attributes",
        ]
        let root = try TemporaryDirectory()
        var expected: [String: GeneratedCertificate] = [:]
        for (number, subject) in subjects.enumerated() {
            let certificate = try GeneratedCertificate.make(
                subject: subject, in: work, name: "odd\(number)", extraArguments: ["-multivalue-rdn"])
            expected[certificate.sha256] = certificate
            try root.write("usr/local/share/ca-certificates/odd\(number).crt", certificate.pem)
        }
        let output = await CertificateCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: root.path)))
        #expect(output.inventory.certificates.count == subjects.count)
        for certificate in output.inventory.certificates {
            let reference = try #require(expected[certificate.sha256Fingerprint])
            #expect(certificate.subject == reference.subject)
            #expect(certificate.issuer == reference.issuer)
        }
    }

    /// Every certificate of this machine's CA bundle agrees with openssl on subject, issuer,
    /// serial, fingerprint and validity: real names from ~140 authorities, with BMPString,
    /// TeletexString and non-ASCII values among them.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt")))
    func systemBundleAgreesWithOpenSSL() async throws {
        let bundlePath = "/etc/ssl/certs/ca-certificates.crt"
        let work = try TemporaryDirectory()
        try work.copy(URL(fileURLWithPath: bundlePath), to: "root/etc/ssl/certs/ca-certificates.crt")
        let text = try String(contentsOfFile: bundlePath, encoding: .utf8)
        var references: [String: GeneratedCertificate] = [:]
        var blockCount = 0
        for block in text.components(separatedBy: "-----END CERTIFICATE-----") {
            guard let begin = block.range(of: "-----BEGIN CERTIFICATE-----") else { continue }
            let pem = String(block[begin.lowerBound...]) + "-----END CERTIFICATE-----\n"
            let file = try work.write("split/\(blockCount).pem", pem)
            blockCount += 1
            let reference = try GeneratedCertificate.describe(pemFile: file.path)
            references[reference.sha256] = reference
        }
        let output = await CertificateCollector().collect(
            CollectionContext(fileSystem: try RootFileSystem(root: work.url.appendingPathComponent("root").path)))
        #expect(output.inventory.issues.isEmpty, "\(output.inventory.issues)")
        #expect(output.inventory.certificates.count == references.count)
        #expect(blockCount > 0)
        for certificate in output.inventory.certificates {
            let reference = try #require(references[certificate.sha256Fingerprint])
            #expect(certificate.subject == reference.subject)
            #expect(certificate.issuer == reference.issuer)
            #expect(certificate.serialNumber == reference.serial)
            #expect(certificate.notBefore == reference.notBefore)
            #expect(certificate.notAfter == reference.notAfter)
        }
    }

    /// Packages own the anchor they installed, even when the trust store reaches it through a link.
    @Test func certificateOwnersComeFromEveryLocation() async throws {
        let work = try TemporaryDirectory()
        let vendor = try GeneratedCertificate.make(subject: Self.kasperskySubject, in: work, name: "vendor")
        let root = try TemporaryDirectory()
        try root.write("usr/share/kesl/certs/kaspersky.crt", vendor.pem)
        try root.symlink("etc/ssl/certs/kaspersky.pem", to: "/usr/share/kesl/certs/kaspersky.crt")
        try root.write("etc/ssl/certs/ca-certificates.crt", vendor.pem)
        try root.write(
            "var/lib/dpkg/status",
            "Package: kesl\nStatus: install ok installed\nVersion: 12.1.0-1297\nArchitecture: amd64\nMaintainer: AO Kaspersky Lab\n")
        try root.write("var/lib/dpkg/info/kesl.list", "/.\n/usr\n/usr/share\n/usr/share/kesl\n/usr/share/kesl/certs\n/usr/share/kesl/certs/kaspersky.crt\n")

        let scanner = InventoryScanner(collectors: [DpkgCollector(), CertificateCollector()])
        let inventory = await scanner.scan(CollectionContext(fileSystem: try RootFileSystem(root: root.path)))
        let certificate = try #require(inventory.certificates.first)
        #expect(certificate.path == "/etc/ssl/certs/kaspersky.pem")
        #expect(certificate.owners.map(\.description) == ["deb:kesl:amd64@12.1.0-1297"])
    }
}

/// Prints what reading the trust store costs on this machine (`swift test --filter CertificateCost`).
@Suite("Certificate parsing cost")
struct CertificateCost {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt")))
    func systemTrustStore() async throws {
        let work = try TemporaryDirectory()
        try work.copy(URL(fileURLWithPath: "/etc/ssl/certs/ca-certificates.crt"), to: "etc/ssl/certs/ca-certificates.crt")
        let bundleOnly = CollectionContext(fileSystem: try RootFileSystem(root: work.path))
        let live = CollectionContext(fileSystem: try RootFileSystem(root: "/"))
        func median(_ context: CollectionContext) async -> (Duration, Inventory) {
            var times: [Duration] = []
            var inventory = Inventory(root: "")
            for _ in 0..<5 {
                let clock = ContinuousClock()
                let start = clock.now
                inventory = await CertificateCollector().collect(context).inventory
                times.append(clock.now - start)
            }
            return (times.sorted()[2], inventory)
        }
        let (bundleTime, bundle) = await median(bundleOnly)
        let (liveTime, host) = await median(live)
        let locations = host.certificates.reduce(0) { $0 + $1.locations.count }
        // What the trust store adds to a JSON report, written the plain way a report would.
        let rows: [[String: Any]] = host.certificates.map { certificate in
            [
                "path": certificate.path, "index": certificate.index, "subject": certificate.subject, "issuer": certificate.issuer,
                "notBefore": certificate.notBefore.map { RFC3339.format($0) } ?? "", "notAfter": certificate.notAfter.map { RFC3339.format($0) } ?? "",
                "sha256": certificate.sha256Fingerprint, "serial": certificate.serialNumber ?? "",
                "locations": certificate.locations.map { ["path": $0.path, "index": $0.index, "kind": $0.kind.rawValue, "resolvedPath": $0.resolvedPath ?? ""] },
            ]
        }
        let json = try JSONSerialization.data(withJSONObject: rows)
        print(
            "certificate cost: bundle \(bundle.certificates.count) certificates in \(bundleTime); "
                + "live trust store \(host.certificates.count) certificates at \(locations) locations in \(liveTime); "
                + "about \(json.count / 1024) KiB of compact JSON")
        #expect(bundle.certificates.count > 0)
    }
}
