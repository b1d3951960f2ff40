import ArgumentParser
import NATSFaultRunner

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Say what is installed and what is missing, with the command that installs it.")

    func run() async throws {
        let report = await DoctorReport.make()
        printLine(report.text)
        try finish(report.canRun ? .passed : .environment)
    }
}
