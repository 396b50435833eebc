import Foundation
import EmbargoFileSystem
import EmbargoInventory

/// Kernel modules: on the live system every loaded module (`/proc/modules`, with version and
/// taint from `/sys/module`), and on any root the module files under `/lib/modules/*/` and
/// `/usr/lib/modules/*/` whose name the scan plan asks for, with their `.modinfo` (author,
/// description, version, license, vermagic, srcversion, ...).
///
/// Module files may be plain `.ko` or compressed `.ko.xz`, `.ko.zst` or `.ko.gz`. Names compare
/// with `-` read as `_`, as the kernel does (`intel-oaktrail.ko` is module `intel_oaktrail`).
/// A file whose name matches is recorded even when its contents cannot be read or have no
/// `.modinfo` (the file's presence is the evidence); the problem is reported beside it.
public struct KernelModuleCollector: InventoryCollector {
    public init() {}
    public var name: String { "kernel-modules" }

    /// Largest module file read (compressed or not) and largest decompressed module.
    public static let maximumFileBytes: Int64 = 64 << 20
    public static let maximumModuleBytes = 256 << 20
    static let moduleDirectories = ["/lib/modules", "/usr/lib/modules"]

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        var inventory = Inventory(root: context.fileSystem.rootDescription)
        let fileSystem = context.fileSystem

        var loaded: [String: LoadedModule] = [:]
        var runningRelease: String?
        if fileSystem.isLiveRoot {
            runningRelease = (try? fileSystem.readFile("/proc/sys/kernel/osrelease", limit: 4096))
                .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            if let bytes = try? fileSystem.readFile("/proc/modules", limit: 4 << 20) {
                let (modules, errors) = ProcModulesParser.parse(bytes)
                for module in modules { loaded[module.name] = module }
                inventory.sources.append(InventorySource(collector: name, path: "/proc/modules", items: modules.count))
                for error in errors {
                    inventory.issues.append(
                        ScanIssue(
                            collector: name, severity: .warning, code: "kernel-modules.bad-proc-modules-line",
                            location: IssueLocation(path: "/proc/modules", line: error.line), message: error.reason))
                }
            }
        }

        let patterns = context.plan.kernelModuleNames.compactMap(Self.normalized)
        var foundLoaded = Set<String>()
        if !patterns.isEmpty {
            var seenDirectories = Set<String>()
            for directory in Self.moduleDirectories {
                guard let resolved = try? fileSystem.resolve(directory), fileSystem.isDirectory(resolved),
                    seenDirectories.insert(resolved).inserted
                else { continue }
                var files = ModuleFileSearch(collector: name, fileSystem: fileSystem, patterns: patterns)
                files.search(resolved)
                for var module in files.modules {
                    if let release = module.modinfo["kernel"], release == runningRelease, loaded[module.name] != nil {
                        module.loaded = true
                        foundLoaded.insert(module.name)
                        if let details = loaded[module.name] { Self.describe(details, into: &module.modinfo) }
                    }
                    inventory.kernelModules.append(module)
                }
                inventory.issues += files.issues
                inventory.sources.append(InventorySource(collector: name, path: resolved, items: files.modules.count))
            }
        }

        for (moduleName, details) in loaded.sorted(by: { $0.key < $1.key }) where !foundLoaded.contains(moduleName) {
            var module = KernelModule(name: moduleName, loaded: true, path: nil)
            Self.describe(details, into: &module.modinfo)
            for key in ["version", "srcversion", "taint"] {
                if let bytes = try? fileSystem.readFile("/sys/module/\(moduleName)/\(key)", limit: 4096) {
                    let value = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    if !value.isEmpty { module.modinfo[key == "taint" ? "taint" : key] = value }
                }
            }
            inventory.kernelModules.append(module)
        }
        return CollectorOutput(inventory: inventory)
    }

    static func describe(_ details: LoadedModule, into modinfo: inout [String: String]) {
        if let state = details.state { modinfo["state"] = state }
        if let taint = details.taint { modinfo["taint"] = taint }
        if !details.usedBy.isEmpty { modinfo["usedBy"] = details.usedBy.joined(separator: ",") }
    }

    /// The module name of a file name: without `.ko[.xz|.zst|.gz]`, `-` read as `_`; nil for
    /// other files.
    static func moduleName(ofFile name: String) -> (name: String, compression: String?)? {
        for (suffix, compression) in [(".ko", nil), (".ko.xz", "xz"), (".ko.zst", "zstd"), (".ko.gz", "gzip")] as [(String, String?)]
        where name.hasSuffix(suffix) && name.count > suffix.count {
            return (String(name.dropLast(suffix.count)).replacingOccurrences(of: "-", with: "_"), compression)
        }
        return nil
    }

    /// The plan's pattern with `-` read as `_` outside character classes, as module names are.
    static func normalized(_ glob: Glob) -> Glob? {
        var text = ""
        var inClass = false
        for character in glob.pattern {
            if character == "[" { inClass = true }
            if character == "]" { inClass = false }
            text.append(character == "-" && !inClass ? "_" : character)
        }
        return try? Glob(text, caseInsensitive: glob.caseInsensitive)
    }
}

