import Foundation

/// Everything one `gfmc bench` run measured; encoded as `--json FILE` and rendered as Markdown.
public struct BenchReport: Codable, Sendable {
    public var command: String
    public var machineAtStart: BenchMachine
    public var loadAverageAtEnd: [Double]?
    public var totalSeconds: Double = 0
    public var engines: [BenchEngineMeasurement] = []
    /// The sampled flows' integration alone (`BenchEngineTimer.measureIntegration`), for the ratio to the reduced
    /// baseline, whose timer covers the integration only.
    public var integrations: [BenchEngineMeasurement] = []
    public var baseline: [BenchBaselineRecord] = []
    public var baselineScript: String?
    public var rhs: [BenchRHSMeasurement] = []
    public var study: BenchStudyMeasurement?
    public var coordinator: BenchCoordinatorMeasurement?
    /// Parts that were asked for but could not run, with the reason.
    public var skipped: [String: String] = [:]

    public init(command: String, machineAtStart: BenchMachine) {
        self.command = command
        self.machineAtStart = machineAtStart
    }

    // MARK: Lookups

    public func engine(_ c: BenchEngineCase, width: Int) -> BenchEngineMeasurement? {
        engines.first { $0.engineCase == c && $0.width == width }
    }

    /// Median over the baseline's trials of `effectiveSeconds` (nil if any trial has no effective time).
    public func baselineSeconds(_ method: String, width: Int) -> BenchTimingSummary? {
        let records = baseline.filter { $0.method == method && $0.width == width }
        let times = records.compactMap(\.effectiveSeconds)
        guard !records.isEmpty, times.count == records.count else { return nil }
        return BenchTimingSummary(times)
    }

    /// A lower bound when some baseline trial was stopped without an extrapolation (ivp): its measured seconds.
    public func baselineLowerBound(_ method: String, width: Int) -> Double? {
        let records = baseline.filter { $0.method == method && $0.width == width }
        guard records.contains(where: { $0.effectiveSeconds == nil }) else { return nil }
        return BenchTimingSummary(records.map { $0.effectiveSeconds ?? $0.seconds })?.median
    }

    /// Baseline median CPU time / gfmc median CPU time (nil unless both sides recorded CPU times for every trial).
    public func cpuSpeedUp(baseline method: String, over c: BenchEngineCase, width: Int) -> Double? {
        let records = baseline.filter { $0.method == method && $0.width == width && $0.completed }
        let times = records.compactMap(\.cpuSeconds)
        guard !records.isEmpty, times.count == records.count else { return nil }
        return BenchRatio.speedUp(reference: BenchTimingSummary(times)?.median,
                                  candidate: engine(c, width: width)?.cpuSeconds?.median)
    }

    public func speedUp(baseline method: String, over c: BenchEngineCase, width: Int) -> Double? {
        BenchRatio.speedUp(reference: baselineSeconds(method, width: width)?.median,
                           candidate: engine(c, width: width)?.seconds?.median)
    }

    // MARK: Goals

    public struct Goal: Codable, Sendable {
        public var name: String
        public var measured: String
        /// nil when the part did not run.
        public var met: Bool?
    }

