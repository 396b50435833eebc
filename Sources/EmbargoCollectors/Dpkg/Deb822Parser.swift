import EmbargoInventory

/// One paragraph of a Debian control-style file (dpkg status, opkg status, apt deb822 sources).
public struct Deb822Stanza: Sendable {
    public struct Field: Sendable {
        public var name: String
        public var value: String
        public var line: Int
    }

    public var fields: [Field]
    /// Line of the paragraph's first field (1-based).
    public var line: Int

    /// The value of a field; names compare case-insensitively, as Debian policy says.
    public subscript(name: String) -> String? {
        field(name)?.value
    }

    public func field(_ name: String) -> Field? {
        fields.first { Self.equalIgnoringASCIICase($0.name, name) }
    }

    /// Field names are ASCII; comparing bytes avoids allocating lower-cased copies per lookup.
    @inline(__always)
    static func equalIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let a?, let b?):
                if a == b { continue }
                if a | 0x20 != b | 0x20 || !((a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A) { return false }
            default: return false
            }
        }
    }
}

/// A line that is neither a field, a continuation nor a blank separator.
public struct Deb822SyntaxError: LocatedError, Equatable {
    public var path: String
    public var line: Int
    public var text: String

    public var code: String { "deb822.malformed-line" }
    public var location: IssueLocation { IssueLocation(path: path, line: line) }
    public var reason: String {
        let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
        return "line is neither 'Field: value' nor a continuation: \"\(shown)\"; the line is skipped"
    }
}

/// Parses control-style text: paragraphs separated by blank lines, `Field: value` lines, and
/// continuation lines that start with a space or tab.
///
/// A malformed line is reported and skipped; the rest of its paragraph is kept, so one damaged
/// line never hides a package (a paragraph left without `Package:` is dropped by the caller).
public enum Deb822Parser {
    public struct Result: Sendable {
        public var stanzas: [Deb822Stanza]
        public var errors: [Deb822SyntaxError]
    }

    /// Which fields to keep, by name, and how much of each. A host's status file is megabytes of
    /// dependency lists and descriptions nobody asked for; not materialising them is most of the
    /// parsing cost.
    public struct FieldSelection: Sendable {
        public enum Extent: Sendable { case whole, firstLine }
        var extents: [String: Extent]

        /// - Parameter extents: field names (any case) and how much of each value to keep.
        public init(_ extents: [String: Extent]) {
            var all: [String: Extent] = [:]
            for (name, extent) in extents {
                all[name] = extent
                all[name.lowercased()] = extent
            }
            self.extents = all
        }

        func extent(of name: String) -> Extent? {
            if let extent = extents[name] { return extent }
            return extents[name.lowercased()]
        }
    }

    /// - Parameters:
    ///   - allowComments: accept `#` comment lines (apt's deb822 sources allow them; dpkg status does not).
    ///   - selection: keep only these fields (nil keeps every field whole).
    public static func parse(
        _ bytes: [UInt8], path: String, allowComments: Bool = false, selection: FieldSelection? = nil
    ) -> Result {
        var stanzas: [Deb822Stanza] = []
        var errors: [Deb822SyntaxError] = []
        var fields: [Deb822Stanza.Field] = []
        // Whether continuation lines belong to a field that is kept whole.
        var continuationKept = false
        var stanzaLine = 0
        var lineNumber = 0
        var start = 0
        let count = bytes.count

        func finishStanza() {
            if !fields.isEmpty {
                stanzas.append(Deb822Stanza(fields: fields, line: stanzaLine))
            }
            fields.removeAll(keepingCapacity: true)
            stanzaLine = 0
            continuationKept = false
        }

        bytes.withUnsafeBufferPointer { buffer in
            while start < count {
                lineNumber += 1
                var end = start
                while end < count && buffer[end] != 0x0A { end += 1 }
                var lineEnd = end
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                defer { start = end + 1 }

                // Blank (or white-space only) line: paragraph separator.
                var firstNonBlank = start
                while firstNonBlank < lineEnd && (buffer[firstNonBlank] == 0x20 || buffer[firstNonBlank] == 0x09) {
                    firstNonBlank += 1
                }
                if firstNonBlank == lineEnd {
                    finishStanza()
                    continue
                }
                let first = buffer[start]
                if allowComments && first == UInt8(ascii: "#") { continue }
                if first == 0x20 || first == 0x09 {
                    // Continuation of the previous field.
                    guard stanzaLine > 0 || !fields.isEmpty else {
                        errors.append(Deb822SyntaxError(path: path, line: lineNumber, text: text(buffer, start, lineEnd)))
                        continue
                    }
                    guard continuationKept else { continue }
                    var content = text(buffer, firstNonBlank, lineEnd)
                    if content == "." { content = "" }
                    fields[fields.count - 1].value += "\n" + content
                    continue
                }
                var colon = start
                while colon < lineEnd && buffer[colon] != UInt8(ascii: ":") { colon += 1 }
                let nameIsValid = colon > start && colon < lineEnd
                    && !(start..<colon).contains { buffer[$0] == 0x20 || buffer[$0] == 0x09 }
                guard nameIsValid else {
                    errors.append(Deb822SyntaxError(path: path, line: lineNumber, text: text(buffer, start, lineEnd)))
                    continue
                }
                var valueStart = colon + 1
                while valueStart < lineEnd && (buffer[valueStart] == 0x20 || buffer[valueStart] == 0x09) { valueStart += 1 }
                var valueEnd = lineEnd
                while valueEnd > valueStart && (buffer[valueEnd - 1] == 0x20 || buffer[valueEnd - 1] == 0x09) { valueEnd -= 1 }
                if stanzaLine == 0 { stanzaLine = lineNumber }
                let name = text(buffer, start, colon)
                let extent: FieldSelection.Extent? = selection == nil ? .whole : selection!.extent(of: name)
                continuationKept = extent == .whole
                guard extent != nil else { continue }
                fields.append(Deb822Stanza.Field(name: name, value: text(buffer, valueStart, valueEnd), line: lineNumber))
            }
        }
        finishStanza()
        return Result(stanzas: stanzas, errors: errors)
    }

    @inline(__always)
    private static func text(_ buffer: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[from..<to]), as: UTF8.self)
    }
}
