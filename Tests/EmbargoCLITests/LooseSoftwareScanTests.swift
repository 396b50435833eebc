import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing

/// Restricted software outside any package database, found by `embargo scan` with its evidence
/// kind: a tarball-installed product, a renamed vendor binary, a left-over unit, a vendor root CA
/// in the trust store, a vendor update channel in apt's sources.
@Suite(
    "embargo scan beyond the package managers", .serialized,
    .enabled(if: Command.isAvailable("gcc") && Command.isAvailable("openssl"), "needs gcc and openssl"))
struct LooseSoftwareScanTests {
    /// A real ELF program whose strings include `text`, built with gcc.
    static func elf(containing text: String, in directory: TemporaryDirectory, name: String) throws -> Data {
        let source = try directory.write("\(name).c", """
            #include <stdio.h>
            static const char banner[] = "\(text)";
            int main(void) { puts(banner); return 0; }
            """)
        let binary = directory.url.appendingPathComponent(name)
        try Command.check("gcc", ["-O0", "-o", binary.path, source.path])
        return try Data(contentsOf: binary)
    }

    /// A self-signed CA certificate (PEM) with the given subject.
    static func certificate(subject: String, in directory: TemporaryDirectory, name: String) throws -> String {
        let key = directory.url.appendingPathComponent("\(name).key").path
        let cert = directory.url.appendingPathComponent("\(name).crt").path
        try Command.check("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "3650",
            "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
        ])
        return try String(contentsOfFile: cert, encoding: .utf8)
    }

    static func finding(_ report: [String: Any], _ product: String) -> [String: Any]? {
        (report["findings"] as? [[String: Any]])?.first { $0["product"] as? String == product }
    }

    static func evidenceKinds(_ finding: [String: Any]?) -> Set<String> {
        Set((finding?["evidence"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
    }

    @Test("each loose item is reported with its evidence kind")
    func looseItems() throws {
        let work = try TemporaryDirectory()
        let root = try TemporaryDirectory(prefix: "embargo-loose-root")
        // A tarball-installed product: ELF files no package owns.
        let agent = try Self.elf(containing: "usage: kav4fs-control --start", in: work, name: "kav4fs-control")
        try root.write("opt/kaspersky/kav4fs/bin/kav4fs-control", agent, permissions: 0o755)
        try root.write("opt/kaspersky/kav4fs/lib/libkav4fs.so", agent, permissions: 0o644)
        // A renamed copy of a vendor binary, far from /opt.
        let control = try Self.elf(containing: "kesl-control: Kaspersky Endpoint Security", in: work, name: "kesl-control")
        try root.write("usr/local/bin/sysmaint", control, permissions: 0o755)
        // A left-over unit file, enabled.
        try root.write("etc/systemd/system/klnagent64.service", "[Service]\nExecStart=/opt/kaspersky/klnagent64/sbin/klnagent\n")
        try root.symlink("etc/systemd/system/multi-user.target.wants/klnagent64.service", to: "/etc/systemd/system/klnagent64.service")
        // A Kaspersky root CA trusted as an anchor and in the bundle.
        let ca = try Self.certificate(
            subject: "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate", in: work, name: "kaspersky")
        let other = try Self.certificate(subject: "/C=US/O=Example Corp/CN=Example Root", in: work, name: "example")
        try root.write("usr/local/share/ca-certificates/kaspersky.crt", ca)
        try root.write("etc/ssl/certs/ca-certificates.crt", other + ca)
        // A Kaspersky download host configured as an apt update channel.
        try root.write("etc/apt/sources.list.d/kaspersky.list", "deb https://products.s.kaspersky-labs.com/endpoints/ stable main\n")

        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--as-of", "2025-01-01", "--format", "json"])
        #expect(output.status == 1, "\(output.stderr)")

        let kav4fs = try #require(Self.finding(report, "kav4fs"))
        #expect(kav4fs["status"] as? String == "violation")
        #expect(Self.evidenceKinds(kav4fs) == ["file"])
        let files = (kav4fs["evidence"] as? [[String: Any]] ?? []).compactMap { $0["locator"] as? String }
        #expect(files.contains("/opt/kaspersky/kav4fs/bin/kav4fs-control"))
        let binary = try #require((kav4fs["evidence"] as? [[String: Any]])?.first { $0["locator"] as? String == "/opt/kaspersky/kav4fs/bin/kav4fs-control" })
        let detail = binary["detail"] as? [String: String] ?? [:]
        #expect(detail["elf.class"] != nil, "ELF facts are evidence: \(detail)")
        #expect(detail["sha256"]?.count == 64)

        let renamed = try #require(Self.finding(report, "kesl"), "the renamed kesl-control is found by its marker")
        #expect(Self.evidenceKinds(renamed) == ["file"])
        #expect((renamed["evidence"] as? [[String: Any]])?.first?["locator"] as? String == "/usr/local/bin/sysmaint")
        #expect(renamed["status"] as? String == "suspected", "a marker alone is weak evidence")

        let agentUnit = try #require(Self.finding(report, "klnagent64"))
        #expect(Self.evidenceKinds(agentUnit) == ["service"])
        let unitDetail = (agentUnit["evidence"] as? [[String: Any]])?.first?["detail"] as? [String: String]
        #expect(unitDetail?["enabled"] == "true")

        let generic = try #require(Self.finding(report, "kaspersky-unidentified"))
        #expect(Self.evidenceKinds(generic).isSuperset(of: ["certificate", "repository"]))
        let certificate = try #require((generic["evidence"] as? [[String: Any]])?.first { $0["kind"] as? String == "certificate" })
        let certificateDetail = certificate["detail"] as? [String: String] ?? [:]
        #expect((certificate["locator"] as? String)?.contains("O=AO Kaspersky Lab") == true)
        #expect(certificateDetail["sha256"]?.count == 64)
        #expect(certificateDetail["notAfter"] != nil)
        let repository = try #require((generic["evidence"] as? [[String: Any]])?.first { $0["kind"] as? String == "repository" })
        #expect(repository["locator"] as? String == "https://products.s.kaspersky-labs.com/endpoints/")
        #expect((repository["detail"] as? [String: String])?["line"] == "1")
    }

    @Test("look-alikes only: a removal script, a document naming Kaspersky, an unrelated CA give nothing")
    func lookAlikes() throws {
        let work = try TemporaryDirectory()
        let root = try TemporaryDirectory(prefix: "embargo-lookalike-root")
        try root.write("usr/local/sbin/remove-kaspersky.sh", """
            #!/bin/sh
            # Removes Kaspersky Endpoint Security (kesl) and the Network Agent.
            systemctl disable --now kesl.service klnagent64.service
            apt-get purge -y kesl klnagent64
            rm -rf /opt/kaspersky /var/opt/kaspersky /etc/opt/kaspersky
            """, permissions: 0o755)
        try root.write("home/alice/notes/av-migration.md", "We replaced Kaspersky (kesl 12, AO Kaspersky Lab) with another product.\n")
        try root.write("srv/docs/kaspersky-faq.txt", "kaspersky-labs.com hosted the old updates.\n")
        let golang = try Self.elf(containing: "runtime.makeslice: len out of range", in: work, name: "gotool")
        try root.write("usr/local/bin/gotool", golang, permissions: 0o755)
        try root.write("usr/local/share/ca-certificates/corp.crt", try Self.certificate(subject: "/C=US/O=Corp/CN=Corp Root", in: work, name: "corp"))
        try root.write("etc/apt/sources.list", "deb https://deb.debian.org/debian bookworm main\n# deb https://mirror.example.org/kaspersky-notes stable main\n")
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--format", "json"])
        #expect(output.status == 0)
        #expect((report["findings"] as? [Any])?.isEmpty == true, "\(report["findings"] ?? "")")
    }

    @Test("a hostile tree does not stop the scan: problems are listed, the planted product still found")
    func hostileTree() throws {
        let work = try TemporaryDirectory()
        let root = try TemporaryDirectory(prefix: "embargo-hostile-root")
        let agent = try Self.elf(containing: "kav4fs-control", in: work, name: "agent")
        try root.write("opt/kaspersky/kav4fs/bin/kav4fs-control", agent, permissions: 0o755)
        try root.symlink("opt/loop-a", to: "loop-b")
        try root.symlink("opt/loop-b", to: "loop-a")
        try root.symlink("opt/to-root", to: "/")
        try root.makeDirectory("srv")
        #expect(mkfifo(root.path + "/srv/pipe", 0o644) == 0)
        try root.write("usr/local/bin/truncated-elf", Data([0x7F, 0x45, 0x4C, 0x46, 2, 1]), permissions: 0o755)
        try root.write("var/lib/dpkg/status", "Package kesl\n\n")
        let started = Date()
        let (output, report) = try EmbargoProcess.json(["scan", "--root", root.path, "--format", "json"])
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(output.status == 1)
        #expect(Self.finding(report, "kav4fs")?["status"] as? String == "violation")
        let errors = report["errors"] as? [[String: Any]] ?? []
        let codes = Set(errors.compactMap { $0["code"] as? String })
        #expect(codes.contains("dpkg.malformed-line"), "\(codes)")
        #expect(!errors.isEmpty)
    }
}
