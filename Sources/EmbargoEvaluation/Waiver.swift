import EmbargoInventory
import EmbargoPolicy
import Foundation

/// An approved, time-limited exception: while active it turns a `violation` into `waived`.
public struct Waiver: Sendable, Hashable {
    public var id: String
    /// What the waiver covers; every given field must match (nil matches anything).
    public var vendor: String?
    public var product: String?
    public var package: String?
    public var path: String?
    public var host: String?
    public var reason: String
    public var approver: String?
    public var created: Date?
    public var expires: Date
    /// Where the waiver was defined (`file:line:column`).
    public var definedAt: String?

    public init(
        id: String, vendor: String? = nil, product: String? = nil, package: String? = nil, path: String? = nil,
        host: String? = nil, reason: String, approver: String? = nil, created: Date? = nil, expires: Date,
        definedAt: String? = nil
    ) {
        self.id = id
        self.vendor = vendor
        self.product = product
        self.package = package
        self.path = path
        self.host = host
        self.reason = reason
        self.approver = approver
        self.created = created
        self.expires = expires
        self.definedAt = definedAt
    }

    /// Whether the waiver's scope covers a finding on a host (ignoring expiry).
    public func covers(_ finding: Finding, hostName: String?) -> Bool {
        if let vendor, vendor != finding.vendor { return false }
        if let product, product != finding.product { return false }
        if let host, host != hostName { return false }
        if let package, !finding.evidence.contains(where: { $0.kind == .package && $0.locator == package }) { return false }
        if let path {
            let glob = try? Glob(path, isPath: true)
            let matches = finding.evidence.contains { evidence in
                evidence.locator == path || (glob?.matches(evidence.locator) ?? false)
            }
            if !matches { return false }
        }
        return true
    }

    /// Whether the waiver is in force at an instant (created, if given, is not in the future).
    public func isActive(at instant: Date) -> Bool {
        if let created, created > instant { return false }
        return instant < expires
    }
}
