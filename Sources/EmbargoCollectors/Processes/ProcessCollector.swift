#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// The running processes of the live host, from `/proc`: command name, executable, start time,
/// and for processes the plan names (by command, executable or `argv[0]`) the whole command line.
///
/// Only for the live root: an image's `/proc` is empty, and the host's processes are not the
/// image's. `/proc` is read as a host path, not through the root's prefix.
///
/// Command lines of other processes are not recorded beyond `argv[0]`: they carry passwords and
/// tokens often enough (`mysql -p...`, `curl -u ...`) that a compliance report must not collect
/// them wholesale; for processes the policy is about, they are evidence and are kept.
public struct ProcessCollector: InventoryCollector {
    /// Host path of the process file system; only tests change it.
    public let procPath: String

    public init(procPath: String = "/proc") {
        self.procPath = procPath
    }

    public var name: String { "processes" }

    static let maximumProcesses = 100_000
    static let maximumCommandLineBytes = 64 << 10
    static let maximumArguments = 1_024

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        var inventory = Inventory(root: context.fileSystem.rootDescription)
        guard context.fileSystem.isLiveRoot else { return CollectorOutput(inventory: inventory) }
        let pids: [Int32]
        do {
            pids = try listProcesses()
        } catch {
            inventory.issues.append(
                ScanIssue(
                    collector: name, code: "processes.proc-unavailable", location: IssueLocation(path: procPath),
                    message: "\(procPath) cannot be listed (\(String(cString: strerror(error.code)))); processes were not collected"))
            return CollectorOutput(inventory: inventory)
        }
        let bootTime = (try? ProcFile.contents(procPath + "/stat", limit: 1 << 20)).flatMap(ProcStatParser.bootTime(fromSystemStat:))
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        var tally = ProcessScanTally()
        for pid in pids.prefix(Self.maximumProcesses) {
            guard let process = read(pid, bootTime: bootTime, ticksPerSecond: ticksPerSecond, plan: context.plan, tally: &tally)
            else { continue }
            inventory.processes.append(process)
        }
        if pids.count > Self.maximumProcesses {
            inventory.issues.append(
                ScanIssue(
                    collector: name, severity: .warning, code: "processes.truncated", location: IssueLocation(path: procPath),
                    message: "more than \(Self.maximumProcesses) processes; the rest were not read"))
        }
        inventory.issues += tally.issues(collector: name, procPath: procPath)
        if geteuid() != 0, let mountInfo = try? ProcFile.contents(procPath + "/self/mountinfo", limit: 1 << 20),
            let option = ProcStatParser.hidingOption(mountInfo: mountInfo, mountPoint: procPath)
        {
            inventory.issues.append(
                ScanIssue(
                    collector: name, severity: .warning, code: "processes.hidden", location: IssueLocation(path: procPath),
                    message: "\(procPath) is mounted with \(option): other users' processes are invisible to this unprivileged scan"))
        }
        inventory.sources.append(InventorySource(collector: name, path: procPath, items: inventory.processes.count))
        return CollectorOutput(inventory: inventory)
    }

    private func listProcesses() throws(ProcFile.Failure) -> [Int32] {
        guard let directory = opendir(procPath) else { throw ProcFile.Failure(code: errno) }
        defer { closedir(directory) }
        var pids: [Int32] = []
        while let entry = readdir(directory) {
            let pid: Int32? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let name = raw.prefix { $0 != 0 }
                guard !name.isEmpty, name.count < 11, name.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                return Int32(String(decoding: name, as: UTF8.self))
            }
            if let pid { pids.append(pid) }
        }
        return pids.sorted()
    }

    /// One process, or nil for a kernel thread or a process that ended while it was read.
    private func read(
        _ pid: Int32, bootTime: Int64?, ticksPerSecond: Double, plan: ScanPlan, tally: inout ProcessScanTally
    ) -> RunningProcess? {
        let directory = "\(procPath)/\(pid)"
        let stat: ProcStat
        do {
            stat = try ProcStatParser.parse(try ProcFile.contents(directory + "/stat", limit: 4096))
        } catch let failure as ProcFile.Failure {
            tally.record(statFailure: failure.code)
            return nil
        } catch {
            tally.malformedStat += 1
            return nil
        }
        if stat.isKernelThread { return nil }
        var executable: String?
        switch ProcFile.readLink(directory + "/exe") {
        case .success(let target): executable = target
        case .failure(let failure): tally.record(executableFailure: failure.code, pid: pid, command: stat.command)
        }
        let arguments = (try? ProcFile.contents(directory + "/cmdline", limit: Self.maximumCommandLineBytes))
            .map { ProcStatParser.commandLine($0, maximumArguments: Self.maximumArguments) } ?? []
        var startedAt: Date?
        if let bootTime, ticksPerSecond > 0 {
            startedAt = Date(timeIntervalSince1970: Double(bootTime) + Double(stat.startTicks) / ticksPerSecond)
        }
        let interesting = Self.isInteresting(command: stat.command, executable: executable, arguments: arguments, plan: plan)
        return RunningProcess(
            pid: pid, command: stat.command, executable: executable,
            commandLine: interesting ? arguments : Array(arguments.prefix(1)), startedAt: startedAt)
    }

    /// Whether the plan names the process by its command name, its executable (path or file name)
    /// or its `argv[0]` (path or file name).
    static func isInteresting(command: String, executable: String?, arguments: [String], plan: ScanPlan) -> Bool {
        guard !plan.processNames.isEmpty else { return false }
        var names = [command]
        for path in [executable, arguments.first].compactMap({ $0 }) where !path.isEmpty {
            let cleaned = path.hasSuffix(" (deleted)") ? String(path.dropLast(" (deleted)".count)) : path
            names.append(cleaned)
            if let slash = cleaned.lastIndex(of: "/") { names.append(String(cleaned[cleaned.index(after: slash)...])) }
        }
        return plan.processNames.contains { glob in names.contains { glob.matches($0) } }
    }
}

