import Foundation

/// What an ELF file says about itself: identity (class, byte order, machine, type) and the
/// metadata that identifies software without a package database: build-id, `.note.package`,
/// `.comment`, `DT_SONAME`, the interpreter and, for kernel modules, `.modinfo`.
public struct ELFFile: Sendable, Equatable {
    public enum Class: String, Sendable, Hashable { case elf32 = "ELF32", elf64 = "ELF64" }
    public enum ByteOrder: String, Sendable, Hashable { case little = "little-endian", big = "big-endian" }

    public var elfClass: Class
    public var byteOrder: ByteOrder
    public var osABI: UInt8
    /// `e_type`: 1 relocatable (kernel modules, objects), 2 executable, 3 shared object or PIE, 4 core.
    public var type: UInt16
    public var machine: UInt16
    /// `NT_GNU_BUILD_ID`, lower-case hex.
    public var buildID: String?
    /// The Go toolchain's build id note (`Go` owner, type 4), as text.
    public var goBuildID: String?
    /// The systemd `.note.package` payload (owner `FDO`, type `0xcafe1a7e`).
    public var packageMetadata: PackageMetadata?
    /// `.comment` strings (compiler and linker identification), in order, without duplicates.
    public var comments: [String]
    public var soname: String?
    /// `PT_INTERP`: the dynamic loader a program asks for.
    public var interpreter: String?
    /// `.modinfo` key/value pairs in file order (kernel modules); nil when there is no such section.
    public var modinfo: [ModinfoField]?
    /// Parts that could not be read, while the header was fine (a note running past its section,
    /// a section beyond the end of the file). The rest was still read.
    public var problems: [ELFError]

    public var typeName: String { ELFNames.type(type) }
    public var machineName: String { ELFNames.machine(machine) }
}

/// One `key=value` string of a `.modinfo` section.
public struct ModinfoField: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The JSON object of a `.note.package` note, as systemd's "Package Metadata for Executable Files"
/// defines it: well-known keys `type`, `name`, `version`, `architecture`, `os`, `osVersion`,
/// `osCpe`, `debugInfoUrl`; vendors may add more, so every key is kept.
public struct PackageMetadata: Sendable, Hashable {
    /// Every member; strings as they are, numbers and booleans in their JSON spelling.
    public var fields: [String: String]
    /// The payload text.
    public var json: String

    public var type: String? { fields["type"] }
    public var name: String? { fields["name"] }
    public var version: String? { fields["version"] }
    public var architecture: String? { fields["architecture"] }

    /// Parses the note's descriptor: a zero-terminated UTF-8 JSON object, possibly zero-padded.
    public static func parse(_ descriptor: [UInt8], offset: Int64) throws(ELFError) -> PackageMetadata {
        let end = descriptor.firstIndex(of: 0) ?? descriptor.count
        let text = Array(descriptor[..<end])
        guard let json = String(validating: text, as: UTF8.self) else {
            throw .badPackageMetadata(offset: offset, reason: "not valid UTF-8")
        }
        let members: [String: JSONScalar]
        do {
            members = try JSONDecoder().decode([String: JSONScalar].self, from: Data(text))
        } catch {
            throw .badPackageMetadata(offset: offset, reason: "invalid JSON or not an object")
        }
        var fields: [String: String] = [:]
        for (key, value) in members {
            if let text = value.text { fields[key] = text }
        }
        return PackageMetadata(fields: fields, json: json)
    }
}

