import Foundation
import GFMCModel
import GFMCReport
import Testing

@Suite("the precision verdict is a typed field of summary.json")
struct PrecisionVerdictTests {
    let trials = Fixtures.trials(perWidth: 8)
    let verdict = PrecisionVerdict(
        targets: ["mean distance (Frobenius) CI width ≤ 0.08"], confidence: 0.95, minTrialsPerWidth: 8,
        maxTrialsPerWidth: 64,
        widths: [PrecisionVerdict.Width(width: 100, trials: 8, converged: 7, targetsMet: true, capReached: false),
                 PrecisionVerdict.Width(width: 400, trials: 64, converged: 60, targetsMet: false, capReached: true)],
        allTargetsMet: false)

    @Test func fixedCountSummaryHasNoPrecisionKeyAndIsUnchanged() throws {
        let bundle = try ReportBundle.make(trials: trials, manifest: Fixtures.manifest())
        let text = String(decoding: bundle.summaryJSON, as: UTF8.self)
        #expect(!text.contains("\"precision\""))
        #expect(bundle.summaryJSON == (try SummaryJSON.encode(StudySummary.make(trials: trials, manifest: Fixtures.manifest()))))
    }

    @Test func verdictRoundTripsThroughSummaryJSONAndIsPrintedAfterTheTable() throws {
        let bundle = try ReportBundle.make(trials: trials, manifest: Fixtures.manifest(), precision: verdict)
        let decoded = try SummaryJSON.decode(bundle.summaryJSON)
        #expect(decoded.precision == verdict)
        #expect(decoded == bundle.summary)

        // The object sits at the top level of summary.json with the documented keys.
        let object = try #require(try JSONSerialization.jsonObject(with: bundle.summaryJSON) as? [String: Any])
        let precision = try #require(object["precision"] as? [String: Any])
        #expect(Set(precision.keys) == ["targets", "confidence", "minTrialsPerWidth", "maxTrialsPerWidth", "widths",
                                        "allTargetsMet"])

        let withoutVerdict = try ReportBundle.make(trials: trials, manifest: Fixtures.manifest())
        #expect(bundle.terminal == withoutVerdict.terminal + """
            Precision targets (mean distance (Frobenius) CI width ≤ 0.08):
              h=100: met with 8 trials
              h=400: NOT met (cap 64 reached) with 64 trials

            """)
    }
}
