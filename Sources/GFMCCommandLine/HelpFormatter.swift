/// Generates `--help` text from `CommandConfiguration`s. Pure: returns strings.
public enum HelpFormatter {
    /// Help for one subcommand: overview, usage, arguments, every option with its help, default and
    /// allowed values, the discussion and examples.
    public static func help(for configuration: CommandConfiguration, toolName: String = GFMCMain.toolName) -> String {
        var lines: [String] = []
        lines.append("OVERVIEW: \(configuration.abstract)")
        lines.append("")
        let usage = configuration.usage.isEmpty ? [generatedUsage(configuration)] : configuration.usage
        for (i, u) in usage.enumerated() {
            lines.append((i == 0 ? "USAGE: " : "       ") + "\(toolName) \(u)")
        }
        if !configuration.positionals.isEmpty {
            lines.append("")
            lines.append("ARGUMENTS:")
            let rows = configuration.positionals.map { ($0.name, $0.help + ($0.isRequired ? "" : " (optional)")) }
            lines.append(contentsOf: table(rows))
        }
        lines.append("")
        lines.append("OPTIONS:")
        var rows: [(String, String)] = configuration.options.map { spec in
            var text = spec.help
            if spec.isRequired { text += " (required)" }
            if let allowed = spec.allowedValues { text += " (values: \(allowed.joined(separator: ", ")))" }
            if let d = spec.defaultValue { text += " (default: \(d))" }
            if spec.isRepeatable { text += " (may be repeated)" }
            return (spec.synopsis, text)
        }
        rows.append(("-h, --help", "Show help for this command."))
        lines.append(contentsOf: table(rows))
        if !configuration.discussion.isEmpty {
            lines.append("")
            lines.append(configuration.discussion)
        }
        if !configuration.examples.isEmpty {
            lines.append("")
            lines.append("EXAMPLES:")
            for e in configuration.examples { lines.append("  \(toolName) \(e)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Help for the whole tool: what it is, the subcommands with their abstracts, global options.
    public static func toolHelp(commands: [CommandConfiguration], toolName: String = GFMCMain.toolName,
                                version: String) -> String {
        var lines: [String] = []
        lines.append("OVERVIEW: \(toolName) \(version): Monte Carlo studies of gradient flow on overparametrized "
                     + "linear networks")
        lines.append("(Min, Tarmoun, Vidal, Mallada, arXiv 2105.06351).")
        lines.append("")
        lines.append("USAGE: \(toolName) <subcommand> [options]")
        lines.append("       \(toolName) help <subcommand>")
        lines.append("")
        lines.append("SUBCOMMANDS:")
        lines.append(contentsOf: table(commands.map { ($0.name, $0.abstract) }))
        lines.append("")
        lines.append("OPTIONS:")
        lines.append(contentsOf: table([("--version", "Print the gfmc version."),
                                        ("-h, --help", "Show this help.")]))
        lines.append("")
        lines.append("See '\(toolName) <subcommand> --help' for a subcommand's options.")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `trial [--problem FILE] [--engine NAME] STUDY`.
    static func generatedUsage(_ c: CommandConfiguration) -> String {
        var parts = [c.name]
        for o in c.options {
            let core: String
            if case .value(let v) = o.kind { core = "--\(o.name) \(v)" } else { core = "--\(o.name)" }
            parts.append(o.isRequired ? core : "[\(core)]")
        }
        for p in c.positionals {
            let name = p.isVariadic ? p.name + "..." : p.name
            parts.append(p.isRequired ? name : "[\(name)]")
        }
        return parts.joined(separator: " ")
    }

    /// Two columns; the second wraps at 100 characters and aligns under itself.
    static func table(_ rows: [(String, String)]) -> [String] {
        let width = min(max(rows.map { $0.0.count }.max() ?? 0, 12), 30) + 2
        var lines: [String] = []
        for (left, right) in rows {
            let wrapped = wrap(right, width: max(100 - 2 - width, 30))
            var first = "  " + left
            if left.count + 2 > width {
                lines.append(first)
                first = String(repeating: " ", count: 2 + width)
            } else {
                first += String(repeating: " ", count: width - left.count)
            }
            for (i, piece) in wrapped.enumerated() {
                lines.append((i == 0 ? first : String(repeating: " ", count: 2 + width)) + piece)
            }
        }
        return lines
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
