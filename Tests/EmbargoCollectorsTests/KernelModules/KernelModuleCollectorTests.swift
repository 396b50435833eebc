import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Kernel modules")
struct KernelModuleCollectorTests {
    static let valid = ProjectPaths.sharedFixture("osv-scalibr/kernel-module-valid/valid")
    static let invalid = ProjectPaths.sharedFixture("osv-scalibr/kernel-module-invalid/invalid")

    /// The fields osv-scalibr's own test asserts for its valid fixture.
    struct Expected {
        var name, version, author, vermagic, srcversion: String

        static func load() throws -> Expected {
            let url = ProjectPaths.sharedFixture("osv-scalibr/kernel-module-valid/expected.json")
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            let expectation = (root?["expectations"] as? [[String: Any]])?.first
            let package = try #require((expectation?["packages"] as? [[String: Any]])?.first)
            func field(_ key: String) throws -> String { try #require(package[key] as? String) }
            return Expected(
                name: try field("name"), version: try field("version"), author: try field("author"), vermagic: try field("vermagic"),
                srcversion: try field("srcversion"))
        }
    }

    @Test("/proc/modules lines")
    func procModules() {
        let text = """
            kav4fs_oas 245760 2 redirfs, Live 0x0000000000000000 (POE)
            redirfs 65536 1 kav4fs_oas, Live 0xffffffffc0a00000 (OE)
            ext4 1007616 1 - Live 0x0000000000000000
            broken
            nf_tables 331776 3 nft_chain_nat,nft_compat, Loading 0x0000000000000000

            """
        let (modules, errors) = ProcModulesParser.parse(Array(text.utf8))
        #expect(modules.map(\.name) == ["kav4fs_oas", "redirfs", "ext4", "nf_tables"])
        #expect(modules[0].taint == "POE" && modules[0].usedBy == ["redirfs"] && modules[0].useCount == 2)
        #expect(modules[2].taint == nil && modules[2].usedBy.isEmpty && modules[2].state == "Live")
        #expect(modules[3].usedBy == ["nft_chain_nat", "nft_compat"] && modules[3].state == "Loading")
        #expect(errors == [ProcModulesError(line: 4, reason: "expected a module name and a size")])
    }

    @Test("names: '-' is '_', compression suffixes, patterns normalised outside classes")
    func names() throws {
        #expect(KernelModuleCollector.moduleName(ofFile: "intel-oaktrail.ko")! == ("intel_oaktrail", nil))
        #expect(KernelModuleCollector.moduleName(ofFile: "kav4fs_oas.ko.zst")! == ("kav4fs_oas", "zstd"))
        #expect(KernelModuleCollector.moduleName(ofFile: "x.ko.xz")! == ("x", "xz"))
        #expect(KernelModuleCollector.moduleName(ofFile: "x.ko.gz")! == ("x", "gzip"))
        #expect(KernelModuleCollector.moduleName(ofFile: ".ko") == nil)
        #expect(KernelModuleCollector.moduleName(ofFile: "modules.dep") == nil)
        let pattern = try #require(KernelModuleCollector.normalized(try Glob("kav4fs-[a-z]*")))
        #expect(pattern.pattern == "kav4fs_[a-z]*")
        #expect(pattern.matches("kav4fs_oas"))
    }

    /// Decompression tools write the fixtures' compressed forms at test time.
    static var toolsAvailable: Bool { Command.isAvailable("xz") && Command.isAvailable("zstd") && Command.isAvailable("gzip") }

