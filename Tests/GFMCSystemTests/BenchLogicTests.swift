import Foundation
import GFMCBenchmarks
import GFMCCommandLine
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import Testing

/// Pure logic of `gfmc bench` (no timing is asserted anywhere): statistics of timings, extrapolation, the
/// `.npy` writer (checked against the engine's independent `.npy` reader), /proc parsers, the baseline's record
/// format and the goal verdicts.
@Suite struct BenchLogicTests {
    @Test func summaryMatchesNumPyDefinitions() throws {
        // numpy.median / numpy.percentile(…, [25, 75]) (linear, type 7) of the same samples.
        let odd = try #require(BenchTimingSummary([10, 1, 4, 3, 2]))
        #expect(odd.median == 3)
        #expect(odd.lowerQuartile == 2)
        #expect(odd.upperQuartile == 4)
        #expect(odd.minimum == 1 && odd.maximum == 10 && odd.mean == 4)
        #expect(odd.count == 5)
        let even = try #require(BenchTimingSummary([3, 1, 2, 4]))
        #expect(even.median == 2.5)
        #expect(abs(even.lowerQuartile - 1.75) < 1e-15)
        #expect(abs(even.upperQuartile - 3.25) < 1e-15)
        #expect(abs(even.relativeSpread - 3 / 2.5) < 1e-15)
        let single = try #require(BenchTimingSummary([0.5]))
        #expect(single.median == 0.5 && single.relativeSpread == 0)
        #expect(BenchTimingSummary([]) == nil)
        #expect(BenchTimingSummary([1, .nan]) == nil)
        #expect(BenchTimingSummary([1, .infinity]) == nil)
    }

