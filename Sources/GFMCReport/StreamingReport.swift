import Foundation
import GFMCConcurrency
import GFMCModel

/// Builds the report artifacts of a study one width at a time, for stores too large to hold in memory.
///
/// Feed every width's trials in increasing width order (`add(width:trials:)`, each width once, its trials
/// distinct and sorted by index, as a store's `(width, trial)` cursor gives them); `trials.csv` rows go to
/// the sink as they are made, and `finish` returns summary.json, report.html and the terminal table. The
/// output is byte-identical to `ReportBundle.make` on the same trials: each width's statistics are computed
/// from exactly that width's values (exact quantiles), and the rate scatter's evenly spaced subset is chosen
/// from `scatterCandidates`, the number of trials `RateScatter.isCandidate` accepts over the whole study
/// (a caller counts them beforehand, e.g. with one SQL `count`).
///
/// Memory: the trials of one width, the per-width summaries and at most `ReportHTML.maximumScatterPoints`
/// scatter points.
public struct StreamingReport {
    public let manifest: ReportManifest
    let confidenceLevel: Double
    var csvSink: ([UInt8]) throws -> Void
    var widthSummaries: [WidthSummary] = []
    var histograms: [String] = []
    var scatter: RateScatter
    var pendingManifestWidths: [Int]
    var lastWidth: Int?

    /// - Parameters:
    ///   - scatterCandidates: how many trials of the whole study `RateScatter.isCandidate` accepts.
    ///   - csvSink: receives trials.csv as UTF-8 bytes in pieces, in file order (the header first, then whole
    ///     rows, up to about a megabyte per call).
    public init(manifest: ReportManifest, scatterCandidates: Int, confidenceLevel: Double = 0.95,
                csvSink: @escaping ([UInt8]) throws -> Void) throws {
        self.manifest = manifest
        self.confidenceLevel = confidenceLevel
        self.csvSink = csvSink
        scatter = RateScatter(candidates: scatterCandidates)
        pendingManifestWidths = Array(Set(manifest.widths)).sorted()
        try csvSink(Array((TrialsCSV.header(deltas: manifest.deltas).joined(separator: ",") + "\n").utf8))
    }

    /// Adds one width's trials (distinct, sorted by index). Widths must come in increasing order.
    /// - Throws: `StreamingReportError.widthOrder` for a width not above the previous one; the sink's errors.
    public mutating func add(width: Int, trials: [TrialResult]) throws {
        if let lastWidth, width <= lastWidth { throw StreamingReportError.widthOrder(previous: lastWidth, next: width) }
        lastWidth = width
        while let w = pendingManifestWidths.first, w < width {
            pendingManifestWidths.removeFirst()
            summarize(width: w, trials: [])
        }
        if pendingManifestWidths.first == width { pendingManifestWidths.removeFirst() }
        // The width's statistics (sorting for exact quantiles, the histogram) are computed on a thread of their
        // own while its rows are formatted and written: neither needs the other.
        let deltas = manifest.deltas, level = confidenceLevel
        let statistics = BackgroundThread("gfmc-report-width-\(width)") {
            Self.statistics(width: width, trials: trials, deltas: deltas, level: level)
        }
        do {
            var start = trials.startIndex
            while start < trials.endIndex {
                let end = min(trials.endIndex, start + Self.rowsPerPiece * Self.formattingThreads)
                for piece in TrialsCSV.rows(trials[start..<end], deltaCount: deltas.count, pieces: Self.formattingThreads) {
                    try csvSink(piece)
                }
                start = end
            }
        } catch {
            _ = statistics.wait(seconds: .infinity)  // never leave the thread running past the call
            throw error
        }
        append(try statistics.wait(), width: width, trials: trials)
    }

    /// Rows formatted into one sink call (about 650 bytes each for two δ: about a megabyte).
    static let rowsPerPiece = 1600
    /// Threads formatting trials.csv rows (the report's largest cost); the bytes do not depend on it.
    static let formattingThreads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

    mutating func summarize(width: Int, trials: [TrialResult]) {
        append(Self.statistics(width: width, trials: trials, deltas: manifest.deltas, level: confidenceLevel),
               width: width, trials: trials)
    }

    /// One width's summary and rendered histogram (nil without a converged finite distance). Pure.
    static func statistics(width: Int, trials: [TrialResult], deltas: [Double],
                           level: Double) -> (summary: WidthSummary, histogram: String?) {
        let summary = StudySummary.summarizeWidth(width, trials: trials, deltas: deltas,
                                                  probabilities: StudySummary.defaultQuantileProbabilities, level: level)
        let histogram = trials.isEmpty ? nil : ReportHTML.histogramPlots(trials, widths: [width]).first?.render()
        return (summary, histogram)
    }