/// Finds module files below one modules directory (one subdirectory per kernel release) with
/// the walker's protections, and reads each match.
private struct ModuleFileSearch {
    let collector: String
    let fileSystem: RootFileSystem
    let patterns: [Glob]
    var modules: [KernelModule] = []
    var issues: [ScanIssue] = []

    mutating func search(_ directory: String) {
        let configuration = FileTreeWalker.Configuration(
            startingDirectories: [directory], excludedPaths: [], crossFileSystems: true, maximumDepth: 16,
            maximumEntries: 2_000_000)
        let walker = FileTreeWalker(fileSystem: fileSystem, configuration: configuration)
        let prefix = directory == "/" ? "/" : directory + "/"
        let report = walker.walk { file in
            guard let fileName = String(validating: file.nameBytes, as: UTF8.self),
                let (moduleName, compression) = KernelModuleCollector.moduleName(ofFile: fileName),
                patterns.contains(where: { $0.matches(moduleName) })
            else { return }
            let path = file.path
            let release = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count).prefix { $0 != "/" }) : nil
            var module = KernelModule(name: moduleName, loaded: false, path: path)
            if let release { module.modinfo["kernel"] = release }
            if let compression { module.modinfo["compression"] = compression }
            read(file, into: &module, compression: compression)
            modules.append(module)
        }
        for problem in report.problems where problem.impact == .coverageLost {
            issues.append(
                ScanIssue(collector: collector, code: problem.code, location: IssueLocation(path: problem.path), message: problem.reason))
        }
    }

    private mutating func read(_ file: borrowing WalkedFile, into module: inout KernelModule, compression: String?) {
        let path = file.path
        let bytes: [UInt8]
        do throws(FileSystemError) {
            let status = try file.status()
            guard status.size <= KernelModuleCollector.maximumFileBytes else {
                throw FileSystemError.tooLarge(path: path, size: status.size, limit: KernelModuleCollector.maximumFileBytes)
            }
            let opened = try file.open(expected: status)
            bytes = try opened.read(at: 0, count: Int(status.size))
        } catch {
            issues.append(ScanIssue(collector: collector, severity: .warning, code: error.code, location: IssueLocation(path: path), message: error.reason))
            return
        }
        let contents: [UInt8]
        do {
            switch compression {
            case "xz": contents = try XzDecoder.decompress(bytes, limit: KernelModuleCollector.maximumModuleBytes)
            case "zstd": contents = try ZstdDecoder.decompress(bytes, limit: KernelModuleCollector.maximumModuleBytes)
            case "gzip":
                do {
                    contents = try GzipDecoder.decompress(bytes, limit: KernelModuleCollector.maximumModuleBytes)
                } catch {
                    throw DecompressionError.corrupt(format: "gzip", reason: error.description)
                }
            default: contents = bytes
            }
        } catch let error as DecompressionError {
            issues.append(
                ScanIssue(
                    collector: collector, severity: .warning, code: "kernel-modules.bad-compression", location: IssueLocation(path: path),
                    message: error.description))
            return
        } catch {
            return
        }
        if Self.hasAppendedSignature(contents) { module.modinfo["signature"] = "appended" }
        do {
            let elf = try ELFParser.parse(BufferByteSource(contents))
            guard let modinfo = elf.modinfo else {
                issues.append(
                    ScanIssue(
                        collector: collector, severity: .warning, code: "kernel-modules.no-modinfo", location: IssueLocation(path: path),
                        message: "no .modinfo section; recorded by file name only"))
                return
            }
            for (key, value) in ModinfoSummary.fields(modinfo) { module.modinfo[key] = value }
            if let buildID = elf.buildID { module.modinfo["buildId"] = buildID }
            if let name = module.modinfo["name"], !name.isEmpty { module.name = name }
        } catch {
            issues.append(ScanIssue(collector: collector, severity: .warning, error.located(at: path)))
        }
    }

    /// Signed modules end with this marker after the PKCS#7 signature (`scripts/sign-file.c`).
    static func hasAppendedSignature(_ bytes: [UInt8]) -> Bool {
        let magic = Array("~Module signature appended~\n".utf8)
        return bytes.count >= magic.count && Array(bytes.suffix(magic.count)) == magic
    }
}
