import Foundation
import GFMCModel
import GFMCReport
import GFMCStatistics
import GFMCTestSupport
import Testing

@Suite("Study summary aggregation")
struct AggregationTests {
    let trials = Fixtures.trials()
    let manifest = Fixtures.manifest()

    @Test func summaryJSONIsIdenticalForOrderedShuffledDuplicatedAndResumedInputs() throws {
        let reference = try SummaryJSON.encode(StudySummary.make(trials: trials, manifest: manifest))
        var rng = SeededGenerator(seed: 77)
        var shuffled = trials
        rng.shuffle(&shuffled)
        #expect(try SummaryJSON.encode(StudySummary.make(trials: shuffled, manifest: manifest)) != Data()
                && shuffled.map(\.id) != trials.map(\.id))
        // Duplicates delivered again with a different (non-reproducible) wall time.
        var duplicated = shuffled + trials.prefix(25).map { t -> TrialResult in
            var copy = t
            copy.wallSeconds += 100
            return copy
        }
        rng.shuffle(&duplicated)
        // A resumed run: the first half was stored, the coordinator restarted and re-sent an overlapping range.
        let resumed = Array(trials[0..<90]) + Array(trials[60...])
        for input in [shuffled, duplicated, resumed, trials.reversed()] {
            let data = try SummaryJSON.encode(StudySummary.make(trials: input, manifest: manifest))
            #expect(data == reference)
        }
        #expect(TrialSet(duplicated).duplicatesDropped == 25)
        #expect(TrialSet(resumed).duplicatesDropped == 30)
        #expect(StudySummary.make(trials: duplicated, manifest: manifest).totals.trials == trials.count)
    }

    /// Even duplicates that disagree (they should not: trials are pure) resolve to the same record whatever
    /// the order, so every artifact stays identical.
    @Test func disagreeingDuplicatesResolveIndependentlyOfOrder() throws {
        var altered = trials[3]
        altered.finalLoss = 123
        altered.distanceFrobenius *= 2
        let a = try ReportBundle.make(trials: trials + [altered], manifest: manifest)
        let b = try ReportBundle.make(trials: [altered] + trials.reversed(), manifest: manifest)
        #expect(a.summaryJSON == b.summaryJSON && a.trialsCSV == b.trialsCSV && a.html == b.html)
        #expect(a.terminal == b.terminal && a.duplicatesDropped == 1)
        let plain = try ReportBundle.make(trials: trials, manifest: manifest)
        #expect(plain.duplicatesDropped == 0 && plain.summary.totals.trials == a.summary.totals.trials)
    }

    @Test func perWidthStatisticsMatchAnIndependentComputation() throws {
        let s = StudySummary.make(trials: trials, manifest: manifest)
        #expect(s.widths.map(\.width) == Fixtures.widths)
        for w in s.widths {
            let mine = trials.filter { $0.id.width == w.width }
            let converged = mine.filter(\.converged)
            #expect(w.trials == mine.count && w.converged == converged.count && w.nonConverged == mine.count - converged.count)
            #expect(w.stopReasons["max_steps"] == mine.count - converged.count)
            // Non-converged distances (1e6) must not enter: recompute the mean by hand over converged trials.
            let d = converged.map(\.distanceFrobenius)
            let mean = d.reduce(0, +) / Double(d.count)
            #expect(abs(try #require(w.distanceFrobenius.mean) - mean) < 1e-14)
            #expect(w.distanceFrobenius.count == converged.count)
            #expect(try #require(w.distanceOperator.quantiles.last).value < 1)
            let ci = try #require(try MeanIntervals.studentT(d))
            #expect(w.distanceFrobenius.meanInterval == IntervalSummary(lower: ci.lower, upper: ci.upper, level: 0.95))
            for (i, delta) in Fixtures.deltas.enumerated() {
                let ds = w.deltas[i]
                #expect(ds.delta == delta)
                let k = converged.filter { $0.bounds[i].theorem12Holds }.count
                #expect(ds.theorem12Holds.successes == k && ds.theorem12Holds.trials == converged.count)
                let wilson = try ProportionIntervals.wilson(successes: k, trials: converged.count)
                #expect(ds.theorem12Holds.wilson.lower == wilson.lower && ds.theorem12Holds.wilson.upper == wilson.upper)
                // Lemma events count every trial, converged or not.
                #expect(ds.lemma34Holds.trials == mine.count)
                let q = Quantiles.type7(converged.map(\.distanceOperator), probability: 1 - delta)
                #expect(ds.distanceQuantile.value == q)
                let ratio = try #require(ds.boundToQuantileRatio)
                #expect(abs(ratio - mine[0].bounds[i].theorem12Bound / q) < 1e-12)
            }
            #expect(w.theorem3Holds.trials == mine.count)
            let rate = try #require(w.rate.medianRatio)
            #expect(rate > 1.5 && rate < 2.5)
            let pred = try #require(w.prediction.ratio)
            #expect(pred > 0.85 && pred < 1.2)
        }
        #expect(s.nonConvergedPolicy.contains("CONVERGED trials only"))
    }

    @Test func exponentFitRecoversTheSyntheticExponent() throws {
        let s = StudySummary.make(trials: Fixtures.trials(perWidth: 60, seed: 3), manifest: manifest)
        let fit = try #require(s.exponent.frobenius)
        #expect(abs(fit.slope + 0.5) < 0.05)
        let ci = try #require(fit.slopeInterval)
        #expect(try #require(ci.lower) < -0.5 && -0.5 < (try #require(ci.upper)))
        #expect(s.exponent.theoryExponent == -0.5)
        #expect(fit.widths == Fixtures.widths)
        // Without α the theory exponent is absent.
        #expect(StudySummary.make(trials: trials, manifest: Fixtures.manifest(alpha: nil)).exponent.theoryExponent == nil)
    }

    @Test func emptyAndTinyInputsAreHandled() throws {
        let empty = StudySummary.make(trials: [], manifest: manifest)
        #expect(empty.widths.count == Fixtures.widths.count)
        #expect(empty.widths.allSatisfy { $0.trials == 0 && $0.distanceFrobenius.mean == nil })
        #expect(empty.exponent.frobenius == nil)
        let one = StudySummary.make(trials: [trials[0]], manifest: manifest)
        #expect(one.widths[0].distanceFrobenius.mean == trials[0].distanceFrobenius)
        #expect(one.widths[0].distanceFrobenius.standardDeviation == nil)
        // Decoding gives back the same summary.
        let data = try SummaryJSON.encode(one)
        #expect(try SummaryJSON.decode(data) == one)
        let full = StudySummary.make(trials: trials, manifest: manifest)
        #expect(try SummaryJSON.decode(SummaryJSON.encode(full)) == full)
        let text = String(decoding: try SummaryJSON.encode(full), as: UTF8.self)
        #expect(text.contains("\"nonConvergedPolicy\""))
        #expect(!text.contains("nan") && !text.contains("inf\""))
    }
}

