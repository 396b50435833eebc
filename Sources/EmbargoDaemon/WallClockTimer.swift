import CSystemd
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Wakes the loop at a wall-clock instant (a phase's effective date, the next periodic scan) with
/// a `timerfd` on `CLOCK_REALTIME`: the process sleeps in the kernel until then, and is told when
/// the clock is set (`TFD_TIMER_CANCEL_ON_SET`) so deadlines stay exact across clock changes.
public final class WallClockTimer: @unchecked Sendable {
    // Safety: `descriptor` and `source` are set once in init; the dispatch source is thread-safe.
    private let descriptor: Int32
    private let source: any DispatchSourceRead

    /// - Parameter fired: called on a private queue with `.timer` or `.clockChanged`.
    public init(fired: @escaping @Sendable (DaemonTrigger) -> Void) throws(DaemonError) {
        let descriptor = timerfd_create(CLOCK_REALTIME, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        guard descriptor >= 0 else { throw DaemonError.system("timerfd_create", errno) }
        self.descriptor = descriptor
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "embargo.timer"))
        source.setEventHandler {
            var expirations: UInt64 = 0
            let count = read(descriptor, &expirations, MemoryLayout<UInt64>.size)
            if count == MemoryLayout<UInt64>.size {
                fired(.timer)
            } else if count < 0 && errno == ECANCELED {
                fired(.clockChanged)
            }
        }
        source.setCancelHandler { close(descriptor) }
        source.resume()
        self.source = source
    }

    /// Arms the timer for an instant (fires at once if it has passed), or disarms it with nil.
    public func arm(at instant: Date?) {
        var specification = itimerspec()
        if let instant {
            let seconds = max(instant.timeIntervalSince1970, 0.000_001)
            specification.it_value.tv_sec = Int(seconds.rounded(.down))
            specification.it_value.tv_nsec = Int((seconds - seconds.rounded(.down)) * 1_000_000_000)
            if specification.it_value.tv_sec == 0 && specification.it_value.tv_nsec == 0 {
                specification.it_value.tv_nsec = 1
            }
        }
        _ = timerfd_settime(descriptor, Int32(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET), &specification, nil)
    }

    public func cancel() {
        source.cancel()
    }

    deinit {
        source.cancel()
    }
}

/// Failures of the daemon's own system calls and set-up.
public enum DaemonError: Error, Sendable, CustomStringConvertible {
    case system(String, Int32)
    case startup(String)

    public var description: String {
        switch self {
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        case .startup(let message): return message
        }
    }
}
