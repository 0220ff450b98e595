import Foundation
import GFMCCommandLine
import Testing

/// Options declared once as typed properties: parsing, typed values and help all come from that declaration.
@Suite struct TypedOptionTests {
    enum Color: String, CaseIterable, Sendable { case red, green }

    struct Options: CommandOptions {
        let width = Option.int("width", short: "w", valueName: "H", help: "Hidden width.", in: 1...1000)
        let color = Option.choice("color", valueName: "NAME", help: "A color.", defaultValue: "red", among: Color.allCases)
        let scale = Option.double("scale", valueName: "X", help: "A positive number.", requirement: "> 0") { $0 > 0 }
        let tags = Option.repeated("tag", valueName: "T", help: "Repeatable tag.")
        let parts = Option.list("parts", help: "Comma-separated parts.")
        let out = Option.required("out", valueName: "DIR", help: "Output directory.")
        let json = Option.flag("json", short: "j", help: "Print JSON.")
    }
    static let options = Options()
    static let configuration = CommandConfiguration(name: "demo", abstract: "A command for tests.",
                                                    options: options.specs)

    func parse(_ args: [String]) throws -> ParsedArguments {
        guard case .arguments(let parsed) = try ArgumentParser.parse(args, for: Self.configuration) else {
            throw CommandLineError.usage("help requested")
        }
        return parsed
    }

    @Test func specsFollowTheDeclarationOrder() {
        #expect(Self.options.specs.map(\.name) == ["width", "color", "scale", "tag", "parts", "out", "json"])
        #expect(Self.options.specs.first { $0.name == "color" }?.allowedValues == ["red", "green"])
        #expect(Self.options.specs.first { $0.name == "out" }?.isRequired == true)
        #expect(Self.options.specs.first { $0.name == "tag" }?.isRepeatable == true)
    }

    @Test func typedValues() throws {
        let o = Self.options
        let p = try parse(["-w", "12", "--color=green", "--scale", "0.5", "--tag", "a", "--tag", "b",
                           "--parts", " x, ,y ", "--out", "d", "-j"])
        #expect(try p[o.width] == 12)
        #expect(try p[o.color] == .green)
        #expect(try p[o.scale] == 0.5)
        #expect(try p[o.tags] == ["a", "b"])
        #expect(try p[o.parts] == ["x", "y"])
        #expect(try p[o.out] == "d")
        #expect(try p[o.json])
        #expect(p.isGiven(o.scale))

        let absent = try parse(["--out", "d"])
        #expect(try absent[o.width] == nil)
        #expect(try absent[o.color] == nil)
        #expect(try absent[o.tags] == [])
        #expect(try absent[o.parts] == nil)
        #expect(try absent[o.json] == false)
        #expect(!absent.isGiven(o.scale))
    }

    @Test func conversionErrorsNameTheOption() throws {
        let o = Self.options
        #expect(throws: CommandLineError.usage("--width: 0 is out of range (must be in 1…1000)")) {
            try parse(["--width", "0", "--out", "d"])[o.width]
        }
        #expect(throws: CommandLineError.usage("--scale: -1 must be > 0")) {
            try parse(["--scale", "-1", "--out", "d"])[o.scale]
        }
        #expect(throws: CommandLineError.usage("--color: 'blue' is not allowed; allowed values: red, green")) {
            try parse(["--color", "blue", "--out", "d"])
        }
    }

    @Test func helpIsGeneratedFromTheDeclaration() {
        let help = HelpFormatter.help(for: Self.configuration)
        #expect(help.contains("-w, --width H"))
        #expect(help.contains("A color. (values: red, green) (default: red)"))
        #expect(help.contains("--out DIR") && help.contains("Output directory. (required)"))
    }

    @Test func everyCommandDeclaresEachOptionOnce() {
        for command in GFMCMain.commands {
            let names = command.configuration.options.map(\.name)
            #expect(Set(names).count == names.count, "\(command.configuration.name) declares an option twice")
        }
    }
}
