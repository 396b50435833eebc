import EmbargoInventory
import EmbargoPolicy
import Foundation

/// Everything an evaluation depends on. Evaluation reads no file and no clock: the as-of instant
/// is an input like any other, so every date rule can be tested for any day.
public struct EvaluationInput: Sendable {
    public var inventory: Inventory
    public var policies: PolicySet
    public var profile: Profile
    public var asOf: Date
    public var waivers: [Waiver]
    /// The host name waivers are scoped to.
    public var hostName: String?

    public init(
        inventory: Inventory, policies: PolicySet, profile: Profile, asOf: Date, waivers: [Waiver] = [],
        hostName: String? = nil
    ) {
        self.inventory = inventory
        self.policies = policies
        self.profile = profile
        self.asOf = asOf
        self.waivers = waivers
        self.hostName = hostName
    }
}

/// Turns an inventory into findings: one per (vendor, product) with all its evidence, its status,
/// severity and the phases that apply, as of one instant.
public enum Evaluator {
    public static func evaluate(_ input: EvaluationInput) -> [Finding] {
        let vendors = input.policies.vendors
        let matcher = EvidenceMatcher(vendors: vendors)
        let grouped = Dictionary(grouping: matcher.matches(in: input.inventory), by: \.product)
        var findings: [Finding] = []
        for (key, matches) in grouped {
            let vendor = vendors[key.vendor]
            let product = vendor.products[key.product]
            findings.append(
                finding(vendor: vendor, product: product, matches: matches, input: input))
        }
        return findings.sorted(by: Self.reportOrder)
    }

    /// Action first: status rank, then severity (highest first), then vendor and product.
    public static func reportOrder(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.status.rank != rhs.status.rank { return lhs.status.rank < rhs.status.rank }
        if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
        if lhs.vendor != rhs.vendor { return lhs.vendor < rhs.vendor }
        return lhs.product < rhs.product
    }

    static func finding(vendor: Vendor, product: Product, matches: [Match], input: EvaluationInput) -> Finding {
        let evidence = deduplicated(matches)
        let sufficient = matches.filter(\.isSufficient)
        let confidence: Confidence =
            sufficient.contains { $0.identifier.strength == .vendorDocumented }
            ? .high : sufficient.isEmpty ? .low : .medium

        // Dates: packages first (their databases record installs); loose files by mtime.
        let packages = matches.compactMap(\.package)
        let installedPackages = packages.filter { $0.state.hasProgramFiles }
        let datedPackages = installedPackages.isEmpty ? packages : installedPackages
        var installedAt = datedPackages.compactMap(\.installedAt).min()
        var updatedAt = datedPackages.compactMap(\.updatedAt).max()
        if installedAt == nil && updatedAt == nil, packages.isEmpty {
            let times = matches.compactMap(\.modifiedAt)
            installedAt = times.min().map { RecordedDate($0, source: .fileMtime) }
            updatedAt = times.max().map { RecordedDate($0, source: .fileMtime) }
        }

        var exemptions: [AppliedExemption] = []
        var phases: [PhaseAssessment] = []
        let binding = vendor.restrictions.filter { $0.binds.contains(input.profile.id) }
        for restriction in binding {
            if let exemption = restriction.exemption(for: product) {
                exemptions.append(
                    AppliedExemption(restriction: restriction.id, reason: exemption.reason, citation: exemption.citation))
                continue
            }
            for phase in restriction.phases {
                phases.append(
                    assess(phase, of: restriction, asOf: input.asOf, installedAt: installedAt?.date, updatedAt: updatedAt?.date))
            }
        }
        let violations = phases.filter { $0.violation && $0.inEffect }
        let upcoming = phases.filter { $0.violation && !$0.inEffect }.min { $0.effective < $1.effective }

        // Only what removal left behind (configuration files, a dangling enable link), and
        // nothing that runs, is installed or is trusted: a remnant.
        let onlyRemnants = matches.allSatisfy(\.isRemnant)

        var status: FindingStatus
        var severity: Severity
        if phases.isEmpty {
            status = exemptions.isEmpty ? .notApplicable : .exempt
            severity = .info
        } else if confidence == .low {
            status = .suspected
            severity = .low
        } else if onlyRemnants {
            status = .remnant
            severity = .low
        } else if !violations.isEmpty {
            status = .violation
            severity = violations.map(\.severity).max() ?? .high
        } else if upcoming != nil {
            status = .upcoming
            severity = .low
        } else {
            status = .notApplicable
            severity = .info
        }

        var appliedWaiver: AppliedWaiver?
        if status == .violation || status == .remnant || status == .suspected {
            let provisional = Finding(
                vendor: vendor.id, vendorName: vendor.name, product: product.id, productName: product.name,
                status: status, severity: severity, confidence: confidence, phases: phases, exemptions: exemptions,
                evidence: evidence, remediation: [])
            let covering = input.waivers.filter { $0.covers(provisional, hostName: input.hostName) }
            if let active = covering.filter({ $0.isActive(at: input.asOf) }).max(by: { $0.expires < $1.expires }) {
                appliedWaiver = AppliedWaiver(
                    id: active.id, reason: active.reason, approver: active.approver,
                    expires: RFC3339.format(active.expires), expired: false)
                status = .waived
            } else if let expired = covering.filter({ $0.expires <= input.asOf }).max(by: { $0.expires < $1.expires }) {
                // Only a waiver past its expiry is "expired"; one not in force yet is not shown.
                appliedWaiver = AppliedWaiver(
                    id: expired.id, reason: expired.reason, approver: expired.approver,
                    expires: RFC3339.format(expired.expires), expired: true)
            }
        }

        return Finding(
            vendor: vendor.id, vendorName: vendor.name, product: product.id, productName: product.name, status: status,
            severity: severity, confidence: confidence, installedAt: installedAt?.date,
            installedAtSource: installedAt?.source.rawValue, updatedAt: updatedAt?.date,
            updatedAtSource: updatedAt?.source.rawValue, phases: phases,
            nextPhase: status == .upcoming ? upcoming : nil, exemptions: exemptions, waiver: appliedWaiver,
            evidence: evidence, remediation: Remediation.steps(for: matches, product: product))
    }

