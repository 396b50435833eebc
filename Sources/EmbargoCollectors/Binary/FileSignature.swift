/// What the first bytes of a file say it is, for the kinds a walk looks inside.
public enum FileSignature: Sendable, Hashable {
    /// An ELF file; `appImageType` is 1 or 2 when the AppImage magic (`AI` then the type byte) sits
    /// at offset 8 of the ELF identification, nil otherwise.
    case elf(appImageType: UInt8?)
    /// A script starting with `#!`; the interpreter line without `#!` and surrounding blanks.
    case script(interpreter: String)
    case other

    /// How many leading bytes ``sniff(_:)`` needs to decide.
    public static let prefixLength = 256

    /// Classifies a file by its first bytes (pass up to ``prefixLength`` of them).
    public static func sniff(_ prefix: some Collection<UInt8>) -> FileSignature {
        let bytes = Array(prefix.prefix(prefixLength))
        if bytes.count >= 4, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 {
            if bytes.count >= 11, bytes[8] == 0x41, bytes[9] == 0x49, bytes[10] == 1 || bytes[10] == 2 {
                return .elf(appImageType: bytes[10])
            }
            return .elf(appImageType: nil)
        }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "#"), bytes[1] == UInt8(ascii: "!") {
            var line = bytes[2...].prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") && $0 != 0 }
            while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
            while let last = line.last, last == 0x20 || last == 0x09 { line = line.dropLast() }
            return .script(interpreter: String(decoding: line, as: UTF8.self))
        }
        return .other
    }

    /// Whether a walk reads the whole file (bounded) to search it for markers.
    public var isSearched: Bool {
        if case .other = self { return false }
        return true
    }
}