/// Counts of per-process failures, reported once per kind instead of once per process: an
/// unprivileged scan cannot read other users' executables, and thousands of identical issues
/// would bury the ones that matter.
struct ProcessScanTally: Sendable, Equatable {
    /// How many denied processes the issue names, so that an admin can tell which ones they were.
    static let namedDenials = 5

    var executableDenied = 0
    /// `pid (command)` of the first denied processes.
    var deniedExamples: [String] = []
    var executableOtherFailures = 0
    var statOtherFailures = 0
    var malformedStat = 0

    mutating func record(executableFailure code: Int32, pid: Int32, command: String) {
        switch code {
        case EACCES, EPERM:
            executableDenied += 1
            if deniedExamples.count < Self.namedDenials { deniedExamples.append("\(pid) (\(command))") }
        // Ended during the scan, a zombie, or no executable (kernel helpers): nothing to report.
        case ENOENT, ESRCH: break
        default: executableOtherFailures += 1
        }
    }

    mutating func record(statFailure code: Int32) {
        if code != ENOENT && code != ESRCH { statOtherFailures += 1 }
    }

    func issues(collector: String, procPath: String) -> [ScanIssue] {
        var issues: [ScanIssue] = []
        func add(_ count: Int, _ code: String, _ message: String) {
            guard count > 0 else { return }
            issues.append(
                ScanIssue(collector: collector, severity: .warning, code: code, location: IssueLocation(path: procPath), message: message))
        }
        add(
            executableDenied, "processes.executable-denied",
            "the executable of \(executableDenied) process\(executableDenied == 1 ? "" : "es") could not be read: permission denied "
                + "(another user's process read without privileges, or a process holding capabilities this scan lacks); pid "
                + deniedExamples.joined(separator: ", ") + (executableDenied > deniedExamples.count ? ", …" : "")
                + (executableDenied == 1 ? "; its command name was still recorded" : "; their command names were still recorded"))
        add(
            executableOtherFailures, "processes.executable-unreadable",
            "the executable link of \(executableOtherFailures) process(es) could not be read")
        add(statOtherFailures, "processes.stat-unreadable", "\(statOtherFailures) process(es) could not be read; they are missing")
        add(malformedStat, "processes.malformed-stat", "\(malformedStat) process(es) had an unreadable stat line; they are missing")
        return issues
    }
}

/// Direct reads of `/proc` files: they report a size of 0, are never FIFOs, and belong to the
/// host, so the root layer's rules do not apply.
enum ProcFile {
    struct Failure: Error {
        var code: Int32
    }

    static func contents(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw Failure(code: errno) }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let wanted = min(chunk.count, limit - result.count)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(code: errno)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    static func readLink(_ path: String) -> Result<String, Failure> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return .failure(Failure(code: errno)) }
        return .success(String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
