import EmbargoFileSystem
import EmbargoInventory
import Foundation

/// The certificates the system trusts for TLS: the anchor directories administrators and packages
/// drop authorities into, and the bundles generated from them (Debian, Fedora/RHEL, SUSE, Alpine).
///
/// Every trusted certificate is recorded, not only those the plan's subject patterns name: the
/// trust store is about 140 authorities (well under 100 KB in a report), auditors ask to see it
/// whole, and a stored inventory can then be evaluated again with a new policy without a rescan.
/// A certificate found in several places (an anchor file, its `/etc/ssl/certs` link and the
/// bundle) is one value listing every place.
public struct CertificateCollector: InventoryCollector {
    public init() {}
    public var name: String { "certificates" }

    /// A directory whose files are each a trusted certificate (or a few).
    public struct AnchorDirectory: Sendable {
        public var path: String
        /// Only names ending so are read (`.crt` for update-ca-certificates); nil reads every file.
        public var suffix: String?
        public var recursive: Bool

        public init(_ path: String, suffix: String? = nil, recursive: Bool = true) {
            self.path = path
            self.suffix = suffix
            self.recursive = recursive
        }
    }

    /// Read first, so a certificate's first location is the file it was installed as.
    public static let anchorDirectories: [AnchorDirectory] = [
        AnchorDirectory("/usr/local/share/ca-certificates", suffix: ".crt"),  // Debian, Ubuntu, Alpine
        AnchorDirectory("/etc/pki/ca-trust/source/anchors"),  // Fedora, RHEL
        AnchorDirectory("/usr/share/pki/ca-trust-source/anchors"),  // Fedora, RHEL (packages)
        AnchorDirectory("/etc/pki/trust/anchors"),  // SUSE
        AnchorDirectory("/usr/share/pki/trust/anchors"),  // SUSE (packages)
        AnchorDirectory("/etc/ssl/certs", suffix: ".pem", recursive: false),  // one file per authority
    ]

    public static let bundleFiles = [
        "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine, Arch
        "/etc/pki/tls/certs/ca-bundle.crt",  // Fedora, RHEL (a link to the next)
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // Fedora, RHEL
        "/etc/ssl/cert.pem",  // Alpine, Arch
        "/var/lib/ca-certificates/ca-bundle.pem",  // SUSE
    ]

    static let maximumAnchorFileBytes: Int64 = 4 << 20
    static let maximumBundleBytes: Int64 = 64 << 20
    static let maximumEntriesPerDirectory = 10_000
    static let maximumDepth = 4

    public func collect(_ context: CollectionContext) async -> CollectorOutput {
        var store = TrustStore(collector: name, fileSystem: context.fileSystem)
        for directory in Self.anchorDirectories {
            let before = store.locationCount
            guard store.fileSystem.isDirectory(directory.path) else { continue }
            var budget = Self.maximumEntriesPerDirectory
            store.readDirectory(directory.path, rule: directory, depth: 0, budget: &budget)
            if budget <= 0 {
                store.issues.append(
                    ScanIssue(
                        collector: name, severity: .warning, code: "certificates.truncated", location: IssueLocation(path: directory.path),
                        message: "more than \(Self.maximumEntriesPerDirectory) entries; the rest were not read"))
            }
            store.sources.append(InventorySource(collector: name, path: directory.path, items: store.locationCount - before))
        }
        for bundle in Self.bundleFiles {
            let before = store.locationCount
            guard store.readFile(bundle, kind: .bundle, limit: Self.maximumBundleBytes, reportMissing: false) else { continue }
            store.sources.append(InventorySource(collector: name, path: bundle, items: store.locationCount - before))
        }
        let inventory = Inventory(
            root: context.fileSystem.rootDescription, certificates: store.certificates, issues: store.issues, sources: store.sources)
        return CollectorOutput(inventory: inventory)
    }
}

/// The certificates read so far, deduplicated by fingerprint, and the files already read.
private struct TrustStore {
    let collector: String
    let fileSystem: RootFileSystem
    var certificates: [TrustedCertificate] = []
    var issues: [ScanIssue] = []
    var sources: [InventorySource] = []
    var locationCount = 0
    private var positionByFingerprint: [String: Int] = [:]
    /// The certificates of each file already read (by resolved path), so a file reached again
    /// through another link is not parsed twice.
    private var contentsByResolvedPath: [String: [(fingerprint: String, index: Int, line: Int?)]] = [:]

    init(collector: String, fileSystem: RootFileSystem) {
        self.collector = collector
        self.fileSystem = fileSystem
    }

