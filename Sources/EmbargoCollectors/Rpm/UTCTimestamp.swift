import EmbargoInventory
import Foundation

/// The UTC calendar fields of a Unix time, and the two renderings rpm data needs: RFC 3339 for the
/// inventory and C's `%c` for rpm's signature summaries. Written out byte by byte because a large
/// database has two timestamps per package and string interpolation dominated the decoding time.
struct UTCTimestamp {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 = Sunday.
    var weekday: Int

    init(secondsSince1970 seconds: Int64) {
        let total = Int(seconds)
        var days = total / 86_400
        var secondOfDay = total % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
    }

    /// `2024-10-15T12:00:00Z`, as `RFC3339.format` writes it.
    static func rfc3339(_ seconds: Int64) -> String {
        let time = UTCTimestamp(secondsSince1970: seconds)
        guard (0...9999).contains(time.year) else { return RFC3339.format(Date(timeIntervalSince1970: Double(seconds))) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(time.year, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(time.month, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(time.day, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        append(time.hour, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(time.minute, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(time.second, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `Mon Apr  3 18:10:39 2023`, as C's `%c` prints it in the POSIX locale.
    static func cTime(_ seconds: Int64) -> String {
        let time = UTCTimestamp(secondsSince1970: seconds)
        guard (0...9999).contains(time.year) else { return "\(seconds)" }
        let weekdays = "SunMonTueWedThuFriSat".utf8
        let months = "JanFebMarAprMayJunJulAugSepOctNovDec".utf8
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        bytes += weekdays.dropFirst(3 * time.weekday).prefix(3)
        bytes.append(UInt8(ascii: " "))
        bytes += months.dropFirst(3 * (time.month - 1)).prefix(3)
        bytes.append(UInt8(ascii: " "))
        if time.day < 10 { bytes.append(UInt8(ascii: " ")) }
        append(time.day, digits: time.day < 10 ? 1 : 2, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        append(time.hour, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(time.minute, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(time.second, digits: 2, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        append(time.year, digits: 4, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func append(_ value: Int, digits: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<digits { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
