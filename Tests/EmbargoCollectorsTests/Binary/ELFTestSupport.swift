import Foundation
import TestSupport

/// Writes small but complete ELF files of either class and byte order, with the sections the
/// parser reads, so 32-bit and big-endian layouts are tested without a cross compiler (readelf
/// reads them back as an independent check).
struct SyntheticELF {
    var is64 = true
    var bigEndian = false
    var type: UInt16 = 3
    var machine: UInt16 = 62
    var buildID: [UInt8]? = [0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04]
    var packageJSON: String? = #"{"type":"deb","name":"kesl","version":"12.1.0.1297","architecture":"amd64","osCpe":"cpe:/o:debian:debian:12"}"#
    var comments: [String] = ["GCC: (Debian 12.2.0-14) 12.2.0"]
    var soname: String? = "libkesl.so.12"
    var modinfo: [String]? = nil
    /// Notes padded to 8 bytes (as `.note.gnu.property` on x86-64) instead of 4.
    var noteAlignment = 4

    func bytes() -> [UInt8] {
        var out = Writer(bigEndian: bigEndian)
        let headerSize = is64 ? 64 : 52
        out.bytes = [UInt8](repeating: 0, count: headerSize)
        struct Section {
            var name: String
            var type: UInt32
            var offset: Int
            var size: Int
            var link: UInt32 = 0
            var alignment: Int = 1
        }
        var sections: [Section] = [Section(name: "", type: 0, offset: 0, size: 0)]
        func add(_ name: String, type: UInt32, data: [UInt8], alignment: Int = 1, link: UInt32 = 0) {
            while out.bytes.count % max(alignment, 1) != 0 { out.bytes.append(0) }
            sections.append(Section(name: name, type: type, offset: out.bytes.count, size: data.count, link: link, alignment: alignment))
            out.bytes += data
        }
        func note(owner: String, type: UInt32, descriptor: [UInt8]) -> [UInt8] {
            var note = Writer(bigEndian: bigEndian)
            let name = Array(owner.utf8) + [0]
            note.u32(UInt32(name.count))
            note.u32(UInt32(descriptor.count))
            note.u32(type)
            note.bytes += name
            while note.bytes.count % noteAlignment != 0 { note.bytes.append(0) }
            note.bytes += descriptor
            while note.bytes.count % noteAlignment != 0 { note.bytes.append(0) }
            return note.bytes
        }
        if let buildID {
            add(".note.gnu.build-id", type: 7, data: note(owner: "GNU", type: 3, descriptor: buildID), alignment: noteAlignment)
        }
        if let packageJSON {
            add(
                ".note.package", type: 7, data: note(owner: "FDO", type: 0xCAFE_1A7E, descriptor: Array(packageJSON.utf8) + [0]),
                alignment: noteAlignment)
        }
        if !comments.isEmpty {
            add(".comment", type: 1, data: comments.flatMap { Array($0.utf8) + [0] })
        }
        if let soname {
            let dynstr = [0] + Array(soname.utf8) + [0]
            add(".dynstr", type: 3, data: dynstr)
            let dynstrIndex = UInt32(sections.count - 1)
            var dynamic = Writer(bigEndian: bigEndian)
            dynamic.word(14, is64: is64)  // DT_SONAME
            dynamic.word(1, is64: is64)
            dynamic.word(0, is64: is64)  // DT_NULL
            dynamic.word(0, is64: is64)
            add(".dynamic", type: 6, data: dynamic.bytes, alignment: 8, link: dynstrIndex)
        }
        if let modinfo {
            add(".modinfo", type: 1, data: modinfo.flatMap { Array($0.utf8) + [0] })
        }
        // Section names.
        var names: [UInt8] = [0]
        var nameOffsets: [Int] = []
        for section in sections {
            if section.name.isEmpty {
                nameOffsets.append(0)
            } else {
                nameOffsets.append(names.count)
                names += Array(section.name.utf8) + [0]
            }
        }
        nameOffsets.append(names.count)
        names += Array(".shstrtab".utf8) + [0]
        add(".shstrtab", type: 3, data: names)
        while out.bytes.count % 8 != 0 { out.bytes.append(0) }
        let sectionTable = out.bytes.count
        for (index, section) in sections.enumerated() {
            out.u32(UInt32(nameOffsets[index]))
            out.u32(section.type)
            out.word(0, is64: is64)  // flags
            out.word(0, is64: is64)  // address
            out.word(UInt64(section.offset), is64: is64)
            out.word(UInt64(section.size), is64: is64)
            out.u32(section.link)
            out.u32(0)  // info
            out.word(UInt64(section.alignment), is64: is64)
            out.word(section.type == 6 ? (is64 ? 16 : 8) : 0, is64: is64)
        }
        // Header.
        var header = Writer(bigEndian: bigEndian)
        header.bytes = [0x7F, 0x45, 0x4C, 0x46, is64 ? 2 : 1, bigEndian ? 2 : 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        header.u16(type)
        header.u16(machine)
        header.u32(1)
        header.word(0, is64: is64)  // entry
        header.word(0, is64: is64)  // program headers
        header.word(UInt64(sectionTable), is64: is64)
        header.u32(0)  // flags
        header.u16(UInt16(headerSize))
        header.u16(is64 ? 56 : 32)
        header.u16(0)
        header.u16(is64 ? 64 : 40)
        header.u16(UInt16(sections.count))
        header.u16(UInt16(sections.count - 1))
        out.bytes.replaceSubrange(0..<headerSize, with: header.bytes)
        return out.bytes
    }

    struct Writer {
        var bigEndian: Bool
        var bytes: [UInt8] = []

        mutating func u16(_ value: UInt16) { append(UInt64(value), width: 2) }
        mutating func u32(_ value: UInt32) { append(UInt64(value), width: 4) }
        mutating func word(_ value: UInt64, is64: Bool) { append(value, width: is64 ? 8 : 4) }

        mutating func append(_ value: UInt64, width: Int) {
            for index in 0..<width {
                let shift = bigEndian ? (width - 1 - index) * 8 : index * 8
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
    }
}

/// What binutils' readelf says about a file: the independent reading tests compare with.
struct ReadelfReport {
    var elfClass: String?
    var data: String?
    var type: String?
    var machine: String?
    var buildID: String?
    var goBuildID: String?
    var packageMetadata: String?
    var soname: String?
    var interpreter: String?
    var comments: [String] = []

    static var isAvailable: Bool { Command.isAvailable("readelf") }

    static func read(_ path: String) throws -> ReadelfReport {
        var report = ReadelfReport()
        let header = try Command.run("readelf", ["-W", "-h", path]).stdout
        for line in header.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "Class": report.elfClass = parts[1]
            case "Data": report.data = parts[1]
            case "Type": report.type = parts[1].split(separator: " ").first.map(String.init)
            case "Machine": report.machine = parts[1]
            default: break
            }
        }
        let notes = try Command.run("readelf", ["-n", path]).stdout
        let noteLines = notes.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, line) in noteLines.enumerated() {
            if line.hasPrefix("Build ID: ") { report.buildID = String(line.dropFirst("Build ID: ".count)) }
            if line.hasPrefix("Packaging Metadata: ") { report.packageMetadata = String(line.dropFirst("Packaging Metadata: ".count)) }
            if line.hasPrefix("Go ") && line.contains("GO BUILDID"), index + 1 < noteLines.count {
                let data = noteLines[index + 1]
                if data.hasPrefix("description data: ") {
                    let bytes = data.dropFirst("description data: ".count).split(separator: " ").compactMap { UInt8($0, radix: 16) }
                    report.goBuildID = String(decoding: bytes, as: UTF8.self)
                }
            }
        }
        let dynamic = try Command.run("readelf", ["-W", "-d", path]).stdout
        if let range = dynamic.range(of: "Library soname: [") {
            let rest = dynamic[range.upperBound...]
            report.soname = String(rest.prefix { $0 != "]" })
        }
        let program = try Command.run("readelf", ["-W", "-l", path]).stdout
        if let range = program.range(of: "[Requesting program interpreter: ") {
            report.interpreter = String(program[range.upperBound...].prefix { $0 != "]" })
        }
        let comment = try Command.run("readelf", ["-W", "-p", ".comment", path]).stdout
        for line in comment.split(separator: "\n") {
            guard let close = line.firstIndex(of: "]"), line.trimmingCharacters(in: .whitespaces).hasPrefix("[") else { continue }
            let text = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if !text.isEmpty && !report.comments.contains(text) { report.comments.append(text) }
        }
        return report
    }

