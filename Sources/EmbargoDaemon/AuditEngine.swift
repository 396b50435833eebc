import CSystemd
import EmbargoAudit
import EmbargoCollectors
import EmbargoEvaluation
import EmbargoInventory
import EmbargoJournal
import EmbargoPolicy
import EmbargoReports
import EmbargoStore
import Foundation
import Logging

/// The result of one scan or re-evaluation.
public enum ScanOutcome: Sendable {
    case completed(ScanRecord, hasViolation: Bool)
    /// The scan could not run (the root is unreadable, the store failed).
    case failed(String)
    /// Shutdown interrupted it; nothing was recorded.
    case cancelled
}

/// What a reload changed.
public struct ReloadOutcome: Sendable {
    /// The policies or profile changed: the scan plan may differ, so the root is scanned again.
    public var needsRescan = false
    /// The root or the watch setting changed: watches move.
    public var needsRewatch = false
    /// The waivers changed: the stored inventory is judged again (no rescan needed).
    public var needsReevaluation = false
}

/// Does the daemon's work, one call at a time (an actor): scan the root, judge the stored
/// inventory again, reload, and deliver journal entries through the store's outbox.
///
/// Every scan is compared with the stored state ([FindingDiff]); the scan, its report and
/// inventory, the new state, the history and the journal entries are committed in one
/// transaction, and the entries are then delivered and removed from the outbox. A crash between
/// the two delivers them at the next start (at least once); a journal that is down keeps them
/// waiting.
public actor AuditEngine {
    public private(set) var configuration: DaemonConfiguration
    public private(set) var policies: PolicySet
    public private(set) var profile: Profile
    public let store: EmbargoStore
    public let journal: JournalWriter
    let source: ConfigurationSource
    let logger: Logger
    let scanner: InventoryScanner
    /// The waivers in force (reloaded with the configuration).
    public private(set) var waiverSet: WaiverSet
    var waivers: [Waiver] { waiverSet.evaluatorWaivers }
    /// What the metrics file says; updated after every scan, re-evaluation and reload.
    var metrics: MetricsSnapshot
    /// The host name of the last scan, which waivers are scoped to.
    var lastHostName: String?
    /// Pending entries above this are dropped oldest first (a journal down for good).
    static let outboxLimit = 10_000
    /// Outbox entries up to this id were already counted and echoed as undelivered.
    var reportedThrough: Int64 = 0

    /// Opens the store and loads the policies and waivers; an invalid policy or waiver file at
    /// start-up is logged as rejected and fails the start.
    /// - Parameter waivers: the waivers to apply; nil reads the configured waiver files.
    public init(
        configuration: DaemonConfiguration, source: ConfigurationSource, logger: Logger,
        journal: JournalWriter = JournalWriter(), scanner: InventoryScanner = InventoryScanner(), waivers: WaiverSet? = nil
    ) async throws(DaemonError) {
        self.configuration = configuration
        self.source = source
        self.logger = logger
        self.journal = journal
        self.scanner = scanner
        let directory = configuration.resolvedStateDirectory()
        do {
            store = try EmbargoStore(directory: directory)
        } catch {
            throw .startup("cannot open the state database: \(error)")
        }
        switch Self.loadPolicies(configuration) {
        case .success(let (policies, profile)):
            self.policies = policies
            self.profile = profile
        case .failure(let problems):
            let entry = JournalEntries.policyRejected(problems: problems.lines, paths: problems.paths, keeping: nil)
            if configuration.journal { journal.send(entry) }
            throw .startup("no valid policy, not starting:\n" + problems.lines.joined(separator: "\n"))
        }
        if let waivers {
            waiverSet = waivers
        } else {
            switch Self.loadWaivers(configuration, policies: policies) {
            case .success(let set):
                waiverSet = set
            case .failure(let problems):
                let entry = JournalEntries.waiversRejected(problems: problems.lines, paths: problems.paths, keeping: nil)
                if configuration.journal { journal.send(entry) }
                throw .startup("invalid waivers, not starting:\n" + problems.lines.joined(separator: "\n"))
            }
        }
        for warning in waiverSet.warnings { logger.warning("\(warning)") }
        metrics = MetricsSnapshot(
            version: EmbargoVersion.current, policyID: policies.id, policyVersion: policies.version,
            policySHA256: policies.sha256, profile: profile.id)
        seedMetrics()
        enqueue([policyLoadedEntry(reason: "start")])
        deliverOutbox()
    }

    // MARK: - Scans

    /// Reads the root, judges it, records the scan and logs what changed.
    public func scan(trigger: String) async -> ScanOutcome {
        let scanID = UUID().uuidString.lowercased()
        let started = Date()
        let context = self.context(scanID: scanID, kind: .scan, trigger: trigger, asOf: started)
        enqueue([JournalEntries.scanStarted(context)])
        deliverOutbox()
        let request = AuditRequest(
            root: configuration.root, policies: policies, profileID: profile.id, asOf: nil,
            options: CollectionOptions(cacheDirectory: cacheDirectory()), waivers: waivers)
        var result: AuditResult
        do {
            result = try await Audit.run(request, scanner: scanner)
        } catch {
            return failed("Scan of \(configuration.root) failed: \(error)", context: context)
        }
        if Task.isCancelled { return .cancelled }
        result.report.scan.id = scanID
        var finishedContext = context
        finishedContext.asOf = (try? RFC3339.parse(result.report.asOf)) ?? started
        return record(
            report: result.report, inventory: result.inventory, kind: .scan, inventoryScanID: scanID, context: finishedContext,
            started: started)
    }

    /// Judges the last stored inventory again, as of now, without reading the root.
    public func reevaluate(trigger: String) async -> ScanOutcome {
        let stored: (scan: ScanRecord, inventory: Inventory)?
        do {
            stored = try store.latestInventory()
        } catch {
            return .failed("cannot read the stored inventory: \(error)")
        }
        guard let stored else { return await scan(trigger: trigger) }
        let scanID = UUID().uuidString.lowercased()
        let started = Date()
        let context = self.context(scanID: scanID, kind: .reevaluation, trigger: trigger, asOf: started)
        enqueue([JournalEntries.scanStarted(context)])
        let previousReport = try? store.report(scanID: stored.scan.id)
        let findings = Evaluator.evaluate(
            EvaluationInput(
                inventory: stored.inventory, policies: policies, profile: profile, asOf: started, waivers: waivers,
                hostName: previousReport?.host.hostname ?? lastHostName))
        let host = previousReport?.host ?? HostInfo(hostname: nil, osRelease: nil, kernel: nil, architecture: nil, root: configuration.root)
        let report = AuditReport(
            tool: ToolInfo(version: EmbargoVersion.current), host: host,
            scan: ScanInfo(id: scanID, startedAt: started, finishedAt: Date(), sources: stored.inventory.sources), asOf: started,
            profile: profile, policies: policies, findings: findings, issues: stored.inventory.issues,
            packageCount: stored.inventory.packages.count,
            waivers: waivers.map { WaiverRecord($0, asOf: started, findings: findings, hostName: host.hostname) })
        return record(report: report, inventory: nil, kind: .reevaluation, inventoryScanID: stored.scan.id, context: context, started: started)
    }

    private func record(
        report: AuditReport, inventory: Inventory?, kind: ScanKind, inventoryScanID: String, context: ScanContext,
        started: Date
    ) -> ScanOutcome {
        let finished = Date()
        let previous: [TrackedFinding]
        let previousScan: ScanRecord?
        do {
            previous = try store.trackedFindings()
            previousScan = try store.latestScan()
        } catch {
            return failed("cannot read the state database: \(error)", context: context)
        }
        let changes = FindingDiff.compare(
            previous: previous, current: report.findings, scanID: context.scanID, at: context.asOf,
            reminderDays: configuration.reminderDays)
        var entries: [JournalEntry] = changes.events.map { entry(for: $0, context: context) }
        let errors = report.errors.filter { $0.severity == .error }
        let previousErrors = previousScan.flatMap { try? store.report(scanID: $0.id) }?.errors.filter { $0.severity == .error } ?? []
        if !errors.isEmpty && Set(errors.map(\.description)) != Set(previousErrors.map(\.description)) {
            entries.append(
                JournalEntries.scanError(
                    "Scan of \(context.root) met \(errors.count) error(s) reading the root; coverage is incomplete: \(errors[0].description)",
                    issues: report.errors, context: context))
        }
        let summary = ScanSummary(
            findings: report.findings, packages: report.summary.packages, errors: report.summary.errors,
            warnings: report.summary.warnings, durationSeconds: finished.timeIntervalSince(started),
            found: changes.foundCount, changed: changes.changedCount, resolved: changes.resolvedCount)
        entries.append(JournalEntries.scanCompleted(summary, context: context))
        let scan = ScanRecord(
            id: context.scanID, kind: kind, trigger: context.trigger, startedAt: started, finishedAt: finished,
            asOf: context.asOf, root: context.root, profile: profile.id, policyID: policies.id,
            policyVersion: policies.version, policySHA256: policies.sha256, inventoryScanID: inventoryScanID,
            packageCount: report.summary.packages, findingCount: report.findings.count,
            countsByStatus: summary.byStatus, errorCount: summary.errors, warningCount: summary.warnings,
            foundCount: changes.foundCount, changedCount: changes.changedCount, resolvedCount: changes.resolvedCount)
        let commit = ScanCommit(
            scan: scan, report: report, inventory: inventory, tracked: changes.tracked, history: changes.history,
            outbox: configuration.journal ? entries.compactMap(Self.encode) : [])
        do {
            try store.commit(
                commit,
                retention: RetentionPolicy(inventories: configuration.keepInventories, scanDays: configuration.historyDays))
        } catch {
            // The state could not be written: still say what was found, straight to the journal.
            if configuration.journal { for entry in entries { journal.send(entry) } }
            return failed("cannot record scan \(context.scanID): \(error)", context: context)
        }
        deliverOutbox()
        lastHostName = report.host.hostname
        metrics.setFindings(report.findings)
        metrics.packages = report.summary.packages
        if kind == .scan {
            metrics.lastScanFinished = finished
            metrics.lastScanDuration = finished.timeIntervalSince(started)
            metrics.scanErrors = report.summary.errors
            metrics.scanWarnings = report.summary.warnings
        }
        metrics.lastEvaluationFinished = finished
        metrics.lastScanSucceeded = true
        writeMetrics()
        logger.info(
            "\(kind == .scan ? "scan" : "re-evaluation") \(context.scanID) done",
            metadata: [
                "trigger": "\(context.trigger)", "findings": "\(report.findings.count)", "new": "\(changes.foundCount)",
                "changed": "\(changes.changedCount)", "resolved": "\(changes.resolvedCount)",
            ])
        return .completed(scan, hasViolation: report.hasViolation)
    }

    private func entry(for event: FindingEvent, context: ScanContext) -> JournalEntry {
        switch event {
        case .found(let finding): return JournalEntries.found(finding, context: context)
        case .changed(let finding, let previous): return JournalEntries.changed(finding, previous: previous, context: context)
        case .resolved(let previous, let firstSeen): return JournalEntries.resolved(previous, firstSeen: firstSeen, context: context)
        case .waiverExpired(let finding, _): return JournalEntries.waiverExpired(finding, context: context)
        case .upcoming(let finding, let phase, let days):
            return JournalEntries.upcoming(finding, phase: phase, days: days, context: context)
        }
    }

    private func failed(_ message: String, context: ScanContext) -> ScanOutcome {
        logger.error("\(message)")
        metrics.scanFailures += 1
        metrics.lastScanSucceeded = false
        writeMetrics()
        enqueue([JournalEntries.scanError(message, context: context)])
        deliverOutbox()
        return .failed(message)
    }

    private func context(scanID: String, kind: ScanKind, trigger: String, asOf: Date) -> ScanContext {
        ScanContext(
            scanID: scanID, kind: kind.rawValue, trigger: trigger, root: configuration.root, profileID: profile.id,
            policyID: policies.id, policyVersion: policies.version, policySHA256: policies.sha256, asOf: asOf)
    }

    private func cacheDirectory() -> String {
        (configuration.resolvedStateDirectory() as NSString).appendingPathComponent("cache")
    }

    // MARK: - Scheduling

    /// The next instant at which findings change with no change on the host.
    public func nextEvaluation(after instant: Date = Date()) -> EvaluationSchedule.Wake? {
        guard let tracked = try? store.trackedFindings(includeResolved: false) else { return nil }
        return EvaluationSchedule.next(
            after: instant, findings: tracked, reminderDays: configuration.reminderDays, waivers: waivers, hostName: lastHostName)
    }

    // MARK: - Reload

    /// Re-reads the configuration file and the policies. Anything invalid is rejected with a
    /// journal entry and the previous value stays in force.
    public func reload() -> ReloadOutcome {
        var outcome = ReloadOutcome()
        var entries: [JournalEntry] = []
        var candidate = configuration
        do {
            candidate = try source.load()
        } catch {
            entries.append(JournalEntries.configurationRejected(problems: error.problems.map(\.description), file: source.file))
            logger.error("configuration rejected, the previous one stays in force", metadata: ["problems": "\(error)"])
        }
        if candidate.stateDirectory != configuration.stateDirectory {
            logger.warning("a new state-directory takes effect at the next start")
            candidate.stateDirectory = configuration.stateDirectory
        }
        var policiesLoaded = false
        let policyEntryPosition = entries.count
        switch Self.loadPolicies(candidate) {
        case .success(let (newPolicies, newProfile)):
            outcome.needsRescan = newPolicies.sha256 != policies.sha256 || newProfile.id != profile.id
            policies = newPolicies
            profile = newProfile
            policiesLoaded = true
        case .failure(let problems):
            entries.append(JournalEntries.policyRejected(problems: problems.lines, paths: problems.paths, keeping: policies))
            logger.error("policy rejected, keeping \(policies.id) \(policies.sha256)", metadata: ["problems": "\(problems.lines)"])
            // Keep the policy-related settings that produced the policies in force.
            candidate.policyPaths = configuration.policyPaths
            candidate.useBundledPolicies = configuration.useBundledPolicies
            candidate.profile = configuration.profile
        }
        switch Self.loadWaivers(candidate, policies: policies) {
        case .success(let set):
            // Waivers change findings, not the inventory: judging the stored inventory again is enough.
            outcome.needsReevaluation = set.sha256 != waiverSet.sha256 || set.waivers != waiverSet.waivers
            waiverSet = set
            for warning in set.warnings { logger.warning("\(warning)") }
        case .failure(let problems):
            entries.append(JournalEntries.waiversRejected(problems: problems.lines, paths: problems.paths, keeping: waiverSet.waivers.count))
            logger.error("waivers rejected, keeping the \(waiverSet.waivers.count) in force", metadata: ["problems": "\(problems.lines)"])
            candidate.waiverPaths = configuration.waiverPaths
        }
        if policiesLoaded { entries.insert(policyLoadedEntry(reason: "reload"), at: policyEntryPosition) }
        if let old = configuration.metricsFile, old != candidate.metricsFile {
            // A stale file would keep saying embargo_up 1.
            if unlink(old) != 0 && errno != ENOENT { logger.warning("cannot remove the old metrics file \(old)") }
        }
        outcome.needsRewatch =
            candidate.root != configuration.root || candidate.watchPackageDatabases != configuration.watchPackageDatabases
        outcome.needsRescan = outcome.needsRescan || candidate.root != configuration.root
        configuration = candidate
        metrics.policyID = policies.id
        metrics.policyVersion = policies.version
        metrics.policySHA256 = policies.sha256
        metrics.profile = profile.id
        writeMetrics()
        enqueue(entries)
        deliverOutbox()
        return outcome
    }

    struct PolicyFailure: Error {
        var lines: [String]
        var paths: [String]
    }

    static func loadPolicies(_ configuration: DaemonConfiguration) -> Result<(PolicySet, Profile), PolicyFailure> {
        let selection = PolicySelection(useBundled: configuration.useBundledPolicies, extraPaths: configuration.policyPaths)
        let paths = (try? selection.paths()) ?? configuration.policyPaths
        do {
            let policies = try selection.load()
            let profile = try AuditRequest(policies: policies, profileID: configuration.profile).profile()
            return .success((policies, profile))
        } catch .policy(let problems) {
            return .failure(PolicyFailure(lines: problems.problems.map(\.description), paths: paths))
        } catch {
            return .failure(PolicyFailure(lines: [error.description], paths: paths))
        }
    }

    // MARK: - Waivers

    struct WaiverFailure: Error {
        var lines: [String]
        var paths: [String]
    }

    /// The configured waiver files (or `/etc/embargo/waivers.d` when it exists), checked against
    /// the policies.
    static func loadWaivers(_ configuration: DaemonConfiguration, policies: PolicySet) -> Result<WaiverSet, WaiverFailure> {
        let selection = WaiverSelection(paths: configuration.waiverPaths)
        do {
            return .success(try selection.load(policies: policies))
        } catch {
            return .failure(WaiverFailure(lines: error.problems.map(\.description), paths: selection.resolvedPaths()))
        }
    }

    /// `policy-loaded`, with the waivers loaded beside the policies.
    private func policyLoadedEntry(reason: String) -> JournalEntry {
        var entry = JournalEntries.policyLoaded(policies, profileID: profile.id, reason: reason)
        entry.append(EmbargoField.waivers, String(waiverSet.waivers.count))
        for file in waiverSet.files { entry.append(EmbargoField.waiverFile, "\(file.sha256) \(file.path)") }
        return entry
    }

    // MARK: - Metrics

    /// The last scans and the findings held, from the state database, so the metrics file is right
    /// from the start.
    private func seedMetrics() {
        let scans = (try? store.scans(limit: 50)) ?? []
        if let last = scans.first {
            metrics.lastEvaluationFinished = last.finishedAt
            metrics.packages = last.packageCount
        }
        if let scan = scans.first(where: { $0.kind == .scan }) {
            metrics.lastScanFinished = scan.finishedAt
            metrics.lastScanDuration = scan.finishedAt.timeIntervalSince(scan.startedAt)
            metrics.scanErrors = scan.errorCount
            metrics.scanWarnings = scan.warningCount
            lastHostName = (try? store.report(scanID: scan.id))??.host.hostname
        }
        metrics.setFindings(((try? store.trackedFindings(includeResolved: false)) ?? []).map(\.finding))
        writeMetrics()
    }

    /// Rewrites the metrics file, when one is configured. A failure is logged, never fatal.
    func writeMetrics() {
        guard let path = configuration.metricsFile else { return }
        metrics.setWaivers(waiverSet, at: Date())
        do {
            try MetricsFileWriter.write(PrometheusTextFormat.render(metrics), to: path)
        } catch {
            logger.error("cannot write the metrics file: \(error)")
        }
    }

    /// At a graceful stop: `embargo_up 0`, so alerts need not wait for the file to age.
    public func stopped() {
        metrics.up = false
        writeMetrics()
    }

    // MARK: - Journal outbox

    static func encode(_ entry: JournalEntry) -> Data? { try? JSONEncoder().encode(entry) }

    /// Queues entries in the store (or sends them straight away if the store fails).
    func enqueue(_ entries: [JournalEntry]) {
        guard configuration.journal, !entries.isEmpty else { return }
        do {
            try store.enqueue(entries.compactMap(Self.encode))
        } catch {
            logger.error("cannot queue journal entries: \(error)")
            for entry in entries { journal.send(entry) }
        }
    }

    /// Sends waiting entries in order, stopping at the first the journal does not take.
    /// - Returns: the number still waiting.
    @discardableResult
    public func deliverOutbox() -> Int {
        guard configuration.journal else { return 0 }
        var waiting = 0
        while true {
            let items: [OutboxItem]
            do {
                items = try store.pendingOutbox(limit: 256)
            } catch {
                logger.error("cannot read the journal outbox: \(error)")
                return 0
            }
            if items.isEmpty { break }
            var delivered: [Int64] = []
            var blocked = false
            for item in items {
                guard var entry = try? JSONDecoder().decode(JournalEntry.self, from: item.payload) else {
                    delivered.append(item.id)
                    continue
                }
                if blocked {
                    // Behind an undelivered entry: kept in order, reported once.
                    if item.id > reportedThrough { journal.reportUndelivered(entry) }
                    reportedThrough = max(reportedThrough, item.id)
                    continue
                }
                if Date().timeIntervalSince(item.createdAt) > 60 {
                    entry.append(EmbargoField.occurredAt, RFC3339.format(item.createdAt))
                }
                if journal.send(entry, retry: item.id <= reportedThrough).isDelivered {
                    delivered.append(item.id)
                } else {
                    blocked = true
                    reportedThrough = max(reportedThrough, item.id)
                }
            }
            try? store.removeFromOutbox(delivered)
            if blocked {
                waiting = (try? store.pendingOutbox(limit: Self.outboxLimit + 1).count) ?? 0
                if waiting > Self.outboxLimit, let items = try? store.pendingOutbox(limit: waiting - Self.outboxLimit) {
                    try? store.removeFromOutbox(items.map(\.id))
                    logger.error("the journal outbox is full: \(items.count) oldest entries dropped")
                    waiting = Self.outboxLimit
                }
                break
            }
        }
        return waiting
    }
}
