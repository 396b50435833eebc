import EmbargoInventory
import EmbargoJournal
import EmbargoReports
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Finds the journal files of many hosts below a directory (as `systemd-journal-remote` writes
/// them: `remote-<host>.journal` files, one directory per host, or copied `/var/log/journal`
/// trees) and reads embargod's entries from each, one file at a time, so a fleet of thousands
/// of files never holds thousands of descriptors or mappings at once.
struct FleetJournalReader {
    /// Journal files read below one directory at most.
    static let maximumFiles = 100_000
    /// Directory levels searched below each given directory.
    static let maximumDepth = 4
    /// embargod entries read from one file at most.
    static let maximumEntriesPerFile = 2_000_000
    /// Package ids kept per entry at most.
    static let maximumPackagesPerEntry = 200

    static let events: [(JournalEvent, FleetEntry.Kind)] = [
        (.findingFound, .findingFound), (.findingChanged, .findingChanged), (.findingResolved, .findingResolved),
        (.phaseUpcoming, .phaseUpcoming), (.waiverExpired, .waiverExpired), (.scanCompleted, .scanCompleted),
        (.scanError, .scanError),
    ]
    static let kindByMessageID: [String: FleetEntry.Kind] = Dictionary(
        uniqueKeysWithValues: events.map { ($0.0.messageID, $0.1) })

    /// One copy of each text repeated across entries (vendor and product names, phases, policy
    /// ids, dates, scan ids): a fleet's entries repeat a few values thousands of times.
    var pool: [String: String] = [:]

    /// What reading one file gave.
    struct FileResult {
        var entries = 0
        /// Entries with embargod's ids that root did not log (`_UID` is not 0): ignored.
        var untrusted = 0
        var truncated = false
    }

    /// `*.journal` and `*.journal~` (a file journald could not close cleanly) below `directory`,
    /// sorted; symbolic links are not followed (no loops, nothing outside the tree).
    func journalFiles(in directory: String, problems: inout [FleetReportDocument.SourceProblem]) -> [String] {
        var files: [String] = []
        var pending: [(String, Int)] = [(directory, 0)]
        while let (current, depth) = pending.popLast() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: current) else {
                problems.append(.init(file: current, message: "cannot list the directory"))
                continue
            }
            for name in names.sorted() {
                let path = current.hasSuffix("/") ? current + name : current + "/" + name
                var status = stat()
                guard lstat(path, &status) == 0 else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR where depth < Self.maximumDepth:
                    pending.append((path, depth + 1))
                case S_IFREG where name.hasSuffix(".journal") || name.hasSuffix(".journal~"):
                    if files.count >= Self.maximumFiles {
                        problems.append(.init(file: directory, message: "more than \(Self.maximumFiles) journal files; the rest were not read"))
                        return files.sorted()
                    }
                    files.append(path)
                default:
                    continue
                }
            }
        }
        return files.sorted()
    }

    /// embargod's entries of one file; `sequence` numbers them across files.
    mutating func read(file: String, sequence: inout Int, into aggregator: inout FleetAggregator) throws(JournalReadError) -> FileResult {
        let reader = try JournalReader(.files([file]))
        for (event, _) in Self.events { try reader.addMatch("MESSAGE_ID", event.messageID) }
        var result = FileResult()
        let fallbackName = Self.hostName(fromFile: file)
        while let record = try reader.next() {
            guard let messageID = record.value("MESSAGE_ID"), let kind = Self.kindByMessageID[messageID] else { continue }
            // Any local program may log any MESSAGE_ID; embargod runs as root, and journald sets
            // _UID itself, so an unprivileged process cannot forge (or hide) a finding.
            guard record.value("_UID") == "0" else {
                result.untrusted += 1
                continue
            }
            if result.entries >= Self.maximumEntriesPerFile {
                result.truncated = true
                break
            }
            sequence += 1
            result.entries += 1
            aggregator.add(entry(record, kind: kind, fallbackName: fallbackName, sequence: sequence))
        }
        return result
    }

    mutating func intern(_ text: String?) -> String? {
        guard let text else { return nil }
        // Up to 15 UTF-8 bytes a String is stored inline: nothing to share.
        if text.utf8.count <= 15 { return text }
        if let existing = pool[text] { return existing }
        pool[text] = text
        return text
    }

    mutating func entry(_ record: JournalRecord, kind: FleetEntry.Kind, fallbackName: String, sequence: Int) -> FleetEntry {
        func value(_ name: String) -> String? { intern(record.value(name)) }
        let machineID = value("_MACHINE_ID").flatMap { Self.isMachineID($0) ? $0 : nil }
        let hostname = value("_HOSTNAME").flatMap { $0.isEmpty ? nil : $0 }
        let identity = intern(machineID.map { "machine:" + $0 } ?? hostname.map { "hostname:" + $0 } ?? "file:" + fallbackName) ?? ""
        let root = value(EmbargoField.root) ?? "/"
        var time = record.realtime
        if let occurred = record.value(EmbargoField.occurredAt), let date = try? RFC3339.parse(occurred) { time = date }
        var entry = FleetEntry(
            kind: kind, time: time, host: FleetHostKey(identity: identity, root: root), hostname: hostname ?? (machineID == nil ? fallbackName : nil),
            machineID: machineID, sequence: sequence)
        entry.findingID = value(EmbargoField.findingID)
        entry.vendor = value(EmbargoField.vendor)
        entry.vendorName = value(EmbargoField.vendorName)
        entry.product = value(EmbargoField.product)
        entry.productName = value(EmbargoField.productName)
        entry.status = value(EmbargoField.status)
        entry.severity = value(EmbargoField.severity)
        entry.confidence = value(EmbargoField.confidence)
        entry.phase = value(EmbargoField.phase)
        entry.effective = value(EmbargoField.effective)
        entry.packageIDs = record.values(EmbargoField.packageID).prefix(Self.maximumPackagesPerEntry).compactMap { intern($0) }
        entry.installedAt = value(EmbargoField.installedAt)
        entry.waiverID = value(EmbargoField.waiverID)
        entry.waiverExpires = value(EmbargoField.waiverExpires)
        entry.firstSeen = value(EmbargoField.firstSeen)
        entry.scanID = value(EmbargoField.scanID)
        entry.policyID = value(EmbargoField.policyID)
        entry.policyVersion = value(EmbargoField.policyVersion)
        entry.profile = value(EmbargoField.profile)
        entry.verdict = value(EmbargoField.verdict)
        entry.findingCount = record.value(EmbargoField.findings).flatMap { Int($0) }
        entry.errorCount = record.value(EmbargoField.errors).flatMap { Int($0) }
        if kind == .scanError { entry.message = record.value(EmbargoField.error) ?? record.value("MESSAGE") }
        return entry
    }

    /// 32 lower-case hex digits, as `_MACHINE_ID` is.
    static func isMachineID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// `remote-host1.journal`, `remote-host1@0001-0002-0003.journal` → `host1`.
    static func hostName(fromFile path: String) -> String {
        var name = (path as NSString).lastPathComponent
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        for suffix in [".journal~", ".journal"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        if name.hasPrefix("remote-") { name = String(name.dropFirst("remote-".count)) }
        return name.isEmpty ? path : name
    }
}
