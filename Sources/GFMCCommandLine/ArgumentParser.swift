/// The values given on the command line for one subcommand, after syntax checks. Typed accessors convert
/// and validate, throwing `CommandLineError.usage` that names the option (`--width: 'abc' is not an integer`).
///
/// Asking for an option the command did not declare is a programming error (precondition failure).
public struct ParsedArguments: Sendable, Equatable {
    public let command: String
    public let declared: [OptionSpec]
    /// Values per option name, in command-line order (a flag has one empty string per occurrence).
    public let values: [String: [String]]
    /// Positional arguments in order.
    public let positionals: [String]

    public init(command: String, declared: [OptionSpec], values: [String: [String]], positionals: [String]) {
        self.command = command
        self.declared = declared
        self.values = values
        self.positionals = positionals
    }

    private func checkDeclared(_ name: String) {
        precondition(declared.contains { $0.name == name }, "option --\(name) is not declared by '\(command)'")
    }

    /// Whether the option (flag or valued) was given.
    public func has(_ name: String) -> Bool {
        checkDeclared(name)
        return values[name] != nil
    }

    /// Whether the flag was given.
    public func flag(_ name: String) -> Bool { has(name) }

    /// The option's value, or nil when absent (the last one if repeatable).
    public func string(_ name: String) -> String? {
        checkDeclared(name)
        return values[name]?.last
    }

    /// Every value of a repeatable option, in order.
    public func strings(_ name: String) -> [String] {
        checkDeclared(name)
        return values[name] ?? []
    }

    /// The option's value; throws a usage error naming the option when absent.
    public func required(_ name: String, because reason: String = "") throws -> String {
        guard let v = string(name) else {
            throw CommandLineError.usage("missing option --\(name)" + (reason.isEmpty ? "" : " (\(reason))"))
        }
        return v
    }

    /// The option's value as an integer in `range`, or nil when absent.
    public func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let v = Int(text) else { throw CommandLineError.usage("--\(name): '\(text)' is not an integer") }
        guard range.contains(v) else {
            throw CommandLineError.usage("--\(name): \(v) is out of range \(ParsedArguments.describe(range))")
        }
        return v
    }

    /// The option's value as an unsigned 64-bit integer, or nil when absent.
    public func uint64(_ name: String) throws -> UInt64? {
        guard let text = string(name) else { return nil }
        guard let v = UInt64(text) else {
            throw CommandLineError.usage("--\(name): '\(text)' is not an unsigned 64-bit integer")
        }
        return v
    }

    /// The option's value as a finite double satisfying `isValid` (described by `requirement`), or nil.
    public func double(_ name: String, requirement: String = "a finite number",
                       isValid: (Double) -> Bool = { _ in true }) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let v = Double(text), v.isFinite else {
            throw CommandLineError.usage("--\(name): '\(text)' is not a finite number")
        }
        guard isValid(v) else { throw CommandLineError.usage("--\(name): \(text) must be \(requirement)") }
        return v
    }

    /// The positional argument at `index`, or nil.
    public func positional(_ index: Int) -> String? {
        index < positionals.count ? positionals[index] : nil
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        switch (range.lowerBound == Int.min, range.upperBound == Int.max) {
        case (true, true): return "(any integer)"
        case (false, true): return "(must be ≥ \(range.lowerBound))"
        case (true, false): return "(must be ≤ \(range.upperBound))"
        case (false, false): return "(must be in \(range.lowerBound)…\(range.upperBound))"
        }
    }
}

/// What parsing a subcommand's arguments produced.
public enum ParseOutcome: Sendable, Equatable {
    /// `--help` or `-h` was given: print the command's help and exit 0.
    case help
    case arguments(ParsedArguments)
}

