#if canImport(Glibc)
import Glibc
#endif
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import Testing
import TestSupport

@testable import EmbargoCollectors

@Suite("Running processes")
struct ProcessCollectorTests {
    /// The test process itself and a child started from a copy of `sleep` named like the KESL
    /// daemon: both are found with executable, command name, command line and start time.
    @Test func findsThisProcessAndAChildNamedLikeAnAgent() async throws {
        let work = try TemporaryDirectory()
        let agent = work.url.appendingPathComponent("wdserver")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: "/bin/sleep"), to: agent)
        let child = Process()
        child.executableURL = agent
        child.arguments = ["120"]
        let beforeStart = Date()
        try child.run()
        defer {
            // SIGKILL: the test runner's blocked signals are inherited, so SIGTERM may never arrive.
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        // Let exec finish, so /proc shows the new image rather than the forked test process.
        try await waitUntil { (try? String(contentsOfFile: "/proc/\(child.processIdentifier)/comm", encoding: .utf8)) == "wdserver\n" }

        let ownComm = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
        let plan = ScanPlan(processNames: [try Glob("wdserver"), try Glob(ownComm)])
        let context = CollectionContext(fileSystem: try RootFileSystem(root: "/"), plan: plan)
        let inventory = await ProcessCollector().collect(context).inventory

        let found = try #require(inventory.processes.first { $0.pid == child.processIdentifier })
        #expect(found.command == "wdserver")
        #expect(found.executable == agent.path)
        #expect(found.commandLine == [agent.path, "120"])
        let startedAt = try #require(found.startedAt)
        // btime has whole seconds and start times are in clock ticks: allow two seconds.
        #expect(startedAt > beforeStart.addingTimeInterval(-2))
        #expect(startedAt < Date().addingTimeInterval(2))

        let me = try #require(inventory.processes.first { $0.pid == getpid() })
        #expect(me.command == ownComm)
        #expect(me.executable == URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path)
        #expect(me.commandLine == CommandLine.arguments)

        // Kernel threads are not processes of any product.
        #expect(!inventory.processes.contains { $0.pid == 2 })
        #expect(inventory.sources == [InventorySource(collector: "processes", path: "/proc", items: inventory.processes.count)])
        // Processes whose executable cannot be read (here even root is refused /proc/1/exe inside
        // some sandboxes) are counted into at most one warning per kind, never one per process.
        let codes = inventory.issues.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(inventory.issues.allSatisfy { $0.severity == .warning && $0.location.path == "/proc" })
    }

    /// Processes the plan does not name keep only `argv[0]`: other programs' arguments can hold secrets.
    @Test func otherProcessesKeepOnlyTheirProgramName() async throws {
        let context = CollectionContext(fileSystem: try RootFileSystem(root: "/"), plan: ScanPlan())
        let inventory = await ProcessCollector().collect(context).inventory
        let me = try #require(inventory.processes.first { $0.pid == getpid() })
        #expect(me.commandLine == Array(CommandLine.arguments.prefix(1)))
        #expect(inventory.processes.allSatisfy { $0.commandLine.count <= 1 })
    }

    /// An image's processes are not the host's: nothing is read for a root other than `/`.
    @Test func nothingForAnOfflineRoot() async throws {
        let root = try TemporaryDirectory()
        try root.makeDirectory("proc/1")
        let context = CollectionContext(fileSystem: try RootFileSystem(root: root.path), plan: ScanPlan())
        let inventory = await ProcessCollector().collect(context).inventory
        #expect(inventory.processes.isEmpty)
        #expect(inventory.issues.isEmpty)
        #expect(inventory.sources.isEmpty)
    }

    /// A process table written by hand: odd names, a kernel thread, a process that vanished
    /// between the listing and the read, a zombie without executable, a malformed stat line.
    @Test func readsAProcTreeWithOddEntries() async throws {
        let proc = try TemporaryDirectory()
        try proc.write("stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 10\n")
        func stat(_ pid: Int, _ comm: String, flags: UInt64 = 0x400100, start: Int = 250) -> String {
            "\(pid) (\(comm)) S 1 \(pid) \(pid) 0 -1 \(flags) 1 0 0 0 0 0 0 0 20 0 1 0 \(start) 1000 100 0\n"
        }
        try proc.write("100/stat", stat(100, "kesl) (x", start: 1234))
        try proc.symlink("100/exe", to: "/opt/kaspersky/kesl/libexec/kesl (deleted)")
        try proc.write("100/cmdline", Data("/opt/kaspersky/kesl/libexec/kesl\0--daemon\0\0--empty-before\0".utf8))
        try proc.write("2/stat", stat(2, "kthreadd", flags: 0x208040))
        try proc.makeDirectory("300")  // vanished: no files left
        try proc.write("400/stat", stat(400, "defunct"))
        try proc.write("400/cmdline", "")
        try proc.write("500/stat", "500 no parentheses here\n")
        try proc.write("600/stat", stat(600, "bash"))
        try proc.symlink("600/exe", to: "/usr/bin/bash")
        try proc.write("600/cmdline", Data("-bash\0secret-argument\0".utf8))
        try proc.makeDirectory("self")

        let plan = ScanPlan(processNames: [try Glob("kesl")])
        let inventory = await ProcessCollector(procPath: proc.path)
            .collect(CollectionContext(fileSystem: try RootFileSystem(root: "/"), plan: plan)).inventory
        #expect(inventory.processes.map(\.pid) == [100, 400, 600])
        let kesl = inventory.processes[0]
        #expect(kesl.command == "kesl) (x")
        #expect(kesl.executable == "/opt/kaspersky/kesl/libexec/kesl (deleted)")
        #expect(kesl.commandLine == ["/opt/kaspersky/kesl/libexec/kesl", "--daemon", "", "--empty-before"])
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        #expect(kesl.startedAt == Date(timeIntervalSince1970: 1_700_000_000 + 1234 / ticks))
        #expect(inventory.processes[1].executable == nil)
        #expect(inventory.processes[1].commandLine == [])
        #expect(inventory.processes[2].commandLine == ["-bash"])
        #expect(inventory.issues.map(\.code) == ["processes.malformed-stat"])
        #expect(inventory.issues.first?.severity == .warning)
    }

    @Test func permissionFailuresBecomeOneIssueWithACount() {
        var tally = ProcessScanTally()
        for pid in Int32(100)..<1_600 { tally.record(executableFailure: EACCES, pid: pid, command: "worker") }
        tally.record(executableFailure: EPERM, pid: 1, command: "init")
        tally.record(executableFailure: ENOENT, pid: 2, command: "gone")
        tally.record(executableFailure: ESRCH, pid: 3, command: "zombie")
        tally.record(statFailure: ENOENT)
        let issues = tally.issues(collector: "processes", procPath: "/proc")
        #expect(issues.count == 1)
        #expect(issues.first?.code == "processes.executable-denied")
        #expect(issues.first?.message.contains("1501 processes") == true)
        // The first few are named, so that an admin can tell which processes were hidden.
        #expect(issues.first?.message.contains("pid 100 (worker), 101 (worker), 102 (worker), 103 (worker), 104 (worker), …;") == true)
        #expect(issues.first?.message.contains("init") == false)
        #expect(issues.first?.location.path == "/proc")
    }

    @Test func statLinesParse() throws {
        let line = Array("4242 (a (b) c) R 1 4242 4242 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 1 0 98765 1000 100 0\n".utf8)
        let stat = try ProcStatParser.parse(line)
        #expect(stat == ProcStat(pid: 4242, command: "a (b) c", state: "R", parentPID: 1, flags: 4_194_560, startTicks: 98_765))
        #expect(!stat.isKernelThread)
        #expect(throws: ProcStatError.self) { try ProcStatParser.parse(Array("1 (x) S 0 1\n".utf8)) }
        #expect(throws: ProcStatError.self) { try ProcStatParser.parse([]) }
        #expect(ProcStatParser.bootTime(fromSystemStat: Array("cpu 1\nbtime 1699999999\n".utf8)) == 1_699_999_999)
        #expect(ProcStatParser.commandLine(Array("a\0b\0".utf8), maximumArguments: 1) == ["a"])
        #expect(ProcStatParser.commandLine(Array("title with spaces".utf8), maximumArguments: 8) == ["title with spaces"])
        let mountInfo = Array(
            """
            22 27 0:21 / /proc rw,relatime shared:12 - proc proc rw,hidepid=invisible,gid=27
            23 27 0:22 / /sys rw - sysfs sysfs rw,hidepid=2
            24 27 0:23 / /other/proc rw - proc proc rw
            """.utf8)
        #expect(ProcStatParser.hidingOption(mountInfo: mountInfo, mountPoint: "/proc") == "hidepid=invisible")
        #expect(ProcStatParser.hidingOption(mountInfo: mountInfo, mountPoint: "/other/proc") == nil)
        #expect(ProcStatParser.hidingOption(mountInfo: mountInfo, mountPoint: "/sys") == nil)
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<200 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("condition not met within 2 s")
    }
}
