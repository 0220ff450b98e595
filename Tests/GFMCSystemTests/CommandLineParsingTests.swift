import Foundation
import GFMCApplication
import GFMCCommandLine
import Testing

/// The command-line framework as a specification: argument arrays in, parsed values or errors out.
@Suite struct CommandLineParsingTests {
    static let demo = CommandConfiguration(
        name: "demo", abstract: "A command for tests.",
        options: [
            .value("width", short: "w", valueName: "H", help: "Hidden width."),
            .value("engine", valueName: "NAME", help: "Engine to use.", defaultValue: "gram",
                   allowedValues: ["weights", "gram"]),
            .value("scale", valueName: "X", help: "A number."),
            .value("tag", valueName: "T", help: "Repeatable tag.", isRepeatable: true),
            .value("out", valueName: "DIR", help: "Output directory.", isRequired: true),
            .flag("json", short: "j", help: "Print JSON."),
        ],
        positionals: [PositionalSpec(name: "STUDY", help: "The study.", isRequired: false)])

    func parse(_ args: [String]) throws -> ParsedArguments {
        guard case .arguments(let parsed) = try ArgumentParser.parse(args, for: Self.demo) else {
            throw CommandLineError.usage("help requested")
        }
        return parsed
    }

    func usageError(_ args: [String]) -> String? {
        do {
            _ = try ArgumentParser.parse(args, for: Self.demo)
            return nil
        } catch let CommandLineError.usage(message) {
            return message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func valuesInEveryForm() throws {
        let p = try parse(["--width", "100", "--engine=weights", "-j", "--out", "d", "s.json", "--tag", "a", "--tag=b"])
        #expect(try p.int("width") == 100)
        #expect(p.string("engine") == "weights")
        #expect(p.flag("json"))
        #expect(p.string("out") == "d")
        #expect(p.positional(0) == "s.json")
        #expect(p.strings("tag") == ["a", "b"])
        #expect(!p.has("scale"))
        #expect(try p.double("scale") == nil)
    }

    @Test func shortOptionsNegativeNumbersAndDoubleDash() throws {
        let p = try parse(["-w", "7", "--scale", "-2.5", "--out", "d", "--", "--json"])
        #expect(try p.int("width") == 7)
        #expect(try p.double("scale") == -2.5)
        #expect(!p.flag("json"))
        #expect(p.positionals == ["--json"])
    }

    @Test func helpWinsEvenOverErrors() throws {
        #expect(try ArgumentParser.parse(["--bogus", "--help"], for: Self.demo) == .help)
        #expect(try ArgumentParser.parse(["-h"], for: Self.demo) == .help)
        // After "--", "--help" is a positional.
        #expect(try ArgumentParser.parse(["--out", "d", "--", "--help"], for: Self.demo) != .help)
    }

    @Test func errorsNameTheOption() throws {
        let cases: [([String], String)] = [
            (["--out", "d", "--widht", "3"], "unknown option '--widht' for 'demo'; did you mean '--width'?"),
            (["--out", "d", "-x"], "unknown option '-x'"),
            (["--out", "d", "--width"], "option --width needs a value"),
            (["--out", "d", "--width", "--json"], "option --width needs a value"),
            (["--out", "d", "-w"], "option -w (--width) needs a value"),
            (["--out", "d", "--engine", "fast"], "--engine: 'fast' is not allowed; allowed values: weights, gram"),
            (["--out", "d", "--json=yes"], "option --json takes no value"),
            (["--out", "d", "--width", "1", "--width", "2"], "option --width is given more than once"),
            (["--width", "1"], "missing required option --out DIR"),
            (["--out", "d", "a", "b"], "unexpected extra argument 'b'"),
        ]
        for (args, expected) in cases {
            let message = usageError(args)
            #expect(message?.hasPrefix(expected) == true, "\(args): \(message ?? "accepted")")
        }
    }

    @Test func typedAccessorsRejectBadValuesNamingTheOption() throws {
        let p = try parse(["--width", "ten", "--scale", "nan", "--out", "d"])
        #expect(throws: CommandLineError.usage("--width: 'ten' is not an integer")) { try p.int("width") }
        #expect(throws: CommandLineError.usage("--scale: 'nan' is not a finite number")) { try p.double("scale") }
        let q = try parse(["--width", "0", "--scale", "3", "--out", "d"])
        #expect(throws: CommandLineError.usage("--width: 0 is out of range (must be ≥ 1)")) { try q.int("width", in: 1...Int.max) }
        #expect(throws: CommandLineError.usage("--scale: 3 must be in (0, 1)")) {
            try q.double("scale", requirement: "in (0, 1)") { $0 > 0 && $0 < 1 }
        }
        #expect(throws: CommandLineError.usage("--width: '-1' is not an unsigned 64-bit integer")) {
            try parse(["--width", "-1", "--out", "d"]).uint64("width")
        }
    }