    public var goals: [Goal] {
        var goals: [Goal] = []
        if let r = speedUp(baseline: "gd", over: .sampledFlow, width: 2000) {
            goals.append(Goal(name: "`sampled` ≥ 1000× faster than (a) Python GD at h = 2000",
                              measured: BenchFormat.ratio(r) + " (sampled-flow)", met: r >= 1000))
        } else {
            goals.append(Goal(name: "`sampled` ≥ 1000× faster than (a) Python GD at h = 2000", measured: "not run", met: nil))
        }
        let ivpWidths = Set(baseline.filter { $0.method == "ivp" }.map(\.width)).sorted()
        let weightsVsIvp: [(Int, Double?)] = ivpWidths.map { h in
            if let r = speedUp(baseline: "ivp", over: .weightsFlow, width: h) { return (h, r) }
            // A stopped ivp trial: its measured time is a lower bound, so a ratio above 1 still proves "faster".
            return (h, BenchRatio.speedUp(reference: baselineLowerBound("ivp", width: h),
                                          candidate: engine(.weightsFlow, width: h)?.seconds?.median))
        }
        if weightsVsIvp.isEmpty || weightsVsIvp.contains(where: { $0.1 == nil }) {
            goals.append(Goal(name: "`weights` faster than (b) SciPy solve_ivp", measured: "not run", met: nil))
        } else {
            goals.append(Goal(name: "`weights` faster than (b) SciPy solve_ivp",
                              measured: weightsVsIvp.map { "h=\($0.0): \(BenchFormat.ratio($0.1))" }.joined(separator: ", "),
                              met: weightsVsIvp.allSatisfy { ($0.1 ?? 0) > 1 }))
        }
        let rhsRatios = rhs.compactMap { m in m.ratio.map { (m.width, $0) } }
        goals.append(Goal(name: "`weights` per-RHS time ≤ 1.3× the bare BLAS products",
                          measured: rhsRatios.isEmpty ? "not run"
                              : rhsRatios.map { "h=\($0.0): \(BenchFormat.ratio($0.1))" }.joined(separator: ", "),
                          met: rhsRatios.isEmpty ? nil : rhsRatios.allSatisfy { $0.1 <= 1.3 }))
        if let s = study {
            goals.append(Goal(name: "whole wide-network study (20 widths × 1000 trials) ≤ 5 min on 2 cores",
                              measured: BenchFormat.seconds(s.fullStudySeconds)
                                  + (s.extrapolated ? " (extrapolated from \(s.trialsPerWidth)/width)" : " (run in full)")
                                  + ", method \(s.method)",
                              met: s.fullStudySeconds <= 300))
        } else {
            goals.append(Goal(name: "whole wide-network study (20 widths × 1000 trials) ≤ 5 min on 2 cores",
                              measured: "not run", met: nil))
        }
        goals.append(sampledFlowTimeGoal)
        goals.append(reductionBaselineGoal)
        if let c = coordinator, let s = c.speedUp {
            goals.append(Goal(name: "2 worker processes ≥ 1.8× faster than 1 (CPU-bound study)",
                              measured: BenchFormat.ratio(s), met: s >= 1.8))
        } else {
            goals.append(Goal(name: "2 worker processes ≥ 1.8× faster than 1 (CPU-bound study)",
                              measured: "not run", met: nil))
        }
        return goals
    }

    /// The sampled flow cases measured at the baseline widths, fastest (by largest median) first.
    private var sampledFlowCasesByTime: [(BenchEngineCase, [Double])] {
        let widths = Self.goalWidths
        return BenchEngineCase.allCases.filter(\.isSampledFlow).compactMap { c -> (BenchEngineCase, [Double])? in
            let medians = widths.compactMap { engine(c, width: $0)?.seconds?.median }
            return medians.count == widths.count ? (c, medians) : nil
        }.sorted { ($0.1.max() ?? .infinity) < ($1.1.max() ?? .infinity) }
    }

    /// The paper's widths the per-trial goals are judged at.
    static let goalWidths = [500, 2000, 10_000]

    private var sampledFlowTimeGoal: Goal {
        let name = "`sampled` flow ≤ 5 ms per trial at h = 500, 2000, 10 000"
        let cases = sampledFlowCasesByTime
        guard let best = cases.first else { return Goal(name: name, measured: "not run", met: nil) }
        let measured = cases.map { c, medians in
            let cpu = Self.goalWidths.compactMap { engine(c, width: $0)?.cpuSeconds?.median }
            return "\(c.rawValue): \(BenchFormat.seconds(medians.min()))–\(BenchFormat.seconds(medians.max()))"
                + (cpu.count == medians.count
                    ? " (CPU \(BenchFormat.seconds(cpu.min()))–\(BenchFormat.seconds(cpu.max())))" : "")
        }.joined(separator: "; ")
        return Goal(name: name, measured: measured, met: (best.1.max() ?? .infinity) <= 5e-3)
    }

    private var reductionBaselineGoal: Goal {
        let name = "`sampled` flow ≥ 20× faster than (c) the NumPy/SciPy reduction"
        let widths = Self.goalWidths
        let ratios = sampledFlowCasesByTime.compactMap { c, _ -> (BenchEngineCase, [Double])? in
            let r = widths.compactMap { speedUp(baseline: "reduced", over: c, width: $0) }
            return r.count == widths.count ? (c, r) : nil
        }
        guard let best = ratios.first else { return Goal(name: name, measured: "not run", met: nil) }
        let measured = ratios.map { c, r in
            let cpu = widths.compactMap { cpuSpeedUp(baseline: "reduced", over: c, width: $0) }
            return "\(c.rawValue): " + zip(widths, r).map { "h=\($0.0): \(BenchFormat.ratio($0.1))" }.joined(separator: ", ")
                + (cpu.count == widths.count
                    ? " (CPU time: " + cpu.map { BenchFormat.ratio($0) }.joined(separator: ", ") + ")" : "")
        }.joined(separator: "; ")
        return Goal(name: name, measured: measured, met: best.1.allSatisfy { $0 >= 20 })
    }

