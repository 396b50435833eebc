/// The fields of `/proc/<pid>/stat` the process collector uses (proc(5)).
struct ProcStat: Sendable, Equatable {
    var pid: Int32
    /// The command name (`comm`, at most 15 bytes), which may itself contain spaces and parentheses.
    var command: String
    var state: Character
    var parentPID: Int32
    /// `PF_*` flags (field 9).
    var flags: UInt64
    /// Start time in clock ticks after boot (field 22).
    var startTicks: UInt64

    /// `PF_KTHREAD`: the task is a kernel thread.
    var isKernelThread: Bool { flags & 0x0020_0000 != 0 }
}

/// Why a stat line could not be read.
struct ProcStatError: Error, Equatable {
    var reason: String
}

enum ProcStatParser {
    /// Parses `pid (comm) state ppid pgrp session tty_nr tpgid flags ... starttime ...`.
    ///
    /// `comm` is delimited by the first `(` and the last `)` because the name can contain both.
    static func parse(_ bytes: [UInt8]) throws(ProcStatError) -> ProcStat {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")), let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close
        else { throw ProcStatError(reason: "no '(comm)' field") }
        guard let pid = Int32(String(decoding: bytes[..<open], as: UTF8.self).trimmingBlanks()) else {
            throw ProcStatError(reason: "pid is not a number")
        }
        let command = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // Fields after ")": index 0 is field 3 (state), so field N is at index N - 3.
        let fields = bytes[(close + 1)...].split(whereSeparator: { $0 == 0x20 || $0 == 0x0A })
        guard fields.count >= 20 else { throw ProcStatError(reason: "only \(fields.count + 2) fields") }
        guard let stateByte = fields[0].first, fields[0].count == 1,
            let parent = Int32(String(decoding: fields[1], as: UTF8.self)),
            let flags = UInt64(String(decoding: fields[6], as: UTF8.self)),
            let start = UInt64(String(decoding: fields[19], as: UTF8.self))
        else { throw ProcStatError(reason: "state, ppid, flags or starttime is not a number") }
        return ProcStat(
            pid: pid, command: command, state: Character(Unicode.Scalar(stateByte)), parentPID: parent, flags: flags,
            startTicks: start)
    }

    /// The boot time (`btime`, seconds since the epoch) from `/proc/stat`.
    static func bootTime(fromSystemStat bytes: [UInt8]) -> Int64? {
        for line in bytes.split(separator: 0x0A) where line.starts(with: Array("btime ".utf8)) {
            return Int64(String(decoding: line.dropFirst(6), as: UTF8.self).trimmingBlanks())
        }
        return nil
    }

    /// `cmdline`: arguments separated (and terminated) by NUL bytes.
    static func commandLine(_ bytes: [UInt8], maximumArguments: Int) -> [String] {
        var body = bytes[...]
        if body.last == 0 { body = body.dropLast() }
        if body.isEmpty { return [] }
        return body.split(separator: 0, omittingEmptySubsequences: false).prefix(maximumArguments)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// The `hidepid=` option of the proc mount at `mountPoint` in `/proc/self/mountinfo`, when it
    /// hides other users' processes (`hidepid=1`, `2`, `invisible`, `noaccess`, `ptraceable`).
    static func hidingOption(mountInfo bytes: [UInt8], mountPoint: String) -> String? {
        for line in bytes.split(separator: 0x0A) {
            let text = String(decoding: line, as: UTF8.self)
            let fields = text.split(separator: " ")
            // id parent major:minor root mount-point options [optional...] - type source super-options
            guard fields.count >= 10, fields[4] == mountPoint, let dash = fields.firstIndex(of: "-"), dash + 3 < fields.count,
                fields[dash + 1] == "proc"
            else { continue }
            for option in fields[dash + 3].split(separator: ",") where option.hasPrefix("hidepid=") {
                let value = option.dropFirst("hidepid=".count)
                if value != "0" && value != "off" { return String(option) }
            }
        }
        return nil
    }
}
