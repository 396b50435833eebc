/// Names for ELF header numbers, as `readelf -h` and `file` spell the common ones.
enum ELFNames {
    static func type(_ value: UInt16) -> String {
        switch value {
        case 0: return "NONE"
        case 1: return "REL"
        case 2: return "EXEC"
        case 3: return "DYN"
        case 4: return "CORE"
        default: return "0x" + String(value, radix: 16)
        }
    }

    /// `e_machine` values from the System V ABI registry, for the architectures Linux runs on.
    static func machine(_ value: UInt16) -> String {
        switch value {
        case 2: return "sparc"
        case 3: return "i386"
        case 8: return "mips"
        case 15: return "parisc"
        case 18: return "sparc32plus"
        case 20: return "ppc"
        case 21: return "ppc64"
        case 22: return "s390"
        case 40: return "arm"
        case 42: return "sh"
        case 43: return "sparcv9"
        case 50: return "ia64"
        case 62: return "x86_64"
        case 94: return "xtensa"
        case 164: return "hexagon"
        case 175: return "e2k"  // Elbrus: Kaspersky ships Elbrus builds
        case 183: return "aarch64"
        case 243: return "riscv"
        case 247: return "bpf"
        case 258: return "loongarch"
        default: return "machine-\(value)"
        }
    }
}
