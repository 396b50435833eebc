/// Finds which of many byte strings occur in data as whole tokens, in one pass over the bytes
/// (an Aho–Corasick automaton compiled to a full transition table: one table load per byte,
/// whatever the number of markers).
///
/// Whole token, precisely: where a marker starts with a word byte (`[A-Za-z0-9_]`) the byte before
/// the match must not be a word byte (or the match starts the data); where it ends with a word byte
/// the byte after must not be one (or the match ends the data). So `kesl` is found in `kesl-control`,
/// `/opt/kesl/` and `"kesl"` but not in `makeslice` (every Go binary has it) or `kesl_x`; a marker
/// that starts or ends with punctuation (`/opt/kaspersky/`) needs no boundary on that side, as with
/// `\b` in regular expressions. Matching is case-sensitive, byte for byte.
public final class MarkerMatcher: Sendable {
    /// The markers, deduplicated, in the order given.
    public let markers: [String]
    let patterns: [[UInt8]]
    /// `transitions[state << 8 | byte]`: the next state, negated minus one when that state ends a marker.
    let transitions: [Int32]
    /// For each state: the markers ending there (through the failure links too).
    let outputs: [[Int32]]
    let longestPattern: Int

    public init(markers: [String]) {
        var seen = Set<String>()
        let unique = markers.filter { !$0.isEmpty && seen.insert($0).inserted }
        self.markers = unique
        let patterns = unique.map { Array($0.utf8) }
        self.patterns = patterns
        self.longestPattern = patterns.map(\.count).max() ?? 0

        // Trie.
        var children: [[Int32]] = [[Int32](repeating: -1, count: 256)]
        var endsHere: [[Int32]] = [[]]
        for (index, pattern) in patterns.enumerated() {
            var state = 0
            for byte in pattern {
                let next = children[state][Int(byte)]
                if next >= 0 {
                    state = Int(next)
                } else {
                    children.append([Int32](repeating: -1, count: 256))
                    endsHere.append([])
                    children[state][Int(byte)] = Int32(children.count - 1)
                    state = children.count - 1
                }
            }
            endsHere[state].append(Int32(index))
        }
        // Failure links by breadth-first order, folded into a complete transition table.
        let stateCount = children.count
        var failure = [Int](repeating: 0, count: stateCount)
        var outputs = endsHere
        var table = [Int32](repeating: 0, count: stateCount * 256)
        var queue: [Int] = []
        for byte in 0..<256 {
            let next = children[0][byte]
            if next >= 0 {
                table[byte] = next
                queue.append(Int(next))
            }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            outputs[state] += outputs[failure[state]]
            for byte in 0..<256 {
                let child = children[state][byte]
                if child >= 0 {
                    failure[Int(child)] = Int(table[failure[state] << 8 | byte])
                    table[state << 8 | byte] = child
                    queue.append(Int(child))
                } else {
                    table[state << 8 | byte] = table[failure[state] << 8 | byte]
                }
            }
        }
        for index in table.indices where !outputs[Int(table[index])].isEmpty {
            table[index] = -table[index] - 1
        }
        self.transitions = table
        self.outputs = outputs
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// The markers found as whole tokens in `data`, in marker order.
    public func tokens(in data: some Collection<UInt8>) -> [String] {
        var search = MarkerSearch(self)
        Array(data).withUnsafeBufferPointer { search.feed($0) }
        return search.finish()
    }
}

/// One pass of a ``MarkerMatcher`` over data that arrives in chunks (a file read piece by piece):
/// matches that straddle chunks, and boundaries that need the byte before or after a chunk, are
/// handled as if the data were one buffer.
public struct MarkerSearch {
    let matcher: MarkerMatcher
    var state: Int32 = 0
    /// The last bytes before the current chunk (as many as the longest marker), for the byte
    /// before a match that started in an earlier chunk.
    var history: [UInt8] = []
    /// Bytes consumed before the current chunk.
    var consumed: Int64 = 0
    /// Markers whose end was the last byte of the previous chunk, waiting for the next byte.
    var pending: [Int32] = []
    var found: [Bool]
    var foundCount = 0

    public init(_ matcher: MarkerMatcher) {
        self.matcher = matcher
        self.found = [Bool](repeating: false, count: matcher.patterns.count)
    }

    /// Whether every marker has been found (nothing left to look for).
    public var isComplete: Bool { foundCount == found.count }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        guard !matcher.patterns.isEmpty, chunk.count > 0 else { return }
        if !pending.isEmpty {
            let nextIsWord = isWordByte(chunk[0])
            for index in pending where !nextIsWord { record(index) }
            pending.removeAll()
        }
        var state = self.state
        matcher.transitions.withUnsafeBufferPointer { table in
            for position in 0..<chunk.count {
                let next = table[Int(state) << 8 | Int(chunk[position])]
                if next >= 0 {
                    state = next
                    continue
                }
                state = -next - 1
                check(state: Int(state), endingAt: position, in: chunk)
            }
        }
        self.state = state
        consumed += Int64(chunk.count)
        let keep = matcher.longestPattern
        if chunk.count >= keep {
            history = Array(chunk[(chunk.count - keep)...])
        } else {
            history.append(contentsOf: chunk)
            if history.count > keep { history.removeFirst(history.count - keep) }
        }
    }

    /// Ends the data; returns the markers found, in marker order.
    public mutating func finish() -> [String] {
        for index in pending { record(index) }
        pending.removeAll()
        return matcher.markers.indices.filter { found[$0] }.map { matcher.markers[$0] }
    }

    private mutating func check(state: Int, endingAt position: Int, in chunk: UnsafeBufferPointer<UInt8>) {
        for index in matcher.outputs[state] where !found[Int(index)] {
            let pattern = matcher.patterns[Int(index)]
            if isWordByte(pattern[0]) {
                let before = position - pattern.count  // index of the byte before the match
                let previous: UInt8?
                if before >= 0 {
                    previous = chunk[before]
                } else if -before <= history.count {
                    previous = history[history.count + before]
                } else {
                    previous = nil  // the match starts the data
                }
                if let previous, isWordByte(previous) { continue }
            }
            if isWordByte(pattern[pattern.count - 1]) {
                if position + 1 < chunk.count {
                    if isWordByte(chunk[position + 1]) { continue }
                } else {
                    if !pending.contains(index) { pending.append(index) }
                    continue
                }
            }
            record(index)
        }
    }

    private mutating func record(_ index: Int32) {
        if !found[Int(index)] {
            found[Int(index)] = true
            foundCount += 1
        }
    }
}

@inline(__always)
func isWordByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
}
