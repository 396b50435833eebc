import EmbargoInventory
import EmbargoPolicy
import Foundation

/// A product reference inside a policy set.
struct ProductKey: Hashable, Comparable {
    var vendor: Int
    var product: Int

    static func < (lhs: ProductKey, rhs: ProductKey) -> Bool { (lhs.vendor, lhs.product) < (rhs.vendor, rhs.product) }
}

/// One inventory item matched by one identifier of one product.
struct Match {
    var product: ProductKey
    var identifier: Identifier
    var evidence: Evidence
    /// For package evidence: the package, for dates and remediation.
    var package: InstalledPackage?
    /// Modification time of a loose file, used as a date of last resort.
    var modifiedAt: Date?
    /// Evidence that cannot establish a product by itself whatever its identifier says (a bare
    /// directory: an empty leftover folder is not software).
    var weakened = false
    /// What is left after removal, not the product itself: configuration files of a removed
    /// package, an enable link whose unit file is gone.
    var isRemnant = false

    var isSufficient: Bool { identifier.weight == .sufficient && !weakened }
}

/// Finds every inventory item that matches a product identifier.
///
/// Rules that keep findings honest:
/// - a file, unit or module owned by a package belongs to that package: if the package matched, the
///   item is more evidence of the same finding; if not, the item is not loose evidence at all;
/// - evidence claimed by a specific product is not also given to the vendor's generic product.
struct EvidenceMatcher {
    let vendors: [Vendor]
    private var byKind: [IdentifierKind: [(ProductKey, Identifier)]] = [:]

    init(vendors: [Vendor]) {
        self.vendors = vendors
        for (vendorIndex, vendor) in vendors.enumerated() {
            for (productIndex, product) in vendor.products.enumerated() {
                for identifier in product.identifiers {
                    byKind[identifier.kind, default: []].append((ProductKey(vendor: vendorIndex, product: productIndex), identifier))
                }
            }
        }
    }

    func identifiers(_ kind: IdentifierKind) -> [(ProductKey, Identifier)] { byKind[kind] ?? [] }

    func isGeneric(_ key: ProductKey) -> Bool { vendors[key.vendor].products[key.product].isGeneric }

