/// One `NAME=value` assignment of a journal entry.
public struct JournalField: Sendable, Hashable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Whether journald accepts the name: `[A-Z0-9_]+`, not starting with `_` (a trusted field),
    /// at most 64 bytes. journald silently drops any other assignment (sd_journal_sendv(3)).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 64, bytes[0] != UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_")
        }
    }
}

/// The fields of one journal entry, in the order they were added. A name may repeat: every
/// assignment is kept (one `EMBARGO_EVIDENCE=` per evidence item, say).
public struct JournalEntry: Sendable, Hashable, Codable {
    /// Values longer than this are cut: an entry describes a finding, it does not carry files.
    public static let maximumValueBytes = 16 << 10

    public private(set) var fields: [JournalField] = []

    public init() {}

    public init(fields: [JournalField]) {
        self.fields = []
        for field in fields { append(field.name, field.value) }
    }

    /// Adds an assignment; an over-long value is cut at a character boundary and marked with `…`.
    public mutating func append(_ name: String, _ value: String) {
        fields.append(JournalField(name, Self.capped(value)))
    }

    /// Adds an assignment when the value is present.
    public mutating func append(_ name: String, _ value: String?) {
        if let value { append(name, value) }
    }

    /// The first value of a field.
    public func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Every value of a field, in the order added.
    public func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// Names journald would drop.
    public var invalidNames: [String] { fields.map(\.name).filter { !JournalField.isValidName($0) } }

    static func capped(_ value: String) -> String {
        guard value.utf8.count > maximumValueBytes else { return value }
        var result = ""
        var bytes = 0
        for character in value {
            let size = character.utf8.count
            if bytes + size > maximumValueBytes - 3 { break }
            result.append(character)
            bytes += size
        }
        return result + "…"
    }
}
