/// The verdict on a precision study's targets, per width: summary.json's `precision` object (absent for a
/// study with a fixed trial count) and the lines after the terminal table.
public struct PrecisionVerdict: Codable, Equatable, Sendable {
    public struct Width: Codable, Equatable, Sendable {
        public var width: Int
        public var trials: Int
        public var converged: Int
        public var targetsMet: Bool
        /// The width stopped at `maxTrialsPerWidth` with a target unmet.
        public var capReached: Bool

        public init(width: Int, trials: Int, converged: Int, targetsMet: Bool, capReached: Bool) {
            self.width = width
            self.trials = trials
            self.converged = converged
            self.targetsMet = targetsMet
            self.capReached = capReached
        }
    }
    /// The study's targets as evaluated (allocator form: interval width = 2 × half_width).
    public var targets: [String]
    public var confidence: Double
    public var minTrialsPerWidth: Int
    public var maxTrialsPerWidth: Int
    public var widths: [Width]
    public var allTargetsMet: Bool

    public init(targets: [String], confidence: Double, minTrialsPerWidth: Int, maxTrialsPerWidth: Int,
                widths: [Width], allTargetsMet: Bool) {
        self.targets = targets
        self.confidence = confidence
        self.minTrialsPerWidth = minTrialsPerWidth
        self.maxTrialsPerWidth = maxTrialsPerWidth
        self.widths = widths
        self.allTargetsMet = allTargetsMet
    }

    /// The lines printed after the terminal table: the targets, then each width's state.
    public var terminalLines: String {
        var out = "Precision targets (\(targets.joined(separator: "; "))):\n"
        for w in widths {
            let state = w.targetsMet ? "met" : w.capReached ? "NOT met (cap \(maxTrialsPerWidth) reached)" : "not met yet"
            out += "  h=\(w.width): \(state) with \(w.trials) trials\n"
        }
        return out
    }
}