    func matches(in inventory: Inventory) -> [Match] {
        var matches: [Match] = []
        var matchedPackages: [PackageID: [ProductKey]] = [:]

        for package in inventory.packages {
            let found = packageMatches(package)
            for match in found { matchedPackages[package.id, default: []].append(match.product) }
            matches += found
        }

        // Items owned by packages: attach to the owner's finding, or drop (the package wins).
        func ownedEvidence(_ owners: [PackageID], kind: EvidenceKind, locator: String, detail: [String: String]) -> [Match]? {
            guard !owners.isEmpty else { return nil }
            var result: [Match] = []
            for owner in owners {
                for product in Set(matchedPackages[owner] ?? []) {
                    var detail = detail
                    detail["ownedBy"] = owner.description
                    let identifier = packageIdentifier(for: product, owner: owner, inventory: inventory)
                    let ownerIsRemnant = inventory.packages.first { $0.id == owner }.map { !$0.state.hasProgramFiles } ?? false
                    result.append(
                        Match(
                            product: product, identifier: identifier,
                            evidence: Evidence(kind: kind, locator: locator, identifier: MatchedIdentifier(identifier), detail: detail),
                            isRemnant: ownerIsRemnant))
                }
            }
            return result
        }

        var looseFiles: [Match] = []
        for file in inventory.files {
            let detail = fileDetail(file)
            if let owned = ownedEvidence(file.owners, kind: .file, locator: file.path, detail: detail) {
                matches += owned
                continue
            }
            looseFiles += specific(fileMatches(file, detail: detail))
        }
        matches += Self.withoutCoveredDirectories(looseFiles)
        for unit in inventory.units {
            var detail = ["manager": unit.manager, "path": unit.path, "enabled": String(unit.enabled)]
            for (key, value) in unit.properties { detail[key] = value }
            let found = identifiers(.unit).filter { $0.1.matches(unit.name) }
            guard !found.isEmpty else { continue }
            if let owned = ownedEvidence(unit.owners, kind: .service, locator: unit.name, detail: detail) {
                matches += owned
                continue
            }
            let dangling = unit.properties["danglingLink"] == "true"
            matches += specific(
                found.map { key, identifier in
                    Match(
                        product: key, identifier: identifier,
                        evidence: Evidence(kind: .service, locator: unit.name, identifier: MatchedIdentifier(identifier), detail: detail),
                        modifiedAt: unit.modifiedAt, isRemnant: dangling)
                })
        }
        for certificate in inventory.certificates {
            let found = identifiers(.certificateSubject).filter {
                $0.1.matches(certificate.subject) || $0.1.matches(certificate.issuer)
            }
            guard !found.isEmpty else { continue }
            var detail = [
                "path": certificate.path, "subject": certificate.subject, "issuer": certificate.issuer,
                "sha256": certificate.sha256Fingerprint, "index": String(certificate.index),
            ]
            if let notBefore = certificate.notBefore { detail["notBefore"] = RFC3339.format(notBefore) }
            if let notAfter = certificate.notAfter { detail["notAfter"] = RFC3339.format(notAfter) }
            if let serial = certificate.serialNumber { detail["serial"] = serial }
            if let owned = ownedEvidence(certificate.owners, kind: .certificate, locator: certificate.subject, detail: detail) {
                matches += owned
                continue
            }
            matches += specific(
                found.map { key, identifier in
                    Match(
                        product: key, identifier: identifier,
                        evidence: Evidence(
                            kind: .certificate, locator: certificate.subject, identifier: MatchedIdentifier(identifier), detail: detail))
                })
        }
        for repository in inventory.repositories {
            guard let host = repository.host else { continue }
            let found = identifiers(.repositoryHost).filter { $0.1.matches(host) }
            var detail = ["path": repository.path, "manager": repository.manager, "host": host, "enabled": String(repository.enabled)]
            if let line = repository.line { detail["line"] = String(line) }
            for (key, value) in repository.properties { detail[key] = value }
            matches += specific(
                found.map { key, identifier in
                    Match(
                        product: key, identifier: identifier,
                        evidence: Evidence(kind: .repository, locator: repository.url, identifier: MatchedIdentifier(identifier), detail: detail))
                })
        }
        for process in inventory.processes {
            // The kernel appends " (deleted)" to the link of an executable removed while running.
            let executable = process.executable.map { $0.hasSuffix(" (deleted)") ? String($0.dropLast(10)) : $0 }
            var found = identifiers(.process).filter { identifier in
                identifier.1.matches(process.command)
                    || (executable.map { identifier.1.matches(($0 as NSString).lastPathComponent) } ?? false)
            }
            if let executable {
                found += identifiers(.path).filter { $0.1.matches(executable) }
            }
            guard !found.isEmpty else { continue }
            var detail = ["pid": String(process.pid), "command": process.command]
            if let executable = process.executable { detail["executable"] = executable }
            if !process.commandLine.isEmpty { detail["commandLine"] = process.commandLine.joined(separator: " ") }
            if let started = process.startedAt { detail["startedAt"] = RFC3339.format(started) }
            matches += specific(
                found.map { key, identifier in
                    Match(
                        product: key, identifier: identifier,
                        evidence: Evidence(
                            kind: .process, locator: "\(process.command) (pid \(process.pid))", identifier: MatchedIdentifier(identifier),
                            detail: detail))
                })
        }
        for module in inventory.kernelModules {
            let found = identifiers(.kernelModule).filter { $0.1.matches(module.name.replacingOccurrences(of: "-", with: "_")) }
            guard !found.isEmpty else { continue }
            var detail = ["loaded": String(module.loaded)]
            if let path = module.path { detail["path"] = path }
            for (key, value) in module.modinfo { detail["modinfo." + key] = value }
            if let owned = ownedEvidence(module.owners, kind: .kernelModule, locator: module.name, detail: detail) {
                matches += owned
                continue
            }
            matches += specific(
                found.map { key, identifier in
                    Match(
                        product: key, identifier: identifier,
                        evidence: Evidence(kind: .kernelModule, locator: module.name, identifier: MatchedIdentifier(identifier), detail: detail))
                })
        }
        return matches
    }

    /// Drops generic-product matches of an item when a specific product also matched it.
    private func specific(_ matches: [Match]) -> [Match] {
        guard matches.contains(where: { !isGeneric($0.product) }) else { return matches }
        return matches.filter { !isGeneric($0.product) }
    }

