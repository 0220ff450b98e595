import Foundation

/// A small study for the system tests, written as a study JSON file (keys as in `GFMCStudy.StudyDescription`).
///
/// Tiny Gaussian data and the `sampled` engine keep each trial at milliseconds whatever the width, so thousands of
/// trials finish in seconds while still exercising many tasks, requeues and restarts.
struct TestStudy: Sendable {
    var name: String
    var seed: UInt64 = 7
    var widths: [Int]
    var trials: Int
    var samples = 6
    var inputDim = 10
    var outputDim = 1
    var noise = 0.01
    var dataSeed: UInt64 = 77
    var engine = "sampled"
    var method = "flow"
    var alpha = 0.5

    var totalTrials: Int { widths.count * trials }

    /// The study file's text.
    var json: String {
        let widthList = widths.map(String.init).joined(separator: ", ")
        return """
        // System-test study \(name): \(widths.count) widths × \(trials) trials.
        {
          "name": "\(name)",
          "seed": \(seed),
          "data": {"recipe": "gaussian", "samples": \(samples), "input_dim": \(inputDim), "output_dim": \(outputDim),
                   "noise": \(noise), "data_seed": \(dataSeed)},
          "init": {"kind": "width_scaled", "alpha": \(alpha)},
          "widths": [\(widthList)],
          "trials": \(trials),
          "engine": "\(engine)",
          "method": "\(method)",
          "deltas": [0.05]
        }

        """
    }

    /// Writes the study file into `directory` as `<name>.json` and returns its path.
    func write(into directory: String) throws -> String {
        let path = "\(directory)/\(name).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every (width, trial) pair of the study, in `trials.csv` order.
    var expectedKeys: [TrialKey] {
        widths.flatMap { h in (0..<trials).map { TrialKey(width: h, trial: $0) } }
    }
}

/// One trial's identity as it appears in `trials.csv`.
struct TrialKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    let width: Int
    let trial: Int
    static func < (a: TrialKey, b: TrialKey) -> Bool { (a.width, a.trial) < (b.width, b.trial) }
    var description: String { "(h=\(width), trial \(trial))" }
}
