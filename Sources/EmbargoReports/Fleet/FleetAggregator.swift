import EmbargoInventory
import Foundation

/// Replays every host's embargod entries in time order into where each host stands: a
/// `finding-found` entry starts holding a product, `finding-changed`, `phase-upcoming` and
/// `waiver-expired` update its status, `finding-resolved` ends the holding. Pure: entries in,
/// report out; the cost is one sort per host and one pass.
public struct FleetAggregator {
    public var asOf: Date?
    /// Entries collected so far, by host (kept apart from the start: no second copy of the fleet).
    private var byHost: [FleetHostKey: [FleetEntry]] = [:]
    public private(set) var collected = 0

    public init(asOf: Date? = nil) {
        self.asOf = asOf
    }

    /// Takes one entry (entries after the as-of instant are dropped here).
    public mutating func add(_ entry: FleetEntry) {
        if let asOf, entry.time > asOf { return }
        byHost[entry.host, default: []].append(entry)
        collected += 1
    }

    /// Replays every host collected with ``add(_:)``.
    public mutating func finish(
        sources: [FleetReportDocument.Source], problems: [FleetReportDocument.SourceProblem], toolVersion: String,
        generatedAt: Date
    ) -> FleetReportDocument {
        let grouped = byHost
        byHost = [:]
        return report(grouped, sources: sources, problems: problems, toolVersion: toolVersion, generatedAt: generatedAt)
    }

    /// What one host's replay keeps while it runs.
    struct HostState {
        var key: FleetHostKey
        var hostname: String?
        var machineID: String?
        var firstEntry: Date
        var lastEntry: Date
        var lastScan: FleetReportDocument.ScanSummary?
        var lastError: (Date, String)?
        var held: [String: FleetReportDocument.HeldFinding] = [:]
        var resolved: [String: FleetReportDocument.ResolvedFinding] = [:]
        var entries = 0
    }

    /// Groups the entries by host and replays each host.
    public func aggregate(
        _ entries: [FleetEntry], sources: [FleetReportDocument.Source], problems: [FleetReportDocument.SourceProblem],
        toolVersion: String, generatedAt: Date
    ) -> FleetReportDocument {
        var aggregator = self
        for entry in entries { aggregator.add(entry) }
        return aggregator.finish(sources: sources, problems: problems, toolVersion: toolVersion, generatedAt: generatedAt)
    }

    private func report(
        _ byHost: [FleetHostKey: [FleetEntry]], sources: [FleetReportDocument.Source],
        problems: [FleetReportDocument.SourceProblem], toolVersion: String, generatedAt: Date
    ) -> FleetReportDocument {
        var hosts: [FleetReportDocument.Host] = []
        hosts.reserveCapacity(byHost.count)
        for (key, hostEntries) in byHost {
            hosts.append(replay(key: key, entries: hostEntries))
        }
        hosts.sort { lhs, rhs in
            if lhs.hasViolation != rhs.hasViolation { return lhs.hasViolation }
            if lhs.displayName != rhs.displayName { return lhs.displayName < rhs.displayName }
            return lhs.key < rhs.key
        }
        return FleetReportDocument(
            toolVersion: toolVersion, generatedAt: generatedAt, asOf: asOf, sources: sources, problems: problems, hosts: hosts,
            products: products(of: hosts))
    }

    func replay(key: FleetHostKey, entries: [FleetEntry]) -> FleetReportDocument.Host {
        let ordered = entries.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
        let first = ordered.first?.time ?? Date(timeIntervalSince1970: 0)
        var state = HostState(key: key, firstEntry: first, lastEntry: first)
        for entry in ordered {
            state.entries += 1
            state.lastEntry = entry.time
            if let hostname = entry.hostname { state.hostname = hostname }
            if let machineID = entry.machineID { state.machineID = machineID }
            apply(entry, to: &state)
        }
        var lastError: String?
        var lastErrorAt: Date?
        if let (at, message) = state.lastError, at >= (state.lastScan?.at ?? .distantPast) {
            lastError = message
            lastErrorAt = at
        }
        let order = ["violation", "suspected", "upcoming", "remnant", "waived", "exempt", "not-applicable"]
        func rank(_ status: String) -> Int { order.firstIndex(of: status) ?? order.count }
        return FleetReportDocument.Host(
            key: key, hostname: state.hostname, machineID: state.machineID, firstEntry: state.firstEntry,
            lastEntry: state.lastEntry, lastScan: state.lastScan, lastError: lastError, lastErrorAt: lastErrorAt,
            held: state.held.values.sorted { (rank($0.status), $0.findingID) < (rank($1.status), $1.findingID) },
            resolved: state.resolved.values.sorted { ($0.resolvedAt, $0.findingID) > ($1.resolvedAt, $1.findingID) },
            entries: state.entries)
    }

