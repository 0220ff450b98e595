import GFMCApplication
import GFMCStudy

/// `gfmc hash [STUDY] [--canonical]`: the study's identity hash (SHA-256 of its canonical JSON).
struct HashCommand: GFMCCommand {
    struct Options: CommandOptions {
        let canonical = Option.flag("canonical", help: "Print the canonical JSON that is hashed instead of the hash.")
    }
    static let options = Options()

    static let configuration = CommandConfiguration(
        name: "hash",
        abstract: "Print a study's identity hash (SHA-256 of its canonical resolved JSON).",
        discussion: """
        Two study files that differ only in key order, whitespace, comments or defaults written out have the
        same hash; a run directory records it and refuses to resume a study whose hash changed.
        """,
        options: options.specs,
        positionals: [PositionalSpec(name: "STUDY", help: StudyArgument.help, isRequired: false)],
        examples: ["hash configs/quick.json"])

    let path: String?
    let printCanonical: Bool

    init(arguments: ParsedArguments) throws {
        path = arguments.positional(0)
        printCanonical = try arguments[Self.options.canonical]
    }

    func run(context: CommandContext) throws -> Int32 {
        let study = try StudyArgument.load(path, context: context)
        context.print(printCanonical ? study.canonicalJSON : study.identityHash)
        return ExitCode.success
    }
}