/// A JSON member value reduced to text: strings as they are, numbers and booleans in their JSON
/// spelling, null and nested values dropped (the specification defines flat string members).
private enum JSONScalar: Decodable {
    case text(String)
    case ignored

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            self = .text(string)
        } else if let flag = try? container.decode(Bool.self) {
            self = .text(flag ? "true" : "false")
        } else if let integer = try? container.decode(Int64.self) {
            self = .text(String(integer))
        } else if let number = try? container.decode(Double.self) {
            self = .text(String(number))
        } else {
            self = .ignored
        }
    }

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// Parses ELF files of both classes and byte orders from a ``ByteSource``, reading only headers and
/// the few sections it needs. Every size and offset is checked against the file and capped, so a
/// truncated or hostile file gives an ``ELFError``, never a crash or a huge allocation.
public enum ELFParser {
    /// Largest section read whole (notes, `.comment`, `.modinfo`, `.dynamic`, the section names).
    public static let maximumSectionBytes = 1 << 20
    /// Largest section or program header table read.
    public static let maximumHeaderTableBytes = 4 << 20
    /// Longest string read from a string table (`DT_SONAME`, `PT_INTERP`).
    public static let maximumStringBytes = 4096
    /// Bytes read from one file in all: headers can point thousands of sections at the same
    /// megabyte, and each would be read again.
    public static let maximumTotalBytes = 32 << 20
    /// Problems kept per file.
    public static let maximumProblems = 16
    /// `.comment` strings kept (a linker writes a handful).
    public static let maximumComments = 64

    /// Whether the bytes start with the ELF magic.
    public static func hasMagic(_ prefix: some Collection<UInt8>) -> Bool {
        prefix.starts(with: [0x7F, 0x45, 0x4C, 0x46])
    }

    public static func parse(_ source: some ByteSource) throws(ELFError) -> ELFFile {
        guard source.size >= 4 else {
            if source.size > 0, let prefix = try? source.bytes(at: 0, count: Int(source.size), what: "ELF identification"),
                [0x7F, 0x45, 0x4C, 0x46].starts(with: prefix)
            {
                throw .truncated(offset: 0, needed: 16, what: "ELF identification")
            }
            throw .notELF
        }
        let magic = try source.bytes(at: 0, count: 4, what: "ELF magic")
        guard hasMagic(magic) else { throw .notELF }
        let identification = try source.bytes(at: 0, count: min(16, Int(source.size)), what: "ELF identification")
        guard identification.count == 16 else { throw .truncated(offset: 0, needed: 16, what: "ELF identification") }
        let elfClass: ELFFile.Class
        switch identification[4] {
        case 1: elfClass = .elf32
        case 2: elfClass = .elf64
        default: throw .badClass(identification[4])
        }
        let byteOrder: ELFFile.ByteOrder
        switch identification[5] {
        case 1: byteOrder = .little
        case 2: byteOrder = .big
        default: throw .badByteOrder(identification[5])
        }
        let is64 = elfClass == .elf64
        let headerSize = is64 ? 64 : 52
        guard source.contains(offset: 0, count: Int64(headerSize)) else {
            throw .truncated(offset: 0, needed: Int64(headerSize), what: "ELF header")
        }
        let header = EndianReader(
            bytes: try source.bytes(at: 0, count: headerSize, what: "ELF header"), base: 0, bigEndian: byteOrder == .big,
            what: "ELF header")
        let layout = Layout(is64: is64, bigEndian: byteOrder == .big)
        var file = ELFFile(
            elfClass: elfClass, byteOrder: byteOrder, osABI: identification[7], type: try header.u16(16),
            machine: try header.u16(18), buildID: nil, goBuildID: nil, packageMetadata: nil, comments: [], soname: nil,
            interpreter: nil, modinfo: nil, problems: [])
        let programHeaderOffset = try header.word(is64 ? 32 : 28, is64: is64)
        let sectionHeaderOffset = try header.word(is64 ? 40 : 32, is64: is64)
        let programHeaderSize = Int(try header.u16(is64 ? 54 : 42))
        let programHeaderCount = Int(try header.u16(is64 ? 56 : 44))
        let sectionHeaderSize = Int(try header.u16(is64 ? 58 : 46))
        let sectionHeaderCount = Int(try header.u16(is64 ? 60 : 48))
        let sectionNameIndex = Int(try header.u16(is64 ? 62 : 50))

        var reader = Reader(source: source, layout: layout, file: file)
        let sections = reader.sectionHeaders(
            offset: sectionHeaderOffset, entrySize: sectionHeaderSize, count: sectionHeaderCount, nameIndex: sectionNameIndex)
        let segments = reader.programHeaders(offset: programHeaderOffset, entrySize: programHeaderSize, count: programHeaderCount)
        reader.readSections(sections)
        reader.readSegments(segments, sectionsRead: !sections.isEmpty)
        file = reader.file
        // A hostile table can make every section a problem; a handful says enough.
        if file.problems.count > maximumProblems { file.problems.removeLast(file.problems.count - maximumProblems) }
        return file
    }

