import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("File walk collector", .enabled(if: PlantedBinaries.compilerAvailable))
struct FileWalkCollectorTests {
    /// A small root with one file for each reason to record, and files that must not be recorded.
    struct Tree {
        let directory: TemporaryDirectory
        let binaries: PlantedBinaries
        var root: String { directory.path }

        init() throws {
            directory = try TemporaryDirectory(prefix: "embargo-filewalk")
            binaries = try PlantedBinaries(in: directory)
            try directory.copy(URL(fileURLWithPath: binaries.kaspersky), to: "opt/kaspersky/kesl/bin/kesl-control")
            // The same agent renamed and hidden in a home directory.
            try directory.copy(URL(fileURLWithPath: binaries.kaspersky), to: "home/user/.local/bin/update-helper")
            try directory.copy(URL(fileURLWithPath: binaries.goLike), to: "usr/local/bin/go-tool")
            try directory.copy(URL(fileURLWithPath: binaries.plain), to: "opt/vendor/bin/plain-tool")
            try directory.write("opt/scripts/start.sh", "#!/bin/sh\nexec /opt/kaspersky/kesl/bin/kesl-control --start\n", permissions: 0o755)
            try directory.write("srv/agent/klnagent", "not even a binary\n")
            // Text that mentions the product but is neither ELF nor a script: not searched.
            try directory.write("root/notes.txt", "remember to remove kesl-control\n")
            // An AppImage: an ELF whose identification carries "AI\u{2}" at offset 8.
            var appImage = Array(try Data(contentsOf: URL(fileURLWithPath: binaries.kaspersky)))
            appImage[8] = 0x41
            appImage[9] = 0x49
            appImage[10] = 2
            try directory.write("home/user/Apps/Tool.AppImage", Data(appImage), permissions: 0o755)
        }
    }