    mutating func readDirectory(
        _ path: String, rule: CertificateCollector.AnchorDirectory, depth: Int, budget: inout Int
    ) {
        let entries: [DirectoryEntry]
        do {
            entries = try fileSystem.contentsOfDirectory(path)
        } catch {
            issues.append(ScanIssue(collector: collector, error))
            return
        }
        for entry in entries {
            guard budget > 0 else { return }
            budget -= 1
            let child = RootFileSystem.join(path, entry.name)
            guard entry.hasExactName else {
                issues.append(
                    ScanIssue(
                        collector: collector, severity: .warning, code: "fs.invalid-name", location: IssueLocation(path: child),
                        message: "file name is not valid UTF-8; not read"))
                continue
            }
            switch entry.kind {
            case .directory:
                // Linked directories are not followed: a link back up must not loop.
                if rule.recursive && depth < CertificateCollector.maximumDepth {
                    readDirectory(child, rule: rule, depth: depth + 1, budget: &budget)
                }
            case .regular, .symlink:
                if let suffix = rule.suffix, !entry.name.hasSuffix(suffix) { continue }
                if entry.kind == .symlink && rule.suffix == nil && fileSystem.isDirectory(child) { continue }
                readFile(child, kind: .anchor, limit: CertificateCollector.maximumAnchorFileBytes, reportMissing: true)
            case .fifo, .socket, .characterDevice, .blockDevice:
                // Never opened (a FIFO would block the scan), but odd enough in a trust store to mention.
                if let suffix = rule.suffix, !entry.name.hasSuffix(suffix) { continue }
                let error = FileSystemError.notRegularFile(path: child, kind: entry.kind)
                issues.append(
                    ScanIssue(collector: collector, severity: .warning, code: error.code, location: IssueLocation(path: child), message: error.reason))
            default:
                continue
            }
        }
    }

    /// Reads one certificate file; returns whether it existed.
    @discardableResult
    mutating func readFile(_ path: String, kind: CertificateLocation.Kind, limit: Int64, reportMissing: Bool) -> Bool {
        let resolved: String
        let bytes: [UInt8]
        do {
            resolved = try fileSystem.resolve(path)
            if let known = contentsByResolvedPath[resolved] {
                for item in known {
                    addLocation(
                        CertificateLocation(
                            path: path, index: item.index, line: item.line, resolvedPath: resolved == path ? nil : resolved, kind: kind),
                        fingerprint: item.fingerprint)
                }
                return true
            }
            bytes = try fileSystem.readFile(path, limit: limit)
        } catch .notFound where !reportMissing {
            return false
        } catch .notFound {
            // A dangling link in /etc/ssl/certs is a left-over of a removed authority, not a
            // failure to read the trust store; the link, not the missing target, is the evidence.
            let target = (try? fileSystem.symlinkTarget(path)) ?? "?"
            issues.append(
                ScanIssue(
                    collector: collector, severity: .warning, code: "certificates.dangling-link", location: IssueLocation(path: path),
                    message: "link to \(target), which does not exist; nothing trusted through it"))
            return true
        } catch {
            issues.append(ScanIssue(collector: collector, error))
            return true
        }
        let parsed = CertificateFileParser.parse(bytes, path: path)
        for error in parsed.errors {
            let severity: ScanIssue.Severity = error.problem == .noCertificate ? .warning : .error
            issues.append(ScanIssue(collector: collector, severity: severity, error))
        }
        var contents: [(fingerprint: String, index: Int, line: Int?)] = []
        for blob in parsed.blobs {
            let fingerprint = CertificateDecoder.fingerprint(blob.der)
            let location = CertificateLocation(
                path: path, index: blob.index, line: blob.line, resolvedPath: resolved == path ? nil : resolved, kind: kind)
            if positionByFingerprint[fingerprint] == nil {
                do {
                    let decoded = try CertificateDecoder.decode(blob.der)
                    positionByFingerprint[fingerprint] = certificates.count
                    certificates.append(
                        TrustedCertificate(
                            path: path, index: blob.index, subject: decoded.subject, issuer: decoded.issuer,
                            notBefore: decoded.notBefore, notAfter: decoded.notAfter, sha256Fingerprint: fingerprint,
                            serialNumber: decoded.serialNumber, locations: [location]))
                    locationCount += 1
                } catch {
                    issues.append(
                        ScanIssue(
                            collector: collector,
                            CertificateError(
                                problem: error, path: path, index: blob.index, line: blob.line,
                                offset: blob.line == nil ? blob.offset : nil)))
                    continue
                }
            } else {
                addLocation(location, fingerprint: fingerprint)
            }
            contents.append((fingerprint, blob.index, blob.line))
        }
        contentsByResolvedPath[resolved] = contents
        return true
    }

    private mutating func addLocation(_ location: CertificateLocation, fingerprint: String) {
        guard let position = positionByFingerprint[fingerprint] else { return }
        certificates[position].locations.append(location)
        locationCount += 1
    }
}