    struct Layout {
        let is64: Bool
        let bigEndian: Bool
    }

    struct Section {
        var name: String
        /// Offset of the name in the section-name string table.
        var nameOffset: UInt64 = 0
        var type: UInt32
        var offset: UInt64
        var size: UInt64
        var link: UInt32
        var alignment: UInt64
    }

    struct Segment {
        var type: UInt32
        var offset: UInt64
        var virtualAddress: UInt64
        var fileSize: UInt64
        var alignment: UInt64
    }

    /// Section and segment reading; problems are collected in `file.problems` and reading goes on.
    struct Reader<Source: ByteSource> {
        let source: Source
        let layout: Layout
        var file: ELFFile
        var remainingBudget = ELFParser.maximumTotalBytes
        var budgetReported = false

        init(source: Source, layout: Layout, file: ELFFile) {
            self.source = source
            self.layout = layout
            self.file = file
        }

        func reader(_ bytes: [UInt8], at base: Int64, what: String) -> EndianReader {
            EndianReader(bytes: bytes, base: base, bigEndian: layout.bigEndian, what: what)
        }

        /// Reads `size` bytes at `offset` if they lie in the file and under `limit`; records why not otherwise.
        mutating func region(offset: UInt64, size: UInt64, limit: Int, what: String) -> [UInt8]? {
            guard offset <= UInt64(Int64.max), size <= UInt64(Int64.max) else {
                file.problems.append(.badHeader(offset: 0, reason: "\(what) has an impossible offset or size"))
                return nil
            }
            guard source.contains(offset: Int64(offset), count: Int64(size)) else {
                file.problems.append(.truncated(offset: Int64(offset), needed: Int64(size), what: what))
                return nil
            }
            guard size <= UInt64(remainingBudget) else {
                if !budgetReported {
                    budgetReported = true
                    file.problems.append(
                        .badHeader(
                            offset: Int64(offset),
                            reason: "the headers ask for more than \(ELFParser.maximumTotalBytes) bytes in all; \(what) and the rest not read"))
                }
                return nil
            }
            guard size <= UInt64(limit) else {
                file.problems.append(
                    .badHeader(offset: Int64(offset), reason: "\(what) is \(size) bytes, over the \(limit)-byte cap; not read"))
                return nil
            }
            remainingBudget -= Int(size)
            do {
                return try source.bytes(at: Int64(offset), count: Int(size), what: what)
            } catch {
                file.problems.append(error)
                return nil
            }
        }