    @Test("records by marker, name, digest and package note; leaves the rest")
    func recordsWhatThePlanNames() throws {
        let tree = try Tree()
        let plainDigest = try sha256Hex(ofFile: tree.binaries.plain)
        let (output, statistics) = FileWalkCollector().run(try context(root: tree.root, plan: kasperskyPlan(digests: [plainDigest])))
        let records = Dictionary(uniqueKeysWithValues: output.inventory.files.map { ($0.path, $0) })
        #expect(
            records.keys.sorted() == [
                "/home/user/.local/bin/update-helper", "/home/user/Apps/Tool.AppImage", "/opt/kaspersky/kesl/bin/kesl-control",
                "/opt/scripts/start.sh", "/opt/vendor/bin/plain-tool", "/srv/agent/klnagent",
            ])
        let agent = try #require(records["/opt/kaspersky/kesl/bin/kesl-control"])
        #expect(agent.markers == ["kesl", "kesl-control"])
        #expect(agent.foundBy == "file-walk")
        #expect(agent.sha256 == (try sha256Hex(ofFile: tree.binaries.kaspersky)))
        #expect(agent.attributes["elf.class"] == "ELF64")
        #expect(agent.attributes["elf.machine"] == "x86_64")
        if ReadelfReport.isAvailable {
            let oracle = try ReadelfReport.read(tree.binaries.kaspersky)
            #expect(agent.attributes["elf.buildId"] == oracle.buildID)
            #expect(agent.attributes["elf.type"] == oracle.type)
            #expect(agent.attributes["elf.interpreter"] == oracle.interpreter)
        }
        let renamed = try #require(records["/home/user/.local/bin/update-helper"])
        #expect(renamed.markers == agent.markers && renamed.sha256 == agent.sha256)
        let appImage = try #require(records["/home/user/Apps/Tool.AppImage"])
        #expect(appImage.attributes["appimage"] == "true" && appImage.attributes["appimage.type"] == "2")
        let script = try #require(records["/opt/scripts/start.sh"])
        #expect(script.attributes["shebang"] == "/bin/sh")
        #expect(script.markers == ["kesl", "kesl-control"])
        let named = try #require(records["/srv/agent/klnagent"])
        #expect(named.attributes["matched.name"] == "true" && named.markers.isEmpty)
        #expect(named.sha256 == (try sha256Hex(ofFile: tree.root + "/srv/agent/klnagent")))
        let digested = try #require(records["/opt/vendor/bin/plain-tool"])
        #expect(digested.attributes["matched.sha256"] == "true" && digested.sha256 == plainDigest)
        // The Go stand-in holds "kesl" only inside "makeslice".
        #expect(records["/usr/local/bin/go-tool"] == nil)
        #expect(output.inventory.issues.isEmpty, "\(output.inventory.issues)")
        #expect(statistics.walk.regularFiles == 8)
        #expect(statistics.elfFiles == 5 && statistics.scripts == 1)
        #expect(Set(output.inventory.sources.map(\.path)) == ["/opt", "/usr/local", "/srv", "/home", "/root"])
    }

    @Test("an ELF with a .note.package is recorded with its package fields", .enabled(if: ReadelfReport.isAvailable))
    func packageNote() throws {
        let tree = try Tree()
        let output = tree.directory.url.appendingPathComponent("opt/vendor/lib/libnoted.so").path
        try FileManager.default.createDirectory(atPath: tree.root + "/opt/vendor/lib", withIntermediateDirectories: true)
        let json = #"{"type":"deb","name":"vendor-agent","version":"1.2-3","architecture":"amd64","os":"debian","osVersion":"12"}"#
        try CCompiler.compile(
            CCompiler.programSource(strings: ["x"]), to: output, flags: ["-shared", "-fPIC", "-Xlinker", "--package-metadata=\(json)", "-Wl,-soname,libnoted.so.1"])
        let (result, _) = FileWalkCollector().run(try context(root: tree.root, plan: ScanPlan(), walkPaths: ["/opt/vendor"]))
        #expect(result.inventory.files.map(\.path) == ["/opt/vendor/lib/libnoted.so"])
        let record = try #require(result.inventory.files.first)
        #expect(record.attributes["package.type"] == "deb")
        #expect(record.attributes["package.name"] == "vendor-agent")
        #expect(record.attributes["package.version"] == "1.2-3")
        #expect(record.attributes["package.architecture"] == "amd64")
        #expect(record.attributes["package.os"] == "debian" && record.attributes["package.osVersion"] == "12")
        #expect(record.attributes["elf.soname"] == "libnoted.so.1")
        #expect(record.sha256 != nil)
    }

    @Test("a rescan of an unchanged tree reads no file contents; a changed file is read again")
    func incrementalRescan() throws {
        let tree = try Tree()
        let cache = tree.directory.url.appendingPathComponent("state").path
        let plan = kasperskyPlan(digests: [try sha256Hex(ofFile: tree.binaries.plain)])
        let collector = FileWalkCollector()
        // Readable by root only: an unprivileged rescan below can stat them but not open them.
        // (Set now: chmod changes the change time, which is part of a file's identity.)
        for path in ["opt/kaspersky/kesl/bin/kesl-control", "home/user/.local/bin/update-helper"] { chmod(tree.root + "/" + path, 0o700) }
        let cold = collector.run(try context(root: tree.root, plan: plan, cache: cache))
        // Every file once, plus the recorded text file `klnagent`, hashed only once it was recorded
        // (with digests in the plan, ELF files, scripts and executables are hashed while read).
        #expect(cold.statistics.filesRead == 8 + 1)
        #expect(cold.statistics.cacheHits == 0)

        let warm = collector.run(try context(root: tree.root, plan: plan, cache: cache))
        #expect(warm.statistics.filesRead == 0)
        #expect(warm.statistics.bytesRead == 0)
        #expect(warm.statistics.cacheHits == 8)
        #expect(warm.output.inventory.files == cold.output.inventory.files)
        #expect(warm.output.inventory.issues.isEmpty)

        // Proof that nothing is opened: as a user who cannot open the two agents, the rescan
        // still reports them, from the cache, and opens nothing.
        chmod(cache, 0o755)
        chmod(FileWalkCache.fileURL(directory: cache, root: tree.root).path, 0o644)
        let unprivileged = HostileFiles.asUnprivilegedFileUser { [root = tree.root] () -> (Int, [String]) in
            guard let again = try? collector.run(context(root: root, plan: plan, cache: cache)) else { return (-1, []) }
            return (again.statistics.filesRead, again.output.inventory.files.map(\.path))
        }
        let (readAsNobody, foundAsNobody) = try #require(unprivileged)
        #expect(readAsNobody == 0)
        #expect(foundAsNobody == cold.output.inventory.files.map(\.path))
        // Without the cache the same user cannot read them: the cache, not luck, answered above.
        let uncached = HostileFiles.asUnprivilegedFileUser { [root = tree.root] () -> [String] in
            guard let again = try? collector.run(context(root: root, plan: plan)) else { return [] }
            return again.output.inventory.issues.filter { $0.code == "fs.permission-denied" }.compactMap(\.location.path).sorted()
        }
        #expect(uncached == ["/home/user/.local/bin/update-helper", "/opt/kaspersky/kesl/bin/kesl-control"])

        // Appending to one file changes its size and times: only that file is read again.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tree.root + "/root/notes.txt"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("more\n".utf8))
        try handle.close()
        let changed = collector.run(try context(root: tree.root, plan: plan, cache: cache))
        #expect(changed.statistics.filesRead == 1)
        #expect(changed.statistics.cacheHits == 7)

        // Other markers: the cached answers do not apply, everything is read again.
        let other = collector.run(try context(root: tree.root, plan: ScanPlan(markers: ["klnagent64"]), cache: cache))
        #expect(other.statistics.cacheHits == 0)
        #expect(other.output.inventory.issues.isEmpty)
    }

    @Test("a corrupt cache is ignored with a warning and rewritten")
    func corruptCache() throws {
        let tree = try Tree()
        let cache = tree.directory.url.appendingPathComponent("state").path
        let plan = kasperskyPlan()
        let collector = FileWalkCollector()
        _ = collector.run(try context(root: tree.root, plan: plan, cache: cache))
        let file = FileWalkCache.fileURL(directory: cache, root: tree.root)
        var bytes = Array(try Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: file)
        let damaged = collector.run(try context(root: tree.root, plan: plan, cache: cache))
        #expect(damaged.output.inventory.issues.map(\.code) == ["file-walk.cache-corrupt"])
        #expect(damaged.output.inventory.issues.first?.severity == .warning)
        #expect(damaged.statistics.cacheHits == 0)
        #expect(damaged.output.inventory.files.count == 5)
        let repaired = collector.run(try context(root: tree.root, plan: plan, cache: cache))
        #expect(repaired.statistics.filesRead == 0)
        #expect(repaired.output.inventory.issues.isEmpty)
        for garbage in [[UInt8](), Array("EMBWALK\0".utf8), [UInt8](repeating: 0x41, count: 200)] {
            try Data(garbage).write(to: file)
            let result = collector.run(try context(root: tree.root, plan: plan, cache: cache))
            #expect(result.output.inventory.issues.map(\.code) == ["file-walk.cache-corrupt"])
        }
    }

    @Test("a cache directory that cannot be created: the scan completes and the warning names the directory and why")
    func unwritableCacheDirectory() throws {
        let tree = try Tree()
        // A regular file where a directory of the cache path should be.
        try tree.directory.write("state-file", "not a directory")
        let cache = tree.directory.url.appendingPathComponent("state-file/embargo").path
        let result = FileWalkCollector().run(try context(root: tree.root, plan: kasperskyPlan(), cache: cache))
        #expect(result.output.inventory.files.count == 5)
        let issue = try #require(result.output.inventory.issues.first)
        #expect(result.output.inventory.issues.count == 1)
        #expect(issue.code == "file-walk.cache-not-saved")
        #expect(issue.severity == .warning)
        #expect(issue.message == "cannot create the directory \(tree.directory.path)/state-file: Not a directory")
    }

    @Test("cache encoding round-trips and rejects every truncation")
    func cacheEncoding() {
        var cache = FileWalkCache()
        let identity = FileIdentity(
            device: 0xFE01, inode: 42, size: 1 << 33, modificationSeconds: -5, modificationNanoseconds: 999_999_999,
            changeSeconds: 1_700_000_000, changeNanoseconds: 1)
        cache.entries[identity] = FileFacts(
            content: .elf, attributes: ["elf.class": "ELF64", "package.name": "kesl", "ünïcode": "välue"], markers: ["kesl"],
            sha256: String(repeating: "ab", count: 32), hasPackageNote: true)
        cache.entries[FileIdentity(device: 1, inode: 2, size: 0, modificationSeconds: 0, modificationNanoseconds: 0, changeSeconds: 0, changeNanoseconds: 0)] = .other
        let fingerprint = FileWalkCache.fingerprint(["a", "b"])
        let bytes = cache.encode(fingerprint: fingerprint)
        guard case .loaded(let decoded) = FileWalkCache.decode(bytes, fingerprint: fingerprint) else {
            Issue.record("did not decode")
            return
        }
        #expect(decoded.entries == cache.entries)
        guard case .stale = FileWalkCache.decode(bytes, fingerprint: FileWalkCache.fingerprint(["a"])) else {
            Issue.record("another fingerprint must read as stale")
            return
        }
        for length in 0..<bytes.count {
            if case .loaded = FileWalkCache.decode(Array(bytes.prefix(length)), fingerprint: fingerprint) {
                Issue.record("a cache cut at \(length) bytes was accepted")
            }
        }
    }

    @Test("a file that vanishes or shrinks during the scan is reported and the scan goes on")
    func churn() throws {
        let tree = try Tree()
        for name in ["a", "b", "c", "d", "e", "f"] { try tree.directory.write("srv/churn/\(name)", "#!/bin/sh\necho \(name)\n") }
        let big = "#!/bin/sh\n" + String(repeating: "echo filler\n", count: 200_000) + "kesl-control\n"
        try tree.directory.write("srv/shrinking/run.sh", big)
        let root = tree.root
        var collector = FileWalkCollector()
        collector.onFileOpened = { path in
            if path.hasPrefix("/srv/churn/") {
                // The first file read removes its siblings, which the listing already named.
                for name in ["a", "b", "c", "d", "e", "f"] where "/srv/churn/\(name)" != path {
                    unlink(root + "/srv/churn/\(name)")
                }
            } else if path == "/srv/shrinking/run.sh" {
                truncate(root + path, 100)
            }
        }
        let (output, _) = collector.run(try context(root: tree.root, plan: kasperskyPlan()))
        let issues = output.inventory.issues
        let vanished = issues.filter { $0.code == "fs.vanished" }
        #expect(vanished.count == 5)
        #expect(vanished.allSatisfy { $0.severity == .warning && $0.location.path?.hasPrefix("/srv/churn/") == true })
        let shrunk = issues.filter { $0.code == "file-walk.shrunk-during-read" }
        #expect(shrunk.map(\.location.path) == ["/srv/shrinking/run.sh"])
        #expect(issues.contains { $0.code == "file-walk.changed-during-read" && $0.location.path == "/srv/shrinking/run.sh" })
        // The rest of the tree was still scanned.
        #expect(output.inventory.files.contains { $0.path == "/opt/kaspersky/kesl/bin/kesl-control" })
    }

    @Test("walk paths, exclusions by path and by name pattern")
    func exclusions() throws {
        let tree = try Tree()
        var options = CollectionOptions(walkPaths: ["/opt", "/home"], walkExclusions: ["/opt/scripts", "*.AppImage", "/home/*/.local", "[bad"])
        options.cacheDirectory = nil
        let context = CollectionContext(fileSystem: try RootFileSystem(root: tree.root), plan: kasperskyPlan(), options: options)
        let (output, _) = FileWalkCollector().run(context)
        #expect(output.inventory.files.map(\.path) == ["/opt/kaspersky/kesl/bin/kesl-control"])
        #expect(output.inventory.issues.map(\.code) == ["file-walk.bad-exclusion"])
    }

    @Test("runs inside the scanner, on a thread of its own, with the other default collectors")
    func insideScanner() async throws {
        let tree = try Tree()
        #expect(InventoryScanner.defaultCollectors.contains { $0.name == "file-walk" })
        #expect(InventoryScanner.defaultCollectors.contains { $0.name == "kernel-modules" })
        let inventory = await InventoryScanner().scan(try context(root: tree.root, plan: kasperskyPlan()))
        #expect(inventory.files.filter { $0.foundBy == "file-walk" }.map(\.path).contains("/home/user/.local/bin/update-helper"))
    }

    @Test("a kernel module found by the walk carries its .modinfo")
    func kernelModuleInWalk() throws {
        let tree = try Tree()
        // A module built on the host and left in the product's tree, under a name the plan knows.
        try tree.directory.copy(ProjectPaths.sharedFixture("osv-scalibr/kernel-module-valid/valid"), to: "var/opt/kaspersky/kesl/kav4fs_oas.ko")
        let plan = ScanPlan(fileNames: ["kav4fs_oas.ko"])
        let (output, _) = FileWalkCollector().run(try context(root: tree.root, plan: plan, walkPaths: ["/var/opt"]))
        let record = try #require(output.inventory.files.first)
        #expect(output.inventory.files.count == 1)
        #expect(record.attributes["elf.type"] == "REL")
        #expect(record.attributes["kmod.name"] == "intel_oaktrail")
        #expect(record.attributes["kmod.vermagic"] == "6.5.0-45-generic SMP preempt mod_unload modversions")
        #expect(record.attributes["kmod.srcversion"] == "69B4F4432F52708A284377E")
    }

    @Test("problems with single files are listed up to a cap, then counted")
    func issueCap() throws {
        let tree = try Tree()
        for index in 0..<30 { try tree.directory.write("srv/broken/\(index).so", Data([0x7F, 0x45, 0x4C, 0x46, 2, 1])) }
        let collector = FileWalkCollector(limits: FileWalkLimits(maximumFileIssues: 10))
        let (output, _) = collector.run(try context(root: tree.root, plan: kasperskyPlan(), walkPaths: ["/srv"]))
        let issues = output.inventory.issues
        #expect(issues.filter { $0.code == "elf.truncated" }.count == 10)
        #expect(issues.filter { $0.code == "file-walk.issues-truncated" }.map(\.message) == [
            "20 more problems with single files were not listed (the first 10 are)"
        ])
    }
}