    func apply(_ entry: FleetEntry, to state: inout HostState) {
        switch entry.kind {
        case .scanCompleted:
            state.lastScan = FleetReportDocument.ScanSummary(
                at: entry.time, scanID: entry.scanID, verdict: entry.verdict, findings: entry.findingCount, errors: entry.errorCount,
                policyID: entry.policyID, policyVersion: entry.policyVersion, profile: entry.profile)
        case .scanError:
            state.lastError = (entry.time, entry.message ?? "scan error")
        case .findingResolved:
            guard let id = findingID(entry) else { return }
            let before = state.held.removeValue(forKey: id)
            state.resolved[id] = FleetReportDocument.ResolvedFinding(
                findingID: id, vendor: entry.vendor ?? before?.vendor ?? "", product: entry.product ?? before?.product ?? "",
                productName: entry.productName ?? before?.productName, lastStatus: before?.status,
                firstSeen: before?.firstSeen ?? entry.firstSeen.flatMap { try? RFC3339.parse($0) }, resolvedAt: entry.time)
        case .findingFound, .findingChanged, .phaseUpcoming, .waiverExpired:
            guard let id = findingID(entry) else { return }
            let status = entry.status ?? state.held[id]?.status ?? "unknown"
            if var finding = state.held[id] {
                // A repeated `found` (an entry delivered twice) keeps the holding's start.
                if finding.status != status { finding.statusSince = entry.time }
                finding.status = status
                update(&finding, from: entry)
                state.held[id] = finding
            } else {
                state.resolved[id] = nil
                var finding = FleetReportDocument.HeldFinding(
                    findingID: id, vendor: entry.vendor ?? "", vendorName: nil, product: entry.product ?? "", productName: nil,
                    status: status, severity: nil, confidence: nil, firstSeen: entry.time,
                    firstSeenExact: entry.kind == .findingFound, statusSince: entry.time, lastEntry: entry.time,
                    lastEvent: entry.kind.rawValue, phase: nil, effective: nil, packageIDs: [], installedAt: nil, waiverID: nil,
                    waiverExpires: nil, waiverExpired: false)
                update(&finding, from: entry)
                state.held[id] = finding
            }
        }
    }

    private func update(_ finding: inout FleetReportDocument.HeldFinding, from entry: FleetEntry) {
        finding.lastEntry = entry.time
        finding.lastEvent = entry.kind.rawValue
        if let value = entry.vendor { finding.vendor = value }
        if let value = entry.vendorName { finding.vendorName = value }
        if let value = entry.product { finding.product = value }
        if let value = entry.productName { finding.productName = value }
        if let value = entry.severity { finding.severity = value }
        if let value = entry.confidence { finding.confidence = value }
        finding.phase = entry.phase ?? finding.phase
        finding.effective = entry.effective ?? finding.effective
        if !entry.packageIDs.isEmpty { finding.packageIDs = entry.packageIDs.sorted() }
        if let value = entry.installedAt { finding.installedAt = value }
        // Every finding entry states the waiver when one applies: no waiver fields, no waiver.
        finding.waiverID = entry.waiverID
        finding.waiverExpires = entry.waiverID == nil ? nil : entry.waiverExpires
        finding.waiverExpired = entry.waiverID != nil && (entry.kind == .waiverExpired || finding.status != "waived")
    }

    /// `EMBARGO_FINDING_ID`, else `vendor/product`.
    private func findingID(_ entry: FleetEntry) -> String? {
        if let id = entry.findingID, !id.isEmpty { return id }
        guard let vendor = entry.vendor, let product = entry.product else { return nil }
        return "\(vendor)/\(product)"
    }

    /// Each held product with the hosts holding it, most violations first.
    func products(of hosts: [FleetReportDocument.Host]) -> [FleetReportDocument.Product] {
        // Mutated in place in an array (a dictionary value copied out and back would copy its
        // holders at every append: quadratic in the hosts holding a product).
        var products: [FleetReportDocument.Product] = []
        var positions: [String: Int] = [:]
        for host in hosts {
            for finding in host.held {
                let position: Int
                if let known = positions[finding.findingID] {
                    position = known
                } else {
                    position = products.count
                    positions[finding.findingID] = position
                    products.append(
                        FleetReportDocument.Product(
                            findingID: finding.findingID, vendor: finding.vendor, vendorName: finding.vendorName,
                            product: finding.product, productName: finding.productName, holders: [], byStatus: [:], firstSeen: nil))
                }
                products[position].vendorName = products[position].vendorName ?? finding.vendorName
                products[position].productName = products[position].productName ?? finding.productName
                products[position].holders.append(
                    .init(
                        host: host.displayName, machineID: host.machineID, root: host.root, status: finding.status,
                        firstSeen: finding.firstSeen))
                products[position].byStatus[finding.status, default: 0] += 1
                products[position].firstSeen = min(products[position].firstSeen ?? finding.firstSeen, finding.firstSeen)
            }
        }
        return products.sorted { lhs, rhs in
            let left = lhs.byStatus["violation"] ?? 0
            let right = rhs.byStatus["violation"] ?? 0
            if left != right { return left > right }
            if lhs.holders.count != rhs.holders.count { return lhs.holders.count > rhs.holders.count }
            return lhs.findingID < rhs.findingID
        }
    }
}
