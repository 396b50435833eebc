import EmbargoInventory
import Foundation

/// `embargo inventory`: every package found, one shape for every ecosystem.
public struct InventoryDocument: Sendable, Encodable {
    public static let schemaIdentifier = "embargo.inventory/v1"

    public var schema = InventoryDocument.schemaIdentifier
    public var root: String
    public var packages: [PackageRow]
    public var sources: [InventorySource]
    public var errors: [ScanIssue]

    /// The document as JSON: the same keys `Encodable` gives, written without `JSONEncoder`.
    public var jsonValue: JSONValue {
        .object([
            "schema": .string(schema), "root": .string(root), "packages": .array(packages.map(\.jsonValue)),
            "sources": .array(
                sources.map { .object(["collector": .string($0.collector), "path": .string($0.path), "items": .integer($0.items)]) }),
            "errors": .array(errors.map(\.jsonValue)),
        ])
    }

    public init(_ inventory: Inventory) {
        root = inventory.root
        packages = inventory.packages.map(PackageRow.init).sorted {
            ($0.type, $0.name, $0.arch ?? "", $0.version) < ($1.type, $1.name, $1.arch ?? "", $1.version)
        }
        sources = inventory.sources
        errors = inventory.issues
    }

    /// One package; absent values are written as `null` so every row has the same keys.
    public struct PackageRow: Sendable, Encodable {
        public var type: String
        public var name: String
        public var version: String
        public var release: String?
        public var epoch: Int?
        public var arch: String?
        public var vendor: String?
        public var maintainer: String?
        public var packager: String?
        public var publisher: String?
        public var sourcePackage: String?
        public var status: String?
        public var state: String
        public var installedAt: String?
        public var installedAtSource: String?
        public var updatedAt: String?
        public var updatedAtSource: String?
        public var source: String
        public var metadata: [String: String]

        init(_ package: InstalledPackage) {
            type = package.type.rawValue
            name = package.name
            version = package.version
            release = package.release
            epoch = package.epoch
            arch = package.arch
            vendor = package.vendor
            maintainer = package.maintainer
            packager = package.packager
            publisher = package.publisher
            sourcePackage = package.sourcePackage
            status = package.status
            state = package.state.rawValue
            installedAt = package.installedAt.map { RFC3339.format($0.date) }
            installedAtSource = package.installedAt?.source.rawValue
            updatedAt = package.updatedAt.map { RFC3339.format($0.date) }
            updatedAtSource = package.updatedAt?.source.rawValue
            source = package.source
            metadata = package.metadata
        }

        enum CodingKeys: String, CodingKey {
            case type, name, version, release, epoch, arch, vendor, maintainer, packager, publisher, sourcePackage
            case status, state, installedAt, installedAtSource, updatedAt, updatedAtSource, source, metadata
        }

        var jsonValue: JSONValue {
            // Keys in sorted order, as every other object of the document.
            .sortedObject([
                ("arch", .optional(arch)), ("epoch", .optional(epoch)), ("installedAt", .optional(installedAt)),
                ("installedAtSource", .optional(installedAtSource)), ("maintainer", .optional(maintainer)),
                ("metadata", .object(metadata.mapValues(JSONValue.string))), ("name", .string(name)),
                ("packager", .optional(packager)), ("publisher", .optional(publisher)), ("release", .optional(release)),
                ("source", .string(source)), ("sourcePackage", .optional(sourcePackage)), ("state", .string(state)),
                ("status", .optional(status)), ("type", .string(type)), ("updatedAt", .optional(updatedAt)),
                ("updatedAtSource", .optional(updatedAtSource)), ("vendor", .optional(vendor)), ("version", .string(version)),
            ])
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(name, forKey: .name)
            try container.encode(version, forKey: .version)
            try container.encode(release, forKey: .release)
            try container.encode(epoch, forKey: .epoch)
            try container.encode(arch, forKey: .arch)
            try container.encode(vendor, forKey: .vendor)
            try container.encode(maintainer, forKey: .maintainer)
            try container.encode(packager, forKey: .packager)
            try container.encode(publisher, forKey: .publisher)
            try container.encode(sourcePackage, forKey: .sourcePackage)
            try container.encode(status, forKey: .status)
            try container.encode(state, forKey: .state)
            try container.encode(installedAt, forKey: .installedAt)
            try container.encode(installedAtSource, forKey: .installedAtSource)
            try container.encode(updatedAt, forKey: .updatedAt)
            try container.encode(updatedAtSource, forKey: .updatedAtSource)
            try container.encode(source, forKey: .source)
            try container.encode(metadata, forKey: .metadata)
        }
    }
}

public enum InventoryRenderer {
    public static func json(_ inventory: Inventory) throws -> Data {
        Data(InventoryDocument(inventory).jsonValue.serialized())
    }

    public static func text(_ inventory: Inventory) -> String {
        let document = InventoryDocument(inventory)
        var rows: [[String]] = [["TYPE", "NAME", "VERSION", "ARCH", "STATE", "INSTALLED", "UPDATED", "DATABASE"]]
        for row in document.packages {
            var version = row.version
            if let release = row.release, !release.isEmpty { version += "-" + release }
            if let epoch = row.epoch, row.type != "deb" && row.type != "opkg" { version = "\(epoch):" + version }
            rows.append([
                row.type, row.name, version, row.arch ?? "-", row.state, row.installedAt.map { String($0.prefix(10)) } ?? "-",
                row.updatedAt.map { String($0.prefix(10)) } ?? "-", row.source,
            ])
        }
        var out = TextTable.render(rows)
        for issue in document.errors {
            out += "\(issue.severity.rawValue): \(issue.location.text): \(issue.message) [\(issue.code)]\n"
        }
        out += "\(document.packages.count) packages in \(inventory.root)\n"
        return out
    }
}