    @Test func speedUpAndExtrapolation() throws {
        #expect(BenchRatio.speedUp(reference: 10, candidate: 0.01) == 1000)
        #expect(BenchRatio.speedUp(reference: nil, candidate: 1) == nil)
        #expect(BenchRatio.speedUp(reference: 1, candidate: 0) == nil)
        #expect(BenchRatio.speedUp(reference: .nan, candidate: 1) == nil)
        #expect(BenchRatio.extrapolate(seconds: 2, done: 100, needed: 1000) == 20)
        #expect(BenchRatio.extrapolate(seconds: 2, done: 0, needed: 1000) == nil)
        // Exact on a fixed cost plus a cost per iteration: t(k) = 0.5 + 0.01 k.
        let t = { (k: Int) in 0.5 + 0.01 * Double(k) }
        let fit = try #require(BenchRatio.extrapolate(shortSeconds: t(100), shortIterations: 100,
                                                      longSeconds: t(500), longIterations: 500, needed: 70_000))
        #expect(abs(fit - t(70_000)) < 1e-9)
        // The one-point rule would have multiplied the fixed cost too.
        let naive = try #require(BenchRatio.extrapolate(seconds: t(500), done: 500, needed: 70_000))
        #expect(naive > fit + 60)
        // Noise that makes the fitted slope non-positive falls back to the one-point rule.
        #expect(BenchRatio.extrapolate(shortSeconds: 2, shortIterations: 100, longSeconds: 1.9, longIterations: 500,
                                       needed: 1000) == BenchRatio.extrapolate(seconds: 1.9, done: 500, needed: 1000))
        #expect(BenchRatio.extrapolate(shortSeconds: 1, shortIterations: 500, longSeconds: 2, longIterations: 500,
                                       needed: 1000) == nil)
    }

    @Test(arguments: [(3, 5), (1, 7), (400, 1), (2, 2)])
    func npyWriterRoundTripsThroughTheEngineReader(rows: Int, cols: Int) throws {
        let m = Matrix(rows: rows, cols: cols, entry: { i, j in Double(i * 1000 + j) + 0.25 - Double(j) * 1e-9 })
        let bytes = BenchNPYWriter.encode(m)
        #expect(Array(bytes.prefix(6)) == [0x93] + Array("NUMPY".utf8))
        #expect(bytes[6] == 1 && bytes[7] == 0)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(bytes[10 + headerLength - 1] == 0x0a)
        #expect(bytes.count == 10 + headerLength + 8 * rows * cols)
        let back = try NPYMatrixLoader.parse(bytes)
        #expect(back.rows == rows && back.cols == cols)
        #expect(back.storage == m.storage)
    }

    @Test func procParsers() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"
        #expect(BenchMachine.cpuModel(from: cpuinfo) == "AMD EPYC 7B13")
        #expect(BenchMachine.cpuModel(from: "processor: 0\n") == nil)
        #expect(BenchMachine.cpuModel(from: nil) == nil)
        let meminfo = "MemTotal:       24641536 kB\nMemFree:        22000000 kB\n"
        #expect(BenchMachine.memoryGiB(from: meminfo) == 24641536.0 / (1024 * 1024))
        #expect(BenchMachine.loadAverage(from: "1.47 1.12 0.50 2/345 6789\n") == [1.47, 1.12, 0.50])
        #expect(BenchMachine.loadAverage(from: "garbage") == nil)
    }

    @Test func baselineRecordsParseAndRejectGarbage() throws {
        let line = #"{"method": "gd", "width": 2000, "trial": 0, "seconds": 4.02, "work": 2500, "completed": false, "seconds_per_work": 0.001608, "final_loss": 3.1e-05, "distance_frobenius": null}"#
        let r = try BenchBaselineRunner.parse(line)
        #expect(r.method == "gd" && r.width == 2000 && r.trial == 0 && r.work == 2500 && !r.completed)
        #expect(r.distanceFrobenius == nil && r.finalLoss == 3.1e-05)
        #expect(r.effectiveSeconds == nil)  // stopped and not yet extrapolated
        #expect(throws: BenchBaselineError.self) { try BenchBaselineRunner.parse("Traceback (most recent call last):") }
        #expect(throws: BenchBaselineError.self) { try BenchBaselineRunner.parse(#"{"method": "gd"}"#) }
    }

    @Test func goalVerdictsFollowTheMeasurements() throws {
        var report = BenchReport(command: "gfmc bench", machineAtStart: BenchMachine.current(directory: "/"))
        func timing(_ s: Double) -> BenchTrialTiming {
            BenchTrialTiming(index: 0, seconds: s, steps: 10, rhsEvaluations: 60, converged: true, stopReason: .converged)
        }
        report.engines = [BenchEngineMeasurement(engineCase: .sampledFlow, width: 2000, trials: [timing(0.02), timing(0.03), timing(0.01)]),
                          BenchEngineMeasurement(engineCase: .weightsFlow, width: 2000, trials: [timing(3)])]
        var gd = try BenchBaselineRunner.parse(#"{"method": "gd", "width": 2000, "trial": 0, "seconds": 4, "work": 1000, "completed": false}"#)
        gd.fullSeconds = 40  // extrapolated: 40 s / 0.02 s median = 2000×
        let ivp = try BenchBaselineRunner.parse(#"{"method": "ivp", "width": 2000, "trial": 0, "seconds": 2.5, "work": 300, "completed": true}"#)
        report.baseline = [gd, ivp]
        report.rhs = [BenchRHSMeasurement(width: 2000, enginePerRHS: BenchTimingSummary([1.5e-3]), rhsEvaluations: 900,
                                          barePerRHS: BenchTimingSummary([1e-3]))]
        let goals = report.goals
        #expect(goals.count == 7)
        #expect(goals[0].met == true)                      // 2000× ≥ 1000×
        #expect(goals[0].measured.hasPrefix("2000×"))
        #expect(goals[1].met == false)                     // 2.5 s solve_ivp vs 3 s weights
        #expect(goals[2].met == false)                     // 1.5× > 1.3×
        #expect(goals[3].met == nil)                       // study not run
        #expect(goals[4].met == nil && goals[5].met == nil) // sampled flows only at h = 2000; no reduced baseline
        #expect(goals[6].met == nil)                       // coordinator not run
        let markdown = report.markdown
        #expect(markdown.contains("| `sampled` ≥ 1000× faster than (a) Python GD at h = 2000 | 2000× (sampled-flow) | yes |"))
        #expect(markdown.contains("| sampled-flow | 2000 | 3 | 20.0 ms |"))
    }

    /// "≤ 5 ms per trial" and "≥ 20× the NumPy/SciPy reduction" are judged on the fastest sampled flow at all three
    /// widths; the reduced baseline's distance is compared with that flow's on the same start.
    @Test func sampledFlowGoalsUseTheFastestFlowAtEveryWidth() throws {
        var report = BenchReport(command: "gfmc bench", machineAtStart: BenchMachine.current(directory: "/"))
        func timing(_ s: Double, distance: Double = 0.5) -> BenchTrialTiming {
            BenchTrialTiming(index: 0, seconds: s, steps: 10, rhsEvaluations: 60, converged: true, stopReason: .converged,
                             distanceFrobenius: distance)
        }
        for (h, slow, fast) in [(500, 9e-3, 4e-3), (2000, 9e-3, 4.5e-3), (10_000, 9e-3, 6e-3)] {
            report.engines.append(BenchEngineMeasurement(engineCase: .sampledFlow, width: h, trials: [timing(slow)]))
            report.engines.append(BenchEngineMeasurement(engineCase: .sampledFlowDop853, width: h,
                                                         trials: [timing(fast, distance: 0.4)]))
            report.baseline.append(try BenchBaselineRunner.parse(
                #"{"method": "reduced", "width": \#(h), "trial": 0, "seconds": 0.1, "work": 700, "completed": true, "distance_frobenius": 0.40000004}"#))
        }
        var goals = report.goals
        #expect(goals[4].met == false)   // 6 ms at h = 10 000
        #expect(goals[4].measured.hasPrefix("sampled-flow-dop853: 4.00 ms–6.00 ms"))
        #expect(goals[5].met == false)   // 0.1 s / 6 ms ≈ 16.7× < 20×
        report.engines[5] = BenchEngineMeasurement(engineCase: .sampledFlowDop853, width: 10_000,
                                                   trials: [timing(4.9e-3, distance: 0.4)])
        goals = report.goals
        #expect(goals[4].met == true)
        #expect(goals[5].met == true)    // 0.1 s / 4.9 ms ≈ 20.4×
        let markdown = report.markdown
        #expect(markdown.contains("| (c) NumPy/SciPy reduction / sampled-flow-dop853 | 25.0× | 22.2× | 20.4× |"))
        #expect(markdown.contains("| reduced | 500 | 0 | 100 ms | – | 700 | – | yes | 0.4000 | 1.0e-07 |"))
        // CPU times (recorded by both sides) give their own ratios.
        #expect(!markdown.contains("CPU time |"))
        for i in report.engines.indices {
            report.engines[i].trials = report.engines[i].trials.map { t in var t = t; t.cpuSeconds = t.seconds / 2; return t }
        }
        report.baseline = report.baseline.map { r in var r = r; r.cpuSeconds = 0.08; return r }
        #expect(report.cpuSpeedUp(baseline: "reduced", over: .sampledFlowDop853, width: 500) == 0.08 / 2e-3)
        #expect(report.markdown.contains("| (c) NumPy/SciPy reduction / sampled-flow-dop853, CPU time | 40.0× | 35.6× | 32.7× |"))
        #expect(report.goals[4].measured.contains("(CPU 2.00 ms–2.45 ms)"))
        // The integration alone (what the reduction's own timer covers) gets its own table and ratio row.
        report.integrations = [500, 2000, 10_000].map { h in
            BenchEngineMeasurement(engineCase: .sampledFlowDop853, width: h, trials: [timing(2e-3)])
        }
        #expect(report.markdown.contains("| sampled-flow-dop853 | 2000 | 1 | 2.00 ms | – | 60 | all |"))
        #expect(report.markdown.contains("| (c) NumPy/SciPy reduction / sampled-flow-dop853, integration alone | 50.0× | 50.0× | 50.0× |"))
    }

    /// The reduced baseline is handed `sampledStart`: it must be the start the timed sampled trial integrates. The
    /// trial reports ‖C(0)‖_F (Lemma 11 (34)) and ‖K₁₂(0)‖_F (Lemma 11 (35)), and the integration alone from that
    /// K_r(0) gives the trial's distance exactly.
    @Test func theExportedReducedStartIsTheTimedTrialsStart() throws {
        let network = try BenchWideNetwork(dataSeed: 530, studySeed: 53)
        let id = TrialID(width: 2000, index: 1)
        let start = network.sampledStart(width: id.width, index: id.index)
        let trial = try network.runner(engine: .sampled, settings: BenchEngineCase.sampledFlowDop853.settings).run(id)
        #expect(start.nullSpaceCoupling.frobeniusNorm == trial.lemma34Quantity)
        #expect(start.endToEndReduced.frobeniusNorm == trial.lemma35Quantity)
        let timer = BenchEngineTimer(network: network, maxTrialSeconds: 60, log: { _ in })
        let alone = try timer.measureIntegration(.sampledFlowDop853, width: id.width, repetitions: 2)
        #expect(alone.trials.count == 2 && alone.allConverged)
        #expect(alone.trials[1].distanceFrobenius == trial.distanceFrobenius)
        #expect(alone.trials[1].rhsEvaluations == trial.rhsEvaluations)
    }

    @Test func formattingPicksUnits() {
        #expect(BenchFormat.seconds(8.64e-3) == "8.64 ms")
        #expect(BenchFormat.seconds(2.5e-4) == "250 µs")
        #expect(BenchFormat.seconds(135) == "135 s")
        #expect(BenchFormat.seconds(nil) == "–")
        #expect(BenchFormat.ratio(1403.4) == "1403×")
        #expect(BenchFormat.ratio(1.158) == "1.16×")
    }
}
