import EmbargoInventory
import Foundation

/// One package transaction line of `/var/log/pacman.log`.
public struct PacmanLogEvent: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case installed
        case reinstalled
        case upgraded
        case downgraded
        case removed
    }

    public var date: Date
    public var action: Action
    public var package: String
    /// The version after the action (the removed version for `removed`).
    public var version: String
    public var line: Int
}

/// Reads pacman's log. Since pacman 5.2 each line starts with an ISO 8601 time with its offset
/// (`[2024-12-01T00:04:03+0100]`); older lines have local time to the minute (`[2013-03-25 14:10]`),
/// turned into instants with the root's time zone.
public struct PacmanLogParser: Sendable {
    let timeZone: RootTimeZone

    public init(timeZone: RootTimeZone) {
        self.timeZone = timeZone
    }

    /// Appends the transaction lines; returns how many lines looked like transactions but could
    /// not be read.
    public func parse(_ bytes: [UInt8], into events: inout [PacmanLogEvent]) -> Int {
        var malformed = 0
        for line in ByteLines(bytes) {
            let content = line.content
            guard content.first == UInt8(ascii: "["), let close = content.firstIndex(of: UInt8(ascii: "]")) else { continue }
            // "[time] [ALPM] installed name (version)" — the source tag is ALPM or PACMAN.
            let afterTime = content[(close + 1)...].trimmingBlanks
            guard afterTime.first == UInt8(ascii: "["), let tagClose = afterTime.firstIndex(of: UInt8(ascii: "]")) else {
                continue
            }
            let tag = String(decoding: afterTime[(afterTime.startIndex + 1)..<tagClose], as: UTF8.self)
            guard tag == "ALPM" || tag == "PACMAN" else { continue }
            let message = String(decoding: afterTime[(tagClose + 1)...].trimmingBlanks, as: UTF8.self)
            let words = message.split(separator: " ", maxSplits: 2)
            guard words.count == 3, let action = PacmanLogEvent.Action(rawValue: String(words[0])) else { continue }
            let timeText = String(decoding: content[(content.startIndex + 1)..<close], as: UTF8.self)
            var versions = words[2]
            if versions.first == "(" { versions = versions.dropFirst() }
            if versions.last == ")" { versions = versions.dropLast() }
            // "old -> new" for upgrades and downgrades.
            let version = String(versions.components(separatedBy: " -> ").last ?? String(versions))
            guard let date = date(timeText), !version.isEmpty else {
                malformed += 1
                continue
            }
            events.append(PacmanLogEvent(date: date, action: action, package: String(words[1]), version: version, line: line.number))
        }
        return malformed
    }

    func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func digits(_ from: Int, _ length: Int) -> Int? {
            guard from >= 0, from + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<(from + length)] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 16, let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), (1...12).contains(month), (1...31).contains(day),
            hour < 24, minute < 60
        else { return nil }
        var second = 0
        var index = 16
        if bytes.count >= 19, bytes[16] == UInt8(ascii: ":"), let value = digits(17, 2), value < 61 {
            second = value
            index = 19
        }
        let local = RFC3339.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        if index < bytes.count {
            // "+0100", "-0500", "Z"
            if bytes[index] == UInt8(ascii: "Z") { return Date(timeIntervalSince1970: Double(local)) }
            guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
                let offsetHours = digits(index + 1, 2)
            else { return nil }
            let minutesStart = bytes.count > index + 3 && bytes[index + 3] == UInt8(ascii: ":") ? index + 4 : index + 3
            let offsetMinutes = digits(minutesStart, 2) ?? 0
            let offset = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            return Date(timeIntervalSince1970: Double(local - offset))
        }
        return Date(timeIntervalSince1970: Double(timeZone.utcSeconds(fromLocal: local)))
    }
}

/// When each package's current installation began and last changed, replayed from pacman's log.
public struct PacmanInstallHistory: Sendable {
    public struct Dates: Sendable, Hashable {
        /// The `installed` line that began the current installation (reset by `removed`).
        public var installedAt: Date?
        public var updatedAt: Date?
    }

    private var byName: [String: Dates] = [:]

    public init(events: [PacmanLogEvent]) {
        for event in events.sorted(by: { $0.date < $1.date }) {
            var dates = byName[event.package] ?? Dates()
            switch event.action {
            case .installed:
                if dates.installedAt == nil { dates.installedAt = event.date }
                dates.updatedAt = event.date
            case .reinstalled, .upgraded, .downgraded:
                // Without an earlier `installed` line the install is in a log that is gone: the
                // install date stays unknown rather than wrong.
                dates.updatedAt = event.date
            case .removed:
                dates = Dates()
            }
            byName[event.package] = dates
        }
    }

    public func dates(package: String) -> Dates? { byName[package] }
}
