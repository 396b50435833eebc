import EmbargoInventory

/// A time zone read from a TZif file (RFC 8536), the format of `/etc/localtime` and
/// `/usr/share/zoneinfo/*`.
///
/// Reading the root's own file matters for offline roots: a container often has a copy of its zone
/// in `/etc/localtime` rather than a link naming it, and its tzdata may differ from the host's.
struct TZifZone: Sendable, Hashable {
    /// Transition instants (seconds since the epoch, ascending) and the UTC offset in force from each.
    var transitions: [Int64]
    var offsets: [Int32]
    /// The offset before the first transition.
    var initialOffset: Int32
    /// The footer rule for instants after the last transition (slim files rely on it).
    var rule: POSIXTimeZoneRule?

    enum ParseError: Error, Equatable {
        case notTZif
        case truncated
        case badIndex
    }

    init(transitions: [Int64], offsets: [Int32], initialOffset: Int32, rule: POSIXTimeZoneRule?) {
        self.transitions = transitions
        self.offsets = offsets
        self.initialOffset = initialOffset
        self.rule = rule
    }

    /// Parses version 1 to 4 files; uses the 64-bit block when present.
    init(bytes: [UInt8]) throws(ParseError) {
        var reader = Reader(bytes: bytes)
        let first = try reader.header()
        guard first.version >= 2 else {
            try self.init(block: &reader, header: first, timeSize: 4, footer: nil)
            return
        }
        try reader.skip(first.blockLength(timeSize: 4))
        let second = try reader.header()
        let blockStart = reader.position
        try reader.skip(second.blockLength(timeSize: 8))
        var footer: POSIXTimeZoneRule?
        if reader.position < bytes.count, bytes[reader.position] == 0x0A {
            let start = reader.position + 1
            if let end = bytes[start...].firstIndex(of: 0x0A) {
                footer = POSIXTimeZoneRule(String(decoding: bytes[start..<end], as: UTF8.self))
            }
        }
        reader.position = blockStart
        try self.init(block: &reader, header: second, timeSize: 8, footer: footer)
    }

    private init(block reader: inout Reader, header: Reader.Header, timeSize: Int, footer: POSIXTimeZoneRule?) throws(ParseError) {
        var times: [Int64] = []
        times.reserveCapacity(header.timeCount)
        for _ in 0..<header.timeCount { times.append(timeSize == 8 ? try reader.int64() : Int64(try reader.int32())) }
        var indices: [Int] = []
        for _ in 0..<header.timeCount { indices.append(Int(try reader.byte())) }
        var types: [(offset: Int32, isDST: Bool)] = []
        for _ in 0..<header.typeCount {
            let offset = try reader.int32()
            let isDST = try reader.byte() != 0
            _ = try reader.byte()
            types.append((offset, isDST))
        }
        guard !types.isEmpty, indices.allSatisfy({ $0 < types.count }) else { throw .badIndex }
        transitions = times
        offsets = indices.map { types[$0].offset }
        // RFC 8536 §3.2: before the first transition, the first standard-time type applies.
        initialOffset = (types.first { !$0.isDST } ?? types[0]).offset
        rule = footer
    }

