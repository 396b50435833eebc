import Foundation

/// Who signed a package, read from the OpenPGP signature packet rpm keeps in the header
/// (RSAHEADER, DSAHEADER, SIGPGP or SIGGPG). The signing key ID is evidence of the vendor that
/// produced a package, whatever its Vendor tag says.
public struct OpenPGPSignature: Sendable, Hashable {
    /// `RSA`, `DSA`, `ECDSA`, `EdDSA` or the algorithm number.
    public var publicKeyAlgorithm: String
    /// `SHA256`, `SHA1`, ... or the algorithm number.
    public var hashAlgorithm: String
    public var created: Date?
    /// The 64-bit issuer key ID, 16 lower-case hex digits.
    public var keyID: String?

    /// rpm's own rendering (`%{RSAHEADER:pgpsig}`), with the time in UTC.
    public var summary: String {
        var parts = ["\(publicKeyAlgorithm)/\(hashAlgorithm)"]
        if let created { parts.append(UTCTimestamp.cTime(Int64(created.timeIntervalSince1970))) }
        if let keyID { parts.append("Key ID \(keyID)") }
        return parts.joined(separator: ", ")
    }
}

/// Reads the fields of a version 3 or 4 OpenPGP signature packet (RFC 4880 §5.2) that identify
/// the signer. Anything else (other packets, v5/v6, truncated data) gives nil: the signature is
/// evidence, not something the inventory depends on.
public enum OpenPGPSignatureParser {
    public static func parse(_ packet: ArraySlice<UInt8>) -> OpenPGPSignature? {
        let bytes = Array(packet)
        let view = ByteView(bytes, littleEndian: false)
        guard let first = view.uint8(0), first & 0x80 != 0 else { return nil }
        var position = 1
        let tag: UInt8
        var bodyLength: Int
        if first & 0x40 != 0 {
            tag = first & 0x3F
            guard let octet = view.uint8(1) else { return nil }
            switch octet {
            case 0..<192:
                bodyLength = Int(octet)
                position = 2
            case 192..<224:
                guard let second = view.uint8(2) else { return nil }
                bodyLength = (Int(octet) - 192) << 8 + Int(second) + 192
                position = 3
            case 255:
                guard let length = view.uint32(2) else { return nil }
                bodyLength = Int(length)
                position = 6
            default:
                return nil  // partial body lengths are not used for signatures
            }
        } else {
            tag = (first >> 2) & 0x0F
            switch first & 0x03 {
            case 0:
                guard let length = view.uint8(1) else { return nil }
                bodyLength = Int(length)
                position = 2
            case 1:
                guard let length = view.uint16(1) else { return nil }
                bodyLength = Int(length)
                position = 3
            case 2:
                guard let length = view.uint32(1) else { return nil }
                bodyLength = Int(length)
                position = 5
            default:
                bodyLength = bytes.count - 1
                position = 1
            }
        }
        guard tag == 2, view.contains(position, length: bodyLength) else { return nil }
        let end = position + bodyLength
        guard let version = view.uint8(position) else { return nil }
        switch version {
        case 3:
            // version, hashed length (5), type, creation time, key ID, public-key and hash algorithms.
            guard position + 19 <= end, view.uint8(position + 1) == 5,
                let time = view.uint32(position + 3), let keyID = view.uint64(position + 7),
                let publicKey = view.uint8(position + 15), let hash = view.uint8(position + 16)
            else { return nil }
            return OpenPGPSignature(
                publicKeyAlgorithm: publicKeyName(publicKey), hashAlgorithm: hashName(hash),
                created: Date(timeIntervalSince1970: Double(time)), keyID: hex(keyID))
        case 4:
            guard position + 6 <= end, let publicKey = view.uint8(position + 2), let hash = view.uint8(position + 3),
                let hashedLength = view.uint16(position + 4)
            else { return nil }
            var signature = OpenPGPSignature(publicKeyAlgorithm: publicKeyName(publicKey), hashAlgorithm: hashName(hash))
            let hashedStart = position + 6
            let hashedEnd = hashedStart + Int(hashedLength)
            guard hashedEnd + 2 <= end, let unhashedLength = view.uint16(hashedEnd) else { return nil }
            let unhashedStart = hashedEnd + 2
            let unhashedEnd = unhashedStart + Int(unhashedLength)
            guard unhashedEnd <= end else { return nil }
            readSubpackets(view, from: hashedStart, to: hashedEnd, into: &signature)
            readSubpackets(view, from: unhashedStart, to: unhashedEnd, into: &signature)
            return signature
        default:
            return nil
        }
    }

    private static func readSubpackets(_ view: ByteView, from start: Int, to end: Int, into signature: inout OpenPGPSignature) {
        var position = start
        while position < end {
            guard let octet = view.uint8(position) else { return }
            var length: Int
            switch octet {
            case 0..<192:
                length = Int(octet)
                position += 1
            case 192..<255:
                guard let second = view.uint8(position + 1) else { return }
                length = (Int(octet) - 192) << 8 + Int(second) + 192
                position += 2
            default:
                guard let value = view.uint32(position + 1) else { return }
                length = Int(value)
                position += 5
            }
            guard length >= 1, position + length <= end, let type = view.uint8(position) else { return }
            let data = position + 1
            let dataLength = length - 1
            switch type & 0x7F {
            case 2 where dataLength == 4:
                if signature.created == nil, let time = view.uint32(data) {
                    signature.created = Date(timeIntervalSince1970: Double(time))
                }
            case 16 where dataLength == 8:
                if let keyID = view.uint64(data) { signature.keyID = hex(keyID) }
            case 33 where dataLength == 21:
                // Issuer fingerprint (v4 key): the key ID is its last 8 bytes.
                if signature.keyID == nil, let keyID = view.uint64(data + 13) { signature.keyID = hex(keyID) }
            default:
                break
            }
            position += length
        }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    static func publicKeyName(_ algorithm: UInt8) -> String {
        switch algorithm {
        case 1, 2, 3: return "RSA"
        case 17: return "DSA"
        case 19: return "ECDSA"
        case 22: return "EdDSA"
        default: return "\(algorithm)"
        }
    }

    static func hashName(_ algorithm: UInt8) -> String {
        switch algorithm {
        case 1: return "MD5"
        case 2: return "SHA1"
        case 3: return "RIPEMD160"
        case 8: return "SHA256"
        case 9: return "SHA384"
        case 10: return "SHA512"
        case 11: return "SHA224"
        default: return "\(algorithm)"
        }
    }
}
