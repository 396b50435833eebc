import EmbargoJournal
import EmbargoStore
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// One embargod under test: a dpkg root, a state directory, a policy file, a private journald
/// and a NOTIFY_SOCKET listener. The daemon runs as a real process inside the sandbox.
final class DaemonHarness: @unchecked Sendable {
    let sandbox: JournaldSandbox
    let root: DebianRoot
    let state: TemporaryDirectory
    let policyFile: URL
    let listener: NotifyListener
    var daemon: SandboxedProcess?

    init(policy: String = TestPolicies.kaspersky(), journald: Bool = true) throws {
        sandbox = try JournaldSandbox(journald: journald)
        root = try DebianRoot()
        state = try TemporaryDirectory(prefix: "embargo-state")
        policyFile = try state.write("policy/test.yaml", policy)
        listener = try NotifyListener(directory: sandbox.directory.path)
        try sandbox.directory.write("embargod.conf", "# test configuration: defaults\n")
    }

    deinit {
        // The listener's thread holds it while it reads: stop it explicitly.
        listener.close()
    }

    var arguments: [String] {
        [
            "--root", root.path, "--state-directory", state.path + "/lib", "--no-bundled-policies", "--policy", policyFile.path,
            "--config", sandbox.directory.path + "/embargod.conf",
        ]
    }

    /// Starts `embargod` (service mode) and waits for `READY=1`.
    @discardableResult
    func start(extraArguments: [String] = [], environment: [String: String] = [:], waitForReady: Bool = true) throws -> SandboxedProcess {
        let already = listener.messages.count
        let process = try sandbox.start(
            ProjectPaths.embargodExecutable.path, arguments + extraArguments,
            environment: ["NOTIFY_SOCKET": listener.path].merging(environment) { $1 })
        daemon = process
        if waitForReady {
            guard listener.wait(timeout: 20, after: already, { $0.value("READY") == "1" }) != nil else {
                throw SandboxError("no READY=1 within 20 s; stderr: \(process.stderr)")
            }
        }
        return process
    }

    /// Runs `embargod --once` inside the sandbox.
    func once(extraArguments: [String] = []) throws -> Command.Output {
        return try sandbox.run(ProjectPaths.embargodExecutable.path, arguments + ["--once"] + extraArguments)
    }

    /// Every embargod entry in the journal so far, oldest first.
    func entries(_ events: [JournalEvent] = JournalEvent.allCases) -> [(event: JournalEvent, record: JournalRecord)] {
        guard FileManager.default.fileExists(atPath: sandbox.journalDirectory) else { return [] }
        return ((try? FindingLog.records(.directory(sandbox.journalDirectory), events: events)) ?? []).map { ($0.0, $0.1) }
    }

    /// Polls the journal files until an entry matches (the test's own polling; the daemon never polls).
    func waitForEntry(
        _ event: JournalEvent, timeout: Double, after cursorCount: Int = 0, where predicate: (JournalRecord) -> Bool = { _ in true }
    ) -> JournalRecord? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let matching = entries([event]).map(\.record).dropFirst(cursorCount).first(where: predicate)
            if let matching { return matching }
            usleep(50_000)
        } while Date() < deadline
        return nil
    }

    func count(_ event: JournalEvent, where predicate: (JournalRecord) -> Bool = { _ in true }) -> Int {
        entries([event]).map(\.record).filter(predicate).count
    }

    /// The state database, opened read-only from the test.
    func store() throws -> EmbargoStore {
        try EmbargoStore(directory: state.path + "/lib", readOnly: true)
    }

    func stop(timeout: Double = 30) throws -> Command.Output? {
        guard let daemon else { return nil }
        daemon.signal(SIGTERM)
        return try daemon.waitForExit(timeout: timeout)
    }
}