    /// The gfmc engine whose final distance a baseline record is compared with: gram-gd for gd, weights-flow for
    /// ivp, and for reduced the sampled flow on the same start (dop853 when it was measured).
    func referenceEngine(for method: String, width: Int) -> BenchEngineCase {
        switch method {
        case "gd": return .gramGD
        case "reduced": return engine(.sampledFlowDop853, width: width) != nil ? .sampledFlowDop853 : .sampledFlow
        default: return .weightsFlow
        }
    }

    // MARK: Markdown

    public var markdown: String {
        var out: [String] = []
        let m = machineAtStart
        out.append("## gfmc bench")
        out.append("")
        out.append("* Command: `\(command)`")
        out.append("* Machine: \(m.processors) processors (`nproc`), \(m.cpuModel ?? "CPU model unknown"), "
                   + (m.memoryGiB.map { String(format: "%.1f GiB memory", $0) } ?? "memory unknown"))
        out.append("* Date: \(m.date); gfmc commit \(m.commit ?? "unknown")")
        let endLoad = loadAverageAtEnd.map { String(format: "%.2f / %.2f / %.2f", $0[0], $0[1], $0[2]) } ?? "unknown"
        out.append("* Load average at start: \(m.loadDescription); at end: \(endLoad)")
        out.append("* Total bench time: \(BenchFormat.seconds(totalSeconds)). All gfmc timings single-threaded BLAS, "
                   + "one trial at a time (except the study); the Python baseline runs with OPENBLAS_NUM_THREADS=1.")
        out.append("")
        out.append("### Goals")
        out.append("")
        out.append("| Goal | Measured | Met |")
        out.append("|---|---|---|")
        for g in goals {
            out.append("| \(g.name) | \(g.measured) | \(g.met.map { $0 ? "yes" : "**no**" } ?? "not run") |")
        }
        if !engines.isEmpty { out.append(""); out += engineTable }
        if !integrations.isEmpty { out.append(""); out += integrationTable }
        if !baseline.isEmpty { out.append(""); out += baselineTable; out.append(""); out += ratioTable }
        if !rhs.isEmpty { out.append(""); out += rhsTable }
        if let s = study { out.append(""); out += studyTable(s) }
        if let c = coordinator { out.append(""); out += c.markdown }
        if !skipped.isEmpty {
            out.append("")
            out.append("### Not run")
            out.append("")
            for (part, reason) in skipped.sorted(by: { $0.key < $1.key }) { out.append("* \(part): \(reason)") }
        }
        return out.joined(separator: "\n") + "\n"
    }

    var engineTable: [String] {
        var out = ["### Time per trial (wide-network problem, N = 100, n = 400, m = 1, α = ½)", "",
                   "Whole trials (`TrialRunner.run`: initial draws, integration, every reported quantity). "
                   + "Trials are indices 0…k−1 (different random starts); median, ±half the (max−min)/median spread, "
                   + "min and max. flow = Dormand–Prince 5(4) (dop853: Dormand–Prince 8(5,3)) to excess loss ≤ 1e-12; gd = the paper's GD (η = 5e-3 on the "
                   + "mean loss, until it is < 1e-8). * = extrapolated, not run in full: the full run was predicted to "
                   + "exceed the per-trial budget, so two runs cut after K/5 and K iterations gave a fixed cost and a "
                   + "cost per iteration, evaluated at the iteration count of the Gram-form GD on the same start "
                   + "(shown under steps). CPU: the median CPU time of the timing thread (BLAS runs on it), which on a "
                   + "loaded machine approximates the wall time an idle one would show.", "",
                   "| Engine | h | trials | median | spread | min | max | CPU (median) | steps (median) | RHS evals (median) | converged |",
                   "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for e in engines {
            let star = e.anyExtrapolated ? "*" : ""
            out.append("| \(e.engineCase.rawValue) | \(e.width) | \(e.trials.count) | \(BenchFormat.seconds(e.seconds?.median))\(star) "
                       + "| \(BenchFormat.spread(e.seconds)) | \(BenchFormat.seconds(e.seconds?.minimum)) "
                       + "| \(BenchFormat.seconds(e.seconds?.maximum)) | \(BenchFormat.seconds(e.cpuSeconds?.median)) "
                       + "| \(e.medianSteps.map { String(Int($0)) } ?? "–") "
                       + "| \(e.medianRHS.map { String(Int($0)) } ?? "–") "
                       + "| \(e.anyExtrapolated ? "(cut)" : (e.allConverged ? "all" : "**not all**")) |")
        }
        return out
    }

