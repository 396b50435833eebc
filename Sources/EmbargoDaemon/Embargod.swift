import EmbargoAudit
import EmbargoJournal
import EmbargoPolicy
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// embargod's two ways to run: as a service (a ServiceGroup of the loop, the SIGHUP owner and
/// the watchdog, stopped gracefully by SIGTERM) or once (`--once`: one scan, log, exit).
public enum Embargod {
    /// Exit codes, as the `embargo` CLI: 0 no violation, 1 a violation (`--once`), 2 usage error
    /// or failure (an invalid configuration or policy at start-up, an unreadable root).
    public enum ExitCode: Int32, Sendable {
        case clean = 0
        case violation = 1
        case failure = 2
    }

    /// Longest graceful shutdown before tasks are cancelled; below the unit's `TimeoutStopSec=30`.
    public static let maximumGracefulShutdown: Duration = .seconds(20)

    /// - Parameter executor: where scans run (the task executor the caller runs on, if any).
    public static func runService(source: ConfigurationSource, logger: Logger, executor: (any TaskExecutor)? = nil) async -> ExitCode {
        let configuration: DaemonConfiguration
        do {
            configuration = try source.load()
        } catch {
            logger.critical("invalid configuration:\n\(error)")
            return .failure
        }
        let inbox = DaemonInbox()
        let notifier = SystemdNotifier()
        let health = DaemonHealth()
        let journal = JournalWriter()
        // Trap SIGHUP before READY=1 can be sent: an early reload must not kill the daemon.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let loop = DaemonLoop(
            source: source, configuration: configuration, inbox: inbox, notifier: notifier, health: health, journal: journal,
            logger: logger, executor: executor)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(
                    service: WatchdogService(
                        notifier: notifier, health: health, scanTimeout: .seconds(configuration.scanTimeout), logger: logger),
                    serviceName: "watchdog"),
                .init(service: ReloadService(hangups: hangups, inbox: inbox, notifier: notifier), serviceName: "reload"),
                .init(service: loop, serviceName: "scan-loop"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = maximumGracefulShutdown
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
            return .clean
        } catch {
            logger.critical("embargod stopped: \(error)")
            return .failure
        }
    }

    /// One scan, its journal entries, and an exit code with the CLI's meaning.
    public static func runOnce(source: ConfigurationSource, logger: Logger) async -> ExitCode {
        let configuration: DaemonConfiguration
        do {
            configuration = try source.load()
        } catch {
            logger.critical("invalid configuration:\n\(error)")
            return .failure
        }
        let engine: AuditEngine
        do {
            engine = try await AuditEngine(configuration: configuration, source: source, logger: logger)
        } catch {
            logger.critical("\(error)")
            return .failure
        }
        let outcome = await engine.scan(trigger: "once")
        let waiting = await engine.deliverOutbox()
        if waiting > 0 {
            logger.warning("\(waiting) journal entries wait in the state database for the journal to come back")
        }
        switch outcome {
        case .completed(let scan, let hasViolation):
            let counts = scan.countsByStatus.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            print(
                "scan \(scan.id): \(scan.findingCount) finding(s)\(counts.isEmpty ? "" : " (" + counts.joined(separator: ", ") + ")"), "
                    + "\(scan.foundCount) new, \(scan.changedCount) changed, \(scan.resolvedCount) resolved; "
                    + (hasViolation ? "non-compliant" : "compliant"))
            return hasViolation ? .violation : .clean
        case .failed(let message):
            logger.error("\(message)")
            return .failure
        case .cancelled:
            return .failure
        }
    }
}

extension Embargod {
    /// `--check-config`: validates the configuration and the policies and prints the settings.
    public static func checkConfiguration(source: ConfigurationSource) -> ExitCode {
        let configuration: DaemonConfiguration
        do {
            configuration = try source.load()
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            return .failure
        }
        switch AuditEngine.loadPolicies(configuration) {
        case .failure(let failure):
            FileHandle.standardError.write(Data((failure.lines.joined(separator: "\n") + "\n").utf8))
            return .failure
        case .success(let (policies, profile)):
            let waivers: WaiverSet
            switch AuditEngine.loadWaivers(configuration, policies: policies) {
            case .failure(let failure):
                FileHandle.standardError.write(Data((failure.lines.joined(separator: "\n") + "\n").utf8))
                return .failure
            case .success(let set):
                waivers = set
                for warning in set.warnings { FileHandle.standardError.write(Data((warning.description + "\n").utf8)) }
            }
            let waiverPaths = WaiverSelection(paths: configuration.waiverPaths).resolvedPaths()
            let lines = [
                "root = \(configuration.root)",
                "policy set = \(policies.id) \(policies.version) sha256 \(policies.sha256)",
                "profile = \(profile.id)",
                "state-directory = \(configuration.resolvedStateDirectory())",
                "scan-interval = \(DurationText.format(configuration.scanInterval))",
                "scan-jitter = \(DurationText.format(configuration.scanJitter))",
                "rescan-delay = \(DurationText.format(configuration.rescanDelay))",
                "rescan-maximum-delay = \(DurationText.format(configuration.rescanMaximumDelay))",
                "watch-package-databases = \(configuration.watchPackageDatabases ? "yes" : "no")",
                "reminder-days = \(configuration.reminderDays.map(String.init).joined(separator: " "))",
                "keep-inventories = \(configuration.keepInventories)",
                "history-days = \(configuration.historyDays)",
                "scan-timeout = \(DurationText.format(configuration.scanTimeout))",
                "journal = \(configuration.journal ? "yes" : "no")",
                "waivers = \(waiverPaths.isEmpty ? "(none)" : waiverPaths.joined(separator: " ")): \(waivers.waivers.count) waiver(s) in \(waivers.files.count) file(s)",
                "metrics-file = \(configuration.metricsFile ?? "(none)")",
            ]
            print(lines.joined(separator: "\n"))
            return .clean
        }
    }
}
