import EmbargoInventory

/// A problem with one certificate, or with a whole certificate file.
public struct CertificateError: LocatedError, Equatable {
    public enum Problem: Error, Sendable, Equatable {
        /// A PEM block whose body is not base64.
        case invalidBase64
        /// A `-----BEGIN CERTIFICATE-----` without its `-----END` line.
        case unterminatedBlock
        /// A PEM block larger than ``CertificateFileParser/maximumBlockBytes``.
        case blockTooLarge
        /// The bytes are not an X.509 certificate (the decoder's reason).
        case invalidCertificate(String)
        /// The file holds neither a PEM certificate block nor DER.
        case noCertificate
        /// More certificates than ``CertificateFileParser/maximumCertificatesPerFile``; the rest were not read.
        case tooManyCertificates(Int)
    }

    public var problem: Problem
    public var path: String
    /// Index of the certificate among the certificate blocks of the file, when the problem is one certificate's.
    public var index: Int?
    /// Line of the PEM block's `-----BEGIN` line.
    public var line: Int?
    /// Byte offset in a DER file.
    public var offset: Int?

    public var code: String {
        switch problem {
        case .invalidBase64: return "certificates.invalid-base64"
        case .unterminatedBlock: return "certificates.unterminated-pem"
        case .blockTooLarge: return "certificates.pem-too-large"
        case .invalidCertificate: return "certificates.invalid-certificate"
        case .noCertificate: return "certificates.no-certificate"
        case .tooManyCertificates: return "certificates.too-many-certificates"
        }
    }

    public var location: IssueLocation { IssueLocation(path: path, line: line, offset: line == nil ? offset : nil) }

    public var reason: String {
        let which = index.map { "certificate #\($0) of the file" } ?? "file"
        switch problem {
        case .invalidBase64: return "\(which): PEM body is not valid base64; skipped"
        case .unterminatedBlock: return "\(which): PEM block has no END line; skipped"
        case .blockTooLarge:
            return "\(which): PEM block is over \(CertificateFileParser.maximumBlockBytes) bytes; skipped"
        case .invalidCertificate(let detail): return "\(which) is not a valid X.509 certificate (\(detail)); skipped"
        case .noCertificate: return "file holds no PEM certificate block and is not DER"
        case .tooManyCertificates(let limit): return "more than \(limit) certificates; the rest were not read"
        }
    }
}

/// The DER encoding of one certificate and where it sits in its file.
struct CertificateBlob: Sendable, Equatable {
    var der: [UInt8]
    /// Index among the certificate blocks of the file, malformed ones included, from 0.
    var index: Int
    /// Line of the `-----BEGIN` line (PEM) or nil (DER).
    var line: Int?
    /// Byte offset of the block or DER element in the file.
    var offset: Int
}

/// Splits a certificate file into the DER of each certificate: PEM with any number of
/// `CERTIFICATE`, `TRUSTED CERTIFICATE` or `X509 CERTIFICATE` blocks (text between blocks, such as
/// the `# Issuer:` comments of Fedora's bundle, is ignored), or binary DER.
///
/// A damaged block costs only itself: the parser reports it with its index and line and goes on.
enum CertificateFileParser {
    static let maximumBlockBytes = 1 << 20
    static let maximumCertificatesPerFile = 20_000

    struct Result: Sendable {
        var blobs: [CertificateBlob] = []
        var errors: [CertificateError] = []
    }

    static func parse(_ bytes: [UInt8], path: String) -> Result {
        if contains(bytes, beginMarker) { return parsePEM(bytes, path: path) }
        return parseDER(bytes, path: path)
    }

    private static let beginMarker = Array("-----BEGIN ".utf8)
    private static let endMarker = Array("-----END ".utf8)
    private static let dashes = Array("-----".utf8)
    private static let certificateLabels: Set<String> = ["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"]

