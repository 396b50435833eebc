import EmbargoCollectors
import EmbargoFileSystem
import EmbargoInventory
import Foundation
import TestSupport

/// A temporary directory used as a scanned root, with the shared peer fixtures placed at the
/// paths their formats live at. Shared by the apk, pacman, snap and flatpak tests.
final class FakeRoot: @unchecked Sendable {
    let directory: TemporaryDirectory
    var path: String { directory.path }

    init() throws {
        directory = try TemporaryDirectory(prefix: "embargo-pkgs")
    }

    /// Copies `../shared/fixtures/<shared>` to `<root>/<inside>`.
    func place(shared: String, at inside: String) throws {
        try directory.copy(ProjectPaths.sharedFixture(shared), to: relative(inside))
    }

    /// Copies a fixture kept beside these tests (`Tests/EmbargoCollectorsTests/<format>/Fixtures/...`).
    func place(local: String, format: String, at inside: String) throws {
        try directory.copy(Self.localFixture(local, format: format), to: relative(inside))
    }

    /// Copies a directory tree with its symbolic links kept as links.
    func placeTree(_ source: URL, at inside: String) throws {
        let destination = directory.url.appendingPathComponent(relative(inside))
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try Command.check("/bin/cp", ["-a", source.path + "/.", destination.path])
    }

    func write(_ inside: String, _ contents: String) throws {
        try directory.write(relative(inside), contents)
    }

    func write(_ inside: String, bytes: [UInt8]) throws {
        try directory.write(relative(inside), Data(bytes))
    }

    func symlink(_ inside: String, to target: String) throws {
        try directory.symlink(relative(inside), to: target)
    }

    /// Sets a file's modification time (of the link itself when `ofLink`).
    func setModified(_ inside: String, _ date: Date, ofLink: Bool = false) throws {
        let stamp = String(format: "@%.0f", date.timeIntervalSince1970)
        try Command.check("/usr/bin/touch", (ofLink ? ["-h"] : []) + ["-d", stamp, directory.url.appendingPathComponent(relative(inside)).path])
    }

    func scan(_ collectors: [any InventoryCollector]) async throws -> Inventory {
        let fileSystem = try RootFileSystem(root: path)
        return await InventoryScanner(collectors: collectors).scan(CollectionContext(fileSystem: fileSystem))
    }

    /// The collector's own output, for its ownership source.
    func collect(_ collector: some InventoryCollector) async throws -> (CollectorOutput, RootFileSystem) {
        let fileSystem = try RootFileSystem(root: path)
        return (await collector.collect(CollectionContext(fileSystem: fileSystem)), fileSystem)
    }

    private func relative(_ inside: String) -> String {
        String(inside.drop { $0 == "/" })
    }

    static func localFixture(_ relative: String, format: String) -> URL {
        ProjectPaths.root.appendingPathComponent("Tests/EmbargoCollectorsTests").appendingPathComponent(format)
            .appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }
}

extension Inventory {
    func issues(code: String) -> [ScanIssue] { issues.filter { $0.code == code } }
    func package(named name: String) -> InstalledPackage? { packages.first { $0.name == name } }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) -> String? { self[key] as? String }
    func strings(_ key: String) -> [String]? { self[key] as? [String] }
    func int(_ key: String) -> Int? { self[key] as? Int }
}
