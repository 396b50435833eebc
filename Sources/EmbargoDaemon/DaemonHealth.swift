import Synchronization

/// Whether the loop is making progress, for the watchdog: pings stop when one scan runs longer
/// than the configured timeout, so systemd restarts a daemon stuck in a scan.
public final class DaemonHealth: Sendable {
    private let busySince = Mutex<ContinuousClock.Instant?>(nil)

    public init() {}

    public func began() { busySince.withLock { $0 = .now } }

    public func ended() { busySince.withLock { $0 = nil } }

    /// How long the current scan has run, or nil when idle.
    public var busyFor: Duration? { busySince.withLock { $0.map { .now - $0 } } }

    public func isStuck(timeout: Duration) -> Bool { (busyFor ?? .zero) > timeout }
}
