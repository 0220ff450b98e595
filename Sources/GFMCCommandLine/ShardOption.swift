import GFMCModel

extension Option where Value == TrialShard? {
    /// `--shard I/N`: run only shard I (0-based) of N, the trials whose index mod N is I; nil when absent. A value
    /// not of that form, N < 1 or I outside 0…N−1 is a usage error naming the option.
    public static func shard(_ name: String = "shard", help: String) -> Option {
        Option(spec: .value(name, valueName: "I/N", help: help)) { arguments in
            guard let text = arguments.string(name) else { return nil }
            switch TrialShard.parse(text) {
            case .success(let shard): return shard
            case .failure(let error): throw CommandLineError.usage("--\(name): \(error.reason)")
            }
        }
    }
}
