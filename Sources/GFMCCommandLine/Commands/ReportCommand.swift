import Foundation

/// `gfmc report DIR`: rebuilds trials.csv, summary.json and report.html from the store.
struct ReportCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "report",
        abstract: "Rebuild trials.csv, summary.json and report.html of a run directory from its store.",
        usage: ["report DIR"],
        discussion: """
        Opens DIR/study.sqlite read-only (also while a coordinator is running), writes the three files \
        atomically into DIR and prints the summary table. The files are byte-identical to the ones a finished \
        run writes for the same stored trials (no timestamps; order-independent).

        Exit status: 0 written; 1 DIR is not a run directory, or a file cannot be read or written; 64 bad command line.
        """,
        positionals: [PositionalSpec(name: "DIR", help: "The run directory.")],
        examples: ["report runs/quick-1a2b3c4d"])

    let path: String

    init(arguments: ParsedArguments) throws {
        guard let path = arguments.positional(0) else { throw CommandLineError.usage("missing run directory DIR") }
        self.path = path
    }

    func run(context: CommandContext) throws -> Int32 {
        let directory = RunDirectory(path: context.resolvePath(path))
        let built = try RunDirectoryReport.write(directory: directory)
        context.writeOutput(built.terminal)
        context.print("Wrote \(directory.trialsCSVPath), \(directory.summaryPath), \(directory.reportPath) "
                      + "(\(built.storedTrials) trials).")
        return ExitCode.success
    }
}
