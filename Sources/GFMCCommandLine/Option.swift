import Foundation

/// One `--option` of a subcommand, declared once with the type a command reads: its `spec` drives parsing and
/// `--help`, and `arguments[option]` returns the converted, validated value. A command keeps its options as
/// stored properties of one `CommandOptions` type, so `configuration.options` is generated from that type and
/// a misspelt option is a compile error, not a run-time failure.
///
/// ```swift
/// struct Options: CommandOptions {
///     let workers = Option.int("workers", short: "w", valueName: "K", help: "Worker processes.", in: 1...1024)
///     let json = Option.flag("json", help: "Print JSON.")
/// }
/// static let options = Options()
/// // configuration: CommandConfiguration(name: …, options: options.specs, …)
/// // init: workers = try arguments[Self.options.workers] ?? 1
/// ```
public struct Option<Value>: Sendable {
    public let spec: OptionSpec
    private let read: @Sendable (ParsedArguments) throws -> Value

    public init(spec: OptionSpec, read: @escaping @Sendable (ParsedArguments) throws -> Value) {
        self.spec = spec
        self.read = read
    }

    /// The value in `arguments`; throws `CommandLineError.usage` naming the option when it does not convert.
    func value(in arguments: ParsedArguments) throws -> Value { try read(arguments) }
}

/// Lets `CommandOptions.specs` find every `Option` whatever its value type.
protocol AnyOption { var anySpec: OptionSpec { get } }
extension Option: AnyOption { var anySpec: OptionSpec { spec } }

/// A subcommand's options as stored `Option` properties, in the order `--help` lists them.
public protocol CommandOptions: Sendable {}

extension CommandOptions {
    /// Every option's spec, in declaration order.
    public var specs: [OptionSpec] {
        Mirror(reflecting: self).children.compactMap { ($0.value as? any AnyOption)?.anySpec }
    }
}

extension ParsedArguments {
    /// The typed value of `option`.
    public subscript<Value>(_ option: Option<Value>) -> Value {
        get throws { try option.value(in: self) }
    }
}

extension Option where Value == Bool {
    /// `--name`: true when given.
    public static func flag(_ name: String, short: Character? = nil, help: String) -> Option {
        Option(spec: .flag(name, short: short, help: help)) { $0.flag(name) }
    }
}

extension Option where Value == String? {
    /// `--name VALUE` as text, nil when absent.
    public static func string(_ name: String, short: Character? = nil, valueName: String, help: String,
                              defaultValue: String? = nil, allowedValues: [String]? = nil) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue,
                            allowedValues: allowedValues)) { $0.string(name) }
    }
}

extension Option where Value == String {
    /// `--name VALUE` that must be given (parsing fails naming it otherwise).
    public static func required(_ name: String, short: Character? = nil, valueName: String, help: String) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, isRequired: true)) {
            try $0.required(name)
        }
    }
}

extension Option where Value == [String] {
    /// `--name VALUE`, repeatable: every value in command-line order.
    public static func repeated(_ name: String, short: Character? = nil, valueName: String, help: String) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, isRepeatable: true)) {
            $0.strings(name)
        }
    }
}

extension Option where Value == Int? {
    /// `--name N`: an integer in `range`, nil when absent.
    public static func int(_ name: String, short: Character? = nil, valueName: String, help: String,
                           defaultValue: String? = nil, in range: ClosedRange<Int> = Int.min...Int.max) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue)) {
            try $0.int(name, in: range)
        }
    }
}

extension Option where Value == UInt64? {
    /// `--name N`: an unsigned 64-bit integer, nil when absent.
    public static func uint64(_ name: String, short: Character? = nil, valueName: String, help: String,
                              defaultValue: String? = nil) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue)) {
            try $0.uint64(name)
        }
    }
}

extension Option where Value == Double? {
    /// `--name X`: a finite number satisfying `isValid` (described by `requirement` in the error), nil when absent.
    public static func double(_ name: String, short: Character? = nil, valueName: String, help: String,
                              defaultValue: String? = nil, requirement: String = "a finite number",
                              isValid: @escaping @Sendable (Double) -> Bool = { _ in true }) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue)) {
            try $0.double(name, requirement: requirement, isValid: isValid)
        }
    }
}

extension Option {
    /// `--name VALUE` where VALUE is the raw value of one of `choices` (listed in help and in the error), nil when
    /// absent.
    public static func choice<Choice>(_ name: String, short: Character? = nil, valueName: String, help: String,
                                      defaultValue: String? = nil, among choices: [Choice]) -> Option
        where Value == Choice?, Choice: RawRepresentable & Sendable, Choice.RawValue == String {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue,
                            allowedValues: choices.map(\.rawValue))) {
            $0.string(name).flatMap(Choice.init(rawValue:))
        }
    }

    /// `--name VALUE` where VALUE is the raw value of any case of `Choice`, nil when absent.
    public static func choice<Choice>(_ name: String, short: Character? = nil, valueName: String, help: String,
                                      defaultValue: String? = nil) -> Option
        where Value == Choice?, Choice: RawRepresentable & CaseIterable & Sendable, Choice.RawValue == String {
        choice(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue,
               among: Array(Choice.allCases))
    }
}

extension Option where Value == [String]? {
    /// `--name A,B,C`: the comma-separated items (trimmed, empty items dropped), nil when absent.
    public static func list(_ name: String, short: Character? = nil, valueName: String = "LIST", help: String,
                            defaultValue: String? = nil) -> Option {
        Option(spec: .value(name, short: short, valueName: valueName, help: help, defaultValue: defaultValue)) {
            $0.string(name)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}

extension ParsedArguments {
    /// Whether `option` was given on the command line.
    public func isGiven<Value>(_ option: Option<Value>) -> Bool { has(option.spec.name) }
}
