import ArgumentParser
import Foundation

/// `embargo report` for one host: from the state database or a fresh scan.
struct HostReport {
    let command: Embargo.Report

    func run() async throws {
        // Being built in issue 6 (reports): history source, every format, header fields.
        throw CommandFailure("embargo report for one host is not available in this build yet")
    }
}
