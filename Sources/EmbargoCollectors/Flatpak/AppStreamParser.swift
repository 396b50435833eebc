import EmbargoInventory
import Foundation

/// What an AppStream component (metainfo/appdata file, or one component of an `app-info` catalog)
/// says about a flatpak.
public struct AppStreamComponent: Sendable, Hashable {
    public struct Release: Sendable, Hashable {
        public var version: String?
        /// `date` as written (`2024-05-02`).
        public var date: String?
        /// `timestamp`, seconds since the epoch.
        public var timestamp: Int?
        /// `stable` (the default) or `development`.
        public var type: String?
        public var line: Int
    }

    public var id: String?
    /// The untranslated `<name>`.
    public var name: String?
    public var summary: String?
    /// `<developer_name>` (AppStream before 1.0) or `<developer><name>` (1.0 and later).
    public var developer: String?
    public var projectLicense: String?
    public var homepage: String?
    public var type: String?
    public var releases: [Release] = []
    public var line: Int

    /// The release that describes the installed version: the newest by date when every release
    /// with a version is dated, else the first (AppStream asks for newest-first order, and tools
    /// such as appstream-compose sort them so).
    public var currentRelease: Release? {
        let versioned = releases.filter { !($0.version ?? "").isEmpty }
        guard let first = versioned.first else { return nil }
        let dated = versioned.map { ($0, Self.instant($0)) }
        guard dated.allSatisfy({ $0.1 != nil }) else { return first }
        var best = dated[0]
        for candidate in dated.dropFirst() where candidate.1! > best.1! { best = candidate }
        return best.0
    }

    private static func instant(_ release: Release) -> Double? {
        if let timestamp = release.timestamp { return Double(timestamp) }
        guard let date = release.date else { return nil }
        if let instant = try? RFC3339.parse(date) { return instant.timeIntervalSince1970 }
        return RFC3339.parseDate(String(date.prefix(10)))?.timeIntervalSince1970
    }
}

/// Reads AppStream XML: a `<component>` document (metainfo, appdata) or a `<components>` catalog
/// (`share/app-info/xmls/<id>.xml.gz`).
///
/// It uses a small XML reader of its own rather than libxml2: AppStream needs elements,
/// attributes, text, comments, CDATA and the predefined entities only, and a reader that defines
/// no entities cannot be made to expand any.
public enum AppStreamParser {
    public static func components(_ bytes: [UInt8], path: String) -> Result<[AppStreamComponent], FlatpakError> {
        var components: [AppStreamComponent] = []
        var current: AppStreamComponent?
        var stack: [String] = []
        /// Depth of the `<component>` element in the stack.
        var componentDepth = 0
        var text = ""
        var inDeveloper = false
        var reader = XMLReader(bytes)
        do {
            while let event = try reader.next() {
                switch event {
                case .start(let name, let attributes, let line):
                    stack.append(name)
                    text = ""
                    if name == "component" {
                        current = AppStreamComponent(type: attributes["type"], line: line)
                        componentDepth = stack.count
                        continue
                    }
                    guard current != nil else { continue }
                    let depth = stack.count - componentDepth
                    if depth == 1 && name == "developer" { inDeveloper = true }
                    if name == "release" && stack.dropLast().last == "releases" {
                        current?.releases.append(
                            AppStreamComponent.Release(
                                version: attributes["version"], date: attributes["date"],
                                timestamp: attributes["timestamp"].flatMap { Int($0) }, type: attributes["type"], line: line))
                    }
                    if depth == 1 && name == "url" && attributes["type"] != "homepage" { stack[stack.count - 1] = "url@other" }
                    if attributes["xml:lang"] != nil { stack[stack.count - 1] = name + "@lang" }
                case .text(let content):
                    text += content
                case .end(let name):
                    defer {
                        stack.removeLast()
                        text = ""
                    }
                    guard current != nil else { continue }
                    let depth = stack.count - componentDepth
                    let element = stack.last ?? name
                    let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    if name == "component" && depth == 0, let component = current {
                        components.append(component)
                        current = nil
                        continue
                    }
                    if depth == 1 {
                        switch element {
                        case "id": if current?.id == nil { current?.id = value }
                        case "name": if current?.name == nil { current?.name = value }
                        case "summary": if current?.summary == nil { current?.summary = value }
                        case "developer_name": if current?.developer == nil { current?.developer = value }
                        case "project_license": current?.projectLicense = value
                        case "url": if current?.homepage == nil, !value.isEmpty { current?.homepage = value }
                        case "developer": inDeveloper = false
                        default: break
                        }
                    } else if depth == 2 && inDeveloper && element == "name" && current?.developer == nil {
                        current?.developer = value
                    }
                }
            }
        } catch {
            let position = reader.position(of: error.offset)
            return .failure(
                FlatpakError(
                    problem: .malformedMetainfo, path: path, line: position.line, column: position.column,
                    detail: "AppStream XML is malformed: \(error.reason)"))
        }
        guard !components.isEmpty else {
            return .failure(
                FlatpakError(problem: .malformedMetainfo, path: path, line: 1, detail: "the XML has no <component> element"))
        }
        return .success(components)
    }
}