    /// Our machine names for readelf's spelling.
    static let machineNames = [
        "Advanced Micro Devices X86-64": "x86_64", "AArch64": "aarch64", "Intel 80386": "i386", "PowerPC64": "ppc64",
        "PowerPC": "ppc", "IBM S/390": "s390", "ARM": "arm", "RISC-V": "riscv", "MIPS R3000": "mips",
    ]
}

/// Compiles small C programs with the system compiler, for real ELF files in tests.
enum CCompiler {
    static var isAvailable: Bool { Command.isAvailable("gcc") }

    /// Compiles `source` to `output` with extra flags (`-shared`, `-Wl,--build-id`, ...).
    static func compile(_ source: String, to output: String, flags: [String] = []) throws {
        let sourcePath = output + ".c"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: sourcePath) }
        try Command.check("gcc", ["-O1", "-o", output, sourcePath] + flags, timeout: 120)
    }

    /// A program that keeps `strings` in its read-only data (so a marker search can find them).
    static func programSource(strings: [String]) -> String {
        let literals = strings.enumerated().map { index, text in
            "const char *volatile text\(index) = \"\(text)\";"
        }.joined(separator: "\n")
        let uses = strings.indices.map { "if (argc > \($0 + 5)) puts(text\($0));" }.joined(separator: "\n    ")
        return """
            #include <stdio.h>
            \(literals)
            int main(int argc, char **argv) {
                \(uses)
                return 0;
            }
            """
    }
}
