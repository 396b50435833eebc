/// Lines of a text file as byte ranges, with 1-based numbers; CR before LF is dropped.
struct TextLines: Sequence {
    let bytes: [UInt8]

    struct Line {
        var number: Int
        var text: String
    }

    func makeIterator() -> AnyIterator<Line> {
        var start = 0
        var number = 0
        let bytes = self.bytes
        return AnyIterator {
            guard start < bytes.count else { return nil }
            number += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let text = String(decoding: bytes[start..<lineEnd], as: UTF8.self)
            start = end + 1
            return Line(number: number, text: text)
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return String(self[start..<Swift.max(start, end)])
    }
}
