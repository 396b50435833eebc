import EmbargoInventory

/// Debian and Ubuntu packages from `/var/lib/dpkg`.
public struct DpkgCollector: InventoryCollector {
    public init() {}
    public var name: String { "dpkg" }
    public var readsPackageDatabase: Bool { true }

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        DebianDatabaseReader(layout: .dpkg, fileSystem: context.fileSystem).read()
    }
}

/// OpenWrt packages from opkg's dpkg-style database (`/usr/lib/opkg/status`).
public struct OpkgCollector: InventoryCollector {
    public init() {}
    public var name: String { "opkg" }
    public var readsPackageDatabase: Bool { true }

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        DebianDatabaseReader(layout: .opkg, fileSystem: context.fileSystem).read()
    }
}