    mutating func append(_ statistics: (summary: WidthSummary, histogram: String?), width: Int, trials: [TrialResult]) {
        widthSummaries.append(statistics.summary)
        scatter.add(width: width, trials: trials)
        if let histogram = statistics.histogram { histograms.append(histogram) }
    }

    /// The finished artifacts (trials.csv has gone to the sink).
    public mutating func finish(precision: PrecisionVerdict? = nil) throws -> StreamedArtifacts {
        for w in pendingManifestWidths { summarize(width: w, trials: []) }
        pendingManifestWidths = []
        let level = confidenceLevel
        let trials = widthSummaries.reduce(0) { $0 + $1.trials }
        let converged = widthSummaries.reduce(0) { $0 + $1.converged }
        let exponent = ExponentSummary(
            theoryExponent: manifest.theoryExponent,
            frobenius: StudySummary.fitExponent(widthSummaries, level: level) { $0.distanceFrobenius.mean },
            operatorNorm: StudySummary.fitExponent(widthSummaries, level: level) { $0.distanceOperator.mean })
        var summary = StudySummary(
            schemaVersion: StudySummary.currentSchemaVersion, manifest: manifest, confidenceLevel: level,
            quantileProbabilities: StudySummary.defaultQuantileProbabilities,
            nonConvergedPolicy: StudySummary.policy, methods: .standard,
            totals: TotalsSummary(trials: trials, converged: converged, nonConverged: trials - converged),
            widths: widthSummaries, exponent: exponent)
        summary.precision = precision
        let html = ReportHTML.make(summary: summary, ratePlot: scatter.plot().render(), histograms: histograms,
                                   generatedAt: nil)
        return StreamedArtifacts(summary: summary, summaryJSON: try SummaryJSON.encode(summary), html: html,
                                 terminal: TerminalSummary.make(summary))
    }
}

/// What `StreamingReport.finish` returns (trials.csv went to the sink).
public struct StreamedArtifacts: Sendable {
    public var summary: StudySummary
    /// summary.json bytes.
    public var summaryJSON: Data
    /// report.html text.
    public var html: String
    /// The terminal table.
    public var terminal: String
}

public enum StreamingReportError: Error, CustomStringConvertible {
    case widthOrder(previous: Int, next: Int)

    public var description: String {
        switch self {
        case .widthOrder(let previous, let next):
            "report widths must come in increasing order: width \(next) after width \(previous)"
        }
    }
}

/// The per-trial rate scatter of report.html, built one width at a time: of the `candidates` trials the
/// scatter can show (converged, both rates finite and positive), every `stride`-th in (width, index) order.
public struct RateScatter {
    let stride: Int
    var seen = 0
    var series: [(width: Int, points: [SVGPlot.Point])] = []
    var lo: Double?
    var hi: Double?

    /// Whether the trial can appear in the scatter (the trials a caller counts for `candidates`).
    public static func isCandidate(_ t: TrialResult) -> Bool {
        t.converged && t.measuredRate.isFinite && t.measuredRate > 0 && t.theorem3Rate.isFinite && t.theorem3Rate > 0
    }

    init(candidates: Int) {
        stride = max(1, (candidates + ReportHTML.maximumScatterPoints - 1) / ReportHTML.maximumScatterPoints)
    }

    mutating func add(width: Int, trials: [TrialResult]) {
        var points: [SVGPlot.Point] = []
        for t in trials where RateScatter.isCandidate(t) {
            defer { seen += 1 }
            guard seen % stride == 0 else { continue }
            points.append(.init(x: t.theorem3Rate, y: t.measuredRate))
            if lo.map({ t.theorem3Rate < $0 }) ?? true { lo = t.theorem3Rate }
            if hi.map({ $0 < t.theorem3Rate }) ?? true { hi = t.theorem3Rate }
        }
        if !points.isEmpty { series.append((width, points)) }
    }

    func plot() -> SVGPlot {
        var plot = ReportHTML.emptyRatePlot()
        for (i, s) in series.enumerated() {
            plot.series.append(.init(name: "h = \(s.width)", color: ReportHTML.palette[i % ReportHTML.palette.count],
                                     points: s.points, style: .markers, markerRadius: 2.5))
        }
        if let lo, let hi {
            plot.series.append(.init(name: "measured = guaranteed", color: "#000000",
                                     points: [.init(x: lo, y: lo), .init(x: hi, y: hi)], style: .line, dash: "5 4"))
        }
        return plot
    }
}