        mutating func sectionHeaders(offset: UInt64, entrySize: Int, count declaredCount: Int, nameIndex declaredNameIndex: Int)
            -> [Section]
        {
            guard offset != 0 else { return [] }
            let minimumEntry = layout.is64 ? 64 : 40
            guard entrySize >= minimumEntry else {
                file.problems.append(
                    .badHeader(offset: layout.is64 ? 58 : 46, reason: "section header size \(entrySize) is under \(minimumEntry)"))
                return []
            }
            // Extended numbering: with 0xFF00 or more sections the counts live in section 0.
            guard let first = region(offset: offset, size: UInt64(entrySize), limit: entrySize, what: "section header 0"),
                let zero = try? parseSection(reader(first, at: Int64(offset), what: "section header 0"))
            else { return [] }
            let count = declaredCount == 0 ? Int(clamping: zero.size) : declaredCount
            let nameIndex = declaredNameIndex == 0xFFFF ? Int(zero.link) : declaredNameIndex
            guard count > 0 else { return [] }
            let tableSize = UInt64(count) * UInt64(entrySize)
            guard let table = region(offset: offset, size: tableSize, limit: ELFParser.maximumHeaderTableBytes, what: "section header table")
            else { return [] }
            var sections: [Section] = []
            sections.reserveCapacity(count)
            for index in 0..<count {
                let entry = EndianReader(
                    bytes: Array(table[index * entrySize..<(index + 1) * entrySize]), base: Int64(offset) + Int64(index * entrySize),
                    bigEndian: layout.bigEndian, what: "section header \(index)")
                guard let section = try? parseSection(entry) else { return [] }
                sections.append(section)
            }
            // Names come from the section-name string table; without it sections are still usable by type.
            if nameIndex > 0, nameIndex < sections.count {
                let names = sections[nameIndex]
                if names.type != 8,  // SHT_NOBITS has no bytes in the file
                    let strings = region(offset: names.offset, size: names.size, limit: ELFParser.maximumSectionBytes, what: "section name table")
                {
                    for index in sections.indices {
                        sections[index].name = ELFParser.string(in: strings, at: Int(clamping: sections[index].nameOffset))
                    }
                }
            }
            return sections
        }

        func parseSection(_ entry: EndianReader) throws(ELFError) -> Section {
            let is64 = layout.is64
            var section = Section(
                name: "", type: try entry.u32(4), offset: try entry.word(is64 ? 24 : 16, is64: is64),
                size: try entry.word(is64 ? 32 : 20, is64: is64), link: try entry.u32(is64 ? 40 : 24),
                alignment: try entry.word(is64 ? 48 : 32, is64: is64))
            section.nameOffset = UInt64(try entry.u32(0))
            return section
        }

        mutating func programHeaders(offset: UInt64, entrySize: Int, count: Int) -> [Segment] {
            guard offset != 0, count > 0 else { return [] }
            let minimumEntry = layout.is64 ? 56 : 32
            guard entrySize >= minimumEntry else {
                file.problems.append(
                    .badHeader(offset: layout.is64 ? 54 : 42, reason: "program header size \(entrySize) is under \(minimumEntry)"))
                return []
            }
            guard
                let table = region(
                    offset: offset, size: UInt64(count) * UInt64(entrySize), limit: ELFParser.maximumHeaderTableBytes,
                    what: "program header table")
            else { return [] }
            var segments: [Segment] = []
            for index in 0..<count {
                let entry = reader(
                    Array(table[index * entrySize..<(index + 1) * entrySize]), at: Int64(offset) + Int64(index * entrySize),
                    what: "program header \(index)")
                let is64 = layout.is64
                guard let type = try? entry.u32(0),
                    let fileOffset = try? entry.word(is64 ? 8 : 4, is64: is64),
                    let address = try? entry.word(is64 ? 16 : 8, is64: is64),
                    let size = try? entry.word(is64 ? 32 : 16, is64: is64),
                    let alignment = try? entry.word(is64 ? 48 : 28, is64: is64)
                else { return segments }
                segments.append(Segment(type: type, offset: fileOffset, virtualAddress: address, fileSize: size, alignment: alignment))
            }
            return segments
        }

