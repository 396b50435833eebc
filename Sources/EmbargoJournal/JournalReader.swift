import CSystemd
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Which journal files to read.
public enum JournalSource: Sendable, Hashable {
    /// This machine's journal (`sd_journal_open` with `SD_JOURNAL_LOCAL_ONLY`).
    case local
    /// Every journal file below a directory (a copied `/var/log/journal`, or `journalctl -D`).
    case directory(String)
    /// Named journal files.
    case files([String])
}

/// A failure to open or read the journal, with the libsystemd call and its errno.
public struct JournalReadError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var source: JournalSource

    public var description: String {
        let target: String
        switch source {
        case .local: target = "the local journal"
        case .directory(let path): target = "the journal directory \(path)"
        case .files(let paths): target = "the journal files \(paths.joined(separator: ", "))"
        }
        return "\(operation) failed on \(target): \(String(cString: strerror(code)))"
    }
}

/// One entry as read back: its wall-clock time, cursor and every field (repeated fields keep
/// every value; the journal does not keep their order).
public struct JournalRecord: Sendable, Hashable {
    public var realtime: Date
    public var cursor: String?
    public var fields: [String: [String]]

    public init(realtime: Date, cursor: String?, fields: [String: [String]]) {
        self.realtime = realtime
        self.cursor = cursor
        self.fields = fields
    }

    public func value(_ name: String) -> String? { fields[name]?.first }

    public func values(_ name: String) -> [String] { fields[name] ?? [] }
}

/// Reads entries with `sd_journal_open*`, `sd_journal_add_match`, `sd_journal_next`.
///
/// - Important: `sd_journal_open` skips files it cannot read, so "no access" looks like "no
///   entries"; ``skippedFiles`` is not available from libsystemd, so callers reading the local
///   journal should say so when nothing was found and they are not root.
public final class JournalReader {
    private var journal: OpaquePointer?
    public let source: JournalSource
    /// Values longer than this are cut by libsystemd (`sd_journal_set_data_threshold`).
    public static let dataThreshold = 1 << 20
    /// Fields per entry read at most: an entry is small, a hostile journal file is not.
    public static let maximumFieldsPerEntry = 4096

    public init(_ source: JournalSource) throws(JournalReadError) {
        self.source = source
        var handle: OpaquePointer?
        let code: Int32
        switch source {
        case .local:
            code = sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            code = sd_journal_open_directory(&handle, path, 0)
        case .files(let paths):
            var pointers = paths.map { strdup($0) } + [nil]
            defer { for pointer in pointers { free(pointer) } }
            code = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -EINVAL }
                return base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    sd_journal_open_files(&handle, $0, 0)
                }
            }
        }
        guard code >= 0, let handle else {
            throw JournalReadError(operation: "sd_journal_open", code: -code, source: source)
        }
        journal = handle
        _ = sd_journal_set_data_threshold(handle, Self.dataThreshold)
    }

    deinit {
        if let journal { sd_journal_close(journal) }
    }

    /// Only entries with `field=value`. Matches on the same field are ORed, on different fields ANDed
    /// (sd_journal_add_match(3)).
    public func addMatch(_ field: String, _ value: String) throws(JournalReadError) {
        let assignment = Array("\(field)=\(value)".utf8)
        let code = assignment.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }
        if code < 0 { throw JournalReadError(operation: "sd_journal_add_match(\(field))", code: -code, source: source) }
    }

    /// Starts a new group of matches ORed with the groups before it.
    public func addDisjunction() throws(JournalReadError) {
        let code = sd_journal_add_disjunction(journal)
        if code < 0 { throw JournalReadError(operation: "sd_journal_add_disjunction", code: -code, source: source) }
    }

    /// Starts a new group of matches ANDed with the groups before it.
    public func addConjunction() throws(JournalReadError) {
        let code = sd_journal_add_conjunction(journal)
        if code < 0 { throw JournalReadError(operation: "sd_journal_add_conjunction", code: -code, source: source) }
    }

    /// Positions the reader so that ``next()`` returns the first entry at or after the instant.
    public func seek(toRealtime instant: Date) throws(JournalReadError) {
        let microseconds = UInt64(max(0, instant.timeIntervalSince1970 * 1_000_000))
        let code = sd_journal_seek_realtime_usec(journal, microseconds)
        if code < 0 { throw JournalReadError(operation: "sd_journal_seek_realtime_usec", code: -code, source: source) }
    }

    /// The next matching entry, or nil at the end.
    public func next() throws(JournalReadError) -> JournalRecord? {
        let code = sd_journal_next(journal)
        if code < 0 { throw JournalReadError(operation: "sd_journal_next", code: -code, source: source) }
        if code == 0 { return nil }
        var microseconds: UInt64 = 0
        let timeCode = sd_journal_get_realtime_usec(journal, &microseconds)
        if timeCode < 0 {
            throw JournalReadError(operation: "sd_journal_get_realtime_usec", code: -timeCode, source: source)
        }
        var cursor: String?
        var cursorPointer: UnsafeMutablePointer<CChar>?
        if sd_journal_get_cursor(journal, &cursorPointer) >= 0, let cursorPointer {
            cursor = String(cString: cursorPointer)
            free(cursorPointer)
        }
        return JournalRecord(
            realtime: Date(timeIntervalSince1970: Double(microseconds) / 1_000_000), cursor: cursor, fields: readFields())
    }

    /// One field of the current entry (`sd_journal_get_data`), or nil when the entry lacks it.
    public func field(_ name: String) -> String? {
        var data: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(journal, name, &data, &length) >= 0, let data else { return nil }
        return Self.split(UnsafeRawBufferPointer(start: data, count: length))?.value
    }

    private func readFields() -> [String: [String]] {
        var fields: [String: [String]] = [:]
        sd_journal_restart_data(journal)
        var count = 0
        while count < Self.maximumFieldsPerEntry {
            var data: UnsafeRawPointer?
            var length = 0
            let code = sd_journal_enumerate_data(journal, &data, &length)
            if code <= 0 { break }
            count += 1
            guard let data, let (name, value) = Self.split(UnsafeRawBufferPointer(start: data, count: length)) else {
                continue
            }
            fields[name, default: []].append(value)
        }
        return fields
    }

    /// Splits `NAME=value` bytes; nil when there is no `=`.
    static func split(_ bytes: UnsafeRawBufferPointer) -> (name: String, value: String)? {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let name = String(decoding: bytes[..<equals], as: UTF8.self)
        let value = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
        return (name, value)
    }
}
