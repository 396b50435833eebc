import ArgumentParser
import Foundation

/// `embargo report --journal-directory DIR...`: where in the fleet restricted products are.
struct FleetReport {
    let command: Embargo.Report

    func run() async throws {
        // Being built in issue 6 (fleet): journals of many hosts, per host and across hosts.
        throw CommandFailure("embargo report --journal-directory is not available in this build yet")
    }
}
