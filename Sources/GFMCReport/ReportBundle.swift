import Foundation
import GFMCModel

/// All report artifacts of a study built in one call, as bytes/text; the caller writes them (atomically) as
/// `summary.json`, `trials.csv`, `report.html` and prints `terminal`. Pure and deterministic: the same set
/// of trials gives identical output whatever the order or duplication of `trials`.
public struct ReportBundle: Sendable {
    public var summary: StudySummary
    /// summary.json bytes (pretty, sorted keys, trailing newline).
    public var summaryJSON: Data
    /// trials.csv text.
    public var trialsCSV: String
    /// report.html text.
    public var html: String
    /// Plain-text table for the terminal.
    public var terminal: String
    /// Records dropped as duplicate TrialIDs (for logging; not part of any artifact).
    public var duplicatesDropped: Int

    /// - Parameters:
    ///   - precision: the verdict on the study's precision targets (summary.json `precision`, terminal lines).
    ///   - generatedAt: optional timestamp shown in report.html only (omit for byte-identical output).
    public static func make(trials: [TrialResult], manifest: ReportManifest, precision: PrecisionVerdict? = nil,
                            generatedAt: String? = nil) throws -> ReportBundle {
        let set = TrialSet(trials)
        var summary = StudySummary.make(trials: set.trials, manifest: manifest)
        summary.precision = precision
        return ReportBundle(summary: summary, summaryJSON: try SummaryJSON.encode(summary),
                            trialsCSV: TrialsCSV.make(trials: set.trials, deltas: manifest.deltas),
                            html: ReportHTML.make(summary: summary, trials: set.trials, generatedAt: generatedAt),
                            terminal: TerminalSummary.make(summary), duplicatesDropped: set.duplicatesDropped)
    }
}
