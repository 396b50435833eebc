/// Why a glob pattern was rejected.
public enum GlobError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case unterminatedClass(offset: Int)
    case emptyClass(offset: Int)
    case notAbsolute
    case emptyPathSegment(offset: Int)

    public var description: String {
        switch self {
        case .empty: return "the pattern is empty"
        case .unterminatedClass(let offset): return "character class opened at offset \(offset) is never closed"
        case .emptyClass(let offset): return "character class at offset \(offset) matches nothing"
        case .notAbsolute: return "a path pattern must start with '/'"
        case .emptyPathSegment(let offset): return "empty path segment ('//') at offset \(offset) can never match a normalised path"
        }
    }
}

/// A shell-style pattern: `*` and `?` (which never cross `/` in path patterns), `[a-z]`/`[!a-z]`
/// classes, and, in path patterns, `**` as a whole segment for any number of directories.
///
/// `/opt/kaspersky/**` matches `/opt/kaspersky` itself and everything below it.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    public let isPath: Bool
    public let caseInsensitive: Bool
    private let tokens: [Token]

    private enum Token: Sendable, Hashable {
        case byte(UInt8)
        case anyByte
        case star
        case anything
        /// Zero or more whole directories: matches "" or any text ending in "/".
        case directories
        /// A trailing `/**`: matches "" or "/" followed by anything.
        case trailingDescendants
        case byteClass(negated: Bool, ranges: [ClosedRange<UInt8>])
    }

    /// Compiles a pattern.
    /// - Parameters:
    ///   - isPath: `*` and `?` stop at `/`, `**` spans directories, and the pattern must be absolute.
    ///   - caseInsensitive: ASCII letters match either case (vendor strings, certificate subjects).
    public init(_ pattern: String, isPath: Bool = false, caseInsensitive: Bool = false) throws(GlobError) {
        guard !pattern.isEmpty else { throw .empty }
        if isPath && !pattern.hasPrefix("/") { throw .notAbsolute }
        let bytes = Array(pattern.utf8)
        var tokens: [Token] = []
        var index = 0
        func fold(_ byte: UInt8) -> UInt8 { caseInsensitive && byte >= 65 && byte <= 90 ? byte + 32 : byte }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "*"):
                let isDouble = index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*")
                if isPath && isDouble {
                    let startsSegment = index == 0 || bytes[index - 1] == UInt8(ascii: "/")
                    let endIndex = index + 2
                    let endsPattern = endIndex == bytes.count
                    let endsSegment = endsPattern || bytes[endIndex] == UInt8(ascii: "/")
                    if startsSegment && endsSegment {
                        if endsPattern {
                            if case .byte(UInt8(ascii: "/")) = tokens.last {
                                tokens.removeLast()
                                tokens.append(.trailingDescendants)
                            } else {
                                tokens.append(.anything)
                            }
                            index = endIndex
                        } else {
                            tokens.append(.directories)
                            index = endIndex + 1
                        }
                        continue
                    }
                }
                if !isPath && isDouble {
                    index += 1
                }
                if tokens.last != .star { tokens.append(.star) }
                index += 1
            case UInt8(ascii: "?"):
                tokens.append(.anyByte)
                index += 1
            case UInt8(ascii: "["):
                let start = index
                var cursor = index + 1
                var negated = false
                if cursor < bytes.count && (bytes[cursor] == UInt8(ascii: "!") || bytes[cursor] == UInt8(ascii: "^")) {
                    negated = true
                    cursor += 1
                }
                var ranges: [ClosedRange<UInt8>] = []
                var first = true
                var closed = false
                while cursor < bytes.count {
                    let current = bytes[cursor]
                    if current == UInt8(ascii: "]") && !first {
                        closed = true
                        break
                    }
                    first = false
                    if cursor + 2 < bytes.count && bytes[cursor + 1] == UInt8(ascii: "-")
                        && bytes[cursor + 2] != UInt8(ascii: "]")
                    {
                        let low = fold(current)
                        let high = fold(bytes[cursor + 2])
                        if low <= high { ranges.append(low...high) }
                        cursor += 3
                    } else {
                        ranges.append(fold(current)...fold(current))
                        cursor += 1
                    }
                }
                guard closed else { throw .unterminatedClass(offset: start) }
                if ranges.isEmpty && !negated { throw .emptyClass(offset: start) }
                tokens.append(.byteClass(negated: negated, ranges: ranges))
                index = cursor + 1
            case UInt8(ascii: "\\") where index + 1 < bytes.count:
                tokens.append(.byte(fold(bytes[index + 1])))
                index += 2
            default:
                if isPath && byte == UInt8(ascii: "/") && index > 0 && bytes[index - 1] == UInt8(ascii: "/") {
                    throw .emptyPathSegment(offset: index)
                }
                tokens.append(.byte(fold(byte)))
                index += 1
            }
        }
        self.pattern = pattern
        self.isPath = isPath
        self.caseInsensitive = caseInsensitive
        self.tokens = tokens
    }

    public var description: String { pattern }

    /// Whether the pattern has no wildcard at all.
    public var isLiteral: Bool {
        tokens.allSatisfy { if case .byte = $0 { return true } else { return false } }
    }

    /// For path patterns: the deepest directory named literally before the first wildcard
    /// (`/opt/kaspersky/kesl/**` → `/opt/kaspersky/kesl`), where a search for matches can start.
    public var literalDirectoryPrefix: String {
        var prefix: [UInt8] = []
        var stop: Token?
        for token in tokens {
            guard case .byte(let byte) = token else {
                stop = token
                break
            }
            prefix.append(byte)
        }
        if isLiteral { return String(decoding: prefix, as: UTF8.self) }
        if stop == .trailingDescendants || stop == .directories {
            while prefix.count > 1 && prefix.last == UInt8(ascii: "/") { prefix.removeLast() }
            // `/**` keeps no byte before its descendants: the search starts at the root.
            return prefix.isEmpty ? "/" : String(decoding: prefix, as: UTF8.self)
        }
        if let slash = prefix.lastIndex(of: UInt8(ascii: "/")) {
            let directory = prefix[..<slash]
            return directory.isEmpty ? "/" : String(decoding: directory, as: UTF8.self)
        }
        return "/"
    }

    /// For path patterns without `**`: how many path segments a match has (`/opt/*/bin` → 3).
    /// Nil when the pattern can match at any depth.
    public var fixedSegmentCount: Int? {
        guard isPath else { return nil }
        for token in tokens {
            switch token {
            case .anything, .directories, .trailingDescendants: return nil
            default: continue
            }
        }
        return pattern.split(separator: "/", omittingEmptySubsequences: true).count
    }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        if caseInsensitive {
            for index in bytes.indices where bytes[index] >= 65 && bytes[index] <= 90 { bytes[index] += 32 }
        }
        return matches(bytes)
    }

    private func matches(_ text: [UInt8]) -> Bool {
        // Dynamic programming over (token, position): linear in pattern × text, no exponential backtracking.
        let slash = UInt8(ascii: "/")
        var current = [Bool](repeating: false, count: text.count + 1)
        current[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: text.count + 1)
            switch token {
            case .byte(let expected):
                for position in 0..<text.count where current[position] && text[position] == expected {
                    next[position + 1] = true
                }
            case .anyByte:
                for position in 0..<text.count where current[position] && !(isPath && text[position] == slash) {
                    next[position + 1] = true
                }
            case .byteClass(let negated, let ranges):
                for position in 0..<text.count where current[position] {
                    let byte = text[position]
                    if isPath && byte == slash { continue }
                    let inClass = ranges.contains { $0.contains(byte) }
                    if inClass != negated { next[position + 1] = true }
                }
            case .star:
                var reachable = false
                for position in 0...text.count {
                    if current[position] { reachable = true }
                    if reachable { next[position] = true }
                    if position < text.count && isPath && text[position] == slash { reachable = false }
                }
            case .anything:
                var reachable = false
                for position in 0...text.count {
                    if current[position] { reachable = true }
                    next[position] = reachable
                }
            case .directories:
                var reachable = false
                for position in 0...text.count {
                    if current[position] {
                        next[position] = true
                        reachable = true
                    }
                    if reachable && position < text.count && text[position] == slash { next[position + 1] = true }
                }
            case .trailingDescendants:
                for position in 0...text.count where current[position] {
                    next[position] = true
                    if position < text.count && text[position] == slash {
                        next[text.count] = true
                    }
                }
            }
            current = next
        }
        return current[text.count]
    }
}