    var integrationTable: [String] {
        var out = ["### The sampled flows' integration alone", "",
                   "`GramEngine.integrate` from the same K_r(0) as the timed trials (no initial draws, no reported "
                   + "quantities): what the timer of (c), the NumPy/SciPy reduction, covers.", "",
                   "| Engine | h | trials | median | CPU (median) | RHS evals (median) | converged |",
                   "|---|---:|---:|---:|---:|---:|---|"]
        for e in integrations {
            out.append("| \(e.engineCase.rawValue) | \(e.width) | \(e.trials.count) | \(BenchFormat.seconds(e.seconds?.median)) "
                       + "| \(BenchFormat.seconds(e.cpuSeconds?.median)) | \(e.medianRHS.map { String(Int($0)) } ?? "–") "
                       + "| \(e.allConverged ? "all" : "**not all**") |")
        }
        return out
    }

    var baselineTable: [String] {
        var out = ["### NumPy/SciPy baseline (same run, same data and initial weights)", "",
                   "`\(baselineScript ?? "tools/baseline/wide_network.py")` with OPENBLAS_NUM_THREADS=1. (a) gd: the paper's "
                   + "full-width GD, η = 5e-3, until the mean loss < 1e-8. (b) ivp: `solve_ivp` (DOP853, rtol 1e-10, "
                   + "atol 1e-12) on the full weights until the excess ½-loss ≤ 1e-12. A trial stopped by the "
                   + "per-trial budget is marked: gd is extrapolated with the Gram-form GD's iteration count on the "
                   + "same start (* in the table), ivp gives a lower bound (≥). (c) reduced: the `sampled` engine's "
                   + "reduced flow (K_r, Φ) of (r+m)×(r+m) matrices in NumPy, SciPy's DOP853 stepper (rtol 1e-10, "
                   + "atol 1e-14) and gfmc's stopping rule, from the same K_r(0), C(0) the sampled engine drew. The last "
                   + "column compares the final distance ‖UVᵀ − Θ̂‖_F with gfmc's on the same start (gram-gd for gd, "
                   + "weights-flow for ivp, sampled-flow-dop853 for reduced, or sampled-flow if that was not run).", "",
                   "| Method | h | trial | seconds | CPU | work | iterations needed (gfmc) | completed | distance | rel. diff. vs gfmc |",
                   "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
        for r in baseline {
            let time: String
            if r.completed { time = BenchFormat.seconds(r.seconds) }
            else if let f = r.fullSeconds { time = BenchFormat.seconds(f) + "* (ran \(BenchFormat.seconds(r.seconds)))" }
            else { time = "≥ " + BenchFormat.seconds(r.seconds) }
            let reference = engine(referenceEngine(for: r.method, width: r.width), width: r.width)?
                .trials.first { $0.index == r.trial }?.distanceFrobenius
            var diff = "–"
            if let d = r.distanceFrobenius, let ref = reference, ref > 0, r.completed {
                diff = String(format: "%.1e", abs(d - ref) / ref)
            }
            out.append("| \(r.method) | \(r.width) | \(r.trial) | \(time) | \(BenchFormat.seconds(r.cpuSeconds)) | \(r.work) | \(r.swiftIterations.map(String.init) ?? "–") "
                       + "| \(r.completed ? "yes" : "no (budget)") | \(r.completed ? (r.distanceFrobenius.map { String(format: "%.4f", $0) } ?? "–") : "–") | \(diff) |")
        }
        return out
    }

    var ratioTable: [String] {
        let widths = Set(baseline.map(\.width)).sorted()
        var out = ["### Speed-ups over the baseline (baseline median time / gfmc median time)", "",
                   "| Comparison | " + widths.map { "h = \($0)" }.joined(separator: " | ") + " |",
                   "|---|" + widths.map { _ in "---:" }.joined(separator: "|") + "|"]
        let rows: [(String, String, BenchEngineCase)] = [
            ("(a) Python GD / sampled-flow", "gd", .sampledFlow), ("(a) Python GD / sampled-gd", "gd", .sampledGD),
            ("(a) Python GD / gram-gd", "gd", .gramGD), ("(a) Python GD / weights-gd", "gd", .weightsGD),
            ("(b) solve_ivp / weights-flow", "ivp", .weightsFlow), ("(b) solve_ivp / gram-flow", "ivp", .gramFlow),
            ("(b) solve_ivp / sampled-flow", "ivp", .sampledFlow),
            ("(c) NumPy/SciPy reduction / sampled-flow", "reduced", .sampledFlow),
            ("(c) NumPy/SciPy reduction / sampled-flow-dop853", "reduced", .sampledFlowDop853)]
        for (label, method, c) in rows {
            guard engines.contains(where: { $0.engineCase == c }), baseline.contains(where: { $0.method == method }) else { continue }
            let cells = widths.map { h -> String in
                if let r = speedUp(baseline: method, over: c, width: h) { return BenchFormat.ratio(r) }
                if let lb = baselineLowerBound(method, width: h),
                   let r = BenchRatio.speedUp(reference: lb, candidate: engine(c, width: h)?.seconds?.median) {
                    return "≥ " + BenchFormat.ratio(r)
                }
                return "–"
            }
            out.append("| \(label) | " + cells.joined(separator: " | ") + " |")
        }
        for c in [BenchEngineCase.sampledFlow, .sampledFlowDop853] where baseline.contains(where: { $0.method == "reduced" }) {
            let cells = widths.map { h -> String in
                BenchRatio.speedUp(reference: baselineSeconds("reduced", width: h)?.median,
                                   candidate: integrations.first { $0.engineCase == c && $0.width == h }?.seconds?.median)
                    .map { BenchFormat.ratio($0) } ?? "–"
            }
            guard cells.contains(where: { $0 != "–" }) else { continue }
            out.append("| (c) NumPy/SciPy reduction / \(c.rawValue), integration alone | " + cells.joined(separator: " | ") + " |")
        }
        for (label, c) in [("(c) NumPy/SciPy reduction / sampled-flow, CPU time", BenchEngineCase.sampledFlow),
                           ("(c) NumPy/SciPy reduction / sampled-flow-dop853, CPU time", .sampledFlowDop853)] {
            let cells = widths.map { h in cpuSpeedUp(baseline: "reduced", over: c, width: h).map { BenchFormat.ratio($0) } ?? "–" }
            guard cells.contains(where: { $0 != "–" }) else { continue }
            out.append("| \(label) | " + cells.joined(separator: " | ") + " |")
        }
        return out
    }

    var rhsTable: [String] {
        var out = ["### `weights` engine: time per right-hand side vs the bare BLAS products", "",
                   "Engine: seconds of `WeightsEngine.integrate` (flow, default accuracy) / its RHS evaluations, so the "
                   + "Runge–Kutta stage sums, error norms and stopping test are included. Bare: the five dgemm calls "
                   + "of one RHS (P = UVᵀ, R = Y − XP, G = XᵀR, dU = GV, dV = GᵀU) into preallocated workspaces.", "",
                   "| h | RHS evals | engine per RHS | bare products | ratio (goal ≤ 1.3) |", "|---:|---:|---:|---:|---:|"]
        for r in rhs {
            out.append("| \(r.width) | \(r.rhsEvaluations) | \(BenchFormat.seconds(r.enginePerRHS?.median)) "
                       + "| \(BenchFormat.seconds(r.barePerRHS?.median)) | \(BenchFormat.ratio(r.ratio)) |")
        }
        return out
    }

    func studyTable(_ s: BenchStudyMeasurement) -> [String] {
        let out = ["### The paper's wide-network study (20 widths, 500…10 000)", "",
                   "In-process through the engine (`TrialRunner`, engine \(s.engine), method \(s.method)) on \(s.threads) "
                   + "threads, one-thread BLAS each. " + (s.extrapolated
                       ? "A representative subset was RUN (\(s.trialsPerWidth) trials at every one of the 20 widths) and the "
                         + "time EXTRAPOLATED linearly to \(s.targetTrialsPerWidth) per width."
                       : "The full study was RUN (\(s.targetTrialsPerWidth) trials per width)."), "",
                   "| trials run | converged | wall time | trials/s | full study (\(s.targetTrialsPerWidth)/width) |",
                   "|---:|---:|---:|---:|---:|",
                   "| \(s.trialsRun) | \(s.converged) | \(BenchFormat.seconds(s.seconds)) | \(BenchFormat.sig(s.trialsPerSecond)) "
                   + "| \(BenchFormat.seconds(s.fullStudySeconds))\(s.extrapolated ? " (extrapolated)" : "") |", "",
                   "Median distance ‖U(∞)V(∞)ᵀ − Θ̂‖_F: "
                   + s.medianDistanceByWidth.keys.sorted().filter { [500, 1000, 2000, 4000, 9500].contains($0) }
                       .map { "h=\($0): \(String(format: "%.3f", s.medianDistanceByWidth[$0]!))" }.joined(separator: ", ")
                   + " (paper's figure: 0.79, 0.57, 0.40, 0.27, 0.19)."]
        return out
    }
}
