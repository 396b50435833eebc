import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One datagram a service sent to `$NOTIFY_SOCKET`.
public struct NotifyMessage: Sendable {
    public var receivedAt: Date
    /// The sender's pid from `SCM_CREDENTIALS` (the kernel fills it in; the sender cannot lie).
    public var senderPID: Int32?
    public var assignments: [(key: String, value: String)]

    public func value(_ key: String) -> String? { assignments.first { $0.key == key }?.value }

    public var text: String { assignments.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") }
}

/// A `NOTIFY_SOCKET` listener, as systemd's: an `AF_UNIX` datagram socket with `SO_PASSCRED`, read
/// on a thread. Descriptors passed with `SCM_RIGHTS` are closed at once (kept open,
/// `sd_notify_barrier()` would block the sender).
public final class NotifyListener: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32
    private let lock = NSCondition()
    private var received: [NotifyMessage] = []
    private var stopped = false
    private var thread: Thread?

    /// Binds `<directory>/notify.sock`.
    public init(directory: String) throws {
        path = directory + "/notify.sock"
        unlink(path)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ListenerError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw ListenerError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw ListenerError("bind \(path): \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [weak self] in self?.receiveLoop() }
        self.thread = thread
        thread.start()
    }

    deinit {
        close()
        Glibc.close(descriptor)
        unlink(path)
    }

    public func close() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    public var messages: [NotifyMessage] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Waits until a message satisfies the predicate (checking ones already received) or the
    /// timeout passes.
    @discardableResult
    public func wait(timeout: Double, after index: Int = 0, _ predicate: (NotifyMessage) -> Bool) -> NotifyMessage? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let match = received.dropFirst(index).first(where: predicate) { return match }
            if Date() >= deadline { return nil }
            _ = lock.wait(until: min(deadline, Date().addingTimeInterval(0.1)))
        }
    }

    private func receiveLoop() {
        var data = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 512)
        while true {
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { return }
            let (count, controlLength) = data.withUnsafeMutableBytes { dataBuffer in
                control.withUnsafeMutableBytes { controlBuffer -> (Int, Int) in
                    var vector = iovec(iov_base: dataBuffer.baseAddress, iov_len: dataBuffer.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var header = msghdr()
                        header.msg_iov = vectorPointer
                        header.msg_iovlen = 1
                        header.msg_control = controlBuffer.baseAddress
                        header.msg_controllen = controlBuffer.count
                        let count = recvmsg(descriptor, &header, Int32(MSG_CMSG_CLOEXEC))
                        return (count, count >= 0 ? Int(header.msg_controllen) : 0)
                    }
                }
            }
            if count < 0 { continue }
            let pid = parseControl(control, length: controlLength)
            let text = String(decoding: data[0..<count], as: UTF8.self)
            let assignments = text.split(separator: "\n").map { line -> (key: String, value: String) in
                guard let equals = line.firstIndex(of: "=") else { return (String(line), "") }
                return (String(line[..<equals]), String(line[line.index(after: equals)...]))
            }
            lock.lock()
            received.append(NotifyMessage(receivedAt: Date(), senderPID: pid, assignments: assignments))
            lock.broadcast()
            lock.unlock()
        }
    }

    /// Walks the control messages: returns the `SCM_CREDENTIALS` pid; closes `SCM_RIGHTS` descriptors.
    private func parseControl(_ control: [UInt8], length: Int) -> Int32? {
        let scmRights: Int32 = 1
        let scmCredentials: Int32 = 2
        let headerSize = MemoryLayout<cmsghdr>.size
        var offset = 0
        var pid: Int32?
        while offset + headerSize <= min(length, control.count) {
            let (messageLength, level, type) = control.withUnsafeBytes {
                (
                    Int($0.loadUnaligned(fromByteOffset: offset, as: UInt.self)),
                    $0.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self),
                    $0.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
                )
            }
            guard messageLength >= headerSize, offset + messageLength <= control.count else { break }
            let payload = offset + headerSize
            if level == SOL_SOCKET && type == scmCredentials && messageLength >= headerSize + 12 {
                pid = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: payload, as: Int32.self) }
            } else if level == SOL_SOCKET && type == scmRights {
                var fdOffset = payload
                while fdOffset + 4 <= offset + messageLength {
                    let fd = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: fdOffset, as: Int32.self) }
                    Glibc.close(fd)
                    fdOffset += 4
                }
            }
            offset += (messageLength + 7) & ~7
        }
        return pid
    }
}

struct ListenerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
