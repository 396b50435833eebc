import Crypto
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport

@testable import EmbargoCollectors

#if canImport(Glibc)
import Glibc
#endif

/// Real ELF programs compiled for a test, in its own temporary directory.
struct PlantedBinaries {
    /// A stand-in for a Kaspersky agent: a real ELF with the strings such a binary carries.
    static let kasperskyStrings = ["kesl-control", "/var/opt/kaspersky/kesl", "Kaspersky Endpoint Security for Linux"]
    /// A stand-in for any Go program: the runtime's symbol names contain "kesl" inside "makeslice".
    static let goStrings = ["runtime.makeslice", "runtime.makeslicecopy", "runtime.growslice", "go:buildid"]

    /// The agent stand-in, with a GNU build-id.
    let kaspersky: String
    let goLike: String
    /// An ELF with none of the markers.
    let plain: String

    static var compilerAvailable: Bool { CCompiler.isAvailable }

    init(in directory: TemporaryDirectory) throws {
        let build = directory.url.appendingPathComponent("build")
        try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        func compile(_ name: String, _ strings: [String]) throws -> String {
            let output = build.appendingPathComponent(name).path
            try CCompiler.compile(CCompiler.programSource(strings: strings), to: output, flags: ["-Wl,--build-id=sha1"])
            return output
        }
        kaspersky = try compile("kesl-control", Self.kasperskyStrings)
        goLike = try compile("go-like", Self.goStrings)
        plain = try compile("plain-tool", ["nothing to see"])
    }
}

func sha256Hex(ofFile path: String) throws -> String {
    hex(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))))
}


/// A scan plan for the Kaspersky stand-ins.
func kasperskyPlan(digests: Set<String> = [], fileNames: Set<String> = ["klnagent"]) -> ScanPlan {
    ScanPlan(fileNames: fileNames, sha256Digests: digests, markers: ["kesl", "kesl-control", "klnagent"])
}

func context(root: String, plan: ScanPlan, walkPaths: [String] = [], cache: String? = nil) throws -> CollectionContext {
    CollectionContext(
        fileSystem: try RootFileSystem(root: root), plan: plan,
        options: CollectionOptions(cacheDirectory: cache, walkPaths: walkPaths))
}

/// A scratch directory in memory (`/dev/shm`) where there is one: creating twenty thousand files
/// on a virtual disk takes tens of seconds, in tmpfs well under one. Same use as
/// ``TemporaryDirectory``; removed when released.
final class ScratchDirectory: @unchecked Sendable {
    let url: URL
    var path: String { url.path }

    init(prefix: String) throws {
        var base = URL(fileURLWithPath: NSTemporaryDirectory())
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue,
            access("/dev/shm", W_OK) == 0
        {
            base = URL(fileURLWithPath: "/dev/shm")
        }
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Walkable by the unprivileged file user of the permission tests.
        chmod(url.path, 0o755)
    }

    deinit {
        _ = try? Command.run("/bin/chmod", ["-R", "u+rwx", url.path])
        try? FileManager.default.removeItem(at: url)
    }

    @discardableResult
    func write(_ relativePath: String, _ contents: String, permissions: Int? = nil) throws -> URL {
        try write(relativePath, Data(contents.utf8), permissions: permissions)
    }

    @discardableResult
    func write(_ relativePath: String, _ data: Data, permissions: Int? = nil) throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        if let permissions { chmod(file.path, mode_t(permissions)) }
        return file
    }

    func makeDirectory(_ relativePath: String) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent(relativePath), withIntermediateDirectories: true)
    }

    func symlink(_ relativePath: String, to target: String) throws {
        let link = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target)
    }

    func copy(_ source: URL, to relativePath: String) throws {
        let destination = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: source, to: destination)
    }
}
