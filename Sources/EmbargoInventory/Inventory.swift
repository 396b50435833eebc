/// Everything the collectors found on one root: plain values, with the dates and places each was
/// read from, and the problems met on the way.
public struct Inventory: Sendable, Codable {
    /// The scanned root as a host path (`/` for the live system).
    public var root: String
    public var packages: [InstalledPackage]
    public var files: [FileRecord]
    public var units: [ServiceUnit]
    public var certificates: [TrustedCertificate]
    public var repositories: [PackageRepository]
    public var processes: [RunningProcess]
    public var kernelModules: [KernelModule]
    public var issues: [ScanIssue]
    /// What was looked at, for the report's scope section (`dpkg: /var/lib/dpkg/status`, ...).
    public var sources: [InventorySource]

    public init(
        root: String, packages: [InstalledPackage] = [], files: [FileRecord] = [], units: [ServiceUnit] = [],
        certificates: [TrustedCertificate] = [], repositories: [PackageRepository] = [],
        processes: [RunningProcess] = [], kernelModules: [KernelModule] = [], issues: [ScanIssue] = [],
        sources: [InventorySource] = []
    ) {
        self.root = root
        self.packages = packages
        self.files = files
        self.units = units
        self.certificates = certificates
        self.repositories = repositories
        self.processes = processes
        self.kernelModules = kernelModules
        self.issues = issues
        self.sources = sources
    }

    /// Appends another collector's part.
    public mutating func merge(_ other: Inventory) {
        packages += other.packages
        files += other.files
        units += other.units
        certificates += other.certificates
        repositories += other.repositories
        processes += other.processes
        kernelModules += other.kernelModules
        issues += other.issues
        sources += other.sources
    }

    /// Packages by identity, for resolving ``PackageID`` references.
    public func package(withID id: PackageID) -> InstalledPackage? {
        packages.first { $0.id == id }
    }
}

/// One input a collector read (or looked for), for the scope section of reports.
public struct InventorySource: Sendable, Codable, Hashable {
    public var collector: String
    public var path: String
    /// Number of items read from it.
    public var items: Int

    public init(collector: String, path: String, items: Int) {
        self.collector = collector
        self.path = path
        self.items = items
    }
}
