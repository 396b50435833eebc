import Crypto
import Foundation
import X509

/// What the inventory keeps of one certificate.
struct DecodedCertificate: Sendable, Equatable {
    var subject: String
    var issuer: String
    var notBefore: Date
    var notAfter: Date
    var serialNumber: String
}

/// Decodes one DER certificate: swift-certificates validates the structure and reads validity and
/// serial; the names are rendered from their raw bytes by ``DistinguishedNameRenderer`` so that
/// every string type (BMPString, TeletexString, ...) renders as OpenSSL renders it.
enum CertificateDecoder {
    /// SHA-256 of the DER, lower-case hex.
    static func fingerprint(_ der: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity(64)
        for byte in SHA256.hash(data: der) {
            text += DistinguishedNameRenderer.hexByte(byte, uppercase: false)
        }
        return text
    }

    /// - Throws: a description of what is wrong, for ``CertificateError/Problem/invalidCertificate(_:)``.
    static func decode(_ der: [UInt8]) throws(CertificateError.Problem) -> DecodedCertificate {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw .invalidCertificate(String(describing: error).prefix(200).description)
        }
        let subject: String
        let issuer: String
        do {
            let names = try nameElements(der)
            subject = try DistinguishedNameRenderer.render(der, name: names.subject)
            issuer = try DistinguishedNameRenderer.render(der, name: names.issuer)
        } catch {
            throw .invalidCertificate(error.description)
        }
        return DecodedCertificate(
            subject: subject, issuer: issuer, notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter,
            serialNumber: serialText(certificate.serialNumber.bytes))
    }

    /// The issuer and subject `Name`s inside `Certificate.tbsCertificate` (RFC 5280 §4.1).
    static func nameElements(_ der: [UInt8]) throws(DERProblem) -> (issuer: DERElement, subject: DERElement) {
        let certificate = try DERElement.read(der, at: 0, limit: der.count)
        guard let tbs = try certificate.children(der, maximumCount: 3).first else { throw .truncated(offset: 0) }
        var fields = try tbs.children(der, maximumCount: 16)[...]
        if fields.first?.tag == 0xA0 { fields = fields.dropFirst() }  // [0] version
        // serialNumber, signature, issuer, validity, subject
        guard fields.count >= 5 else { throw .truncated(offset: tbs.start) }
        let issuer = fields[fields.startIndex + 2]
        let subject = fields[fields.startIndex + 4]
        guard issuer.tag == 0x30, subject.tag == 0x30 else { throw .truncated(offset: tbs.start) }
        return (issuer, subject)
    }

    /// Upper-case hex of the serial's magnitude (the sign byte DER adds is dropped), as
    /// `openssl x509 -serial` prints it.
    static func serialText(_ bytes: ArraySlice<UInt8>) -> String {
        var magnitude = bytes.drop { $0 == 0 }
        if magnitude.isEmpty { magnitude = [0] }
        return magnitude.map { DistinguishedNameRenderer.hexByte($0, uppercase: true) }.joined()
    }
}
