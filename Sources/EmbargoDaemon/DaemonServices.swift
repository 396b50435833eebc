import EmbargoInventory
import EmbargoJournal
import EmbargoStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Sends `WATCHDOG=1` at half of `$WATCHDOG_USEC` while the loop is healthy (no scan running
/// longer than the scan timeout). Without a watchdog it just waits for shutdown.
struct WatchdogService: Service {
    let notifier: SystemdNotifier
    let health: DaemonHealth
    let scanTimeout: Duration
    let logger: Logger

    func run() async throws {
        guard let interval = notifier.watchdogInterval() else {
            try? await gracefulShutdown()
            return
        }
        let period = interval / 2
        let notifier = notifier
        let health = health
        let scanTimeout = scanTimeout
        let logger = logger
        do {
            try await cancelWhenGracefulShutdown {
                var warned = false
                while !Task.isCancelled {
                    if health.isStuck(timeout: scanTimeout) {
                        if !warned { logger.error("a scan has run longer than \(scanTimeout); watchdog pings stop") }
                        warned = true
                    } else {
                        warned = false
                        notifier.watchdog()
                    }
                    try await DispatchSleep.sleep(for: period)
                }
            }
        } catch is CancellationError {}
    }
}

/// The one owner of SIGHUP: each signal asks the loop to reload (`RELOADING=1` is sent at once,
/// `READY=1` by the loop when the reload is done).
///
/// Shutdown cancels the iteration (`cancelWhenGracefulShutdown`, a task group) rather than using
/// `cancelOnGracefulShutdown()`, whose merge starts an unstructured task on the global executor
/// (see ``ThreadPoolExecutor`` for why the daemon avoids it).
struct ReloadService: Service {
    let hangups: UnixSignalsSequence
    let inbox: DaemonInbox
    let notifier: SystemdNotifier

    func run() async throws {
        let hangups = hangups
        let inbox = inbox
        let notifier = notifier
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                notifier.reloading(status: "Reloading configuration and policies")
                inbox.post(.reload)
            }
        }
    }
}

/// The daemon's loop: scan at start, then sleep in the kernel until a trigger arrives (a package
/// database changed, the periodic scan is due, a phase takes effect, SIGHUP), one at a time.
struct DaemonLoop: Service {
    let source: ConfigurationSource
    let configuration: DaemonConfiguration
    let inbox: DaemonInbox
    let notifier: SystemdNotifier
    let health: DaemonHealth
    let journal: JournalWriter
    let logger: Logger
    /// Where scans run (the daemon's pool); nil means the default executor.
    let executor: (any TaskExecutor)?

    func run() async throws {
        let engine = try await AuditEngine(configuration: configuration, source: source, logger: logger, journal: journal)
        let inbox = inbox
        let timer = try WallClockTimer { inbox.post($0) }
        defer { timer.cancel() }
        var schedule = LoopSchedule()
        var watcher = try await startWatcher(engine: engine)
        defer { watcher?.stop() }
        notifier.ready(status: "Started; first scan running")
        let notifier = notifier
        try await withGracefulShutdownHandler {
            await scan(engine, .scan, trigger: "start", schedule: &schedule)
            await arm(timer, engine: engine, schedule: schedule)
            // Shutdown finishes the inbox, which ends this loop (see ReloadService for why not
            // `cancelOnGracefulShutdown()`); triggers still buffered are dropped.
            for await trigger in inbox.stream {
                if Task.isShuttingDownGracefully { break }
                let now = Date()
                switch trigger {
                case .timer, .clockChanged:
                    if let due = schedule.rescanDue, due <= now {
                        await scan(engine, .scan, trigger: "package-database", schedule: &schedule)
                    } else if schedule.nextPeriodicScan <= now {
                        await scan(engine, .scan, trigger: "periodic", schedule: &schedule)
                    } else if let wake = schedule.nextEvaluation, wake.instant <= now {
                        logger.info("re-evaluating: \(wake.reason)")
                        await scan(engine, .reevaluation, trigger: "phase", schedule: &schedule)
                    }
                case .packageDatabaseChanged(let reason):
                    logger.info("package database changed: \(reason)")
                    let configuration = await engine.configuration
                    let first = schedule.firstChangeAt ?? now
                    schedule.firstChangeAt = first
                    schedule.rescanDue = min(
                        now.addingTimeInterval(configuration.rescanDelay), first.addingTimeInterval(configuration.rescanMaximumDelay))
                case .reload:
                    let outcome = await engine.reload()
                    if outcome.needsRewatch {
                        watcher?.stop()
                        watcher = try await startWatcher(engine: engine)
                    }
                    if outcome.needsRescan {
                        await scan(engine, .scan, trigger: "reload", schedule: &schedule)
                    } else if outcome.needsReevaluation {
                        await scan(engine, .reevaluation, trigger: "reload", schedule: &schedule)
                    }
                    notifier.ready(status: await statusLine(engine, schedule: schedule))
                    MemoryTrimmer.trim()
                }
                await arm(timer, engine: engine, schedule: schedule)
            }
        } onGracefulShutdown: {
            notifier.stopping(status: "Stopping")
            inbox.finish()
        }
        await engine.stopped()
        notifier.stopping(status: "Stopped")
    }