        mutating func readSections(_ sections: [Section]) {
            for section in sections where section.type != 8 {
                switch section.type {
                case 7:  // SHT_NOTE
                    if let bytes = region(offset: section.offset, size: section.size, limit: ELFParser.maximumSectionBytes, what: "section \(section.name)") {
                        readNotes(bytes, at: Int64(section.offset), alignment: section.alignment)
                    }
                case 6:  // SHT_DYNAMIC
                    guard file.soname == nil, Int(section.link) < sections.count,
                        let bytes = region(offset: section.offset, size: section.size, limit: ELFParser.maximumSectionBytes, what: "section .dynamic")
                    else { continue }
                    let strings = sections[Int(section.link)]
                    if let value = sonameOffset(inDynamic: bytes, at: Int64(section.offset)), value < strings.size {
                        file.soname = string(at: strings.offset &+ value, limit: strings.size - value)
                    }
                default:
                    if section.name == ".comment" {
                        if let bytes = region(offset: section.offset, size: section.size, limit: ELFParser.maximumSectionBytes, what: "section .comment") {
                            for text in ELFParser.strings(in: bytes)
                            where !file.comments.contains(text) && file.comments.count < ELFParser.maximumComments {
                                file.comments.append(text)
                            }
                        }
                    } else if section.name == ".modinfo" {
                        if let bytes = region(offset: section.offset, size: section.size, limit: ELFParser.maximumSectionBytes, what: "section .modinfo") {
                            file.modinfo = ELFParser.modinfo(bytes)
                        }
                    }
                }
            }
        }

        /// Notes, the interpreter and (for stripped section tables) the dynamic section from segments.
        mutating func readSegments(_ segments: [Segment], sectionsRead: Bool) {
            for segment in segments {
                switch segment.type {
                case 3:  // PT_INTERP
                    if let bytes = region(offset: segment.offset, size: min(segment.fileSize, UInt64(ELFParser.maximumStringBytes)), limit: ELFParser.maximumStringBytes, what: "PT_INTERP")
                    {
                        file.interpreter = ELFParser.string(in: bytes, at: 0)
                    }
                case 4 where !sectionsRead:  // PT_NOTE
                    if let bytes = region(offset: segment.offset, size: segment.fileSize, limit: ELFParser.maximumSectionBytes, what: "PT_NOTE segment") {
                        readNotes(bytes, at: Int64(segment.offset), alignment: segment.alignment)
                    }
                case 2 where !sectionsRead && file.soname == nil:  // PT_DYNAMIC
                    guard let bytes = region(offset: segment.offset, size: segment.fileSize, limit: ELFParser.maximumSectionBytes, what: "PT_DYNAMIC segment"),
                        let value = sonameOffset(inDynamic: bytes, at: Int64(segment.offset)),
                        let table = dynamicValue(bytes, tag: 5, at: Int64(segment.offset)),  // DT_STRTAB
                        let tableOffset = fileOffset(ofAddress: table, in: segments)
                    else { continue }
                    file.soname = string(at: tableOffset &+ value, limit: UInt64(ELFParser.maximumStringBytes))
                default:
                    continue
                }
            }
        }

        func fileOffset(ofAddress address: UInt64, in segments: [Segment]) -> UInt64? {
            for segment in segments where segment.type == 1 {  // PT_LOAD
                if address >= segment.virtualAddress, address - segment.virtualAddress < segment.fileSize {
                    return segment.offset &+ (address - segment.virtualAddress)
                }
            }
            return nil
        }

        func sonameOffset(inDynamic bytes: [UInt8], at base: Int64) -> UInt64? {
            dynamicValue(bytes, tag: 14, at: base)  // DT_SONAME
        }

        func dynamicValue(_ bytes: [UInt8], tag wanted: UInt64, at base: Int64) -> UInt64? {
            let entrySize = layout.is64 ? 16 : 8
            let entries = reader(bytes, at: base, what: "dynamic section")
            var position = 0
            while position + entrySize <= bytes.count {
                guard let tag = try? entries.word(position, is64: layout.is64),
                    let value = try? entries.word(position + entrySize / 2, is64: layout.is64)
                else { return nil }
                if tag == 0 { return nil }  // DT_NULL ends the table
                if tag == wanted { return value }
                position += entrySize
            }
            return nil
        }

