import CSystemd
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What became of one entry.
public enum JournalDelivery: Sendable, Equatable {
    case delivered
    /// journald did not take the entry; the reason says why (no socket, refused, blocked).
    case unavailable(String)

    public var isDelivered: Bool { self == .delivered }
}

/// Counters a daemon shows in its status line.
public struct JournalWriterStatistics: Sendable, Equatable {
    /// Entries journald accepted.
    public var delivered = 0
    /// Entries it did not (journal down, socket refused, send blocked).
    public var undelivered = 0
    /// Fields left out because journald would have dropped them (bad names).
    public var invalidFields = 0

    public init() {}
}

/// Writes entries to the local systemd journal with `sd_journal_sendv`, one `NAME=value` iovec
/// per field.
///
/// `sd_journal_sendv` returns 0 when no journald runs (it ignores a missing socket), so a return
/// code proves nothing: the writer first checks that the socket exists, and counts and reports
/// every entry it could not deliver instead of pretending. A send runs on a private queue and is
/// waited for a bounded time, so a journald that stopped reading cannot block the caller.
public final class JournalWriter: Sendable {
    /// The socket `sd_journal_sendv` writes to (fixed in libsystemd).
    public static let socketPath = "/run/systemd/journal/socket"

    private struct State {
        var statistics = JournalWriterStatistics()
        /// Why the journal is unavailable, while it is.
        var downReason: String?
        /// A send is still running on the queue (journald is not reading).
        var sending = false
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "embargo.journal-writer")
    private let sendTimeout: Double
    private let report: @Sendable (String) -> Void

    /// - Parameters:
    ///   - sendTimeout: how long one send may take before the journal counts as unavailable.
    ///   - report: where problems with the journal are reported (standard error by default).
    public init(sendTimeout: Double = 2, report: @escaping @Sendable (String) -> Void = JournalWriter.reportToStandardError) {
        self.sendTimeout = sendTimeout
        self.report = report
    }

    public static let reportToStandardError: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    public var statistics: JournalWriterStatistics { state.withLock { $0.statistics } }

    /// Whether the last send reached journald (true before the first send).
    public var isAvailable: Bool { state.withLock { $0.downReason == nil } }

    /// Whether journald's socket exists (a socket file at ``socketPath``).
    public static func socketExists() -> Bool {
        var info = stat()
        guard stat(socketPath, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Sends one entry. Never blocks longer than the send timeout and never throws: the result
    /// says whether journald took it.
    /// - Parameter retry: the entry was already counted and reported as undelivered once; a
    ///   failure now is not counted or echoed again.
    @discardableResult
    public func send(_ entry: JournalEntry, retry: Bool = false) -> JournalDelivery {
        let valid = entry.fields.filter { JournalField.isValidName($0.name) }
        let invalid = entry.fields.count - valid.count
        if invalid > 0 {
            state.withLock { $0.statistics.invalidFields += invalid }
            report("embargod: \(invalid) journal field(s) with invalid names left out: \(entry.invalidNames.joined(separator: ", "))")
        }
        guard Self.socketExists() else {
            return undelivered(entry, reason: "no journald socket at \(Self.socketPath)", retry: retry)
        }
        let busy = state.withLock { state -> Bool in
            if state.sending { return true }
            state.sending = true
            return false
        }
        if busy {
            return undelivered(entry, reason: "an earlier entry is still blocked in the journal socket", retry: retry)
        }
        let payload = Payload(valid)
        let outcome = SendOutcome()
        queue.async { [self] in
            let code = payload.send()
            outcome.code.withLock { $0 = code }
            state.withLock { $0.sending = false }
            outcome.done.signal()
        }
        if outcome.done.wait(timeout: .now() + sendTimeout) == .timedOut {
            return undelivered(entry, reason: "journald did not take an entry within \(sendTimeout) s", retry: retry)
        }
        let code = outcome.code.withLock { $0 } ?? 0
        if code < 0 {
            return undelivered(entry, reason: "sd_journal_sendv failed: \(String(cString: strerror(-code)))", retry: retry)
        }
        let recovered = state.withLock { state -> (String, Int)? in
            state.statistics.delivered += 1
            defer { state.downReason = nil }
            return state.downReason.map { ($0, state.statistics.undelivered) }
        }
        if let (reason, count) = recovered {
            report("embargod: the journal is available again (it was not: \(reason)); \(count) entries were undelivered so far")
        }
        return .delivered
    }

    /// Counts an entry that is not sent now (it waits behind an undelivered one) and echoes its
    /// message to standard error.
    public func reportUndelivered(_ entry: JournalEntry) {
        let reason = state.withLock { $0.downReason } ?? "the journal is not available"
        _ = undelivered(entry, reason: reason, retry: false)
    }

    private func undelivered(_ entry: JournalEntry, reason: String, retry: Bool) -> JournalDelivery {
        let firstTime = state.withLock { state -> Bool in
            if !retry { state.statistics.undelivered += 1 }
            defer { state.downReason = reason }
            return state.downReason == nil
        }
        if firstTime {
            report("embargod: the journal is not available (\(reason)); entries are counted and kept for a later retry")
        }
        if !retry {
            report("embargod: not in the journal: \(entry.value("MESSAGE") ?? "(no message)")")
        }
        return .unavailable(reason)
    }
}

/// The result of one send, handed from the writer's queue to the waiting caller.
private final class SendOutcome: Sendable {
    let code = Mutex<Int32?>(nil)
    let done = DispatchSemaphore(value: 0)
}

/// The bytes of an entry laid out once, with one iovec per `NAME=value`.
private struct Payload: Sendable {
    let bytes: [UInt8]
    let ranges: [Range<Int>]

    init(_ fields: [JournalField]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes += field.name.utf8
            bytes.append(UInt8(ascii: "="))
            bytes += field.value.utf8
            ranges.append(start..<bytes.count)
        }
        self.bytes = bytes
        self.ranges = ranges
    }

    func send() -> Int32 {
        bytes.withUnsafeBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return 0 }
            var vectors = ranges.map { range in
                iovec(iov_base: UnsafeMutableRawPointer(mutating: base + range.lowerBound), iov_len: range.count)
            }
            return vectors.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }
}
