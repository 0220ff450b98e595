import Foundation
import GFMCApplication

/// `gfmc repair DIR`: keeps every sound trial of a damaged store and sets the rest aside to be recomputed.
struct RepairCommand: GFMCCommand {
    static let configuration = CommandConfiguration(
        name: "repair",
        abstract: "Check a run directory's store; keep sound trials, set damaged ones aside.",
        usage: ["repair DIR"],
        discussion: """
        Checks DIR/study.sqlite (PRAGMA quick_check, and that every stored result decodes). A sound store is left \
        as it is (a store of an older gfmc is migrated to the current layout). A damaged store is rebuilt: every \
        trial that reads and decodes is kept bit for bit; the others are set aside (listed) and are recomputed by \
        the next resume (`gfmc run` or `gfmc coordinator` on DIR). The damaged file is kept beside the store as \
        study.sqlite.damaged-<time>. Do not run it while a coordinator serves DIR.

        Exit status: 0 sound or repaired; 1 DIR has no store, or the store cannot be repaired; 64 bad command line.
        """,
        positionals: [PositionalSpec(name: "DIR", help: "The run directory.")],
        examples: ["repair runs/quick-1a2b3c4d"])

    let path: String

    init(arguments: ParsedArguments) throws {
        guard let path = arguments.positional(0) else { throw CommandLineError.usage("missing run directory DIR") }
        self.path = path
    }

    func run(context: CommandContext) throws -> Int32 {
        for line in try RunDirectoryRepair.repair(RunDirectory(path: context.resolvePath(path))) { context.print(line) }
        return ExitCode.success
    }
}
