import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Makes what Foundation cannot: FIFOs, sockets, device nodes, non-UTF-8 names, sparse files.
public enum HostileFiles {
    public static func fifo(_ path: String) throws {
        guard mkfifo(path, 0o644) == 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    public static func socket(_ path: String) throws {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    /// `/dev/zero`'s device number: a read would never end. Needs root (CAP_MKNOD).
    public static func zeroDevice(_ path: String) -> Bool {
        mknod(path, S_IFCHR | 0o644, dev_t((1 << 8) | 5)) == 0
    }

    /// Writes `contents` to a file whose name is raw bytes, in an existing directory.
    public static func file(in directory: String, rawName: [UInt8], contents: [UInt8]) throws {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + rawName + [0]
        let descriptor = path.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
            }
        }
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        defer { close(descriptor) }
        _ = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Extends (or creates) a file to `size` bytes without writing them: a sparse hole.
    public static func sparse(_ path: String, size: Int64) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    /// Runs `body` on a thread of its own whose file-system user is `nobody`. The kernel drops that
    /// thread's DAC-override capabilities with it, so permissions apply even when tests run as root.
    public static func asUnprivilegedFileUser<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        typealias SetFSUID = @convention(c) (UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setfsuid") else { return nil }
        let setfsuid = unsafeBitCast(symbol, to: SetFSUID.self)
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let previous = setfsuid(65534)
            box.value = body()
            _ = setfsuid(UInt32(previous))
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        done.wait()
        return box.value
    }

    final class Box<T>: @unchecked Sendable {
        var value: T?
    }
}
