/// Why the daemon's loop wakes up. Producers (the inotify watcher, the SIGHUP service, the wall
/// clock timer) push into one stream; the loop handles one trigger at a time, so scans never overlap.
public enum DaemonTrigger: Sendable, Equatable {
    /// The wall-clock timer reached the earliest deadline.
    case timer
    /// The system clock was set: deadlines are recomputed.
    case clockChanged
    /// A package database changed (the path inside the root).
    case packageDatabaseChanged(String)
    /// SIGHUP: reload configuration and policies.
    case reload
}

/// The loop's single queue of triggers.
public struct DaemonInbox: Sendable {
    public let stream: AsyncStream<DaemonTrigger>
    private let continuation: AsyncStream<DaemonTrigger>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: DaemonTrigger.self, bufferingPolicy: .bufferingNewest(1024))
    }

    public func post(_ trigger: DaemonTrigger) { continuation.yield(trigger) }

    public func finish() { continuation.finish() }
}
