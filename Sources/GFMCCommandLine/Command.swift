import GFMCApplication

/// One subcommand of `gfmc`, in the spirit of swift-argument-parser: a type declares its name, help text and
/// options (`configuration`), validates the parsed arguments in its initializer (so nothing runs on bad
/// input), and then runs.
///
/// To add a command: write a type conforming to `GFMCCommand` and append it to `GFMCMain.commands`.
///
/// ```swift
/// struct HelloCommand: GFMCCommand {
///     static let configuration = CommandConfiguration(
///         name: "hello", abstract: "Greet someone.",
///         options: [.value("name", valueName: "NAME", help: "Who to greet.", defaultValue: "world")])
///     let name: String
///     init(arguments: ParsedArguments) throws { name = try arguments.string("name") ?? "world" }
///     func run(context: CommandContext) throws -> Int32 { context.print("hello \(name)"); return ExitCode.success }
/// }
/// ```
public protocol GFMCCommand {
    /// Name, abstract, usage, options and positional arguments; drives parsing and `--help`.
    static var configuration: CommandConfiguration { get }

    /// Validates the parsed arguments: types, ranges, combinations of options. Throw
    /// `CommandLineError.usage` (exit status 64) naming the option; never start work here.
    init(arguments: ParsedArguments) throws

    /// Runs the command and returns the process exit status (`ExitCode`). Throwing a
    /// `CommandLineError.usage` exits with 64; any other error is printed and exits with 1.
    func run(context: CommandContext) throws -> Int32
}

/// Process exit statuses used by `gfmc` (BSD sysexits where one fits).
public enum ExitCode {
    public static let success: Int32 = 0
    /// The command ran and failed (bad data, a numerical failure, an unreadable file, …).
    public static let failure: Int32 = 1
    /// The command line itself is wrong (EX_USAGE): unknown option, missing or malformed value.
    public static let usage: Int32 = 64
    /// The study's input is unusable (EX_DATAERR): a broken or changed data file, or a study too large for
    /// the machine. The message names the key, the file and the problem.
    public static let dataError: Int32 = 65
}

/// An error that `GFMCMain` turns into a message and an exit status.
public enum CommandLineError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The command line is wrong (exit status 64). The message names the option or argument.
    case usage(String)
    /// The command failed for a reason other than its command line (exit status 1).
    case failure(String)
    /// The study's data or size is unusable (exit status 65, `ExitCode.dataError`).
    case dataError(String)

    public var description: String {
        switch self {
        case .usage(let m), .failure(let m), .dataError(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .usage: return ExitCode.usage
        case .failure: return ExitCode.failure
        case .dataError: return ExitCode.dataError
        }
    }
}

/// Declares one `--option` of a subcommand.
public struct OptionSpec: Sendable, Equatable {
    /// Whether the option takes a value.
    public enum Kind: Sendable, Equatable {
        /// `--verbose`: present or absent, no value.
        case flag
        /// `--width 100` or `--width=100`; `valueName` is shown in help (`--width H`).
        case value(valueName: String)
    }

    /// The long name without the leading dashes (`"width"` for `--width`).
    public let name: String
    /// Optional one-letter alias (`-w`).
    public let short: Character?
    public let kind: Kind
    /// One or two sentences for `--help`.
    public let help: String
    /// Shown in help as "(default: …)"; the command applies it itself.
    public let defaultValue: String?
    /// If set, the parser rejects any other value, naming the option and listing these.
    public let allowedValues: [String]?
    /// If true, parsing fails when the option is absent.
    public let isRequired: Bool
    /// If true, the option may be given several times (`values(_:)` returns them in order); otherwise
    /// giving it twice is an error.
    public let isRepeatable: Bool

    public init(name: String, short: Character? = nil, kind: Kind, help: String, defaultValue: String? = nil,
                allowedValues: [String]? = nil, isRequired: Bool = false, isRepeatable: Bool = false) {
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.defaultValue = defaultValue
        self.allowedValues = allowedValues
        self.isRequired = isRequired
        self.isRepeatable = isRepeatable
    }

    /// A flag option (`--name`).
    public static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, kind: .flag, help: help)
    }

    /// An option with a value (`--name VALUE`).
    public static func value(_ name: String, short: Character? = nil, valueName: String, help: String,
                             defaultValue: String? = nil, allowedValues: [String]? = nil,
                             isRequired: Bool = false, isRepeatable: Bool = false) -> OptionSpec {
        OptionSpec(name: name, short: short, kind: .value(valueName: valueName), help: help,
                   defaultValue: defaultValue, allowedValues: allowedValues, isRequired: isRequired,
                   isRepeatable: isRepeatable)
    }

    var takesValue: Bool { if case .value = kind { return true } else { return false } }

    /// `--name VALUE` or `-n, --name VALUE`, as shown in help.
    var synopsis: String {
        var s = short.map { "-\($0), " } ?? ""
        s += "--\(name)"
        if case .value(let valueName) = kind { s += " \(valueName)" }
        return s
    }
}

/// Declares one positional argument (`gfmc validate STUDY`).
public struct PositionalSpec: Sendable, Equatable {
    /// Upper-case name shown in usage and help (`STUDY`).
    public let name: String
    public let help: String
    public let isRequired: Bool
    /// Takes every remaining argument (`DIR...`); only the last positional may.
    public let isVariadic: Bool

    public init(name: String, help: String, isRequired: Bool = true, isVariadic: Bool = false) {
        self.name = name
        self.help = help
        self.isRequired = isRequired
        self.isVariadic = isVariadic
    }
}

/// Everything `gfmc` needs to parse a subcommand's arguments and print its help.
public struct CommandConfiguration: Sendable {
    /// The subcommand's name (`trial`).
    public let name: String
    /// One line for the tool's command list and the top of `--help`.
    public let abstract: String
    /// Usage lines without the tool name (`trial --problem FILE`); generated from the options when empty.
    public let usage: [String]
    /// Longer explanation printed after the options.
    public let discussion: String
    public let options: [OptionSpec]
    public let positionals: [PositionalSpec]
    /// Example invocations without the tool name, printed under EXAMPLES.
    public let examples: [String]

    public init(name: String, abstract: String, usage: [String] = [], discussion: String = "",
                options: [OptionSpec] = [], positionals: [PositionalSpec] = [], examples: [String] = []) {
        self.name = name
        self.abstract = abstract
        self.usage = usage
        self.discussion = discussion
        self.options = options
        self.positionals = positionals
        self.examples = examples
    }

    /// The declared option named `name` (long name, without dashes).
    public func option(named name: String) -> OptionSpec? { options.first { $0.name == name } }
}
