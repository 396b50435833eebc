import EmbargoFileSystem

/// Replaces a file atomically: the text goes to a temporary file in the same directory, which is
/// flushed and renamed over the target, so node_exporter never reads half a file. The temporary
/// name starts with `.` and does not end in `.prom`, so the textfile collector skips it.
public enum MetricsFileWriter {
    public typealias WriteError = AtomicFile.Failure

    /// Writes `text` to `path` with mode 0644 (node_exporter runs as another user; the daemon's
    /// umask is 0077).
    public static func write(_ text: String, to path: String) throws(WriteError) {
        try AtomicFile.write(Array(text.utf8), to: path, mode: 0o644)
    }
}