    @Test("module files under /lib/modules and /usr/lib/modules, plain and compressed", .enabled(if: toolsAvailable))
    func moduleFiles() async throws {
        let expected = try Expected.load()
        let directory = try TemporaryDirectory(prefix: "embargo-kmod")
        let plain = "lib/modules/6.5.0-45-generic/kernel/drivers/platform/x86/intel-oaktrail.ko"
        try directory.copy(Self.valid, to: plain)
        for (release, tool, suffix) in [("6.8.0-31-generic", "zstd", "zst"), ("6.1.0-21-amd64", "xz", "xz"), ("5.10.0-30-amd64", "gzip", "gz")] {
            let relative = "usr/lib/modules/\(release)/updates/dkms/intel_oaktrail.ko"
            try directory.copy(Self.valid, to: relative)
            // zstd keeps its input unless told; xz and gzip replace it.
            try Command.check(tool, ["-q", "-f"] + (tool == "zstd" ? ["--rm"] : []) + [directory.path + "/" + relative])
            #expect(FileManager.default.fileExists(atPath: directory.path + "/" + relative + "." + suffix))
        }
        // A module the plan names without a .modinfo section (osv-scalibr's invalid fixture).
        try directory.copy(Self.invalid, to: "lib/modules/6.5.0-45-generic/extra/kav4fs_oas.ko")
        // Damaged compressed data: recorded by name, reported.
        try directory.write("lib/modules/6.5.0-45-generic/extra/redirfs.ko.xz", Data("not xz at all".utf8))
        // Not asked for.
        try directory.copy(Self.valid, to: "lib/modules/6.5.0-45-generic/kernel/other.ko")
        let plan = ScanPlan(kernelModuleNames: [try Glob("intel-oaktrail"), try Glob("kav4fs_*"), try Glob("redirfs")])
        let context = CollectionContext(fileSystem: try RootFileSystem(root: directory.path), plan: plan)
        let output = await KernelModuleCollector().collect(context)
        let modules = output.inventory.kernelModules.sorted { ($0.path ?? "") < ($1.path ?? "") }
        #expect(
            modules.map(\.path) == [
                "/lib/modules/6.5.0-45-generic/extra/kav4fs_oas.ko", "/lib/modules/6.5.0-45-generic/extra/redirfs.ko.xz",
                "/lib/modules/6.5.0-45-generic/kernel/drivers/platform/x86/intel-oaktrail.ko",
                "/usr/lib/modules/5.10.0-30-amd64/updates/dkms/intel_oaktrail.ko.gz",
                "/usr/lib/modules/6.1.0-21-amd64/updates/dkms/intel_oaktrail.ko.xz",
                "/usr/lib/modules/6.8.0-31-generic/updates/dkms/intel_oaktrail.ko.zst",
            ])
        for module in modules where module.path?.contains("oaktrail") == true {
            #expect(module.name == expected.name)
            #expect(module.modinfo["version"] == expected.version)
            #expect(module.modinfo["author"] == expected.author)
            #expect(module.modinfo["vermagic"] == expected.vermagic)
            #expect(module.modinfo["srcversion"] == expected.srcversion)
            #expect(module.modinfo["buildId"] == "94276648c887a289474cc07c3b20d4eefa216b82")
            #expect(module.loaded == false)
        }
        #expect(modules[3].modinfo["compression"] == "gzip" && modules[3].modinfo["kernel"] == "5.10.0-30-amd64")
        #expect(modules[5].modinfo["compression"] == "zstd")
        // osv-scalibr rejects the invalid fixture ("no .modinfo section"); we keep the file, by
        // name, because a restricted module's presence is the finding, and report why it is bare.
        #expect(modules[0].name == "kav4fs_oas" && modules[0].modinfo == ["kernel": "6.5.0-45-generic"])
        #expect(modules[1].name == "redirfs")
        let issues = output.inventory.issues.map { "\($0.code) \($0.location.path ?? "")" }.sorted()
        #expect(
            issues == [
                "kernel-modules.bad-compression /lib/modules/6.5.0-45-generic/extra/redirfs.ko.xz",
                "kernel-modules.no-modinfo /lib/modules/6.5.0-45-generic/extra/kav4fs_oas.ko",
            ])
        #expect(output.inventory.sources.map(\.path).sorted() == ["/lib/modules", "/usr/lib/modules"])
    }

    @Test("usr-merged roots list each module once")
    func usrMerge() async throws {
        let directory = try TemporaryDirectory(prefix: "embargo-kmod")
        try directory.copy(Self.valid, to: "usr/lib/modules/6.5.0-45-generic/kernel/intel_oaktrail.ko")
        try directory.symlink("lib", to: "usr/lib")
        let plan = ScanPlan(kernelModuleNames: [try Glob("intel_oaktrail")])
        let output = await KernelModuleCollector().collect(CollectionContext(fileSystem: try RootFileSystem(root: directory.path), plan: plan))
        #expect(output.inventory.kernelModules.map(\.path) == ["/usr/lib/modules/6.5.0-45-generic/kernel/intel_oaktrail.ko"])
    }

    @Test("xz and zstd decoders: round trip, corruption, truncation and the output cap", .enabled(if: toolsAvailable))
    func decoders() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-kmod")
        let original = Array(try Data(contentsOf: Self.valid))
        let file = try directory.write("module.ko", Data(original))
        try Command.check("xz", ["-k", "-q", file.path])
        try Command.check("zstd", ["-q", file.path, "-o", file.path + ".zst"])
        let xz = Array(try Data(contentsOf: URL(fileURLWithPath: file.path + ".xz")))
        let zstd = Array(try Data(contentsOf: URL(fileURLWithPath: file.path + ".zst")))
        #expect(try XzDecoder.decompress(xz) == original)
        #expect(try ZstdDecoder.decompress(zstd) == original)
        #expect(try XzDecoder.decompress(xz + xz) == original + original)  // concatenated streams
        #expect(throws: DecompressionError.tooLarge(limit: 1000)) { try XzDecoder.decompress(xz, limit: 1000) }
        #expect(throws: DecompressionError.tooLarge(limit: 1000)) { try ZstdDecoder.decompress(zstd, limit: 1000) }
        for cut in [0, 1, 10, xz.count / 2, xz.count - 1] {
            #expect(throws: DecompressionError.self) { try XzDecoder.decompress(Array(xz.prefix(cut))) }
        }
        for cut in [0, 1, 10, zstd.count / 2, zstd.count - 1] {
            #expect(throws: DecompressionError.self) { try ZstdDecoder.decompress(Array(zstd.prefix(cut))) }
        }
        var damaged = zstd
        damaged[damaged.count / 2] ^= 0xFF
        damaged[damaged.count / 2 + 1] ^= 0xFF
        if let result = try? ZstdDecoder.decompress(damaged) { #expect(result != original) }
    }
}
