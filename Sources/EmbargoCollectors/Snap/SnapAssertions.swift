import EmbargoFileSystem
import EmbargoInventory

/// Who publishes a snap, from the assertions snapd stores on disk: the `snap-declaration` of a
/// snap id names the publisher's account id, and that `account` assertion names the account
/// (`username`, `display-name`, `validation`). The store itself signed both, which makes them the
/// most trustworthy attribution a snap has.
public struct SnapPublisher: Sendable, Hashable {
    public var accountID: String
    public var username: String?
    public var displayName: String?
    /// `verified`, `starred` or `unproven`.
    public var validation: String?
}

/// The headers of a signed assertion: `key: value` lines up to the first blank line. Multi-line
/// values (indented continuation lines, lists) are not needed here and are skipped.
public enum SnapAssertionParser {
    public static func headers(_ bytes: [UInt8]) -> [String: String] {
        var headers: [String: String] = [:]
        for line in ByteLines(bytes) {
            if line.content.isEmpty { break }
            guard let first = line.content.first, first != 0x20, first != 0x09,
                let colon = line.content.firstIndex(of: UInt8(ascii: ":"))
            else { continue }
            let key = String(decoding: line.content[line.content.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: line.content[(colon + 1)...].trimmingBlanks, as: UTF8.self)
            if !value.isEmpty { headers[key] = value }
        }
        return headers
    }
}

/// Looks publishers up in `/var/lib/snapd/assertions/asserts-v0` (snapd's `asserts` file
/// backstore: `<type>/<primary key...>/active` files, newer formats as `active.<n>`).
struct SnapAssertionStore: Sendable {
    let fileSystem: RootFileSystem
    static let root = "/var/lib/snapd/assertions/asserts-v0"
    static let series = "16"

    func publisher(snapID: String) -> SnapPublisher? {
        guard isSafeComponent(snapID),
            let declaration = read(Self.root + "/snap-declaration/" + Self.series + "/" + snapID),
            let accountID = declaration["publisher-id"], isSafeComponent(accountID)
        else { return nil }
        var publisher = SnapPublisher(accountID: accountID)
        if let account = read(Self.root + "/account/" + accountID) {
            publisher.username = account["username"]
            publisher.displayName = account["display-name"]
            publisher.validation = account["validation"]
        }
        return publisher
    }

    /// The headers of the newest `active*` file in a primary-key directory.
    private func read(_ directory: String) -> [String: String]? {
        guard let entries = try? fileSystem.contentsOfDirectory(directory) else { return nil }
        let active = entries.filter { $0.hasExactName && ($0.name == "active" || $0.name.hasPrefix("active.")) }
        let newest = active.max { formatNumber($0.name) < formatNumber($1.name) }
        guard let newest, let bytes = try? fileSystem.readPrefix(directory + "/" + newest.name, maximumBytes: 64 << 10) else {
            return nil
        }
        return SnapAssertionParser.headers(bytes)
    }

    private func formatNumber(_ name: String) -> Int {
        name == "active" ? 0 : Int(name.dropFirst("active.".count)) ?? 0
    }

    /// Ids are alphanumeric; anything else must not become part of a path.
    private func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
