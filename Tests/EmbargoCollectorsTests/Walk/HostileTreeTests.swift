import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

#if canImport(Glibc)
import Glibc
#endif

/// One tree with everything a hostile or merely busy system offers, and a Kaspersky stand-in
/// planted in it twice: the scan must end in bounded time, report each problem, and still find it.
@Suite("Hostile tree", .enabled(if: PlantedBinaries.compilerAvailable))
struct HostileTreeTests {
    static let fileCount = 20_000
    static let nesting = 500
    static let readCap: Int64 = 16 << 20
    /// Generous for a debug build on two shared cores; the real figure is printed and is seconds.
    static let timeBound: Duration = .seconds(180)

    struct Tree {
        let directory: ScratchDirectory
        let build: TemporaryDirectory
        let binaries: PlantedBinaries
        let madeDevice: Bool
        var root: String { directory.path }
        /// The non-UTF-8 name of the second renamed copy's directory and file.
        static let rawDirectory: [UInt8] = [0xFF, 0xFE, 0x64]
        static let rawFile: [UInt8] = [0x80, 0x61, 0x67, 0x65, 0x6E, 0x74]

        init() throws {
            directory = try ScratchDirectory(prefix: "embargo-hostile")
            build = try TemporaryDirectory(prefix: "embargo-hostile-build")
            binaries = try PlantedBinaries(in: build)
            let root = directory.path
            // The planted agent, and the same bytes under an innocuous name elsewhere.
            try directory.copy(URL(fileURLWithPath: binaries.kaspersky), to: "opt/kaspersky/kesl/bin/kesl-control")
            try directory.copy(URL(fileURLWithPath: binaries.kaspersky), to: "home/user/.cache/thumbnails/libthumb.so")
            try directory.copy(URL(fileURLWithPath: binaries.goLike), to: "opt/tools/go-tool")
            // Links: a loop, a pair, a link to "/", links climbing out.
            try directory.symlink("opt/hostile/loop", to: "loop")
            try directory.symlink("opt/hostile/ping", to: "pong")
            try directory.symlink("opt/hostile/pong", to: "ping")
            try directory.symlink("opt/hostile/slash", to: "/")
            try directory.symlink("opt/hostile/up", to: "../../../../../..")
            // Special files.
            try HostileFiles.fifo(root + "/opt/hostile/fifo")
            try HostileFiles.socket(root + "/opt/hostile/socket")
            madeDevice = getuid() == 0 && HostileFiles.zeroDevice(root + "/opt/hostile/zero")
            // A directory nobody but root may read.
            try directory.write("opt/hostile/locked/inside", "x")
            chmod(root + "/opt/hostile/locked", 0)
            // Twenty thousand files.
            for group in 0..<(Self.fileCountPerGroup.count) {
                let folder = root + "/opt/many/g\(group)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for index in 0..<Self.fileCountPerGroup[group] {
                    let descriptor = open(folder + "/f\(index)", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                    if descriptor >= 0 {
                        _ = write(descriptor, "data\n", 5)
                        close(descriptor)
                    }
                }
            }
            // Nesting far deeper than the depth cap, with a file at the bottom.
            let deep = Array(repeating: "n", count: HostileTreeTests.nesting).joined(separator: "/")
            try directory.write("opt/deep/\(deep)/bottom", "x")
            // Sparse 4 GiB files: zeros, and the agent followed by a 4 GiB hole.
            try directory.makeDirectory("opt/sparse")
            try HostileFiles.sparse(root + "/opt/sparse/zeros.img", size: 4 << 30)
            try directory.copy(URL(fileURLWithPath: binaries.kaspersky), to: "opt/sparse/huge-agent")
            try HostileFiles.sparse(root + "/opt/sparse/huge-agent", size: 4 << 30)
            // Names that are not UTF-8, holding another renamed copy.
            let directoryPath = Array((root + "/home/").utf8) + Self.rawDirectory + [0]
            _ = directoryPath.withUnsafeBufferPointer {
                $0.baseAddress!.withMemoryRebound(to: CChar.self, capacity: $0.count) { mkdir($0, 0o755) }
            }
            try writeRaw(directory: Array((root + "/home/").utf8) + Self.rawDirectory, name: Self.rawFile, from: binaries.kaspersky)
            // A file that claims to be ELF and ends inside its header.
            try directory.write("opt/hostile/broken.so", Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]))
            // Files that vanish, and one that shrinks, while the scan runs (see the hook).
            for name in ["a", "b", "c", "d", "e"] { try directory.write("opt/churn/\(name)", "#!/bin/sh\necho \(name)\n") }
            try directory.write("opt/shrink/run.sh", "#!/bin/sh\n" + String(repeating: "echo filler\n", count: 100_000))
        }

        static let fileCountPerGroup: [Int] = Array(repeating: HostileTreeTests.fileCount / 50, count: 50)

        private func writeRaw(directory: [UInt8], name: [UInt8], from source: String) throws {
            let contents = Array(try Data(contentsOf: URL(fileURLWithPath: source)))
            let path = directory + [UInt8(ascii: "/")] + name + [0]
            let descriptor = path.withUnsafeBufferPointer {
                $0.baseAddress!.withMemoryRebound(to: CChar.self, capacity: $0.count) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o755) }
            }
            guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
            defer { close(descriptor) }
            _ = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        }
    }

    static func collector(churnIn root: String?) -> FileWalkCollector {
        var collector = FileWalkCollector(limits: FileWalkLimits(maximumBytesPerFile: readCap))
        if let root {
            collector.onFileOpened = { path in
                if path.hasPrefix("/opt/churn/") {
                    for name in ["a", "b", "c", "d", "e"] where "/opt/churn/\(name)" != path { unlink(root + "/opt/churn/\(name)") }
                } else if path == "/opt/shrink/run.sh" {
                    truncate(root + path, 64)
                }
            }
        }
        return collector
    }

    @Test("bounded time, every problem reported, the planted agent found, also as an unprivileged user")
    func hostileTree() throws {
        let tree = try Tree()
        let agentDigest = try sha256Hex(ofFile: tree.binaries.kaspersky)
        let plan = kasperskyPlan(digests: [agentDigest])
        let context = try context(root: tree.root, plan: plan, walkPaths: ["/opt", "/home"])
        let clock = ContinuousClock()
        var result: (output: CollectorOutput, statistics: FileWalkStatistics)?
        let elapsed = clock.measure { result = Self.collector(churnIn: tree.root).run(context) }
        let (output, statistics) = try #require(result)
        print("hostile tree: \(statistics.walk.entries) entries, \(statistics.filesRead) files read, \(statistics.bytesRead) bytes, in \(elapsed)")
        #expect(elapsed < Self.timeBound)

        // Found: the agent, its renamed copies (one under a name that is not UTF-8) and the sparse giant.
        let rawPath = "/home/" + displayName(of: Tree.rawDirectory) + "/" + displayName(of: Tree.rawFile)
        let found = Dictionary(uniqueKeysWithValues: output.inventory.files.map { ($0.path, $0) })
        #expect(
            Set(found.keys) == [
                "/opt/kaspersky/kesl/bin/kesl-control", "/home/user/.cache/thumbnails/libthumb.so", rawPath, "/opt/sparse/huge-agent",
            ])
        for path in ["/opt/kaspersky/kesl/bin/kesl-control", "/home/user/.cache/thumbnails/libthumb.so", rawPath] {
            let record = try #require(found[path])
            #expect(record.markers == ["kesl", "kesl-control"])
            #expect(record.sha256 == agentDigest)
            #expect(record.attributes["matched.sha256"] == "true")
        }
        #expect(found[rawPath]?.attributes["path.bytes"] == hex(Array("/home/".utf8) + Tree.rawDirectory + [0x2F] + Tree.rawFile))
        #expect(found["/opt/sparse/huge-agent"]?.markers == ["kesl", "kesl-control"])
        #expect(found["/opt/sparse/huge-agent"]?.sha256 == nil)  // over the read cap: not hashed
        #expect(found["/opt/tools/go-tool"] == nil)

        // Reported, each where it happened.
        let issues = output.inventory.issues
        func paths(_ code: String) -> [String] { issues.filter { $0.code == code }.compactMap(\.location.path).sorted() }
        let depthPath = "/opt/deep/" + Array(repeating: "n", count: 64).joined(separator: "/")
        #expect(paths("file-walk.depth-limit") == [depthPath])
        #expect(
            paths("file-walk.special-file")
                == (["/opt/hostile/fifo", "/opt/hostile/socket"] + (tree.madeDevice ? ["/opt/hostile/zero"] : [])).sorted())
        #expect(paths("fs.vanished").count == 4)
        #expect(paths("fs.vanished").allSatisfy { $0.hasPrefix("/opt/churn/") })
        #expect(paths("file-walk.shrunk-during-read") == ["/opt/shrink/run.sh"])
        #expect(paths("file-walk.changed-during-read") == ["/opt/shrink/run.sh"])
        #expect(paths("elf.truncated") == ["/opt/hostile/broken.so"])
        #expect(paths("file-walk.read-limit") == ["/opt/sparse/huge-agent"])
        let expectedCodes: Set<String> = [
            "file-walk.depth-limit", "file-walk.special-file", "fs.vanished", "file-walk.shrunk-during-read",
            "file-walk.changed-during-read", "elf.truncated", "file-walk.read-limit",
        ]
        #expect(Set(issues.map(\.code)) == expectedCodes, "\(issues)")
        #expect(issues.filter { $0.severity == .error }.map(\.code) == ["file-walk.depth-limit"])

        // Counted, and bounded: the sparse zeros cost one small read, the giant the read cap.
        #expect(statistics.walk.regularFiles >= Self.fileCount)
        #expect(statistics.walk.symbolicLinks == 5)
        #expect(statistics.walk.specialFiles == (tree.madeDevice ? 3 : 2))
        #expect(statistics.bytesRead < 3 * Self.readCap)

        // The same tree as a user who may not read everything (the tests may run as root, which
        // reads anything): the locked directory is reported, the agent is still found.
        let root = tree.root
        let outcome = HostileFiles.asUnprivilegedFileUser { () -> ([String], [String])? in
            guard let context = try? HostileTreeTests.unprivilegedContext(root: root) else { return nil }
            let (output, _) = Self.collector(churnIn: nil).run(context)
            return (
                output.inventory.files.map(\.path),
                output.inventory.issues.filter { $0.code == "fs.permission-denied" }.compactMap(\.location.path)
            )
        }
        let unwrapped = try #require(outcome)
        let (files, denied) = try #require(unwrapped)
        #expect(denied == ["/opt/hostile/locked"])
        #expect(files.contains("/opt/kaspersky/kesl/bin/kesl-control"))
        #expect(files.contains("/home/user/.cache/thumbnails/libthumb.so"))
        #expect(files.contains(rawPath))
    }

    static func unprivilegedContext(root: String) throws -> CollectionContext {
        CollectionContext(
            fileSystem: try RootFileSystem(root: root), plan: kasperskyPlan(), options: CollectionOptions(walkPaths: ["/opt", "/home"]))
    }
}
