import CSystemd
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager about the daemon's state with `sd_notify` (the datagram protocol on
/// `$NOTIFY_SOCKET`, sd_notify(3)). Without `$NOTIFY_SOCKET` (not under systemd) every call does
/// nothing; the result of a send is ignored, as the man page asks.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Whether a service manager listens.
    public var isEnabled: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]?.isEmpty == false }

    /// Sends newline-separated assignments in one datagram.
    public func notify(_ assignments: [String]) {
        guard isEnabled, !assignments.isEmpty else { return }
        let text = assignments.map(Self.oneLine).joined(separator: "\n")
        _ = sd_notify(0, text)
    }

    /// Start-up or reload finished.
    public func ready(status: String) { notify(["READY=1", "STATUS=\(status)"]) }

    public func status(_ status: String) { notify(["STATUS=\(status)"]) }

    /// A reload started: `RELOADING=1` with the `CLOCK_MONOTONIC` time, as `Type=notify-reload` requires.
    public func reloading(status: String) {
        notify(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", "STATUS=\(status)"])
    }

    public func stopping(status: String) { notify(["STOPPING=1", "STATUS=\(status)"]) }

    public func watchdog() { notify(["WATCHDOG=1"]) }

    /// The watchdog interval systemd asked for (`$WATCHDOG_USEC`, for this process), if any.
    public func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds))
    }

    public static func monotonicMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }

    /// `STATUS=` is one line; a newline would start a new assignment.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }
}