/// A minimal, bounded XML pull reader: elements, attributes, text, CDATA; comments, processing
/// instructions and the DOCTYPE are skipped. Only the five predefined entities and character
/// references are decoded; any other entity is an error.
struct XMLReader {
    enum Event {
        case start(name: String, attributes: [String: String], line: Int)
        case end(name: String)
        case text(String)
    }

    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    static let maximumDepth = 256
    static let maximumAttributes = 256

    let bytes: [UInt8]
    private var index = 0
    private var open: [(name: String, offset: Int)] = []
    private var sawRoot = false
    private var pendingEnd: String?
    private let lineStarts: [Int]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == 0x0A { starts.append(offset + 1) }
        lineStarts = starts
        // A UTF-8 byte order mark is allowed before the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// 1-based line and column of a byte offset.
    func position(of offset: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    mutating func next() throws(Failure) -> Event? {
        if let name = pendingEnd {
            pendingEnd = nil
            return .end(name: name)
        }
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                let start = index
                while index < bytes.count && bytes[index] != UInt8(ascii: "<") { index += 1 }
                let raw = bytes[start..<index]
                if open.isEmpty {
                    guard raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
                        throw Failure(offset: start, reason: sawRoot ? "text after the root element" : "text before the root element")
                    }
                    continue
                }
                return .text(try decodeEntities(raw, offset: start))
            }
            if starts(with: "<!--") {
                guard let end = find("-->", from: index + 4) else { throw Failure(offset: index, reason: "unterminated comment") }
                index = end + 3
                continue
            }
            if starts(with: "<![CDATA[") {
                guard !open.isEmpty else { throw Failure(offset: index, reason: "CDATA outside the root element") }
                guard let end = find("]]>", from: index + 9) else { throw Failure(offset: index, reason: "unterminated CDATA section") }
                let text = String(decoding: bytes[(index + 9)..<end], as: UTF8.self)
                index = end + 3
                return .text(text)
            }
            if starts(with: "<?") {
                guard let end = find("?>", from: index + 2) else {
                    throw Failure(offset: index, reason: "unterminated processing instruction")
                }
                index = end + 2
                continue
            }
            if starts(with: "<!") {
                try skipDeclaration()
                continue
            }
            if starts(with: "</") {
                let start = index
                index += 2
                let name = readName()
                skipBlanks()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                    throw Failure(offset: start, reason: "malformed end tag </\(excerpt(name, limit: 40))")
                }
                index += 1
                guard let top = open.popLast() else { throw Failure(offset: start, reason: "end tag </\(name)> without a start tag") }
                guard top.name == name else {
                    let opened = position(of: top.offset)
                    throw Failure(
                        offset: start, reason: "end tag </\(name)> does not match <\(top.name)> opened at line \(opened.line)")
                }
                return .end(name: name)
            }
            return try readStartTag()
        }
        if let top = open.last {
            let opened = position(of: top.offset)
            throw Failure(offset: bytes.count, reason: "the document ends inside <\(top.name)> opened at line \(opened.line)")
        }
        if !sawRoot { throw Failure(offset: bytes.count, reason: "the document has no root element") }
        return nil
    }

    private mutating func readStartTag() throws(Failure) -> Event {
        let start = index
        index += 1
        let name = readName()
        guard !name.isEmpty else { throw Failure(offset: start, reason: "'<' is not followed by an element name") }
        if open.isEmpty && sawRoot { throw Failure(offset: start, reason: "a second root element <\(name)>") }
        var attributes: [String: String] = [:]
        while true {
            skipBlanks()
            guard index < bytes.count else { throw Failure(offset: start, reason: "unterminated start tag <\(name)>") }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            if starts(with: "/>") {
                index += 2
                pendingEnd = name
                break
            }
            let attributeStart = index
            let key = readName()
            skipBlanks()
            guard !key.isEmpty, index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                throw Failure(offset: attributeStart, reason: "malformed attribute in <\(name)>")
            }
            index += 1
            skipBlanks()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw Failure(offset: attributeStart, reason: "attribute \(key) of <\(name)> has no quoted value")
            }
            let quote = bytes[index]
            let valueStart = index + 1
            guard let valueEnd = bytes[valueStart...].firstIndex(of: quote) else {
                throw Failure(offset: attributeStart, reason: "unterminated value of attribute \(key)")
            }
            attributes[key] = try decodeEntities(bytes[valueStart..<valueEnd], offset: valueStart)
            guard attributes.count <= Self.maximumAttributes else { throw Failure(offset: attributeStart, reason: "too many attributes") }
            index = valueEnd + 1
        }
        sawRoot = true
        if pendingEnd == nil {
            open.append((name, start))
            guard open.count <= Self.maximumDepth else { throw Failure(offset: start, reason: "elements nested too deeply") }
        }
        return .start(name: name, attributes: attributes, line: position(of: start).line)
    }

    /// `<!DOCTYPE ...>` with an optional internal subset in brackets; its declarations are ignored.
    private mutating func skipDeclaration() throws(Failure) {
        let start = index
        var depth = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ">") where depth <= 0:
                index += 1
                return
            default: break
            }
            index += 1
        }
        throw Failure(offset: start, reason: "unterminated declaration")
    }

    private mutating func readName() -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
            {
                break
            }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func skipBlanks() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    private func starts(with text: String) -> Bool {
        let pattern = Array(text.utf8)
        guard index + pattern.count <= bytes.count else { return false }
        return bytes[index..<(index + pattern.count)].elementsEqual(pattern)
    }

    private func find(_ text: String, from start: Int) -> Int? {
        let pattern = Array(text.utf8)
        var candidate = start
        while candidate + pattern.count <= bytes.count {
            if bytes[candidate] == pattern[0] && bytes[candidate..<(candidate + pattern.count)].elementsEqual(pattern) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    private func decodeEntities(_ raw: ArraySlice<UInt8>, offset: Int) throws(Failure) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var position = raw.startIndex
        while position < raw.endIndex {
            let byte = raw[position]
            guard byte == UInt8(ascii: "&") else {
                output.append(byte)
                position += 1
                continue
            }
            guard let semicolon = raw[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw Failure(offset: position, reason: "'&' does not start an entity reference")
            }
            let name = String(decoding: raw[(position + 1)..<semicolon], as: UTF8.self)
            switch name {
            case "amp": output.append(UInt8(ascii: "&"))
            case "lt": output.append(UInt8(ascii: "<"))
            case "gt": output.append(UInt8(ascii: ">"))
            case "quot": output.append(UInt8(ascii: "\""))
            case "apos": output.append(UInt8(ascii: "'"))
            default:
                let number: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    number = UInt32(name.dropFirst(2), radix: 16)
                } else if name.hasPrefix("#") {
                    number = UInt32(name.dropFirst())
                } else {
                    number = nil
                }
                guard let number, let scalar = Unicode.Scalar(number) else {
                    throw Failure(offset: position, reason: "unknown entity &\(excerpt(name, limit: 20));")
                }
                output += Array(String(Character(scalar)).utf8)
            }
            position = semicolon + 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
