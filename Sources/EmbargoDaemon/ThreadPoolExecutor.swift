import Dispatch
import Foundation
import Synchronization

/// A small pool of threads that runs every task of the daemon (a `TaskExecutor` preference set on
/// the root task, inherited by every child task and actor call).
///
/// Why not the default global executor: on Linux it runs on libdispatch's global queues, whose
/// use starts libdispatch's worker-pool monitor, a timer that wakes the process every second for
/// its whole life. A daemon that should sleep in the kernel until something happens runs its
/// tasks here instead: idle threads wait on a condition variable and nothing wakes them.
public final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    // Safety: `jobs` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    public let threadCount: Int

    /// - Parameter threads: worker threads (scans run their collectors concurrently on them).
    public init(threads: Int = ThreadPoolExecutor.defaultThreadCount) {
        threadCount = max(1, threads)
        for index in 0..<threadCount {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "embargod-\(index)"
            thread.start()
        }
    }

    /// One thread per active CPU, between 2 and 4: scans are mostly I/O and parsing.
    public static var defaultThreadCount: Int { min(4, max(2, ProcessInfo.processInfo.activeProcessorCount)) }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Runs `operation` on a new pool, blocking the calling (main) thread until it returns.
    /// Tasks that must outlive a scope (and so cannot be child tasks) get the pool as
    /// `Task(executorPreference:)`: unstructured tasks do not inherit the preference.
    public static func run<Result: Sendable>(
        threads: Int = defaultThreadCount, _ operation: @escaping @Sendable (ThreadPoolExecutor) async -> Result
    ) -> Result {
        let executor = ThreadPoolExecutor(threads: threads)
        let box = ResultBox<Result>()
        Task(executorPreference: executor) {
            box.set(await operation(executor))
        }
        return box.wait()
    }
}

/// Hands a result from the pool to the blocked main thread.
private final class ResultBox<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func set(_ result: Value) {
        value.withLock { $0 = result }
        done.signal()
    }

    func wait() -> Value {
        done.wait()
        guard let result = value.withLock({ $0 }) else { preconditionFailure("signalled without a value") }
        return result
    }
}

/// `Task.sleep` without the global executor: a timer on a private serial queue resumes the task,
/// which goes back to its own executor. Throws `CancellationError` when the task is cancelled.
public enum DispatchSleep {
    public static func sleep(for duration: Duration) async throws {
        let waiter = Waiter()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard waiter.install(continuation) else { return }
                let (seconds, attoseconds) = duration.components
                let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
                Self.queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { waiter.finish(nil) }
            }
        } onCancel: {
            waiter.finish(CancellationError())
        }
    }

    private static let queue = DispatchQueue(label: "embargod.sleep")

    private final class Waiter: Sendable {
        private enum State {
            case waiting
            case installed(CheckedContinuation<Void, any Error>)
            case finished((any Error)?)
        }
        private let state = Mutex(State.waiting)

        /// False when cancellation came first (the continuation is then resumed at once).
        func install(_ continuation: CheckedContinuation<Void, any Error>) -> Bool {
            let early = state.withLock { state -> (any Error)?? in
                if case .finished(let error) = state { return .some(error) }
                state = .installed(continuation)
                return .none
            }
            if let early {
                if let error = early { continuation.resume(throwing: error) } else { continuation.resume() }
                return false
            }
            return true
        }

        func finish(_ error: (any Error)?) {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                switch state {
                case .waiting:
                    state = .finished(error)
                    return nil
                case .installed(let continuation):
                    state = .finished(error)
                    return continuation
                case .finished:
                    return nil
                }
            }
            if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
        }
    }
}