        /// A zero-terminated string at a file offset, at most `limit` (and the string cap) bytes.
        mutating func string(at offset: UInt64, limit: UInt64) -> String? {
            guard offset <= UInt64(Int64.max), Int64(offset) < source.size else { return nil }
            let available = UInt64(source.size) - offset
            let length = Int(min(limit, available, UInt64(ELFParser.maximumStringBytes)))
            guard length > 0, let bytes = try? source.bytes(at: Int64(offset), count: length, what: "string") else { return nil }
            return ELFParser.string(in: bytes, at: 0)
        }

        /// Walks the notes of one note section or segment (Elf32_Nhdr and Elf64_Nhdr are the same:
        /// three 32-bit words, then name and descriptor each padded to the alignment).
        mutating func readNotes(_ bytes: [UInt8], at base: Int64, alignment declared: UInt64) {
            let alignment = declared == 8 ? 8 : 4
            let notes = reader(bytes, at: base, what: "note")
            var position = 0
            while position + 12 <= bytes.count {
                guard let nameSize = try? notes.u32(position), let descriptorSize = try? notes.u32(position + 4),
                    let type = try? notes.u32(position + 8)
                else { return }
                // Padding is to the alignment of offsets within the section (gABI), so an 8-aligned
                // note has its descriptor at offset 16 after a 4-byte name, not 20.
                let nameStart = position + 12
                let descriptorStart = ELFParser.align(nameStart + Int(nameSize), to: alignment)
                let descriptorEnd = descriptorStart + Int(descriptorSize)
                guard descriptorStart <= bytes.count, descriptorEnd <= bytes.count else {
                    file.problems.append(
                        .badNote(offset: base + Int64(position), reason: "name of \(nameSize) and data of \(descriptorSize) bytes run past the end"))
                    return
                }
                let name = ELFParser.string(in: Array(bytes[nameStart..<nameStart + Int(nameSize)]), at: 0)
                let descriptor = Array(bytes[descriptorStart..<descriptorEnd])
                handleNote(owner: name, type: type, descriptor: descriptor, at: base + Int64(descriptorStart))
                position = ELFParser.align(descriptorEnd, to: alignment)
            }
        }

        mutating func handleNote(owner: String, type: UInt32, descriptor: [UInt8], at offset: Int64) {
            switch (owner, type) {
            case ("GNU", 3):  // NT_GNU_BUILD_ID
                if file.buildID == nil, !descriptor.isEmpty { file.buildID = ELFParser.hex(descriptor) }
            case ("Go", 4):  // the Go toolchain's build id
                if file.goBuildID == nil { file.goBuildID = ELFParser.string(in: descriptor, at: 0) }
            case ("FDO", 0xCAFE_1A7E):  // FDO_PACKAGING_METADATA
                guard file.packageMetadata == nil else { return }
                do {
                    file.packageMetadata = try PackageMetadata.parse(descriptor, offset: offset)
                } catch {
                    file.problems.append(error)
                }
            default:
                return
            }
        }
    }

    static func align(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    /// The zero-terminated string at `offset` in `bytes` (to the end if unterminated); invalid
    /// UTF-8 is shown with replacement characters.
    static func string(in bytes: [UInt8], at offset: Int) -> String {
        guard offset >= 0, offset < bytes.count else { return "" }
        let end = bytes[offset...].firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// The non-empty zero-separated strings of a section.
    static func strings(in bytes: [UInt8]) -> [String] {
        bytes.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `.modinfo` strings are `key=value`; strings without `=` are skipped.
    static func modinfo(_ bytes: [UInt8]) -> [ModinfoField] {
        bytes.split(separator: 0, omittingEmptySubsequences: true).compactMap { entry in
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            return ModinfoField(
                key: String(decoding: entry[entry.startIndex..<equals], as: UTF8.self),
                value: String(decoding: entry[(equals + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