    private func packageMatches(_ package: InstalledPackage) -> [Match] {
        var found: [(ProductKey, Identifier, String)] = []
        for (key, identifier) in identifiers(.package)
        where (identifier.ecosystems.isEmpty || identifier.ecosystems.contains(package.type)) && identifier.matches(package.name) {
            found.append((key, identifier, "name"))
        }
        for (key, identifier) in identifiers(.maintainer) {
            if let field = package.attributionFields.first(where: { identifier.matches($0.value) }) {
                found.append((key, identifier, field.field))
            }
        }
        let matches = found.map { key, identifier, field in
            var detail = packageDetail(package)
            detail["matchedField"] = field
            return Match(
                product: key, identifier: identifier,
                evidence: Evidence(kind: .package, locator: package.name, identifier: MatchedIdentifier(identifier), detail: detail),
                package: package, isRemnant: !package.state.hasProgramFiles)
        }
        return specific(matches)
    }

    /// The identifier to credit when an owned item joins its owner's finding: the one that matched
    /// the owner package.
    private func packageIdentifier(for product: ProductKey, owner: PackageID, inventory: Inventory) -> Identifier {
        let productValue = vendors[product.vendor].products[product.product]
        if let package = inventory.packages.first(where: { $0.id == owner }),
            let identifier = productValue.identifiers.first(where: { candidate in
                (candidate.kind == .package && candidate.matches(package.name))
                    || (candidate.kind == .maintainer && package.attributionFields.contains { candidate.matches($0.value) })
            })
        {
            return identifier
        }
        return productValue.identifiers[0]
    }

    private func fileMatches(_ file: FileRecord, detail: [String: String]) -> [Match] {
        var found: [(ProductKey, Identifier)] = []
        found += identifiers(.path).filter { $0.1.matches(file.path) }
        let baseName = (file.path as NSString).lastPathComponent
        found += identifiers(.fileName).filter { $0.1.matches(baseName) }
        if let digest = file.sha256 {
            found += identifiers(.sha256).filter { $0.1.value == digest }
        }
        for marker in file.markers {
            found += identifiers(.marker).filter { $0.1.value == marker }
        }
        if let noteName = file.attributes["package.name"] {
            found += identifiers(.package).filter { $0.1.matches(noteName) }
        }
        return found.map { key, identifier in
            Match(
                product: key, identifier: identifier,
                evidence: Evidence(kind: .file, locator: file.path, identifier: MatchedIdentifier(identifier), detail: detail),
                modifiedAt: file.modifiedAt, weakened: file.kind == "directory")
        }
    }

    /// Drops a directory when a file below it is evidence of any product: the file says which
    /// product the directory belongs to, and the directory must not found a second finding.
    static func withoutCoveredDirectories(_ matches: [Match]) -> [Match] {
        let files = Set(matches.filter { $0.evidence.detail["type"] != "directory" }.map(\.evidence.locator))
        guard !files.isEmpty else { return matches }
        return matches.filter { match in
            guard match.evidence.detail["type"] == "directory" else { return true }
            let prefix = match.evidence.locator + "/"
            return !files.contains { $0.hasPrefix(prefix) }
        }
    }

    private func fileDetail(_ file: FileRecord) -> [String: String] {
        var detail: [String: String] = ["type": file.kind, "foundBy": file.foundBy]
        if let size = file.size { detail["size"] = String(size) }
        if let modified = file.modifiedAt { detail["modifiedAt"] = RFC3339.format(modified) }
        if let permissions = file.permissions { detail["mode"] = String(permissions, radix: 8) }
        if let digest = file.sha256 { detail["sha256"] = digest }
        if !file.markers.isEmpty { detail["markers"] = file.markers.joined(separator: ",") }
        for (key, value) in file.attributes { detail[key] = value }
        return detail
    }

    private func packageDetail(_ package: InstalledPackage) -> [String: String] {
        var detail: [String: String] = [
            "type": package.type.rawValue, "version": package.fullVersion, "state": package.state.rawValue,
            "database": package.source,
        ]
        if let arch = package.arch { detail["arch"] = arch }
        if let status = package.status { detail["status"] = status }
        if let vendor = package.vendor { detail["vendor"] = vendor }
        if let maintainer = package.maintainer { detail["maintainer"] = maintainer }
        if let packager = package.packager { detail["packager"] = packager }
        if let publisher = package.publisher { detail["publisher"] = publisher }
        if let source = package.sourcePackage { detail["sourcePackage"] = source }
        if let installed = package.installedAt {
            detail["installedAt"] = RFC3339.format(installed.date)
            detail["installedAtSource"] = installed.source.rawValue
        }
        if let updated = package.updatedAt {
            detail["updatedAt"] = RFC3339.format(updated.date)
            detail["updatedAtSource"] = updated.source.rawValue
        }
        return detail
    }
}
