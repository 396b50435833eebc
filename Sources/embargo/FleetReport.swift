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
        var reader = FleetJournalReader()
        var aggregator = FleetAggregator(asOf: asOf)
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
                    let result = try reader.read(file: file, sequence: &sequence, into: &aggregator)
                    count += result.entries
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
        let report = aggregator.finish(
            sources: sources, problems: problems, toolVersion: EmbargoVersion.current, generatedAt: Self.generatedAt())
        for problem in problems { printError("embargo: \(problem.file): \(problem.message)") }
        let sink = try OutputSink(path: command.output)
        switch command.format {
        case .json: FleetJSONRenderer.write(report) { sink.write($0) }
        case .csv: sink.write(Array(FleetCSVRenderer.render(report).utf8))
        default: sink.write(Array(FleetTextRenderer.render(report).utf8))
        }
        try sink.finish()
        throw (report.hasViolation ? ExitStatus.violation : ExitStatus.clean).exitCode
    }

    /// Now, or `$SOURCE_DATE_EPOCH` when set (reproducible output).
    static func generatedAt() -> Date {
        if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = Double(text) {
            return Date(timeIntervalSince1970: seconds)
        }
        return Date()
    }
}

/// Standard output, or a file replaced atomically (written to a temporary file beside it, then
/// renamed), taking the report in pieces.
final class OutputSink {
    let path: String?
    private let handle: FileHandle
    private let temporary: String?
    private var failure: (any Error)?

    init(path: String?) throws {
        self.path = path
        guard let path else {
            handle = FileHandle.standardOutput
            temporary = nil
            return
        }
        // A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written as it is: renaming a
        // temporary file over it would replace the device.
        var status = stat()
        if stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                printError("embargo: cannot write \(path)")
                throw ExitStatus.usageOrFailure.exitCode
            }
            self.handle = handle
            temporary = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            printError("embargo: cannot write \(path)")
            throw ExitStatus.usageOrFailure.exitCode
        }
        self.handle = handle
        self.temporary = temporary
    }

    func write(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            failure = error
        }
    }

    func finish() throws {
        guard let path else { return }
        guard let temporary else {
            try? handle.close()
            if let failure {
                printError("embargo: cannot write \(path): \(failure.localizedDescription)")
                throw ExitStatus.usageOrFailure.exitCode
            }
            return
        }
        try? handle.close()
        if let failure {
            try? FileManager.default.removeItem(atPath: temporary)
            printError("embargo: cannot write \(path): \(failure.localizedDescription)")
            throw ExitStatus.usageOrFailure.exitCode
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            printError("embargo: cannot write \(path): \(reason)")
            throw ExitStatus.usageOrFailure.exitCode
        }
    }
}
