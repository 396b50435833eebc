/// The lines of a text database as byte slices with their 1-based numbers, without the line feed
/// (and without a carriage return before it). Shared by the apk and pacman parsers, which read
/// bytes rather than Strings because databases of thousands of packages are common.
struct ByteLines: Sequence {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    struct Line {
        var number: Int
        var content: ArraySlice<UInt8>

        /// Whether the line holds nothing but spaces and tabs.
        var isBlank: Bool { content.allSatisfy { $0 == 0x20 || $0 == 0x09 } }

        var text: String { String(decoding: content, as: UTF8.self) }
    }

    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var start = 0
        var number = 0

        mutating func next() -> Line? {
            guard start < bytes.count else { return nil }
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            number += 1
            let line = Line(number: number, content: bytes[start..<contentEnd])
            start = end + 1
            return line
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

extension ArraySlice where Element == UInt8 {
    /// The slice without leading and trailing spaces and tabs.
    var trimmingBlanks: ArraySlice<UInt8> {
        var slice = self
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }
}

/// Shortens untrusted text for an error message.
func excerpt(_ text: String, limit: Int = 60) -> String {
    text.count > limit ? String(text.prefix(limit)) + "…" : text
}
