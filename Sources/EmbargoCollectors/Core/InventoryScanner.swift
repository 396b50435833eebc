import EmbargoFileSystem
import EmbargoInventory

/// Runs the collectors over one root, concurrently, and joins their parts into one inventory.
/// Afterwards every found file, unit or module that a package lists is attributed to that package.
public struct InventoryScanner: Sendable {
    public var collectors: [any InventoryCollector]

    public init(collectors: [any InventoryCollector] = InventoryScanner.defaultCollectors) {
        self.collectors = collectors
    }

    /// Every collector, in the order their results are merged. Adding a format is one line here.
    public static var defaultCollectors: [any InventoryCollector] {
        [
            DpkgCollector(),
            OpkgCollector(),
            RpmCollector(),
            ApkCollector(),
            PacmanCollector(),
            SnapCollector(),
            FlatpakCollector(),
            PolicyPathCollector(),
            SystemdUnitCollector(),
            CertificateCollector(),
            RepositoryCollector(),
            ProcessCollector(),
            FileWalkCollector(),
            KernelModuleCollector(),
        ]
    }

    public func scan(_ context: CollectionContext) async -> Inventory {
        let selected = collectors.filter { !context.options.packagesOnly || $0.readsPackageDatabase }
        let outputs = await withTaskGroup(of: (Int, CollectorOutput).self) { group in
            for (index, collector) in selected.enumerated() {
                group.addTask { (index, await collector.collect(context)) }
            }
            var results: [(Int, CollectorOutput)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var inventory = Inventory(root: context.fileSystem.rootDescription)
        for output in outputs { inventory.merge(output.inventory) }
        inventory.files = Self.mergingRecordsOfTheSamePath(inventory.files)
        attributeOwners(&inventory, sources: outputs.compactMap(\.ownership), context: context)
        return inventory
    }

    /// One record per path: the policy-path listing and the file walk can both find a file, each
    /// learning different things (the walk reads content: ELF facts, digest, markers).
    static func mergingRecordsOfTheSamePath(_ files: [FileRecord]) -> [FileRecord] {
        var merged: [String: FileRecord] = [:]
        var order: [String] = []
        for file in files {
            guard var existing = merged[file.path] else {
                merged[file.path] = file
                order.append(file.path)
                continue
            }
            existing.size = existing.size ?? file.size
            existing.modifiedAt = existing.modifiedAt ?? file.modifiedAt
            existing.permissions = existing.permissions ?? file.permissions
            existing.sha256 = existing.sha256 ?? file.sha256
            existing.attributes.merge(file.attributes) { current, _ in current }
            existing.markers = Array(Set(existing.markers + file.markers)).sorted()
            if !existing.foundBy.split(separator: ",").contains(Substring(file.foundBy)) {
                existing.foundBy += "," + file.foundBy
            }
            merged[file.path] = existing
        }
        return order.compactMap { merged[$0] }
    }

    /// Fills `owners` of found files, units, certificates and modules from the package file lists.
    func attributeOwners(_ inventory: inout Inventory, sources: [any FileOwnershipSource], context: CollectionContext) {
        let aliases = context.fileSystem.usrMerge
        var wanted = Set<String>()
        for file in inventory.files { wanted.insert(aliases.canonical(file.path)) }
        for unit in inventory.units where context.plan.isInterestingUnit(unit.name) { wanted.insert(aliases.canonical(unit.path)) }
        for certificate in inventory.certificates {
            for path in Self.ownablePaths(of: certificate) { wanted.insert(aliases.canonical(path)) }
        }
        for module in inventory.kernelModules { if let path = module.path { wanted.insert(aliases.canonical(path)) } }
        guard !wanted.isEmpty, !sources.isEmpty else { return }
        var owners: [String: [PackageID]] = [:]
        for source in sources {
            let result = source.owners(of: wanted, aliases: aliases)
            inventory.issues += result.issues
            for (path, ids) in result.owners { owners[path, default: []] += ids }
        }
        guard !owners.isEmpty else { return }
        func lookup(_ path: String) -> [PackageID] { owners[aliases.canonical(path)].map { Array(Set($0)).sorted() } ?? [] }
        for index in inventory.files.indices { inventory.files[index].owners = lookup(inventory.files[index].path) }
        for index in inventory.units.indices { inventory.units[index].owners = lookup(inventory.units[index].path) }
        for index in inventory.certificates.indices {
            let paths = Self.ownablePaths(of: inventory.certificates[index])
            inventory.certificates[index].owners = Array(Set(paths.flatMap(lookup))).sorted()
        }
        for index in inventory.kernelModules.indices {
            if let path = inventory.kernelModules[index].path { inventory.kernelModules[index].owners = lookup(path) }
        }
    }

    /// Every file a certificate was read from, link targets included: the anchor a package
    /// installed is owned even when the trust store reaches it through a link.
    static func ownablePaths(of certificate: TrustedCertificate) -> [String] {
        var paths = [certificate.path]
        for location in certificate.locations {
            paths.append(location.path)
            if let resolved = location.resolvedPath { paths.append(resolved) }
        }
        return Array(Set(paths))
    }
}
