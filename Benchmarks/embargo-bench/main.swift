// embargo-bench: the file walk's building blocks, one at a time, for Benchmarks/walk.sh to time
// against find, a C loop, yara and openssl. Prints one line of figures; timing is the script's job.
//
//   embargo-bench walk ROOT            list every regular file (no stat, no read), like find -type f
//   embargo-bench sniff ROOT           stat, open and read the first bytes of every regular file
//   embargo-bench markers ROOT M,M...  search every regular file, whole, for whole-token markers
//   embargo-bench sha256 FILE...       SHA-256 of files
//   embargo-bench scan ROOT CACHEDIR M,M...  the file-walk collector (cold the first time, then warm)

import Crypto
import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

/// A walker over ROOT (a host directory), staying on its file system, without the default exclusions.
func walker(_ root: String) -> FileTreeWalker {
    guard let fileSystem = try? RootFileSystem(root: root) else { fail("cannot open \(root)") }
    let configuration = FileTreeWalker.Configuration(
        startingDirectories: ["/"], excludedPaths: [], maximumDepth: 256, maximumEntries: Int.max)
    return FileTreeWalker(fileSystem: fileSystem, configuration: configuration)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: embargo-bench walk|sniff|markers|sha256|scan ...") }
let command = arguments[1]

switch command {
case "walk":
    var files = 0
    let report = walker(arguments[2]).walk { _ in files += 1 }
    print("files=\(files) directories=\(report.statistics.directories) problems=\(report.problems.count)")

case "sniff":
    var files = 0
    var elf = 0
    var scripts = 0
    var bytes = 0
    var buffer = [UInt8](repeating: 0, count: FileSignature.prefixLength)
    _ = walker(arguments[2]).walk { file in
        guard let status = try? file.status(), status.size > 0, let opened = try? file.open(expected: status) else { return }
        files += 1
        let count = buffer.withUnsafeMutableBytes { (try? opened.read(into: $0, at: 0)) ?? 0 }
        bytes += count
        switch FileSignature.sniff(buffer[0..<count]) {
        case .elf: elf += 1
        case .script: scripts += 1
        case .other: break
        }
    }
    print("files=\(files) elf=\(elf) scripts=\(scripts) bytes=\(bytes)")

case "markers":
    guard arguments.count >= 4 else { fail("usage: embargo-bench markers ROOT MARKER,MARKER...") }
    let matcher = MarkerMatcher(markers: arguments[3].split(separator: ",").map(String.init))
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    var files = 0
    var matched = 0
    var bytes = 0
    _ = walker(arguments[2]).walk { file in
        guard let status = try? file.status(), let opened = try? file.open(expected: status) else { return }
        files += 1
        var search = MarkerSearch(matcher)
        var offset: Int64 = 0
        while let count = try? opened.read(into: chunk, at: offset), count > 0 {
            chunk.withMemoryRebound(to: UInt8.self) { search.feed(UnsafeBufferPointer(rebasing: $0[0..<count])) }
            offset += Int64(count)
            if count < chunk.count { break }
        }
        bytes += Int(offset)
        if !search.finish().isEmpty { matched += 1 }
    }
    print("files=\(files) matched=\(matched) bytes=\(bytes)")

case "sha256":
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    for path in arguments[2...] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { fail("cannot open \(path)") }
        var hasher = SHA256()
        while true {
            let count = read(descriptor, chunk.baseAddress, chunk.count)
            if count <= 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
        close(descriptor)
        print(hasher.finalize().map { String(format: "%02x", $0) }.joined(), path)
    }

case "scan":
    guard arguments.count >= 5, let fileSystem = try? RootFileSystem(root: arguments[2]) else {
        fail("usage: embargo-bench scan ROOT CACHEDIR MARKER,MARKER...")
    }
    // One digest makes the scan hash candidates, as a policy with digests does.
    let plan = ScanPlan(
        fileNames: ["klnagent", "kesl-control"], sha256Digests: [String(repeating: "0", count: 64)],
        markers: arguments[4].split(separator: ",").map(String.init))
    let options = CollectionOptions(cacheDirectory: arguments[3], walkPaths: ["/"], walkExclusions: ["/nonexistent"])
    let limits = FileWalkLimits(maximumDepth: 256, maximumEntries: Int.max)
    let (output, statistics) = FileWalkCollector(limits: limits).run(
        CollectionContext(fileSystem: fileSystem, plan: plan, options: options))
    if ProcessInfo.processInfo.environment["EMBARGO_BENCH_LIST"] != nil {
        for file in output.inventory.files {
            let note = file.attributes["package.name"].map { " package=\($0)" } ?? ""
            print(file.path, file.markers.joined(separator: ","), note)
        }
    }
    print(
        "files=\(statistics.walk.regularFiles) read=\(statistics.filesRead) bytes=\(statistics.bytesRead) hashed=\(statistics.filesHashed) cached=\(statistics.cacheHits) elf=\(statistics.elfFiles) recorded=\(statistics.recorded) issues=\(output.inventory.issues.count)"
    )

default:
    fail("unknown command \(command)")
}
