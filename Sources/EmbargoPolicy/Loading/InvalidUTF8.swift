/// Where a file stops being UTF-8, so that the error can point at the byte.
struct InvalidUTF8: Equatable {
    /// Byte offset of the first byte of the bad sequence.
    var offset: Int
    /// 1-based line of that byte.
    var line: Int
    /// 1-based column, counted in characters (Unicode scalars) as YAML positions are.
    var column: Int
    var byte: UInt8

    /// The first invalid UTF-8 sequence in `bytes` (stray continuation bytes, truncated or
    /// overlong sequences, surrogates, code points above U+10FFFF), or nil when all is valid.
    static func find(in bytes: [UInt8]) -> InvalidUTF8? {
        var index = 0
        var line = 1
        var column = 1
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            var lowest: UInt8 = 0x80
            var highest: UInt8 = 0xBF
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lowest = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                highest = 0x9F
            case 0xF0:
                length = 4
                lowest = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                highest = 0x8F
            default:
                return InvalidUTF8(offset: index, line: line, column: column, byte: lead)
            }
            for position in 1..<max(length, 1) {
                guard index + position < bytes.count else {
                    return InvalidUTF8(offset: index, line: line, column: column, byte: lead)
                }
                let byte = bytes[index + position]
                let range = position == 1 ? lowest...highest : 0x80...0xBF
                if !range.contains(byte) { return InvalidUTF8(offset: index, line: line, column: column, byte: lead) }
            }
            if lead == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += length
        }
        return nil
    }
}
