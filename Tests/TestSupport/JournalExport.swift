import Foundation

/// Journal files with chosen hosts and instants, made the way a fleet's collector makes them:
/// entries in journal export format (`FIELD=value` lines, a blank line between entries) fed to
/// `systemd-journal-remote -o FILE.journal`, as `../shared/reference/linux-testing.md` describes.
/// The trusted fields (`_HOSTNAME`, `_MACHINE_ID`, `_UID`) are written as a forwarding host's
/// journald would have set them.
public enum JournalExport {
    public static let journalRemotePath = "/lib/systemd/systemd-journal-remote"

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: journalRemotePath) }

    /// One entry: when journald received it and its fields in order (names may repeat).
    public struct Entry: Sendable {
        public var realtime: Date
        public var fields: [(name: String, value: String)]

        public init(realtime: Date, fields: [(name: String, value: String)]) {
            self.realtime = realtime
            self.fields = fields
        }
    }

    /// The trusted fields a host's journald adds to every entry of a root-run daemon.
    public static func trustedFields(hostname: String, machineID: String, uid: String = "0") -> [(name: String, value: String)] {
        [
            ("_HOSTNAME", hostname), ("_MACHINE_ID", machineID), ("_BOOT_ID", String(repeating: "b", count: 32)), ("_UID", uid),
            ("_GID", uid), ("_COMM", "embargod"), ("_TRANSPORT", "journal"),
        ]
    }

    /// Export format; a value with a line feed uses the binary form (name, LF, little-endian
    /// 64-bit length, bytes, LF).
    public static func export(_ entries: [Entry]) -> Data {
        var data = Data()
        for entry in entries {
            let microseconds = UInt64(max(0, (entry.realtime.timeIntervalSince1970 * 1_000_000).rounded()))
            data += Data("__REALTIME_TIMESTAMP=\(microseconds)\n__MONOTONIC_TIMESTAMP=\(microseconds % 1_000_000_000_000)\n".utf8)
            for field in entry.fields {
                if field.value.contains("\n") {
                    let bytes = Data(field.value.utf8)
                    var length = UInt64(bytes.count).littleEndian
                    data += Data((field.name + "\n").utf8)
                    data += withUnsafeBytes(of: &length) { Data($0) }
                    data += bytes
                    data += Data("\n".utf8)
                } else {
                    data += Data("\(field.name)=\(field.value)\n".utf8)
                }
            }
            data += Data("\n".utf8)
        }
        return data
    }

    /// Writes the entries to a journal file (the path must end in `.journal`).
    public static func writeJournal(_ entries: [Entry], to path: String) throws {
        let input = path + ".export"
        try export(entries).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        try Command.check(journalRemotePath, ["-o", path, input])
    }
}
