/// Renders an X.509 `Name` (its DER bytes) as the one-line text that policies match
/// `certificateSubject` globs against.
///
/// The rendering is RFC 4514 and is meant to be byte-for-byte what
/// `openssl x509 -noout -subject -nameopt RFC2253,-esc_msb` prints, so an administrator can copy a
/// subject from openssl into a policy:
/// - RDNs in reverse order of the encoding (most specific first), joined by `,` without spaces;
///   the attributes of a multi-valued RDN joined by `+`, also in reverse encoding order (OpenSSL
///   reverses the name as one flat list of attributes; RFC 4514 leaves this order open);
/// - attribute names as OpenSSL's short names (`CN`, `O`, `OU`, `C`, `L`, `ST`, `street`, `DC`,
///   `UID`, `emailAddress`, `serialNumber`, ...); other types as a dotted OID;
/// - UTF8String values as they are; PrintableString, IA5String, TeletexString and the other
///   one-byte string types read as ISO 8859-1; BMPString as UTF-16BE; UniversalString as UTF-32BE;
///   non-ASCII characters are kept as UTF-8, not escaped;
/// - `\` before `, + " \ < > ;`, before a leading `#` or space and before a trailing space;
///   control characters as `\XX` (upper-case hex);
/// - a value of any other ASN.1 type, a value that does not decode, and any value of an
///   unnamed attribute type, as `#` followed by the upper-case hex of its whole DER encoding.
///
/// Example: `CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU`.
enum DistinguishedNameRenderer {
    static func render(_ bytes: [UInt8], name: DERElement) throws(DERProblem) -> String {
        var relativeNames: [String] = []
        for relativeName in try name.children(bytes) {
            var attributes: [String] = []
            for attribute in try relativeName.children(bytes) {
                let parts = try attribute.children(bytes)
                guard parts.count == 2, parts[0].tag == 0x06 else { throw .truncated(offset: attribute.start) }
                let oid = try objectIdentifier(parts[0].content(bytes), offset: parts[0].start)
                let value = parts[1]
                if let shortName = shortNames[oid] {
                    attributes.append(shortName + "=" + (text(of: value, in: bytes).map(escaped) ?? hex(value, bytes)))
                } else {
                    attributes.append(oid + "=" + hex(value, bytes))
                }
            }
            relativeNames.append(attributes.reversed().joined(separator: "+"))
        }
        return relativeNames.reversed().joined(separator: ",")
    }

    /// OpenSSL's short names for the attribute types met in certificate names.
    static let shortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L",
        "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
        "2.5.4.13": "description", "2.5.4.15": "businessCategory", "2.5.4.16": "postalAddress",
        "2.5.4.17": "postalCode", "2.5.4.18": "postOfficeBox", "2.5.4.41": "name", "2.5.4.42": "GN",
        "2.5.4.43": "initials", "2.5.4.44": "generationQualifier", "2.5.4.46": "dnQualifier",
        "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier",
        "0.9.2342.19200300.100.1.1": "UID", "0.9.2342.19200300.100.1.25": "DC",
        "1.2.840.113549.1.9.1": "emailAddress", "1.2.840.113549.1.9.2": "unstructuredName",
        "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL", "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
    ]

    static func objectIdentifier(_ content: ArraySlice<UInt8>, offset: Int) throws(DERProblem) -> String {
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        var pending = false
        for byte in content {
            guard value < (1 << 56) else { throw .oversizedLength(offset: offset) }
            value = value << 7 | UInt64(byte & 0x7F)
            pending = byte & 0x80 != 0
            if !pending {
                arcs.append(value)
                value = 0
            }
        }
        guard !pending, let first = arcs.first else { throw .truncated(offset: offset) }
        let head: [UInt64] = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
        return (head + arcs.dropFirst()).map(String.init).joined(separator: ".")
    }

    /// The characters of a string value, or nil when the type is not a string type or the bytes
    /// do not decode.
    static func text(of value: DERElement, in bytes: [UInt8]) -> [Unicode.Scalar]? {
        let content = value.content(bytes)
        switch value.tag {
        case 0x0C:  // UTF8String
            guard let string = String(validating: content, as: UTF8.self) else { return nil }
            return Array(string.unicodeScalars)
        case 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1A:  // Numeric, Printable, Teletex, IA5, times, Visible
            return content.map { Unicode.Scalar($0) }
        case 0x1E:  // BMPString
            guard content.count % 2 == 0 else { return nil }
            var units: [UInt16] = []
            units.reserveCapacity(content.count / 2)
            var index = content.startIndex
            while index < content.endIndex {
                units.append(UInt16(content[index]) << 8 | UInt16(content[index + 1]))
                index += 2
            }
            guard let string = String(validating: units, as: UTF16.self) else { return nil }
            return Array(string.unicodeScalars)
        case 0x1C:  // UniversalString
            guard content.count % 4 == 0 else { return nil }
            var scalars: [Unicode.Scalar] = []
            var index = content.startIndex
            while index < content.endIndex {
                let code = content[index..<index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                scalars.append(scalar)
                index += 4
            }
            return scalars
        default:
            return nil
        }
    }

    static func escaped(_ scalars: [Unicode.Scalar]) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(scalars.count + 4)
        for (position, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";":
                result.unicodeScalars.append("\\")
                result.unicodeScalars.append(scalar)
            case "#" where position == 0:
                result += "\\#"
            case " " where position == 0 || position == scalars.count - 1:
                result += "\\ "
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\" + hexByte(UInt8(scalar.value), uppercase: true)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func hex(_ element: DERElement, _ bytes: [UInt8]) -> String {
        "#" + element.encoded(bytes).map { hexByte($0, uppercase: true) }.joined()
    }

    static func hexByte(_ byte: UInt8, uppercase: Bool) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").unicodeScalars)
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}