    /// Runs a scan or re-evaluation (cancelled by shutdown) and plans the next wake-ups.
    private func scan(_ engine: AuditEngine, _ kind: ScanKindRequest, trigger: String, schedule: inout LoopSchedule) async {
        notifier.status(kind == .scan ? "Scanning (\(trigger))" : "Re-evaluating (\(trigger))")
        health.began()
        // A task of its own so that shutdown can cancel it (nothing half-done is recorded). Not
        // `cancelWhenGracefulShutdown`: its clean-up starts a task on the global executor.
        let task = Task(executorPreference: executor) { () async -> ScanOutcome in
            kind == .scan ? await engine.scan(trigger: trigger) : await engine.reevaluate(trigger: trigger)
        }
        let outcome = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await task.value
            } onGracefulShutdown: {
                task.cancel()
            }
        } onCancel: {
            task.cancel()
        }
        health.ended()
        let configuration = await engine.configuration
        let now = Date()
        if kind == .scan {
            schedule.rescanDue = nil
            schedule.firstChangeAt = nil
            schedule.nextPeriodicScan = now.addingTimeInterval(
                configuration.scanInterval + Double.random(in: 0...max(0, configuration.scanJitter)))
        }
        if case .completed(let record, _) = outcome { schedule.lastScan = record }
        if case .failed(let message) = outcome { schedule.lastFailure = message }
        schedule.nextEvaluation = await engine.nextEvaluation(after: now)
        MemoryTrimmer.trim()
    }

    private func arm(_ timer: WallClockTimer, engine: AuditEngine, schedule: LoopSchedule) async {
        var deadline = schedule.nextPeriodicScan
        if let due = schedule.rescanDue { deadline = min(deadline, due) }
        if let wake = schedule.nextEvaluation { deadline = min(deadline, wake.instant) }
        timer.arm(at: deadline)
        notifier.status(await statusLine(engine, schedule: schedule))
    }

    private func startWatcher(engine: AuditEngine) async throws -> PackageDatabaseWatcher? {
        let configuration = await engine.configuration
        guard configuration.watchPackageDatabases else { return nil }
        let inbox = inbox
        do {
            let watcher = try PackageDatabaseWatcher(root: configuration.root) { inbox.post(.packageDatabaseChanged($0)) }
            watcher.start()
            return watcher
        } catch {
            logger.error("package databases are not watched: \(error); periodic scans continue")
            return nil
        }
    }

    private func statusLine(_ engine: AuditEngine, schedule: LoopSchedule) async -> String {
        var parts: [String] = []
        if let scan = schedule.lastScan {
            let counts = scan.countsByStatus.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            parts.append(
                "Idle; last \(scan.kind == .scan ? "scan" : "re-evaluation") \(RFCTime.short(scan.finishedAt)): "
                    + (counts.isEmpty ? "no findings" : counts.joined(separator: ", ")))
        } else if let failure = schedule.lastFailure {
            parts.append("Idle; last scan failed: \(failure)")
        }
        parts.append("next scan \(RFCTime.short(schedule.nextPeriodicScan))")
        if let wake = schedule.nextEvaluation { parts.append("next re-evaluation \(RFCTime.short(wake.instant))") }
        let statistics = journal.statistics
        if statistics.undelivered > 0 || !journal.isAvailable {
            parts.append("journal: \(statistics.undelivered) entries undelivered\(journal.isAvailable ? "" : " (journal down)")")
        }
        return parts.joined(separator: "; ")
    }
}

enum ScanKindRequest {
    case scan
    case reevaluation
}

/// The loop's deadlines.
struct LoopSchedule {
    var nextPeriodicScan = Date.distantFuture
    /// When the debounced rescan after a package database change is due.
    var rescanDue: Date?
    var firstChangeAt: Date?
    var nextEvaluation: EvaluationSchedule.Wake?
    var lastScan: ScanRecord?
    var lastFailure: String?
}

enum RFCTime {
    static func short(_ date: Date) -> String {
        date == .distantFuture ? "never" : RFC3339.format(date)
    }
}