@Suite("Precision-target allocation")
struct AllocatorTests {
    @Test func meetsTargetsWithZeroAndProjectsTheRest() throws {
        let trials = Fixtures.trials(perWidth: 40)
        // A loose target is met everywhere.
        let loose = try TrialAllocator(targets: [.meanDistanceCIWidth(epsilon: 10, norm: .frobenius)], deltas: Fixtures.deltas,
                                       maximumTrialsPerWidth: 1000)
        let plan = loose.plan(trials: trials, widths: Fixtures.widths)
        #expect(plan.isComplete && plan.widths.allSatisfy(\.targetsMet))
        // A tight target: the projected total should be close to (2·1.96·s/ε)²/(converged fraction).
        let epsilon = 0.01
        let tight = try TrialAllocator(targets: [.meanDistanceCIWidth(epsilon: epsilon, norm: .frobenius)], deltas: Fixtures.deltas,
                                       maximumTrialsPerWidth: 100_000, minimumBatch: 4)
        let p = tight.plan(trials: trials, widths: Fixtures.widths)
        let w100 = try #require(p.widths.first { $0.width == 100 })
        let converged = trials.filter { $0.id.width == 100 && $0.converged }.map(\.distanceFrobenius)
        let s = Descriptive.sampleStandardDeviation(converged)
        let expected = pow(2 * 1.96 * s / epsilon, 2) * 40 / Double(converged.count)
        #expect(!w100.targetsMet)
        #expect(abs(Double(w100.projectedTrials) - expected) / expected < 0.05, "\(w100.projectedTrials) vs \(expected)")
        // Growth is limited to doubling per round.
        #expect(w100.additionalTrials == 40)
        // At h = 6400 the spread is tiny and the target is met.
        #expect(p.additionalTrials(forWidth: 6400) == 0)
    }

    @Test func capIsRespectedAndReported() throws {
        let trials = Fixtures.trials(perWidth: 40)
        let a = try TrialAllocator(targets: [.eventProbabilityWilsonWidth(epsilon: 0.01, event: .theorem12Holds, delta: 0.05)],
                                   deltas: Fixtures.deltas, maximumTrialsPerWidth: 50)
        let plan = a.plan(trials: trials, widths: Fixtures.widths + [25_600])
        for w in plan.widths where w.width != 25_600 {
            #expect(w.additionalTrials == 10 && !w.capReached)
        }
        // An unseen width starts with the minimum batch.
        #expect(plan.additionalTrials(forWidth: 25_600) == 8)
        let capped = try TrialAllocator(targets: [.eventProbabilityWilsonWidth(epsilon: 0.01, event: .theorem12Holds, delta: 0.05)],
                                        deltas: Fixtures.deltas, maximumTrialsPerWidth: 40)
        let done = capped.plan(trials: trials, widths: Fixtures.widths)
        #expect(done.isComplete && done.widths.allSatisfy { $0.capReached && !$0.targetsMet })
    }

