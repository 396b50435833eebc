import EmbargoFileSystem
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The one layer every collector reads through: symlinks stay inside the root, only regular files
/// are opened, reads are bounded, every error names its path.
@Suite("root file system")
struct RootFileSystemTests {
    @Test("an absolute symlink inside the root resolves inside the root, never to the host file")
    func absoluteSymlinkStaysInside() throws {
        let root = try TemporaryDirectory()
        try root.write("etc/passwd", "root-of-the-image\n")
        try root.symlink("var/link", to: "/etc/passwd")
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(try fileSystem.resolve("/var/link") == "/etc/passwd")
        #expect(String(decoding: try fileSystem.readFile("/var/link"), as: UTF8.self) == "root-of-the-image\n")
    }

    @Test("'..' cannot climb above the root, in a path or in a link target")
    func dotDotCannotEscape() throws {
        let root = try TemporaryDirectory()
        try root.write("etc/hostname", "inside\n")
        try root.symlink("opt/escape", to: "../../../../../../etc/hostname")
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(try fileSystem.resolve("/../../etc/hostname") == "/etc/hostname")
        #expect(try fileSystem.resolve("/opt/escape") == "/etc/hostname")
        #expect(String(decoding: try fileSystem.readFile("/opt/escape"), as: UTF8.self) == "inside\n")
    }

    @Test("a symlink loop is an error naming the path, not a hang")
    func symlinkLoop() throws {
        let root = try TemporaryDirectory()
        try root.symlink("a", to: "b")
        try root.symlink("b", to: "a")
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(throws: FileSystemError.symlinkLoop(path: "/a/file")) { try fileSystem.resolve("/a/file") }
    }

    @Test("a FIFO is refused without being opened (opening it would block)")
    func fifoIsNeverOpened() throws {
        let root = try TemporaryDirectory()
        try root.makeDirectory("var/lib/dpkg")
        #expect(mkfifo(root.path + "/var/lib/dpkg/status", 0o644) == 0)
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(throws: FileSystemError.notRegularFile(path: "/var/lib/dpkg/status", kind: .fifo)) {
            try fileSystem.readFile("/var/lib/dpkg/status")
        }
    }

    @Test("a directory or device where a file is expected is refused with its kind")
    func notRegular() throws {
        let root = try TemporaryDirectory()
        try root.makeDirectory("dir")
        try root.symlink("null", to: "/dev/null")
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(throws: FileSystemError.notRegularFile(path: "/dir", kind: .directory)) { try fileSystem.readFile("/dir") }
        // /dev/null inside an empty root does not exist: the link resolves inside the root.
        #expect(throws: FileSystemError.notFound(path: "/null")) { try fileSystem.readFile("/null") }
        let live = try RootFileSystem(root: "/")
        #expect(throws: FileSystemError.notRegularFile(path: "/dev/null", kind: .characterDevice)) { try live.readFile("/dev/null") }
    }

    @Test("reads are bounded: a file over the limit is an error, a prefix read stops at the cap")
    func boundedReads() throws {
        let root = try TemporaryDirectory()
        try root.write("big", String(repeating: "x", count: 10_000))
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(throws: FileSystemError.tooLarge(path: "/big", size: 10_000, limit: 1000)) { try fileSystem.readFile("/big", limit: 1000) }
        #expect(try fileSystem.readPrefix("/big", maximumBytes: 16).count == 16)
    }

    @Test("usr-merged roots: /lib and /usr/lib name the same file")
    func usrMerge() throws {
        let root = try TemporaryDirectory()
        try root.write("usr/lib/systemd/system/x.service", "[Unit]\n")
        try root.symlink("lib", to: "usr/lib")
        try root.symlink("bin", to: "usr/bin")
        try root.makeDirectory("sbin")
        let fileSystem = try RootFileSystem(root: root.path)
        #expect(fileSystem.usrMerge.canonical("/lib/systemd/system/x.service") == "/usr/lib/systemd/system/x.service")
        #expect(fileSystem.usrMerge.canonical("/bin/ls") == "/usr/bin/ls")
        #expect(fileSystem.usrMerge.canonical("/sbin/init") == "/sbin/init")
        #expect(fileSystem.usrMerge.canonical("/library/x") == "/library/x")
        #expect(try fileSystem.resolve("/lib/systemd/system/x.service") == "/usr/lib/systemd/system/x.service")
    }

    @Test("directory listings keep names that are not UTF-8, exactly, and display them escaped")
    func invalidUTF8Names() throws {
        let root = try TemporaryDirectory()
        let raw: [UInt8] = Array("bad-".utf8) + [0xFF, 0xFE] + Array(".bin".utf8)
        let path = root.path + "/" + String(decoding: raw, as: UTF8.self)
        _ = path
        let hostPath = Array(root.path.utf8) + [0x2F] + raw + [0]
        let descriptor = hostPath.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(descriptor >= 0)
        close(descriptor)
        let fileSystem = try RootFileSystem(root: root.path)
        let entries = try fileSystem.contentsOfDirectory("/")
        let entry = try #require(entries.first)
        #expect(entry.rawName == raw)
        #expect(!entry.hasExactName)
        #expect(entry.name == "bad-\\xFF\\xFE.bin")
    }

    @Test("gzip: concatenated members decompress; corrupt and oversized data are typed errors")
    func gzip() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.write("a", "first\n")
        let second = try directory.write("b", "second\n")
        try Command.check("gzip", [first.path, second.path])
        let joined = try Data(contentsOf: directory.url.appendingPathComponent("a.gz")) + Data(contentsOf: directory.url.appendingPathComponent("b.gz"))
        #expect(String(decoding: try GzipDecoder.decompress([UInt8](joined)), as: UTF8.self) == "first\nsecond\n")
        var corrupt = [UInt8](joined)
        corrupt[12] ^= 0xFF
        #expect(throws: GzipError.self) { try GzipDecoder.decompress(corrupt) }
        #expect(throws: GzipError.tooLarge(limit: 3)) { try GzipDecoder.decompress([UInt8](joined), limit: 3) }
        #expect(throws: GzipError.self) { try GzipDecoder.decompress(Array([UInt8](joined).prefix(10))) }
    }

    @Test("a root that is not a directory is refused")
    func badRoot() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("file", "x")
        #expect(throws: FileSystemError.notADirectory(path: file.path)) { try RootFileSystem(root: file.path) }
        #expect(throws: FileSystemError.notFound(path: "/no/such/root")) { try RootFileSystem(root: "/no/such/root") }
    }
}
