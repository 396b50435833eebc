import EmbargoDaemon
import Foundation
import Synchronization
import TestSupport
import Testing

/// The kernel wake-up sources of the loop: inotify on package databases, timerfd on the wall clock.
@Suite("wake-up sources", .serialized)
struct WakeSourceTests {
    final class Recorder: Sendable {
        let values = Mutex<[String]>([])
        func add(_ value: String) { values.withLock { $0.append(value) } }
        var all: [String] { values.withLock { $0 } }

        func wait(timeout: Double, _ predicate: ([String]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if predicate(all) { return true }
                usleep(20_000)
            }
            return predicate(all)
        }
    }

    @Test("a dpkg install is seen through the status file being replaced", .enabled(if: DebianRoot.toolsAvailable))
    func dpkgInstall() throws {
        let root = try DebianRoot()
        let recorder = Recorder()
        let watcher = try PackageDatabaseWatcher(root: root.path) { recorder.add($0) }
        watcher.start()
        defer { watcher.stop() }
        #expect(watcher.watchedPaths.contains { $0.path == root.path + "/var/lib/dpkg" && $0.isDatabase })
        try root.install([TestPolicies.kesl])
        #expect(recorder.wait(timeout: 3) { $0.contains { $0.contains("dpkg: /var/lib/dpkg/status") } }, "\(recorder.all)")
    }

    @Test("writes to other files of the database directory are not changes")
    func ignoresOtherFiles() throws {
        let root = try DebianRoot()
        let recorder = Recorder()
        let watcher = try PackageDatabaseWatcher(root: root.path) { recorder.add($0) }
        watcher.start()
        defer { watcher.stop() }
        try root.directory.write("var/lib/dpkg/lock-frontend", "")
        try root.directory.write("var/lib/dpkg/status-old", "x")
        _ = try Data(contentsOf: root.directory.url.appendingPathComponent("var/lib/dpkg/status"))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(recorder.all.isEmpty, "\(recorder.all)")
    }

    @Test("a database directory that appears later (a first rpm install) is found and watched")
    func databaseAppears() throws {
        let root = try DebianRoot()
        let recorder = Recorder()
        let watcher = try PackageDatabaseWatcher(root: root.path) { recorder.add($0) }
        watcher.start()
        defer { watcher.stop() }
        #expect(!watcher.watchedPaths.contains { $0.path.hasSuffix("/var/lib/rpm") })
        try root.directory.makeDirectory("var/lib/rpm")
        #expect(recorder.wait(timeout: 3) { $0.contains { $0.contains("new package database directory /var/lib/rpm") } }, "\(recorder.all)")
        #expect(watcher.watchedPaths.contains { $0.path == root.path + "/var/lib/rpm" && $0.isDatabase })
        try root.directory.write("var/lib/rpm/rpmdb.sqlite", "not really sqlite")
        #expect(recorder.wait(timeout: 3) { $0.contains { $0.contains("rpm: /var/lib/rpm/rpmdb.sqlite") } }, "\(recorder.all)")
    }

    @Test("symbolic links never lead the watches out of the root")
    func staysInsideRoot() throws {
        let root = try TemporaryDirectory(prefix: "embargo-root")
        let outside = try TemporaryDirectory(prefix: "embargo-outside")
        try outside.makeDirectory("dpkg")
        try root.makeDirectory("var/lib")
        // An absolute link: inside the root it means <root>/<outside>/dpkg, which does not exist.
        try root.symlink("var/lib/dpkg", to: outside.path + "/dpkg")
        let watcher = try PackageDatabaseWatcher(root: root.path) { _ in }
        watcher.start()
        defer { watcher.stop() }
        #expect(watcher.watchedPaths.allSatisfy { $0.path.hasPrefix(root.path) }, "\(watcher.watchedPaths)")
    }

    @Test("the wall-clock timer fires at the instant, not before")
    func timerFiresAtInstant() throws {
        let recorder = Recorder()
        let timer = try WallClockTimer { trigger in recorder.add("\(trigger)|\(Date().timeIntervalSince1970)") }
        defer { timer.cancel() }
        let instant = Date().addingTimeInterval(0.4)
        timer.arm(at: instant)
        #expect(recorder.wait(timeout: 2) { !$0.isEmpty })
        let parts = try #require(recorder.all.first?.split(separator: "|"))
        #expect(parts.first == "timer")
        let firedAt = try #require(Double(parts[1]))
        #expect(firedAt >= instant.timeIntervalSince1970)
        #expect(firedAt - instant.timeIntervalSince1970 < 0.2)
        // Disarmed: nothing more.
        timer.arm(at: nil)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(recorder.all.count == 1)
    }
}
