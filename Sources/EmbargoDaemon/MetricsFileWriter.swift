import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file atomically: the text goes to a temporary file in the same directory, which is
/// flushed and renamed over the target, so node_exporter never reads half a file. The temporary
/// name starts with `.` and does not end in `.prom`, so the textfile collector skips it.
public enum MetricsFileWriter {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var code: Int32

        public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// Writes `text` to `path` with mode 0644 (node_exporter runs as another user; the daemon's
    /// umask is 0077).
    public static func write(_ text: String, to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        _ = unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WriteError(path: temporary, operation: "open", code: errno) }
        var failure: WriteError?
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count && failure == nil {
            let count = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + written, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                failure = WriteError(path: temporary, operation: "write", code: errno)
            } else {
                written += count
            }
        }
        if failure == nil && fchmod(descriptor, 0o644) != 0 { failure = WriteError(path: temporary, operation: "fchmod", code: errno) }
        if failure == nil && fsync(descriptor) != 0 { failure = WriteError(path: temporary, operation: "fsync", code: errno) }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = WriteError(path: path, operation: "rename", code: errno) }
        if let failure {
            _ = unlink(temporary)
            throw failure
        }
    }
}
