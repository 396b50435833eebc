import Foundation
import Testing
import TestSupport

@testable import EmbargoFileSystem

#if canImport(Glibc)
import Glibc
#endif

/// Collects what a walk visits, for assertions.
struct WalkResult {
    var paths: [String] = []
    var rawPaths: [[UInt8]] = []
    var report = WalkReport()

    var problemCodes: [String] { report.problems.map(\.code) }

    func problems(_ code: String) -> [WalkProblem] { report.problems.filter { $0.code == code } }
}

func walk(
    _ root: String, starts: [String], configure: (inout FileTreeWalker.Configuration) -> Void = { _ in },
    visit: (borrowing WalkedFile) -> Void = { _ in }
) throws -> WalkResult {
    var configuration = FileTreeWalker.Configuration(startingDirectories: starts)
    configure(&configuration)
    let walker = FileTreeWalker(fileSystem: try RootFileSystem(root: root), configuration: configuration)
    var result = WalkResult()
    result.report = walker.walk { file in
        result.paths.append(file.path)
        result.rawPaths.append(file.rawPath)
        visit(file)
    }
    result.paths.sort()
    return result
}


@Suite("File tree walker")
struct FileTreeWalkerTests {
    @Test("visits every regular file once, never follows links")
    func basicWalk() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.write("opt/vendor/bin/tool", "x")
        try directory.write("opt/vendor/lib/libx.so", "y")
        try directory.write("opt/top", "z")
        try directory.write("home/user/app.AppImage", "a")
        try directory.symlink("opt/vendor/root-link", to: "/")
        try directory.symlink("opt/vendor/loop", to: "loop")
        try directory.symlink("opt/vendor/up", to: "..")
        try directory.symlink("opt/vendor/escape", to: "../../../../../../")
        let result = try walk(directory.path, starts: ["/opt", "/home", "/missing"])
        #expect(result.paths == ["/home/user/app.AppImage", "/opt/top", "/opt/vendor/bin/tool", "/opt/vendor/lib/libx.so"])
        #expect(result.report.statistics.symbolicLinks == 4)
        #expect(result.report.statistics.regularFiles == 4)
        #expect(result.report.walkedStarts.map(\.path) == ["/opt", "/home"])
        #expect(result.report.walkedStarts.map(\.regularFiles) == [3, 1])
        #expect(result.report.problems.isEmpty)
    }

    @Test("a starting directory that is a link is resolved inside the root; nested starts are walked once")
    func startsResolvedAndDeduplicated() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.write("var/home/user/file", "x")
        try directory.write("var/opt/vendor/file", "y")
        try directory.symlink("home", to: "/var/home")
        let result = try walk(directory.path, starts: ["/home", "/var", "/var/opt", "/home/"])
        #expect(result.paths == ["/var/home/user/file", "/var/opt/vendor/file"])
        #expect(result.report.walkedStarts.map(\.path) == ["/var/home", "/var", "/var/opt"])
        #expect(result.report.walkedStarts.map(\.regularFiles) == [1, 0, 1])
    }

    @Test("names that are not UTF-8 are kept as bytes and shown escaped")
    func rawNames() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.makeDirectory("opt")
        let name: [UInt8] = [0x6B, 0xFF, 0x65, 0x73, 0x6C, 0x0A, 0xC3]  // "k\xFFesl\n\xC3"
        try HostileFiles.file(in: directory.path + "/opt", rawName: name, contents: Array("payload".utf8))
        var contents: [UInt8] = []
        let result = try walk(directory.path, starts: ["/opt"], visit: { file in
            let exact = file.hasExactPath
            #expect(!exact)
            if let status = try? file.status(), let opened = try? file.open(expected: status) {
                contents = (try? opened.read(at: 0, count: 100)) ?? []
            }
        })
        #expect(result.rawPaths == [Array("/opt/".utf8) + name])
        #expect(result.paths == ["/opt/k\\xFFesl\n\\xC3"])
        #expect(contents == Array("payload".utf8))
    }

    @Test("FIFOs, sockets and devices are reported and never opened")
    func specialFiles() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.write("srv/regular", "x")
        try HostileFiles.fifo(directory.path + "/srv/fifo")
        try HostileFiles.socket(directory.path + "/srv/sock")
        let haveDevice = HostileFiles.zeroDevice(directory.path + "/srv/zero")
        let result = try walk(directory.path, starts: ["/srv"])
        #expect(result.paths == ["/srv/regular"])
        #expect(result.report.statistics.specialFiles == (haveDevice ? 3 : 2))
        let special = result.problems("walk.special-file")
        #expect(Set(special.map(\.path)) == Set(["/srv/fifo", "/srv/sock"] + (haveDevice ? ["/srv/zero"] : [])))
        #expect(special.allSatisfy { $0.impact == .notable })
    }

    @Test("open refuses a file that became a FIFO after the listing")
    func swappedForFIFO() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.write("srv/file", "x")
        var refused: FileSystemError?
        _ = try walk(directory.path, starts: ["/srv"], visit: { file in
            guard let status = try? file.status() else { return }
            unlink(directory.path + "/srv/file")
            try? HostileFiles.fifo(directory.path + "/srv/file")
            do throws(FileSystemError) {
                _ = try file.open(expected: status)
            } catch {
                refused = error
            }
        })
        // The fstatat before opening sees a FIFO or another inode: either way it is not opened.
        let code = try #require(refused).code
        #expect(code == "fs.not-regular-file" || code == "fs.vanished")
    }

    @Test("depth is capped and reported")
    func depthLimit() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        let deep = (1...12).map { "d\($0)" }.joined(separator: "/")
        try directory.write("opt/\(deep)/file", "x")
        try directory.write("opt/d1/d2/shallow", "y")
        let result = try walk(directory.path, starts: ["/opt"]) { $0.maximumDepth = 5 }
        #expect(result.paths == ["/opt/d1/d2/shallow"])
        let problems = result.problems("walk.depth-limit")
        #expect(problems.map(\.path) == ["/opt/d1/d2/d3/d4/d5/d6"])
        #expect(problems.first?.impact == .coverageLost)
        #expect(result.report.statistics.depthLimited == 1)
    }

    @Test("the entry cap stops the walk and says so")
    func entryLimit() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        for index in 0..<100 { try directory.write("opt/f\(index)", "x") }
        let result = try walk(directory.path, starts: ["/opt"]) { $0.maximumEntries = 40 }
        #expect(result.paths.count == 40)
        #expect(result.report.truncated)
        #expect(result.problemCodes == ["walk.entry-limit"])
    }

    @Test("exclusions by exact path and by pattern")
    func exclusions() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.write("opt/keep/file", "x")
        try directory.write("opt/skip/file", "x")
        try directory.write("opt/keep/skip.iso", "x")
        try directory.write("opt/keep/cache/file", "x")
        let result = try walk(directory.path, starts: ["/opt"]) { configuration in
            configuration.excludedPaths = ["/opt/skip/"]
            configuration.excludedByPattern = { $0.hasSuffix(".iso") || $0.hasSuffix("/cache") }
        }
        #expect(result.paths == ["/opt/keep/file"])
        #expect(result.report.statistics.excluded == 3)
    }

    @Test("a directory removed mid-walk is reported as vanished and the walk goes on")
    func vanishingDirectories() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        for index in 1...9 { try directory.write("srv/s\(index)/file", "x") }
        var removed = false
        let result = try walk(directory.path, starts: ["/srv"], visit: { _ in
            guard !removed else { return }
            removed = true
            for index in 1...9 { try? FileManager.default.removeItem(atPath: directory.path + "/srv/s\(index)") }
        })
        let vanished = result.problems("fs.vanished")
        #expect(result.paths.count == 1)
        #expect(vanished.count >= 1 && vanished.count <= 8)
        #expect(vanished.allSatisfy { $0.path.hasPrefix("/srv/s") })
    }

    @Test("an unreadable directory is reported (checked as an unprivileged file user, also under root)")
    func permissionDenied() throws {
        let directory = try TemporaryDirectory(prefix: "embargo-walk")
        try directory.write("srv/open/file", "x")
        try directory.write("srv/locked/secret", "x")
        chmod(directory.path + "/srv/locked", 0)
        let root = directory.path
        let outcome = HostileFiles.asUnprivilegedFileUser { () -> [String] in
            guard let result = try? walk(root, starts: ["/srv"]) else { return ["walk failed"] }
            return result.paths + result.report.problems.map { "\($0.code) \($0.path) \($0.impact)" }
        }
        let lines = try #require(outcome)
        #expect(lines == ["/srv/open/file", "fs.permission-denied /srv/locked coverageLost"])
    }

    @Test("other file systems are not entered; pseudo file systems never", .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/mountinfo")))
    func mountBoundaries() throws {
        let table = MountTable.current()
        var info = stat()
        #expect(stat("/proc", &info) == 0)
        #expect(table.type(ofDevice: UInt64(info.st_dev)) == "proc")
        let stayed = try walk("/", starts: ["/"]) { $0.maximumDepth = 0 }
        #expect(stayed.problems("walk.other-file-system").map(\.path).contains("/proc"))
        let crossed = try walk("/", starts: ["/"]) {
            $0.maximumDepth = 1
            $0.crossFileSystems = true
            $0.maximumEntries = 200_000
        }
        #expect(crossed.problems("walk.skipped-file-system").map(\.path).contains("/proc"))
        #expect(!crossed.paths.contains { $0.hasPrefix("/proc/") })
        let started = try walk("/", starts: ["/proc"])
        #expect(started.paths.isEmpty)
        #expect(started.problemCodes == ["walk.skipped-file-system"])
    }

    @Test("mountinfo parsing and device numbers")
    func mountinfoParsing() {
        let text = """
            22 27 0:21 / /proc rw,relatime - proc proc rw
            27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:5 master:1 - cgroup cgroup rw,name=systemd
            99 27 0:99 / /mnt/share\\040x rw - nfs4 server:/export rw
            300 27 259:1048577 / /big rw - xfs /dev/nvme rw
            garbage line
            """
        let table = MountTable.parse(mountinfo: Array(text.utf8))
        #expect(table.type(ofDevice: MountTable.makeDevice(major: 0, minor: 21)) == "proc")
        #expect(table.type(ofDevice: MountTable.makeDevice(major: 254, minor: 0)) == "ext4")
        #expect(table.type(ofDevice: MountTable.makeDevice(major: 0, minor: 37)) == "cgroup")
        #expect(table.type(ofDevice: MountTable.makeDevice(major: 0, minor: 99)) == "nfs4")
        #expect(table.type(ofDevice: MountTable.makeDevice(major: 259, minor: 1_048_577)) == "xfs")
        #expect(table.types.count == 5)
        #expect(MountTable.makeDevice(major: 254, minor: 0) == 0xFE00)
        let filter = FileSystemTypeFilter.standard
        for skipped in ["proc", "sysfs", "cgroup2", "nfs4", "nfs", "cifs", "fuse.sshfs", "fuse", "autofs", "9p"] {
            #expect(filter.skips(skipped), "\(skipped)")
        }
        for walked in ["ext4", "xfs", "btrfs", "overlay", "tmpfs", "fuseblk", "squashfs", "vfat"] {
            #expect(!filter.skips(walked), "\(walked)")
        }
    }
}
