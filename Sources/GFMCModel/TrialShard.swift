/// One of `count` disjoint parts of a study's trials, for running a study on several machines or clusters
/// that do not share a coordinator (`gfmc run --shard I/N`), whose run directories `gfmc merge` combines.
/// Shard `index` (0-based) holds the trials whose index modulo `count` is `index`, at every width, so the
/// shards partition every study and each is spread evenly over widths and trial indices.
public struct TrialShard: Hashable, Sendable, CustomStringConvertible {
    /// Which part, `0..<count`.
    public let index: Int
    /// How many parts, at least 1.
    public let count: Int

    /// nil unless `count >= 1` and `0 <= index < count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// Whether `trial` belongs to this shard: `trial.index mod count == index`.
    public func contains(_ trial: TrialID) -> Bool { contains(index: trial.index) }

    /// Whether trial index `trialIndex` (at any width) belongs to this shard.
    public func contains(index trialIndex: Int) -> Bool { trialIndex % count == index }

    /// How many of the indices `0..<trials` belong to this shard.
    public func count(of trials: Int) -> Int { trials > index ? (trials - index + count - 1) / count : 0 }

    /// `I/N`, as the command line writes it.
    public var description: String { "\(index)/\(count)" }

    /// Parses `I/N` (decimal, 0 ≤ I < N); the error text says what is wrong, for a usage message.
    public static func parse(_ text: String) -> Result<TrialShard, ShardSyntaxError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            return .failure(ShardSyntaxError(reason: "'\(text)' is not of the form I/N (e.g. 0/3)"))
        }
        guard n >= 1 else { return .failure(ShardSyntaxError(reason: "'\(text)': N must be at least 1")) }
        guard let shard = TrialShard(index: i, count: n) else {
            return .failure(ShardSyntaxError(reason: "'\(text)': I must be in 0…\(n - 1) (shards are numbered from 0)"))
        }
        return .success(shard)
    }
}

/// Why a `--shard` value does not parse.
public struct ShardSyntaxError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
