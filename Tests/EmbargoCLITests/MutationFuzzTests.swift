import Foundation
import TestSupport
import Testing

/// Damaged databases, modules, certificates and binaries never crash or hang `embargo`: a short,
/// seeded run of `scripts/mutation-fuzz` (the same inputs every time) over every reader.
@Suite("mutation fuzzing through the CLI", .serialized)
struct MutationFuzzTests {
    static let script = ProjectPaths.root.appendingPathComponent("scripts/mutation-fuzz").path

    @Test("a seeded run over every reader: no signal, no trap, no hang")
    func seededRunFindsNoFailure() throws {
        let output = try Command.run(
            "python3", [Self.script, "--mutants", "6", "--seed", "2", "--binary", ProjectPaths.embargoExecutable.path],
            timeout: 900)
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(output.stdout.contains("\n0 failures"), "\(output.stdout)")
        // The run covered the real databases of the shared fixtures, one line per input.
        for input in ["go-rpmdb/cbl-mariner-2.0", "go-rpmdb/centos7-plain", "go-rpmdb/sle15-bci", "osv-scalibr/apk-single",
            "osv-scalibr/dpkg-valid", "osv-scalibr/pacman-valid", "kernel module, xz", "state.json in Snap/Fixtures/snap-root",
            "deploy in Flatpak/Fixtures/flatpak-root", "Policies/kaspersky.yaml", "docs/examples/waivers.yaml"]
        {
            #expect(output.stdout.contains("\(input) "), "\(input) was not fuzzed: \(output.stdout)")
        }
    }

    /// Runs the harness against a stand-in for embargo: a shell script with this body.
    func runHarness(standIn body: String, _ arguments: [String]) throws -> Command.Output {
        let directory = try TemporaryDirectory(prefix: "fuzz-stand-in")
        let binary = try directory.write("embargo", "#!/bin/sh\n" + body + "\n", permissions: 0o755)
        return try Command.run("python3", [Self.script, "--seed", "2", "--binary", binary.path] + arguments, timeout: 300)
    }

    @Test("the harness notices a crash: a binary that dies by SIGSEGV fails every mutant")
    func crashesAreReported() throws {
        let output = try runHarness(standIn: "kill -SEGV $$", ["--mutants", "1"])
        #expect(output.status == 1)
        #expect(output.stdout.contains("FAIL go-rpmdb/cbl-mariner-2.0"), "\(output.stdout)")
        #expect(output.stdout.contains("exit -11"), "\(output.stdout)")
    }

    @Test("the harness notices a binary that reads nothing: the undamaged input must succeed")
    func vacuousRunsAreReported() throws {
        let output = try runHarness(standIn: "echo 'embargo: no policy' >&2; exit 2", ["--mutants", "2", "--only", "dpkg-valid"])
        #expect(output.status == 1)
        #expect(output.stdout.contains("FAIL osv-scalibr/dpkg-valid (undamaged)"), "\(output.stdout)")
        #expect(output.stdout.contains("1 failures"), "\(output.stdout)")
    }
}
