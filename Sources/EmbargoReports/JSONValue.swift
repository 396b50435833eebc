import EmbargoInventory

/// A JSON document built directly and written as bytes.
///
/// Foundation's `JSONEncoder` costs more than reading a host's package databases (it goes through
/// `Encodable` containers for every value); large, flat documents such as the inventory are
/// written with this instead. Object keys are written sorted, so output is stable.
public indirect enum JSONValue: Sendable {
    case object([String: JSONValue])
    /// An object whose members the caller already lists in key order (no dictionary, no sort:
    /// for the thousands of rows of an inventory).
    case sortedObject([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null

    public static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    public static func optional(_ value: Int?) -> JSONValue { value.map(JSONValue.integer) ?? .null }

    /// Pretty-printed UTF-8 with two-space indentation and a final newline.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        write(to: &output, indent: 0)
        output.append(0x0A)
        return output
    }

    private func write(to output: inout [UInt8], indent: Int) {
        switch self {
        case .null: output.append(contentsOf: Array("null".utf8))
        case .bool(let value): output.append(contentsOf: Array((value ? "true" : "false").utf8))
        case .integer(let value): output.append(contentsOf: Array(String(value).utf8))
        case .number(let value):
            output.append(contentsOf: Array((value.isFinite ? String(value) : "null").utf8))
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            if values.isEmpty {
                output.append(contentsOf: [0x5B, 0x5D])
                return
            }
            output.append(0x5B)
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(0x2C) }
                Self.newline(&output, indent + 1)
                value.write(to: &output, indent: indent + 1)
            }
            Self.newline(&output, indent)
            output.append(0x5D)
        case .object(let members):
            Self.writeMembers(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: &output, indent: indent)
        case .sortedObject(let members):
            assert(zip(members, members.dropFirst()).allSatisfy { $0.0 < $1.0 }, "sortedObject keys out of order")
            Self.writeMembers(members, to: &output, indent: indent)
        }
    }

    private static func writeMembers(_ members: [(String, JSONValue)], to output: inout [UInt8], indent: Int) {
        if members.isEmpty {
            output.append(contentsOf: [0x7B, 0x7D])
            return
        }
        output.append(0x7B)
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { output.append(0x2C) }
            Self.newline(&output, indent + 1)
            Self.writeString(key, to: &output)
            output.append(contentsOf: [0x3A, 0x20])
            value.write(to: &output, indent: indent + 1)
        }
        Self.newline(&output, indent)
        output.append(0x7D)
    }

    private static func newline(_ output: inout [UInt8], _ indent: Int) {
        output.append(0x0A)
        output.append(contentsOf: repeatElement(0x20, count: indent * 2))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(0x22)
        // Most strings need no escaping: copy them in one go.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            output.append(contentsOf: value.utf8)
            output.append(0x22)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case 0x22: output.append(contentsOf: [0x5C, 0x22])
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: output.append(contentsOf: [0x5C, 0x72])
            case 0x09: output.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                output.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(0x22)
    }
}


extension ScanIssue {
    /// The issue as JSON, with the same keys its `Codable` form has.
    public var jsonValue: JSONValue {
        var location: [String: JSONValue] = [:]
        if let path = self.location.path { location["path"] = .string(path) }
        if let line = self.location.line { location["line"] = .integer(line) }
        if let column = self.location.column { location["column"] = .integer(column) }
        if let offset = self.location.offset { location["offset"] = .integer(offset) }
        return .object([
            "collector": .string(collector), "severity": .string(severity.rawValue), "code": .string(code),
            "location": .object(location), "message": .string(message),
        ])
    }
}
