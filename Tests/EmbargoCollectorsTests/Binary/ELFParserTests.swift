import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("ELF parser")
struct ELFParserTests {
    static let realWorldFixturePaths = [
        "trivy/go-binary-test/test.elf",
        "trivy/go-binary-main-version-via-ldflags/main-version-via-ldflags.elf",
        "osv-scalibr/cargo-auditable-uses_serde_json/uses_serde_json",
        "osv-scalibr/cargo-auditable-no_deps/no_deps",
        "osv-scalibr/kernel-module-valid/valid",
        "osv-scalibr/kernel-module-invalid/invalid",
    ]

    static func parse(_ bytes: [UInt8]) throws(ELFError) -> ELFFile {
        try ELFParser.parse(BufferByteSource(bytes))
    }

    static func fixtureBytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: ProjectPaths.sharedFixture(relative)))
    }

    /// Peers' real binaries (Go, Rust, kernel modules) against readelf's reading of the same file.
    @Test("real-world fixtures agree with readelf", .enabled(if: ReadelfReport.isAvailable), arguments: realWorldFixturePaths)
    func realWorldFixtures(_ relative: String) throws {
        let path = ProjectPaths.sharedFixture(relative).path
        let elf = try Self.parse(try Self.fixtureBytes(relative))
        let oracle = try ReadelfReport.read(path)
        #expect(elf.elfClass.rawValue == oracle.elfClass)
        #expect(oracle.data?.contains(elf.byteOrder == .little ? "little endian" : "big endian") == true)
        #expect(elf.typeName == oracle.type)
        #expect(elf.machineName == ReadelfReport.machineNames[oracle.machine ?? ""])
        #expect(elf.buildID == oracle.buildID)
        #expect(elf.goBuildID == oracle.goBuildID)
        #expect(elf.soname == oracle.soname)
        #expect(elf.interpreter == oracle.interpreter)
        #expect(elf.comments == oracle.comments)
        #expect(elf.packageMetadata == nil && oracle.packageMetadata == nil)
        #expect(elf.problems.isEmpty)
    }

    /// The distribution's own binaries: a systemd tool with its `.note.package` (Debian 12 builds
    /// systemd with package notes), the C library (DT_SONAME), the dynamic loader.
    static let systemBinaryPaths = [
        "/bin/systemctl", "/bin/ls", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libsystemd.so.0",
        "/lib64/ld-linux-x86-64.so.2",
    ].filter { FileManager.default.fileExists(atPath: $0) }

    @Test("system binaries agree with readelf", .enabled(if: ReadelfReport.isAvailable), arguments: systemBinaryPaths)
    func systemBinaries(_ path: String) throws {
        let elf = try Self.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let oracle = try ReadelfReport.read(path)
        #expect(elf.elfClass.rawValue == oracle.elfClass)
        #expect(elf.typeName == oracle.type)
        #expect(elf.buildID == oracle.buildID)
        #expect(elf.soname == oracle.soname)
        #expect(elf.interpreter == oracle.interpreter)
        #expect(elf.packageMetadata?.json == oracle.packageMetadata)
        #expect(elf.comments == oracle.comments)
    }

    /// The values the fixtures' own descriptions give (from `file`), independent of readelf.
    @Test("fixture identities from the manifest")
    func manifestIdentities() throws {
        let go = try Self.parse(try Self.fixtureBytes("trivy/go-binary-test/test.elf"))
        #expect(go.elfClass == .elf64 && go.byteOrder == .little && go.typeName == "EXEC" && go.machineName == "x86_64")
        #expect(go.goBuildID == "8dRuh9cbXuperES9M18a/UdTElh6GeT_fomnNqsiW/_BO8yRa01s9qs7S61boU/AkLW-sfmSfgfUSE0N3Bb")
        #expect(go.buildID == nil)
        let rust = try Self.parse(try Self.fixtureBytes("osv-scalibr/cargo-auditable-uses_serde_json/uses_serde_json"))
        #expect(rust.typeName == "DYN")
        #expect(rust.buildID == "d4114ac3936c7fc649e91808da775f70b2c2d371")
        #expect(rust.interpreter == "/lib64/ld-linux-x86-64.so.2")
        let module = try Self.parse(try Self.fixtureBytes("osv-scalibr/kernel-module-valid/valid"))
        #expect(module.typeName == "REL")
        #expect(module.buildID == "94276648c887a289474cc07c3b20d4eefa216b82")
        let invalid = try Self.parse(try Self.fixtureBytes("osv-scalibr/kernel-module-invalid/invalid"))
        #expect(invalid.buildID == "c86419d4ae1788f4ac29e994f9233b9a48632f66")
        #expect(invalid.modinfo == nil)
    }

    @Test("the trivy 'dummy' text file is not ELF")
    func notELF() throws {
        #expect(throws: ELFError.notELF) { try Self.parse(try Self.fixtureBytes("trivy/go-binary-dummy/dummy")) }
        #expect(throws: ELFError.notELF) { try Self.parse(try Self.fixtureBytes("osv-scalibr/cargo-auditable-not_binary/not_binary")) }
        #expect(throws: ELFError.notELF) { try Self.parse([]) }
    }

    @Test(
        "synthetic files of both classes and byte orders",
        arguments: [(false, false), (false, true), (true, false), (true, true)])
    func bothClassesAndByteOrders(is64: Bool, bigEndian: Bool) throws {
        let synthetic = SyntheticELF(is64: is64, bigEndian: bigEndian, machine: bigEndian ? 22 : 3)
        let elf = try Self.parse(synthetic.bytes())
        #expect(elf.elfClass == (is64 ? .elf64 : .elf32))
        #expect(elf.byteOrder == (bigEndian ? .big : .little))
        #expect(elf.machineName == (bigEndian ? "s390" : "i386"))
        #expect(elf.typeName == "DYN")
        #expect(elf.buildID == "deadbeef01020304")
        #expect(elf.soname == "libkesl.so.12")
        #expect(elf.comments == ["GCC: (Debian 12.2.0-14) 12.2.0"])
        #expect(elf.packageMetadata?.name == "kesl")
        #expect(elf.packageMetadata?.version == "12.1.0.1297")
        #expect(elf.packageMetadata?.fields["osCpe"] == "cpe:/o:debian:debian:12")
        #expect(elf.problems.isEmpty)
    }

    @Test("synthetic files read the same with readelf", .enabled(if: ReadelfReport.isAvailable))
    func syntheticAgainstReadelf() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-elf")
        for (is64, bigEndian) in [(false, false), (false, true), (true, false), (true, true)] {
            let synthetic = SyntheticELF(is64: is64, bigEndian: bigEndian, noteAlignment: is64 ? 8 : 4)
            let url = try directory.write("synthetic-\(is64)-\(bigEndian)", Data(synthetic.bytes()))
            let oracle = try ReadelfReport.read(url.path)
            let elf = try Self.parse(synthetic.bytes())
            #expect(elf.buildID == oracle.buildID)
            // readelf finds the dynamic section only through a PT_DYNAMIC segment, which these
            // section-only files lack; DT_SONAME is checked against readelf on a linked library.
            #expect(elf.comments == oracle.comments)
            #expect(elf.packageMetadata?.json == oracle.packageMetadata)
            #expect(elf.elfClass.rawValue == oracle.elfClass)
        }
    }

    /// A real linker writes the note: `ld --package-metadata` (binutils 2.39+), as distributions do.
    @Test("a .note.package written by the linker", .enabled(if: CCompiler.isAvailable && ReadelfReport.isAvailable))
    func linkerPackageNote() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-elf")
        let output = directory.url.appendingPathComponent("noted").path
        let json = #"{"type":"rpm","name":"kesl","version":"12.1.0-1297","architecture":"x86_64","osCpe":"cpe:/o:redhat:enterprise_linux:9","debugInfoUrl":"https://example.invalid/"}"#
        do {
            try CCompiler.compile(
                CCompiler.programSource(strings: ["hello"]), to: output,
                flags: ["-Wl,--build-id=sha1", "-Xlinker", "--package-metadata=\(json)", "-shared", "-fPIC", "-Wl,-soname,libnoted.so.1"])
        } catch {
            Issue.record("the linker does not support --package-metadata: \(error)")
            return
        }
        let elf = try Self.parse(Array(try Data(contentsOf: URL(fileURLWithPath: output))))
        let oracle = try ReadelfReport.read(output)
        #expect(elf.packageMetadata?.json == oracle.packageMetadata)
        #expect(elf.packageMetadata?.fields == [
            "type": "rpm", "name": "kesl", "version": "12.1.0-1297", "architecture": "x86_64",
            "osCpe": "cpe:/o:redhat:enterprise_linux:9", "debugInfoUrl": "https://example.invalid/",
        ])
        #expect(elf.buildID == oracle.buildID && elf.buildID?.count == 40)
        #expect(elf.soname == "libnoted.so.1" && oracle.soname == "libnoted.so.1")
    }

    @Test("every truncation of a real file gives a typed error or a partial result, never a crash")
    func truncations() throws {
        let bytes = try Self.fixtureBytes("osv-scalibr/kernel-module-valid/valid")
        for length in Array(0..<200) + Array(stride(from: 200, to: bytes.count, by: 97)) {
            let prefix = Array(bytes.prefix(length))
            do {
                let elf = try Self.parse(prefix)
                // A header that survived: the rest is reported, not invented.
                #expect(length >= 64)
                #expect(!elf.problems.isEmpty || elf.modinfo != nil)
            } catch {
                switch error {
                case .truncated(let offset, _, _): #expect(offset >= 0)
                case .notELF: #expect(length < 4)
                default: Issue.record("unexpected \(error) at length \(length)")
                }
            }
        }
        #expect(throws: ELFError.truncated(offset: 0, needed: 64, what: "ELF header")) { try Self.parse(Array(bytes.prefix(40))) }
    }

    @Test("random corruption never crashes or hangs")
    func corruption() throws {
        let original = try Self.fixtureBytes("osv-scalibr/cargo-auditable-no_deps/no_deps")
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<8 {
                // Hit the headers most: that is where sizes and offsets live.
                let position = generator.next() % 2 == 0 ? Int(generator.next() % 64) : Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            // Section header table too.
            let table = 417_584
            for _ in 0..<8 {
                let position = table + Int(generator.next() % UInt64(bytes.count - table))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? Self.parse(bytes)
        }
    }

    @Test("hostile sizes: a note longer than its section, huge counts")
    func hostileSizes() throws {
        var bytes = SyntheticELF().bytes()
        // The first note's name size (the build-id note starts right after the 64-byte header).
        bytes[64] = 0xFF
        bytes[65] = 0xFF
        bytes[66] = 0xFF
        bytes[67] = 0x7F
        let elf = try Self.parse(bytes)
        #expect(elf.buildID == nil)
        #expect(elf.problems.contains { $0.code == "elf.bad-note" })
        #expect(elf.packageMetadata?.name == "kesl")  // the other sections are still read

        var huge = SyntheticELF().bytes()
        huge[60] = 0xFF  // e_shnum = 0xFFFF
        huge[61] = 0xFF
        let partial = try Self.parse(huge)
        #expect(partial.problems.contains { $0.code == "elf.truncated" })
    }

    @Test("thousands of sections pointing at the same megabyte are read only up to the budget")
    func sectionAmplification() throws {
        var out = SyntheticELF.Writer(bigEndian: false)
        out.bytes = [UInt8](repeating: 0, count: 64)
        let names: [UInt8] = [0] + Array(".comment".utf8) + [0]
        let namesOffset = out.bytes.count
        out.bytes += names
        let blobOffset = out.bytes.count
        out.bytes += [UInt8](repeating: 0x41, count: 1 << 20)
        let tableOffset = out.bytes.count
        let count = 4000
        for index in 0..<count {
            out.u32(index == count - 1 ? 0 : 1)  // name: ".comment", the last one unnamed
            out.u32(index == count - 1 ? 3 : 1)  // PROGBITS; the last is the name table (STRTAB)
            out.word(0, is64: true)
            out.word(0, is64: true)
            out.word(UInt64(index == count - 1 ? namesOffset : blobOffset), is64: true)
            out.word(UInt64(index == count - 1 ? names.count : 1 << 20), is64: true)
            out.u32(0)
            out.u32(0)
            out.word(1, is64: true)
            out.word(0, is64: true)
        }
        var header = SyntheticELF.Writer(bigEndian: false)
        header.bytes = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        header.u16(3)
        header.u16(62)
        header.u32(1)
        header.word(0, is64: true)
        header.word(0, is64: true)
        header.word(UInt64(tableOffset), is64: true)
        header.u32(0)
        header.u16(64)
        header.u16(56)
        header.u16(0)
        header.u16(64)
        header.u16(UInt16(count))
        header.u16(UInt16(count - 1))
        out.bytes.replaceSubrange(0..<64, with: header.bytes)
        let clock = ContinuousClock()
        var parsed: ELFFile?
        let elapsed = try clock.measure { parsed = try Self.parse(out.bytes) }
        let elf = try #require(parsed)
        #expect(elapsed < .seconds(10))
        #expect(elf.comments.count == 1)
        #expect(elf.problems.count == 1)
        #expect(elf.problems.first?.reason.contains("bytes in all") == true)
    }

    @Test("a malformed .note.package is reported, not guessed at")
    func badPackageNote() throws {
        let elf = try Self.parse(SyntheticELF(packageJSON: "{\"type\":\"deb\",").bytes())
        #expect(elf.packageMetadata == nil)
        #expect(elf.problems.contains { $0.code == "elf.bad-package-metadata" })
        let array = try Self.parse(SyntheticELF(packageJSON: "[1,2]").bytes())
        #expect(array.packageMetadata == nil)
        let typed = try Self.parse(SyntheticELF(packageJSON: #"{"name":"x","epoch":2,"debug":true,"extra":{"a":1},"gone":null}"#).bytes())
        #expect(typed.packageMetadata?.fields == ["name": "x", "epoch": "2", "debug": "true"])
    }

    @Test(".modinfo of the osv-scalibr valid kernel module, as its expected.json says")
    func kernelModuleModinfo() throws {
        let expectedURL = ProjectPaths.sharedFixture("osv-scalibr/kernel-module-valid/expected.json")
        let expectation = try JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL)) as! [String: Any]
        let first = (expectation["expectations"] as! [[String: Any]])[0]
        let package = (first["packages"] as! [[String: Any]])[0]
        let elf = try Self.parse(try Self.fixtureBytes("osv-scalibr/kernel-module-valid/valid"))
        let fields = ModinfoSummary.fields(try #require(elf.modinfo))
        #expect(fields["name"] == package["name"] as? String)
        #expect(fields["version"] == package["version"] as? String)
        #expect(fields["author"] == package["author"] as? String)
        // The module stores "... modversions " (VERMAGIC_STRING ends in a space); osv-scalibr trims
        // it and so do we: values are kept without surrounding blanks.
        #expect(fields["vermagic"] == package["vermagic"] as? String)
        #expect(fields["srcversion"] == package["srcversion"] as? String)
    }
}

/// A small deterministic generator so corruption tests are reproducible.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
