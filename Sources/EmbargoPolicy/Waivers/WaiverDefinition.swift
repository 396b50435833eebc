import EmbargoInventory
import Foundation

/// What a waiver covers. Every given field must match a finding; at least one is given.
public struct WaiverScope: Sendable, Hashable, Codable {
    /// Vendor id (`kaspersky`).
    public var vendor: String?
    /// Product id (`kesl`).
    public var product: String?
    /// Package name of a package evidence item (`kesl`).
    public var package: String?
    /// An evidence locator: an absolute path or path glob (`/opt/kaspersky/**`), or a unit name,
    /// URL or other locator written exactly.
    public var path: String?
    /// The host name the finding was made on (`/etc/hostname` of the scanned root).
    public var host: String?

    public init(vendor: String? = nil, product: String? = nil, package: String? = nil, path: String? = nil, host: String? = nil) {
        self.vendor = vendor
        self.product = product
        self.package = package
        self.path = path
        self.host = host
    }

    /// The fields given, as `key=value` in a fixed order.
    public var terms: [(key: String, value: String)] {
        [("vendor", vendor), ("product", product), ("package", package), ("path", path), ("host", host)].compactMap { key, value in
            value.map { (key, $0) }
        }
    }

    public var isEmpty: Bool { terms.isEmpty }

    /// `vendor=kaspersky product=kesl host=build-01`.
    public var description: String { terms.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// Where a waiver stands at an instant.
public enum WaiverStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// In force: a covered violation is `waived`.
    case active
    /// Past its expiry: the findings it covered are open again.
    case expired
    /// Its `created` instant is still ahead.
    case notYetValid = "not-yet-valid"
}

/// One approved, time-limited exception as written in a waiver file.
public struct WaiverDefinition: Sendable, Hashable {
    public var id: String
    public var scope: WaiverScope
    public var reason: String
    public var approver: String?
    /// When the waiver was granted; it is not in force before.
    public var created: Date?
    /// As written (`2025-01-15`, `2025-01-15T09:00:00+01:00`).
    public var createdText: String?
    /// The first instant the waiver is no longer in force.
    public var expires: Date
    public var expiresText: String
    public var location: SourceLocation

    public init(
        id: String, scope: WaiverScope, reason: String, approver: String? = nil, created: Date? = nil, createdText: String? = nil,
        expires: Date, expiresText: String, location: SourceLocation
    ) {
        self.id = id
        self.scope = scope
        self.reason = reason
        self.approver = approver
        self.created = created
        self.createdText = createdText
        self.expires = expires
        self.expiresText = expiresText
        self.location = location
    }

    /// Active from `created` (when given) up to, not including, `expires`.
    public func status(at instant: Date) -> WaiverStatus {
        if let created, created > instant { return .notYetValid }
        return instant < expires ? .active : .expired
    }
}

/// One waiver file as loaded.
public struct WaiverFile: Sendable, Hashable {
    public var path: String
    public var sha256: String
    public var waivers: [WaiverDefinition]

    public init(path: String, sha256: String, waivers: [WaiverDefinition]) {
        self.path = path
        self.sha256 = sha256
        self.waivers = waivers
    }
}