/// Pure command-line parsing: an argument array and a `CommandConfiguration` in, parsed values or a
/// `CommandLineError.usage` out. No I/O.
///
/// Syntax: `--name VALUE`, `--name=VALUE`, `-n VALUE` for valued options; `--flag`, `-f` for flags;
/// `--` ends option parsing (everything after it is positional); `-h`/`--help` anywhere before `--` asks
/// for help. A value may start with `-` (negative numbers) but not with `--`.
public enum ArgumentParser {
    public static func parse(_ arguments: [String], for configuration: CommandConfiguration) throws -> ParseOutcome {
        let command = configuration.name
        var values: [String: [String]] = [:]
        var positionals: [String] = []
        var i = 0

        // Help wins over every other error, so `gfmc trial --bogus --help` still shows help.
        let optionEnd = arguments.firstIndex(of: "--") ?? arguments.count
        if arguments[0..<optionEnd].contains(where: { $0 == "--help" || $0 == "-h" }) {
            return .help
        }

        func record(_ spec: OptionSpec, _ value: String, as written: String) throws {
            if values[spec.name] != nil && !spec.isRepeatable {
                throw CommandLineError.usage("option --\(spec.name) is given more than once")
            }
            if let allowed = spec.allowedValues, !allowed.contains(value) {
                throw CommandLineError.usage(
                    "\(written): '\(value)' is not allowed; allowed values: \(allowed.joined(separator: ", "))")
            }
            values[spec.name, default: []].append(value)
        }

        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if arg == "--" {
                positionals.append(contentsOf: arguments[i...])
                break
            }
            if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                let (name, inlineValue): (String, String?) = {
                    if let eq = body.firstIndex(of: "=") {
                        return (String(body[..<eq]), String(body[body.index(after: eq)...]))
                    }
                    return (String(body), nil)
                }()
                guard let spec = configuration.option(named: name) else {
                    throw unknownOption("--\(name)", configuration: configuration)
                }
                if spec.takesValue {
                    if let v = inlineValue {
                        try record(spec, v, as: "--\(name)")
                    } else {
                        guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                            throw CommandLineError.usage("option --\(name) needs a value (\(spec.synopsis))")
                        }
                        try record(spec, arguments[i], as: "--\(name)")
                        i += 1
                    }
                } else {
                    if inlineValue != nil { throw CommandLineError.usage("option --\(name) takes no value") }
                    try record(spec, "", as: "--\(name)")
                }
            } else if arg.hasPrefix("-") && arg.count > 1 && Double(arg) == nil {
                let letters = Array(arg.dropFirst())
                guard letters.count == 1, let spec = configuration.options.first(where: { $0.short == letters[0] })
                else { throw unknownOption(arg, configuration: configuration) }
                if spec.takesValue {
                    guard i < arguments.count, !arguments[i].hasPrefix("--") else {
                        throw CommandLineError.usage("option \(arg) (--\(spec.name)) needs a value")
                    }
                    try record(spec, arguments[i], as: "\(arg) (--\(spec.name))")
                    i += 1
                } else {
                    try record(spec, "", as: arg)
                }
            } else {
                positionals.append(arg)
            }
        }

        for spec in configuration.options where spec.isRequired && values[spec.name] == nil {
            throw CommandLineError.usage("missing required option \(spec.synopsis)")
        }
        if positionals.count > configuration.positionals.count && configuration.positionals.last?.isVariadic != true {
            let extra = positionals[configuration.positionals.count]
            throw CommandLineError.usage(configuration.positionals.isEmpty
                ? "'\(command)' takes no arguments; unexpected '\(extra)'"
                : "unexpected extra argument '\(extra)'")
        }
        for (index, spec) in configuration.positionals.enumerated() where spec.isRequired && index >= positionals.count {
            throw CommandLineError.usage("missing argument \(spec.name)")
        }
        return .arguments(ParsedArguments(command: command, declared: configuration.options, values: values,
                                          positionals: positionals))
    }

    private static func unknownOption(_ written: String, configuration: CommandConfiguration) -> CommandLineError {
        let bare = written.drop { $0 == "-" }
        let names = configuration.options.map(\.name) + ["help"]
        let close = names.filter { editDistance(String(bare), $0) <= 2 }
            .min { editDistance(String(bare), $0) < editDistance(String(bare), $1) }
        var message = "unknown option '\(written)' for '\(configuration.name)'"
        if let close { message += "; did you mean '--\(close)'?" }
        return .usage(message)
    }

    /// Levenshtein distance, for "did you mean" suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}