    private static func parsePEM(_ bytes: [UInt8], path: String) -> Result {
        var result = Result()
        // The block being read: its label (nil when it is not a certificate), index, line, offset, body.
        var open: (label: String, isCertificate: Bool, index: Int, line: Int, offset: Int)?
        var body: [UInt8] = []
        var oversized = false
        var nextIndex = 0
        var lineNumber = 0
        var start = 0

        func unterminated() {
            if let block = open, block.isCertificate {
                result.errors.append(
                    CertificateError(problem: .unterminatedBlock, path: path, index: block.index, line: block.line, offset: block.offset))
            }
        }

        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var lineStart = start
            var lineEnd = end
            while lineStart < lineEnd && isBlank(bytes[lineStart]) { lineStart += 1 }
            while lineEnd > lineStart && isBlank(bytes[lineEnd - 1]) { lineEnd -= 1 }
            let lineOffset = start
            start = end + 1
            let line = bytes[lineStart..<lineEnd]

            if let label = label(of: line, marker: beginMarker) {
                unterminated()
                let isCertificate = certificateLabels.contains(label)
                if isCertificate {
                    guard nextIndex < maximumCertificatesPerFile else {
                        result.errors.append(
                            CertificateError(
                                problem: .tooManyCertificates(maximumCertificatesPerFile), path: path, line: lineNumber))
                        return result
                    }
                    open = (label, true, nextIndex, lineNumber, lineOffset)
                    nextIndex += 1
                } else {
                    open = (label, false, -1, lineNumber, lineOffset)
                }
                body.removeAll(keepingCapacity: true)
                oversized = false
                continue
            }
            guard let block = open else { continue }
            if let label = label(of: line, marker: endMarker), label == block.label {
                open = nil
                guard block.isCertificate else { continue }
                func fail(_ problem: CertificateError.Problem) {
                    result.errors.append(
                        CertificateError(problem: problem, path: path, index: block.index, line: block.line, offset: block.offset))
                }
                if oversized {
                    fail(.blockTooLarge)
                } else if var der = Base64.decode(body) {
                    // A TRUSTED CERTIFICATE is the certificate followed by OpenSSL's trust settings.
                    if block.label == "TRUSTED CERTIFICATE", let element = try? DERElement.read(der, at: 0, limit: der.count) {
                        der = Array(der[element.start..<element.end])
                    }
                    result.blobs.append(CertificateBlob(der: der, index: block.index, line: block.line, offset: block.offset))
                } else {
                    fail(.invalidBase64)
                }
                continue
            }
            guard block.isCertificate, !oversized else { continue }
            if body.count + line.count > maximumBlockBytes {
                oversized = true
            } else {
                body.append(contentsOf: line)
            }
        }
        unterminated()
        if nextIndex == 0 { result.errors.append(CertificateError(problem: .noCertificate, path: path)) }
        return result
    }

    private static func parseDER(_ bytes: [UInt8], path: String) -> Result {
        var result = Result()
        guard bytes.first == 0x30 else {
            result.errors.append(CertificateError(problem: .noCertificate, path: path))
            return result
        }
        var offset = 0
        var index = 0
        while offset < bytes.count {
            // Padding after the last element (a newline, zeros) is not a certificate.
            if bytes[offset...].allSatisfy({ $0 == 0 || isBlank($0) || $0 == 0x0A }) { break }
            guard index < maximumCertificatesPerFile else {
                result.errors.append(
                    CertificateError(problem: .tooManyCertificates(maximumCertificatesPerFile), path: path, offset: offset))
                break
            }
            do {
                let element = try DERElement.read(bytes, at: offset, limit: bytes.count)
                result.blobs.append(CertificateBlob(der: Array(bytes[offset..<element.end]), index: index, line: nil, offset: offset))
                offset = element.end
            } catch {
                result.errors.append(
                    CertificateError(problem: .invalidCertificate(error.description), path: path, index: index, offset: offset))
                break
            }
            index += 1
        }
        return result
    }

    /// The label of a `-----BEGIN X-----` / `-----END X-----` line, or nil.
    private static func label(of line: ArraySlice<UInt8>, marker: [UInt8]) -> String? {
        guard line.count >= marker.count + dashes.count, line.starts(with: marker), line.suffix(dashes.count).elementsEqual(dashes)
        else { return nil }
        return String(decoding: line.dropFirst(marker.count).dropLast(dashes.count), as: UTF8.self)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    private static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        var index = 0
        let last = bytes.count - needle.count
        while index <= last {
            if bytes[index] == first && bytes[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}

/// Standard base64 (RFC 4648) with padding; white space is skipped, anything else is an error.
enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    static func decode(_ text: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        var symbols = 0
        for character in text {
            if character == 0x20 || character == 0x09 || character == 0x0D || character == 0x0A { continue }
            if character == UInt8(ascii: "=") {
                padding += 1
                symbols += 1
                continue
            }
            let value = table[Int(character)]
            guard value != 0xFF, padding == 0 else { return nil }
            symbols += 1
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard symbols % 4 == 0, padding <= 2, !output.isEmpty else { return nil }
        return output
    }
}
