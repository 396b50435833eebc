import ArgumentParser
import EmbargoAudit
import EmbargoReports
import Foundation

/// `embargo report --journal-directory DIR...`: where in the fleet restricted products are, from
/// the journals of many hosts (see docs/fleet.md).
struct FleetReport {
    let command: Embargo.Report

    func run() async throws {
        guard [.text, .json, .csv].contains(command.format) else {
            printError("embargo: a fleet report (--journal-directory) is written as text, json or csv, not \(command.format.rawValue)")
            throw ExitStatus.usageOrFailure.exitCode
        }
        if command.since != nil {
            printError("embargo: --since reads the state database; for a fleet report use --as-of (the entries up to an instant)")
            throw ExitStatus.usageOrFailure.exitCode
        }
        let asOf = try command.asOf.map(parseInstant)
        let reader = FleetJournalReader()
        var entries: [FleetEntry] = []
        var sources: [FleetReportDocument.Source] = []
        var problems: [FleetReportDocument.SourceProblem] = []
        var sequence = 0
        var filesRead = 0
        for directory in command.journalDirectories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
                printError("embargo: no such journal directory: \(directory)")
                throw ExitStatus.usageOrFailure.exitCode
            }
            let files = isDirectory.boolValue ? reader.journalFiles(in: directory, problems: &problems) : [directory]
            var count = 0
            var untrusted = 0
            for file in files {
                do {
                    let result = try reader.read(file: file, sequence: &sequence)
                    entries += result.entries
                    count += result.entries.count
                    untrusted += result.untrusted
                    filesRead += 1
                    if result.truncated {
                        problems.append(.init(file: file, message: "more than \(FleetJournalReader.maximumEntriesPerFile) entries; the rest were not read"))
                    }
                } catch {
                    problems.append(.init(file: file, message: error.description))
                }
            }
            if untrusted > 0 {
                problems.append(
                    .init(file: directory, message: "\(untrusted) entries with embargod's MESSAGE_IDs were not logged by root (_UID is not 0) and were ignored"))
            }
            sources.append(.init(directory: directory, files: files.count, entries: count))
        }
        if filesRead == 0 {
            for problem in problems { printError("embargo: \(problem.file): \(problem.message)") }
            printError("embargo: no journal file could be read in \(command.journalDirectories.joined(separator: ", "))")
            throw ExitStatus.usageOrFailure.exitCode
        }
        let report = FleetAggregator(asOf: asOf).aggregate(
            entries, sources: sources, problems: problems, toolVersion: EmbargoVersion.current, generatedAt: Self.generatedAt())
        entries = []
        for problem in problems { printError("embargo: \(problem.file): \(problem.message)") }
        let data: Data
        switch command.format {
        case .json: data = Data(FleetJSONRenderer.render(report))
        case .csv: data = Data(FleetCSVRenderer.render(report).utf8)
        default: data = Data(FleetTextRenderer.render(report).utf8)
        }
        try write(data)
        throw (report.hasViolation ? ExitStatus.violation : ExitStatus.clean).exitCode
    }

    /// Now, or `$SOURCE_DATE_EPOCH` when set (reproducible output).
    static func generatedAt() -> Date {
        if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = Double(text) {
            return Date(timeIntervalSince1970: seconds)
        }
        return Date()
    }

    private func write(_ data: Data) throws {
        if let output = command.output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                printError("embargo: cannot write \(output): \(error.localizedDescription)")
                throw ExitStatus.usageOrFailure.exitCode
            }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
