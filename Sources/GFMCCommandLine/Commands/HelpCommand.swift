import GFMCApplication

/// `gfmc help [SUBCOMMAND]`: the tool's help, or one subcommand's.
struct HelpCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "help",
        abstract: "Show help for gfmc or for one subcommand.",
        positionals: [PositionalSpec(name: "SUBCOMMAND", help: "The subcommand to explain.", isRequired: false)],
        examples: ["help", "help trial"])

    let subcommand: (any GFMCCommand.Type)?

    init(arguments: ParsedArguments) throws {
        if let name = arguments.positional(0) {
            guard let type = GFMCMain.command(named: name) else {
                throw CommandLineError.usage("unknown subcommand '\(name)'; subcommands: "
                    + GFMCMain.commands.map { $0.configuration.name }.joined(separator: ", "))
            }
            subcommand = type
        } else {
            subcommand = nil
        }
    }

    func run(context: CommandContext) throws -> Int32 {
        if let subcommand {
            context.writeOutput(HelpFormatter.help(for: subcommand.configuration))
        } else {
            context.writeOutput(GFMCMain.toolHelp())
        }
        return ExitCode.success
    }
}
