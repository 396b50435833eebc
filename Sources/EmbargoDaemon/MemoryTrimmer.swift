import CSystemd
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Gives memory back when the daemon goes idle after a scan.
///
/// - `malloc_trim(0)` returns the heap that the scan's inventory used to the kernel;
/// - `madvise(MADV_PAGEOUT)` over the read-only file-backed mappings (the program's code and
///   constant data, the Swift runtime) drops the pages a scan touched from the process: they are
///   clean copies of the files, faulted back from the page cache (or the disk) by the next scan.
///   A scan touches some 15 MB of code that then sits unused for hours; the kernel would reclaim
///   it under pressure anyway, this does it at once. Pages other processes share are left alone
///   by the kernel. Needs Linux 5.4; on an older kernel the call fails and nothing changes.
public enum MemoryTrimmer {
    /// `MADV_PAGEOUT` (linux/mman.h), not exported by Swift's Glibc module.
    static let pageOut: Int32 = 21

    /// - Returns: the bytes of mappings advised (0 when the kernel refused or nothing applied).
    @discardableResult
    public static func trim() -> Int {
        _ = malloc_trim(0)
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return 0 }
        var advised = 0
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // address perms offset dev inode path: only named files, never writable mappings.
            guard fields.count >= 6, fields[5].hasPrefix("/"), fields[1].hasPrefix("r"), fields[1].dropFirst().first == "-"
            else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start,
                let address = UnsafeMutableRawPointer(bitPattern: start)
            else { continue }
            if madvise(address, Int(end - start), pageOut) == 0 { advised += Int(end - start) }
        }
        return advised
    }
}
