/// Reduces a kernel module's `.modinfo` strings to one value per key, as `modinfo` prints them.
enum ModinfoSummary {
    /// Keys worth keeping one value of each; `alias`, `parm` and `parmtype` repeat hundreds of
    /// times and say nothing about who made the module.
    static let keptKeys: Set<String> = [
        "name", "version", "author", "description", "license", "vermagic", "srcversion", "depends", "retpoline",
        "intree", "import_ns", "firmware", "softdep", "signer", "sig_key", "sig_hashalgo", "scmversion",
    ]

    /// One entry per kept key; a key given several times (`author`, `firmware`) keeps every value,
    /// joined with ", ", in file order.
    static func fields(_ modinfo: [ModinfoField]) -> [String: String] {
        var result: [String: String] = [:]
        for field in modinfo where keptKeys.contains(field.key) {
            if let existing = result[field.key] {
                if existing.utf8.count < 4096 { result[field.key] = existing + ", " + field.value }
            } else {
                result[field.key] = field.value
            }
        }
        return result
    }
}
