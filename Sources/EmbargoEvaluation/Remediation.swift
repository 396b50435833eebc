import Foundation
import EmbargoInventory
import EmbargoPolicy

/// Commands that remove what a finding found, generated from the evidence (never re-derived by
/// the sinks).
enum Remediation {
    static func steps(for matches: [Match], product: Product) -> [String] {
        var steps: [String] = []
        func add(_ step: String) { if !steps.contains(step) { steps.append(step) } }

        let allPackages = matches.compactMap(\.package)
        // A Debian package bundled inside a snap goes away with its snap, not with apt.
        for snap in Set(allPackages.compactMap { $0.metadata["bundledIn"] == "snap" ? $0.metadata["snap"] : nil }).sorted() {
            add("snap remove --purge \(shellQuoted(snap))  (the snap bundles the package)")
        }
        let packages = allPackages.filter { $0.metadata["bundledIn"] == nil }
        let byType = Dictionary(grouping: packages, by: \.type)
        for type in byType.keys.sorted() {
            let names = Array(Set(byType[type]!.map(\.name))).sorted().map(shellQuoted).joined(separator: " ")
            switch type {
            case .deb: add("apt-get purge \(names)")
            case .opkg: add("opkg remove \(names)")
            case .rpm: add("dnf remove \(names)  (yum remove / zypper remove on older or SUSE systems)")
            case .apk: add("apk del \(names)")
            case .alpm: add("pacman -Rns \(names)")
            case .snap: add("snap remove --purge \(names)")
            case .flatpak: add("flatpak uninstall --delete-data \(names)")
            }
        }
        for match in matches where match.package == nil && match.evidence.detail["ownedBy"] == nil {
            let evidence = match.evidence
            switch evidence.kind {
            case .service:
                let unit = shellQuoted(evidence.locator)
                if evidence.detail["manager"] == "sysv" {
                    add("update-rc.d -f \(unit) remove && rm \(shellQuoted(evidence.detail["path"] ?? "/etc/init.d/" + evidence.locator))")
                } else {
                    add("systemctl disable --now \(unit) && rm \(shellQuoted(evidence.detail["path"] ?? evidence.locator)) && systemctl daemon-reload")
                }
            case .file:
                add("rm -rf \(shellQuoted(evidence.locator))  (not owned by any package)")
            case .certificate:
                let path = evidence.detail["path"] ?? "the trust store"
                add("remove the certificate \"\(evidence.locator)\" from \(path), then run update-ca-certificates (Debian) or update-ca-trust (RHEL)")
            case .repository:
                let place = [evidence.detail["path"], evidence.detail["line"]].compactMap { $0 }.joined(separator: ":")
                add("remove the update channel \(evidence.locator) (\(place))")
            case .process:
                add("stop \(evidence.locator)")
            case .kernelModule:
                add("modprobe -r \(shellQuoted(evidence.locator))")
                if let path = evidence.detail["path"] { add("rm \(shellQuoted(path))") }
            case .package:
                break
            }
        }
        if let advice = product.remediation { add(advice) }
        return steps
    }
}

/// Quotes a word for a POSIX shell when it holds anything but safe characters, so a remediation
/// command stays one harmless command whatever a file name contains (spaces, `;`, `$(...)`).
func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:+=@%,-")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
