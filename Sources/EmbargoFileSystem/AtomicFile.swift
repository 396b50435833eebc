#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Replaces a file atomically: the bytes go to a temporary file in the same directory
/// (`.<name>.<pid>.tmp`: a dot file, which directory scanners such as node_exporter's textfile
/// collector skip), which is given its mode, flushed and renamed over the target. A reader sees
/// the old file or the new one, never half of one.
public enum AtomicFile {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        /// The call that failed: `open`, `write`, `fchmod`, `fsync` or `rename`.
        public var operation: String
        public var code: Int32

        public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// - Parameter mode: set with `fchmod`, so the process's umask does not narrow it.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(Failure) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = directory + "/." + name + ".\(getpid()).tmp"
        _ = unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw Failure(path: temporary, operation: "open", code: errno) }
        var failure: Failure?
        var written = 0
        while written < bytes.count && failure == nil {
            let count = bytes.withUnsafeBytes { buffer in writeDescriptor(descriptor, buffer.baseAddress! + written, buffer.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = Failure(path: temporary, operation: "write", code: errno)
            } else {
                written += count
            }
        }
        if failure == nil && fchmod(descriptor, mode) != 0 { failure = Failure(path: temporary, operation: "fchmod", code: errno) }
        if failure == nil && fsync(descriptor) != 0 { failure = Failure(path: temporary, operation: "fsync", code: errno) }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = Failure(path: path, operation: "rename", code: errno) }
        if let failure {
            _ = unlink(temporary)
            throw failure
        }
    }
}

/// `write(2)`; named apart from ``AtomicFile/write(_:to:mode:)``, which would shadow it.
private func writeDescriptor(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Musl.write(descriptor, bytes, count)
    #endif
}