    static func assess(_ phase: Phase, of restriction: Restriction, asOf: Date, installedAt: Date?, updatedAt: Date?)
        -> PhaseAssessment
    {
        let inEffect = phase.effective <= asOf
        let seconds = phase.effective.timeIntervalSince(asOf)
        let days = inEffect ? 0 : Int((seconds / 86_400).rounded(.down))
        var citations = restriction.citations
        if let citation = phase.citation { citations.insert(citation, at: 0) }
        return PhaseAssessment(
            restriction: restriction.id, restrictionTitle: restriction.title, authority: restriction.authority,
            phase: phase.id, kind: phase.kind.rawValue, effective: RFC3339.format(phase.effective),
            effectiveLocal: phase.effectiveText, prohibits: phase.prohibits, severity: phase.severity,
            violation: phase.violation, inEffect: inEffect, daysUntilEffective: days,
            installedAfter: installedAt.map { $0 >= phase.effective }, updatedAfter: updatedAt.map { $0 >= phase.effective },
            citations: citations)
    }

    /// One evidence item per thing found (kind and locator), credited to the strongest identifier
    /// that matched it, in a stable order. A directory is dropped when a file below it is already
    /// evidence: the file says more.
    static func deduplicated(_ matches: [Match]) -> [Evidence] {
        func rank(_ match: Match) -> Int {
            (match.isSufficient ? 2 : 0) + (match.identifier.strength == .vendorDocumented ? 1 : 0)
        }
        var best: [String: Match] = [:]
        var order: [String] = []
        for match in matches {
            let key = "\(match.evidence.kind.rawValue)\u{0}\(match.evidence.locator)"
            if let current = best[key] {
                if rank(match) > rank(current) { best[key] = match }
            } else {
                best[key] = match
                order.append(key)
            }
        }
        let evidence = order.compactMap { best[$0]?.evidence }
        let filePaths = evidence.filter { $0.kind == .file && $0.detail["type"] != "directory" }.map(\.locator)
        return evidence.filter { item in
            !(item.kind == .file && item.detail["type"] == "directory"
                && filePaths.contains(where: { $0.hasPrefix(item.locator + "/") }))
        }.sorted {
            if $0.kind != $1.kind {
                return EvidenceKind.allCases.firstIndex(of: $0.kind)! < EvidenceKind.allCases.firstIndex(of: $1.kind)!
            }
            return $0.locator < $1.locator
        }
    }

}