    @Test func helpTextListsEveryOptionWithItsHelp() {
        let help = HelpFormatter.help(for: Self.demo)
        #expect(help.hasPrefix("OVERVIEW: A command for tests."))
        #expect(help.contains("USAGE: gfmc demo [--width H] [--engine NAME] [--scale X] [--tag T] --out DIR [--json] [STUDY]"))
        for option in Self.demo.options {
            #expect(help.contains("--\(option.name)"), "\(option.name)")
            #expect(help.contains(option.help), "\(option.name)")
        }
        #expect(help.contains("-w, --width H"))
        #expect(help.contains("(values: weights, gram) (default: gram)"))
        #expect(help.contains("(required)"))
        #expect(help.contains("STUDY"))
        #expect(help.contains("-h, --help"))
    }
}

/// The tool as a whole, run in-process with captured output.
@Suite struct GFMCMainTests {
    func run(_ args: [String]) -> (status: Int32, output: String, error: String) {
        let (context, capture) = CommandContext.capturing()
        let status = GFMCMain.run(arguments: args, context: context)
        return (status, capture.output, capture.error)
    }

    @Test func toolHelpListsEveryRegisteredCommand() {
        for args in [[], ["--help"], ["help"]] {
            let r = run(args)
            #expect(r.status == 0)
            for type in GFMCMain.commands {
                #expect(r.output.contains(type.configuration.name), "\(type.configuration.name)")
                #expect(r.output.contains(type.configuration.abstract))
            }
        }
    }

    @Test func everyCommandHasHelpWithAllItsOptions() {
        for type in GFMCMain.commands {
            let c = type.configuration
            for args in [[c.name, "--help"], ["help", c.name]] {
                let r = run(args)
                #expect(r.status == 0, "\(args)")
                #expect(r.output.contains("USAGE: gfmc \(c.name)"))
                for o in c.options { #expect(r.output.contains("--\(o.name)"), "\(c.name) --\(o.name)") }
            }
        }
    }

    @Test func versionAndUnknownSubcommand() {
        let v = run(["--version"])
        #expect(v.status == 0 && v.output.hasPrefix("gfmc ") && v.output.hasSuffix("\n"))
        let u = run(["valdate"])
        #expect(u.status == 64)
        #expect(u.error.contains("unknown subcommand 'valdate'; did you mean 'validate'?"))
        let o = run(["--frobnicate"])
        #expect(o.status == 64 && o.error.contains("unknown option '--frobnicate'"))
        let h = run(["help", "nope"])
        #expect(h.status == 64 && h.error.contains("unknown subcommand 'nope'"))
    }

    @Test func usageErrorsExitSixtyFourAndPointAtHelp() {
        let r = run(["validate", "--bogus"])
        #expect(r.status == 64)
        #expect(r.error.contains("gfmc validate: error: unknown option '--bogus'"))
        #expect(r.error.contains("gfmc validate --help"))
        #expect(r.output.isEmpty)
    }

    @Test func validateAndHashTheEmbeddedStudy() {
        let v = run(["validate"])
        #expect(v.status == 0, "\(v.error)")
        #expect(v.output.contains("valid") && v.output.contains("quick"))
        let h = run(["hash"])
        #expect(h.status == 0)
        let hash = h.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.count == 64 && hash.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(v.output.contains(hash))
    }

    @Test func badStudyFileFailsNamingFileAndKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.json").path
        try #"{"name": "b", "data": {"recipe": "gaussian", "samples": 5, "input_dim": 9, "noise": -1}, "widths": [4], "trials": 1}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let r = run(["validate", path])
        #expect(r.status == 1)
        #expect(r.error.contains(path) && r.error.contains("data.noise"), "\(r.error)")
        #expect(r.output.isEmpty)
        let missing = run(["hash", dir.appendingPathComponent("none.json").path])
        #expect(missing.status == 1 && missing.error.contains("none.json") && missing.error.contains("no such file"))
    }
}
