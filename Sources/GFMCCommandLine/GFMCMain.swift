import CGFMCBuildInfo
import GFMCApplication
import GFMCStudy

/// The `gfmc` tool: dispatches to a registered subcommand, prints help and the version, and maps errors to
/// exit statuses (0 success, 1 failure, 64 usage).
public enum GFMCMain {
    public static let toolName = GFMCTool.name

    /// Every subcommand, in the order `gfmc --help` lists them. To add a command, append its type here.
    /// (A computed property: metatype arrays are not `Sendable`, so this cannot be a stored global.)
    public static var commands: [any GFMCCommand.Type] {
        [
            RunCommand.self, CoordinatorCommand.self, WorkerCommand.self, StatusCommand.self, ReportCommand.self, MergeCommand.self, RepairCommand.self, KeygenCommand.self,
            TrialCommand.self,
            ValidateCommand.self,
            HashCommand.self,
            SimulateCommand.self,
            BenchCommand.self,
            HelpCommand.self,
        ]
    }

    /// The registered command whose name is `name`.
    public static func command(named name: String) -> (any GFMCCommand.Type)? {
        commands.first { $0.configuration.name == name }
    }

    /// Runs gfmc with `arguments` (the process arguments WITHOUT the program name) on the real standard streams.
    public static func run(arguments: [String]) -> Int32 {
        run(arguments: arguments, context: .standard)
    }

    /// Runs gfmc with `arguments` (without the program name), writing through `context`.
    public static func run(arguments: [String], context: CommandContext) -> Int32 {
        guard let first = arguments.first else {
            context.writeOutput(toolHelp())
            return ExitCode.success
        }
        switch first {
        case "--help", "-h":
            context.writeOutput(toolHelp())
            return ExitCode.success
        case "--version":
            context.print("\(toolName) \(GFMCVersion.current) (commit \(String(cString: gfmc_build_commit())))")
            return ExitCode.success
        default:
            break
        }
        guard let type = command(named: first) else {
            let names = commands.map { $0.configuration.name }
            let close = names.min { ArgumentParser.editDistance(first, $0) < ArgumentParser.editDistance(first, $1) }
            var message = first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown subcommand '\(first)'"
            if let close, ArgumentParser.editDistance(first, close) <= 2 { message += "; did you mean '\(close)'?" }
            context.printError("\(toolName): error: \(message)")
            context.printError("Run '\(toolName) --help' for the list of subcommands.")
            return ExitCode.usage
        }
        return run(type, arguments: Array(arguments.dropFirst()), context: context)
    }

    /// Parses `arguments` for `type`, validates, runs, and maps errors to an exit status.
    public static func run(_ type: any GFMCCommand.Type, arguments: [String], context: CommandContext) -> Int32 {
        let configuration = type.configuration
        let prefix = "\(toolName) \(configuration.name)"
        do {
            switch try ArgumentParser.parse(arguments, for: configuration) {
            case .help:
                context.writeOutput(HelpFormatter.help(for: configuration))
                return ExitCode.success
            case .arguments(let parsed):
                let command = try type.init(arguments: parsed)
                return try command.run(context: context)
            }
        } catch let error as CommandLineError {
            context.printError("\(prefix): error: \(error.description)")
            if case .usage = error { context.printError("Run '\(prefix) --help' for usage.") }
            return error.exitCode
        } catch {
            context.printError("\(prefix): error: \(error)")
            return ExitCode.failure
        }
    }

    /// The tool's `--help` text.
    public static func toolHelp() -> String {
        HelpFormatter.toolHelp(commands: commands.map { $0.configuration }, version: GFMCVersion.current)
    }
}
