import Foundation
import GFMCModel
import GFMCReport
import Testing

@Suite("the streaming report gives the in-memory report's bytes, one width at a time")
struct StreamingReportTests {
    /// Feeds `trials` width by width (sorted by TrialID, as a store cursor gives them) to a StreamingReport.
    static func stream(_ trials: [TrialResult], manifest: ReportManifest,
                       precision: PrecisionVerdict? = nil) throws -> (csv: String, artifacts: StreamedArtifacts) {
        let sorted = trials.sorted { $0.id < $1.id }
        let candidates = sorted.filter(RateScatter.isCandidate).count
        var csv = ""
        var report = try StreamingReport(manifest: manifest, scatterCandidates: candidates) { csv += String(decoding: $0, as: UTF8.self) }
        for (width, group) in Dictionary(grouping: sorted, by: \.id.width).sorted(by: { $0.key < $1.key }) {
            try report.add(width: width, trials: group)
        }
        return (csv, try report.finish(precision: precision))
    }

    static func expectSameBytes(_ trials: [TrialResult], manifest: ReportManifest,
                                precision: PrecisionVerdict? = nil) throws {
        let reference = try ReportBundle.make(trials: trials, manifest: manifest, precision: precision)
        let (csv, streamed) = try stream(trials, manifest: manifest, precision: precision)
        #expect(csv == reference.trialsCSV)
        #expect(streamed.summaryJSON == reference.summaryJSON)
        #expect(streamed.html == reference.html)
        #expect(streamed.terminal == reference.terminal)
    }

    @Test func sameBytesForTheFixtureStudy() throws {
        try Self.expectSameBytes(Fixtures.trials(perWidth: 40), manifest: Fixtures.manifest())
    }

    @Test func sameBytesWhenTheScatterIsThinnedAcrossWidths() throws {
        // 4 × 1100 trials: more candidates than maximumScatterPoints, so the stride crosses width boundaries.
        try Self.expectSameBytes(Fixtures.trials(perWidth: 1100, seed: 7), manifest: Fixtures.manifest())
    }

    @Test func sameBytesWithMissingAndExtraWidthsNonFiniteValuesAndAVerdict() throws {
        var trials = Fixtures.trials(perWidth: 30, seed: 3).filter { $0.id.width != 400 }
        trials[5].measuredRate = .infinity
        trials[6].theorem3Rate = .nan
        trials[7].distanceFrobenius = -.infinity
        trials[8].bounds = []
        var extra = trials[0]
        extra.id = TrialID(width: 50, index: 0)
        trials.append(extra)
        var last = trials[1]
        last.id = TrialID(width: 9000, index: 3)
        trials.append(last)
        let verdict = PrecisionVerdict(
            targets: ["mean distance (Frobenius) CI width ≤ 0.08"], confidence: 0.95, minTrialsPerWidth: 8,
            maxTrialsPerWidth: 64,
            widths: [PrecisionVerdict.Width(width: 100, trials: 30, converged: 27, targetsMet: true, capReached: false)],
            allTargetsMet: true)
        try Self.expectSameBytes(trials, manifest: Fixtures.manifest(), precision: verdict)
    }

    @Test func emptyStudyGivesTheSameBytes() throws {
        try Self.expectSameBytes([], manifest: Fixtures.manifest())
    }

    @Test func widthsOutOfOrderAreRefused() throws {
        var report = try StreamingReport(manifest: Fixtures.manifest(), scatterCandidates: 0) { _ in }
        try report.add(width: 400, trials: [])
        #expect(throws: StreamingReportError.self) { try report.add(width: 100, trials: []) }
    }
}
