import EmbargoInventory
import Foundation

/// Turns a validated header into the inventory's package shape.
///
/// `gpg-pubkey` pseudo-packages (the signing keys imported with `rpm --import`) are kept, as
/// `rpm -qa` lists them: which vendor keys a host trusts is itself audit evidence (an imported
/// vendor key shows its repository was trusted, even after the packages are gone). They have no
/// architecture, vendor or source package.
enum RpmPackageDecoder {
    static func package(from header: RpmHeader, record: Int, source: String) -> Result<InstalledPackage, RpmError> {
        guard case .success(var package) = identity(from: header, record: record, source: source) else {
            return identity(from: header, record: record, source: source)
        }
        package.vendor = meaningful(header.string(.vendor))
        package.packager = meaningful(header.string(.packager))
        package.sourcePackage = meaningful(header.string(.sourceRPM))
        if let time = header.integer(.installTime) {
            let date = RecordedDate(Date(timeIntervalSince1970: Double(time)), source: .rpmInstallTime)
            package.installedAt = date
            package.updatedAt = date
        }
        package.metadata = metadata(of: header, record: record)
        return .success(package)
    }

    /// The fields that make up the package's identity (name, epoch, version, release, arch).
    static func identity(from header: RpmHeader, record: Int, source: String) -> Result<InstalledPackage, RpmError> {
        guard let name = header.string(.name), !name.isEmpty else {
            return .failure(RpmError(.missingName, path: source, record: record, detail: "header has no NAME; not reported as a package"))
        }
        return .success(InstalledPackage(
            type: .rpm, name: name, version: header.string(.version) ?? "",
            release: header.string(.release), epoch: header.integer(.epoch).map { Int($0) },
            arch: nonEmpty(header.string(.arch)), state: .installed, source: source))
    }

    static func metadata(of header: RpmHeader, record: Int) -> [String: String] {
        var metadata: [String: String] = [:]
        metadata.reserveCapacity(20)
        metadata["rpmdbRecord"] = String(record)
        func put(_ key: String, _ value: String?) {
            if let value = meaningful(value) { metadata[key] = value }
        }
        put("url", header.string(.url))
        put("license", header.string(.license))
        put("summary", header.string(.summary))
        put("distribution", header.string(.distribution))
        put("buildHost", header.string(.buildHost))
        put("modularityLabel", header.string(.modularityLabel))
        if let size = header.integer(.longSize) ?? header.integer(.size) { metadata["size"] = String(size) }
        if let time = header.integer(.buildTime) {
            metadata["buildTime"] = UTCTimestamp.rfc3339(time)
        }
        if let digest = header.binary(.sigMD5), digest.count == 16 { metadata["sigmd5"] = hex(digest) }
        put("sha1Header", header.string(.sha1Header))
        put("sha256Header", header.string(.sha256Header))
        if let digests = header.stringArray(.payloadDigest), let first = digests.first { put("payloadDigest", first) }
        if let algorithm = header.integer(.payloadDigestAlgorithm) { metadata["payloadDigestAlgorithm"] = String(algorithm) }
        for tag in [RpmTag.rsaHeader, .dsaHeader, .signaturePGP, .signatureGPG] {
            guard let packet = header.binary(tag), let signature = OpenPGPSignatureParser.parse(packet) else { continue }
            metadata["signature"] = signature.summary
            if let keyID = signature.keyID { metadata["signatureKeyID"] = keyID }
            if let created = signature.created { metadata["signatureTime"] = UTCTimestamp.rfc3339(Int64(created.timeIntervalSince1970)) }
            break
        }
        return metadata
    }

    /// The installed paths of a package: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or OLDFILENAMES
    /// in headers older than rpm 4 (CentOS 5's rpm 4.4 still converts them).
    static func filePaths(of header: RpmHeader) -> [String] {
        if let baseNames = header.stringArray(.baseNames) {
            guard let directories = header.stringArray(.dirNames), let indexes = header.integers(.dirIndexes),
                indexes.count == baseNames.count
            else { return [] }
            var paths: [String] = []
            paths.reserveCapacity(baseNames.count)
            for (index, baseName) in baseNames.enumerated() {
                let directory = Int(indexes[index])
                guard directory >= 0, directory < directories.count else { continue }
                paths.append(directories[directory] + baseName)
            }
            return paths
        }
        return header.stringArray(.oldFileNames) ?? []
    }

    /// rpm prints "(none)" for absent tags and a few old headers store it literally.
    static func meaningful(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value != "(none)" else { return nil }
        return value
    }

    static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var result = [UInt8]()
        result.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