    @Test func planIsIndependentOfOrderAndDuplicates() throws {
        let trials = Fixtures.trials(perWidth: 30)
        let a = try TrialAllocator(targets: [.eventProbabilityWilsonWidth(epsilon: 0.2, event: .theorem12Holds, delta: 0.01),
                                             .meanDistanceCIWidth(epsilon: 0.02, norm: .frobenius)],
                                   deltas: Fixtures.deltas, maximumTrialsPerWidth: 500)
        var rng = SeededGenerator(seed: 5)
        var shuffled = trials + trials.prefix(10)
        rng.shuffle(&shuffled)
        #expect(a.plan(trials: trials, widths: Fixtures.widths) == a.plan(trials: shuffled, widths: Fixtures.widths))
    }

    @Test func invalidSettingsAreRejectedWithAMessage() {
        #expect(throws: StatisticsError.self) {
            try TrialAllocator(targets: [.eventProbabilityWilsonWidth(epsilon: 0.1, event: .theorem12Holds, delta: 0.2)],
                               deltas: Fixtures.deltas, maximumTrialsPerWidth: 10)
        }
        #expect(throws: StatisticsError.self) {
            try TrialAllocator(targets: [.meanDistanceCIWidth(epsilon: 0, norm: .frobenius)], deltas: [], maximumTrialsPerWidth: 10)
        }
        #expect(throws: StatisticsError.self) {
            try TrialAllocator(targets: [], deltas: [], maximumTrialsPerWidth: 0)
        }
    }
}

/// Every event a precision target can name is read from the right field and counted over the right trials.
@Suite("Precision targets on every event")
struct PrecisionEventTests {
    func trial(_ index: Int, converged: Bool, lemma33: Bool, theorem3: Bool, lemma34: Bool) -> TrialResult {
        var t = TrialResult(id: TrialID(width: 100, index: index), engine: "sampled", method: "flow")
        t.converged = converged
        t.lemma33Holds = lemma33
        t.theorem3Holds = theorem3
        t.distanceFrobenius = 1
        t.distanceOperator = 1
        t.bounds = [BoundCheck(delta: 0.05, lemma34Bound: 1, lemma34Holds: lemma34, lemma35Bound: 1, lemma35Holds: true,
                               theorem12Bound: 1, theorem12Holds: converged, theorem12BoundCorrected: 1,
                               theorem12CorrectedHolds: false, theorem12WidthThreshold: 1, widthExceedsThreshold: true)]
        return t
    }

    @Test func eventsReadTheirOwnFieldAndTrialSet() throws {
        // 40 trials: the first 20 did not converge. lemma33 holds in all; theorem3 and lemma34 alternate;
        // Theorem 12 (as stated) holds exactly in the converged trials, its corrected form in none.
        let trials = (0..<40).map { trial($0, converged: $0 >= 20, lemma33: true, theorem3: $0 % 2 == 0, lemma34: $0 % 2 == 0) }
        func evaluate(_ event: TrialEvent, delta: Double? = 0.05) throws -> WidthAllocation {
            let allocator = try TrialAllocator(targets: [.eventProbabilityWilsonWidth(epsilon: 0.2, event: event, delta: delta)],
                                               deltas: [0.05], maximumTrialsPerWidth: 1000)
            return allocator.plan(trials: trials, widths: [100]).widths[0]
        }
        // A certain event over 40 trials: Wilson width ≈ 0.088 ≤ 0.2, met.
        #expect(try evaluate(.lemma33Holds, delta: nil).targetsMet)
        // p = 1/2 over 40 trials: width ≈ 0.29 > 0.2, not met.
        #expect(try !evaluate(.theorem3Holds, delta: nil).targetsMet)
        #expect(try !evaluate(.lemma34Holds).targetsMet)
        #expect(try evaluate(.lemma35Holds).targetsMet)
        // Theorem 12 counts converged trials only: 20 certain outcomes, width ≈ 0.16, met (over all 40 trials it
        // would be p = 1/2, not met); the corrected form is never true, also certain.
        #expect(try evaluate(.theorem12Holds).targetsMet)
        #expect(try evaluate(.theorem12CorrectedHolds).targetsMet)
        #expect(throws: StatisticsError.self) {
            _ = try TrialAllocator(targets: [.eventProbabilityWilsonWidth(epsilon: 0.2, event: .lemma35Holds, delta: nil)],
                                   deltas: [0.05], maximumTrialsPerWidth: 10)
        }
    }
}