    /// The UTC offset in force at an instant.
    func secondsFromGMT(atUTC seconds: Int64) -> Int {
        if let last = transitions.last, seconds >= last, let rule {
            return rule.secondsFromGMT(atUTC: seconds)
        }
        guard let first = transitions.first, seconds >= first else {
            if transitions.isEmpty, let rule { return rule.secondsFromGMT(atUTC: seconds) }
            return Int(initialOffset)
        }
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= seconds { low = middle } else { high = middle - 1 }
        }
        return Int(offsets[low])
    }

    private struct Reader {
        struct Header {
            var version: Int
            var isUTCCount, isStandardCount, leapCount, timeCount, typeCount, characterCount: Int

            func blockLength(timeSize: Int) -> Int {
                timeCount * timeSize + timeCount + typeCount * 6 + characterCount + leapCount * (timeSize + 4)
                    + isStandardCount + isUTCCount
            }
        }

        let bytes: [UInt8]
        var position = 0

        mutating func header() throws(ParseError) -> Header {
            guard position + 44 <= bytes.count else { throw .truncated }
            guard bytes[position..<position + 4].elementsEqual([0x54, 0x5A, 0x69, 0x66]) else { throw .notTZif }
            let versionByte = bytes[position + 4]
            position += 20
            let counts = try (0..<6).map { _ throws(ParseError) in Int(try uint32()) }
            // A count large enough to overflow cannot describe a real zone.
            guard counts.allSatisfy({ $0 < 1 << 24 }) else { throw .truncated }
            return Header(
                version: versionByte == 0 ? 1 : Int(versionByte) - 0x30, isUTCCount: counts[0], isStandardCount: counts[1],
                leapCount: counts[2], timeCount: counts[3], typeCount: counts[4], characterCount: counts[5])
        }

        mutating func skip(_ count: Int) throws(ParseError) {
            guard count >= 0, position + count <= bytes.count else { throw .truncated }
            position += count
        }

        mutating func byte() throws(ParseError) -> UInt8 {
            guard position < bytes.count else { throw .truncated }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func uint32() throws(ParseError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw .truncated }
            defer { position += 4 }
            return bytes[position..<position + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func int32() throws(ParseError) -> Int32 { Int32(bitPattern: try uint32()) }

        mutating func int64() throws(ParseError) -> Int64 {
            let high = UInt64(try uint32())
            let low = UInt64(try uint32())
            return Int64(bitPattern: high << 32 | low)
        }
    }
}

/// A POSIX `TZ` rule such as `CET-1CEST,M3.5.0,M10.5.0/3` (the TZif footer): standard and daylight
/// offsets and the yearly rule that switches between them.
struct POSIXTimeZoneRule: Sendable, Hashable {
    /// Offsets east of UTC, in seconds (POSIX writes them west, with the opposite sign).
    var standardOffset: Int
    var daylightOffset: Int?
    var start: DateRule?
    var end: DateRule?

    /// A day of the year and a local time of day.
    struct DateRule: Sendable, Hashable {
        enum Day: Sendable, Hashable {
            /// `Jn`: day 1...365, February 29 never counted.
            case julianNoLeap(Int)
            /// `n`: day 0...365, February 29 counted.
            case zeroBased(Int)
            /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = last) of month m.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
        }

        var day: Day
        /// Seconds after local midnight (may be negative or past 24 h in version 3 files).
        var time: Int
    }

    init?(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        guard scanner.name(), let standard = scanner.offset() else { return nil }
        standardOffset = -standard
        guard !scanner.atEnd else { return }
        guard scanner.name() else { return nil }
        if let daylight = scanner.offset() { daylightOffset = -daylight } else { daylightOffset = standardOffset + 3600 }
        guard scanner.consume(UInt8(ascii: ",")), let start = scanner.dateRule(), scanner.consume(UInt8(ascii: ",")),
            let end = scanner.dateRule(), scanner.atEnd
        else { return nil }
        self.start = start
        self.end = end
    }

    func secondsFromGMT(atUTC seconds: Int64) -> Int {
        guard let daylightOffset, let start, let end else { return standardOffset }
        let year = Self.year(ofDay: Int(seconds.floorDivided(by: 86_400)))
        // Start is given in standard time, end in daylight time.
        let startUTC = Int64(Self.instant(of: start, year: year)) - Int64(standardOffset)
        let endUTC = Int64(Self.instant(of: end, year: year)) - Int64(daylightOffset)
        let inDaylight = startUTC < endUTC ? (seconds >= startUTC && seconds < endUTC) : !(seconds >= endUTC && seconds < startUTC)
        return inDaylight ? daylightOffset : standardOffset
    }

    /// Local seconds since the epoch of a rule's moment in a year.
    static func instant(of rule: DateRule, year: Int) -> Int {
        let january1 = RFC3339.daysFromCivil(year: year, month: 1, day: 1)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let day: Int
        switch rule.day {
        case .julianNoLeap(let n):
            day = january1 + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            day = january1 + n
        case .monthWeekDay(let month, let week, let weekday):
            let first = RFC3339.daysFromCivil(year: year, month: month, day: 1)
            let firstWeekday = (first % 7 + 11) % 7  // 1970-01-01 was a Thursday (4).
            var date = first + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            let monthLength = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            while date >= first + monthLength { date -= 7 }
            day = date
        }
        return day * 86_400 + rule.time
    }

    static func year(ofDay day: Int) -> Int {
        var year = 1970 + day / 366
        while RFC3339.daysFromCivil(year: year + 1, month: 1, day: 1) <= day { year += 1 }
        while RFC3339.daysFromCivil(year: year, month: 1, day: 1) > day { year -= 1 }
        return year
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// `CET` or `<+0330>`.
        mutating func name() -> Bool {
            if consume(UInt8(ascii: "<")) {
                while position < bytes.count && bytes[position] != UInt8(ascii: ">") { position += 1 }
                return consume(UInt8(ascii: ">"))
            }
            let start = position
            while position < bytes.count, (65...90).contains(bytes[position]) || (97...122).contains(bytes[position]) {
                position += 1
            }
            return position - start >= 3
        }

        mutating func number() -> Int? {
            let start = position
            var value = 0
            while position < bytes.count, (48...57).contains(bytes[position]) {
                value = value * 10 + Int(bytes[position] - 48)
                position += 1
            }
            return position > start ? value : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds, sign as written.
        mutating func offset() -> Int? {
            var sign = 1
            if consume(UInt8(ascii: "-")) { sign = -1 } else { _ = consume(UInt8(ascii: "+")) }
            guard let hours = number() else { return nil }
            var seconds = hours * 3600
            if consume(UInt8(ascii: ":")), let minutes = number() {
                seconds += minutes * 60
                if consume(UInt8(ascii: ":")), let secs = number() { seconds += secs }
            }
            return sign * seconds
        }

        mutating func dateRule() -> DateRule? {
            var day: DateRule.Day
            if consume(UInt8(ascii: "J")) {
                guard let n = number(), (1...365).contains(n) else { return nil }
                day = .julianNoLeap(n)
            } else if consume(UInt8(ascii: "M")) {
                guard let month = number(), consume(UInt8(ascii: ".")), let week = number(), consume(UInt8(ascii: ".")),
                    let weekday = number(), (1...12).contains(month), (1...5).contains(week), (0...6).contains(weekday)
                else { return nil }
                day = .monthWeekDay(month: month, week: week, weekday: weekday)
            } else {
                guard let n = number(), (0...365).contains(n) else { return nil }
                day = .zeroBased(n)
            }
            var time = 7200
            if consume(UInt8(ascii: "/")) {
                guard let value = offset() else { return nil }
                time = value
            }
            return DateRule(day: day, time: time)
        }
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
