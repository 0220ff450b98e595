import Foundation
import GFMCModel
import GFMCStatistics

/// report.html: one self-contained XHTML-compatible file (inline CSS and SVG, no scripts, no external
/// assets) with the plots and tables of a study. Deterministic for equal inputs; every piece of text from
/// the study or the trials is escaped.
public enum ReportHTML {
    /// Colors used for series, cycling.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// Most points drawn in the per-trial rate scatter (an evenly spaced, deterministic subset beyond that).
    public static let maximumScatterPoints = 3000

    /// Builds the page.
    /// - Parameters:
    ///   - summary: the study summary (from `StudySummary.make`).
    ///   - trials: the same trials (for histograms and the rate scatter); duplicates are dropped as in the summary.
    ///   - generatedAt: optional timestamp text to show; omit it for byte-identical output.
    public static func make(summary: StudySummary, trials: [TrialResult], generatedAt: String? = nil) -> String {
        let set = TrialSet(trials)
        return make(summary: summary, ratePlot: ratePlot(set.trials).render(),
                    histograms: histogramPlots(set.trials, widths: summary.widths.map(\.width)).map { $0.render() },
                    generatedAt: generatedAt)
    }

    /// Builds the page from plots already rendered (the streaming report renders them one width at a time).
    /// - Parameters:
    ///   - ratePlot: the rendered rate scatter (`RateScatter`).
    ///   - histograms: the rendered distance histograms, in increasing width (widths without one left out).
    static func make(summary: StudySummary, ratePlot: String, histograms: [String], generatedAt: String?) -> String {
        let m = summary.manifest
        var h = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>gfmc report: \(Escape.html(m.studyName))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1100px; color: #222222; padding: 0 16px; }
            h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #cccccc; }
            table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 13px; }
            th, td { border: 1px solid #cccccc; padding: 3px 7px; text-align: right; }
            th { background: #f2f2f2; } td.left, th.left { text-align: left; }
            .note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 12px; margin: 12px 0; font-size: 14px; }
            .plots { display: flex; flex-wrap: wrap; gap: 12px; }
            svg.plot { border: 1px solid #dddddd; }
            pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
            </style>
            </head>
            <body>

            """
        h += "<h1>gfmc report: \(Escape.html(m.studyName))</h1>\n"
        h += manifestTable(summary, generatedAt: generatedAt)
        h += "<div class=\"note\" id=\"non-converged-policy\"><strong>Non-converged trials.</strong> "
        h += "\(summary.totals.nonConverged) of \(summary.totals.trials) trials did not converge. "
        h += Escape.html(summary.nonConvergedPolicy) + "</div>\n"
        h += "<div class=\"note\" id=\"bound-caveat\"><strong>Caveat on the paper's constants.</strong> "
        h += Escape.html(summary.methods.boundCaveat) + "</div>\n"

        h += "<h2>Distance to the min-norm solution</h2>\n<div class=\"plots\">\n"
        h += distancePlot(summary).render()
        h += "</div>\n"
        h += exponentTable(summary)
        h += widthTable(summary)

        h += "<h2>How often the bounds hold</h2>\n<div class=\"plots\">\n"
        h += probabilityPlot(summary).render()
        h += "</div>\n"
        h += deltaTables(summary)

        h += "<h2>Convergence rate against Theorem 3</h2>\n<div class=\"plots\">\n"
        h += ratePlot
        h += "</div>\n"
        h += rateTable(summary)

        h += "<h2>Distance histograms (converged trials, Frobenius norm)</h2>\n<div class=\"plots\">\n"
        for plot in histograms { h += plot }
        h += "</div>\n"

        h += "<h2>Methods</h2>\n<table>\n"
        let methods = summary.methods
        for (name, text) in [("Quantiles", methods.quantileDefinition), ("Mean interval", methods.meanInterval),
                             ("Proportion intervals", methods.proportionIntervals),
                             ("Quantile interval", methods.quantileInterval), ("Exponent fit", methods.exponentFit),
                             ("Confidence level", String(summary.confidenceLevel))] {
            h += "<tr><th class=\"left\">\(Escape.html(name))</th><td class=\"left\">\(Escape.html(text))</td></tr>\n"
        }
        h += "</table>\n"
        h += "<h2>Resolved study</h2>\n<pre>\(Escape.html(m.resolvedStudy))</pre>\n"
        h += "</body>\n</html>\n"
        return h
    }

    // MARK: Tables

    static func manifestTable(_ s: StudySummary, generatedAt: String?) -> String {
        let m = s.manifest
        var rows: [(String, String)] = [
            ("Study", m.studyName), ("Study hash", m.studyHash), ("gfmc version", m.gfmcVersion),
            ("Seed", String(m.seed)), ("Engine", m.engine), ("Method", m.method),
            ("alpha", m.alpha.map { String($0) } ?? "n/a"),
            ("deltas", m.deltas.map { String($0) }.joined(separator: ", ")),
            ("Widths", m.widths.map { String($0) }.joined(separator: ", ")),
            ("Planned trials per width", m.plannedTrialsPerWidth.map { String($0) } ?? "precision-driven"),
            ("Trials (distinct)", String(s.totals.trials)), ("Converged", String(s.totals.converged)),
            ("Not converged", String(s.totals.nonConverged)),
        ]
        if let g = generatedAt { rows.append(("Generated", g)) }
        var h = "<table id=\"manifest\">\n"
        for (k, v) in rows {
            h += "<tr><th class=\"left\">\(Escape.html(k))</th><td class=\"left\">\(Escape.html(v))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    static func table(id: String, header: [String], rows: [[String]]) -> String {
        var h = "<table id=\"\(Escape.html(id))\">\n<tr>"
        for c in header { h += "<th>\(Escape.html(c))</th>" }
        h += "</tr>\n"
        for r in rows {
            h += "<tr>"
            for c in r { h += "<td>\(Escape.html(c))</td>" }
            h += "</tr>\n"
        }
        return h + "</table>\n"
    }

    static func widthTable(_ s: StudySummary) -> String {
        let rows = s.widths.map { w -> [String] in
            [String(w.width), String(w.trials), String(w.converged), String(w.nonConverged),
             Format.number(w.distanceFrobenius.mean), Format.interval(w.distanceFrobenius.meanInterval),
             Format.number(w.distanceFrobenius.standardDeviation),
             Format.number(w.distanceOperator.mean), Format.interval(w.distanceOperator.meanInterval),
             quantile(w.distanceFrobenius, 0.5), quantile(w.distanceFrobenius, 0.95),
             Format.number(w.prediction.meanPredicted), Format.number(w.prediction.ratio)]
        }
        return table(id: "widths", header: ["h", "trials", "converged", "not converged", "mean dist F",
                                            "95% CI (t)", "sd F", "mean dist op", "95% CI (t)", "median F",
                                            "q95 F", "predicted F", "predicted / measured"], rows: rows)
    }

    static func quantile(_ d: DistributionSummary, _ p: Double) -> String {
        Format.number(d.quantiles.first { $0.probability == p }?.value)
    }

    static func deltaTables(_ s: StudySummary) -> String {
        var h = ""
        for (i, delta) in s.manifest.deltas.enumerated() {
            h += "<h3>delta = \(Escape.html(String(delta)))</h3>\n"
            let rows = s.widths.compactMap { w -> [String]? in
                guard i < w.deltas.count else { return nil }
                let d = w.deltas[i]
                return [String(w.width), Format.number(d.theorem12Bound), Format.number(d.theorem12BoundCorrected),
                        Format.number(d.distanceQuantile.value), Format.interval(d.distanceQuantile.interval),
                        Format.number(d.boundToQuantileRatio), Format.number(d.correctedBoundToQuantileRatio),
                        Format.count(d.theorem12Holds), Format.interval(d.theorem12Holds.wilson),
                        Format.interval(d.theorem12Holds.clopperPearson),
                        Format.count(d.theorem12CorrectedHolds), Format.interval(d.theorem12CorrectedHolds.wilson),
                        Format.count(d.lemma34Holds), Format.count(d.lemma35Holds),
                        Format.count(w.lemma33Holds), Format.count(w.theorem3Holds),
                        "\(d.widthExceedsThresholdTrials)/\(w.trials)"]
            }
            h += table(id: "delta-\(i)", header: [
                "h", "Thm 12 bound", "corrected bound", "q(1-delta) op", "95% CI (order stat.)", "bound / q",
                "corrected / q", "Thm 12 holds", "Wilson", "Clopper-Pearson", "corrected holds", "Wilson",
                "Lemma 11 (34)", "Lemma 11 (35)", "Lemma 11 (33)", "Thm 3 holds", "h > threshold",
            ], rows: rows)
        }
        return h
    }

    static func exponentTable(_ s: StudySummary) -> String {
        let e = s.exponent
        func row(_ name: String, _ f: ExponentFitSummary?) -> [String] {
            [name, Format.number(f?.slope), Format.interval(f?.slopeInterval), Format.number(f?.slopeStandardError),
             f.map { $0.widths.map(String.init).joined(separator: " ") } ?? "n/a",
             Format.number(e.theoryExponent)]
        }
        return table(id: "exponent", header: ["mean distance", "fitted exponent", "95% CI", "SE", "widths used",
                                              "theory -(2 alpha - 1/2)"],
                     rows: [row("Frobenius", e.frobenius), row("operator", e.operatorNorm)])
    }

    static func rateTable(_ s: StudySummary) -> String {
        let rows = s.widths.map { w in
            [String(w.width), String(w.rate.count), Format.number(w.rate.medianMeasuredRate),
             Format.number(w.rate.medianTheorem3Rate), Format.number(w.rate.medianRatio),
             Format.number(w.rate.minimumRatio)]
        }
        return table(id: "rates", header: ["h", "trials used", "median measured rate", "median Thm 3 rate",
                                           "median measured / Thm 3", "min measured / Thm 3"], rows: rows)
    }

    // MARK: Plots

    static func distancePlot(_ s: StudySummary) -> SVGPlot {
        var plot = SVGPlot(title: "Distance to min-norm solution vs width", xLabel: "width h",
                           yLabel: "distance ||UV^T - Theta_hat||", xLog: true, yLog: true)
        let ws = s.widths.filter { $0.converged > 0 }
        let x = ws.map { Double($0.width) }
        func band(_ name: String, _ color: String, _ d: (WidthSummary) -> DistributionSummary) -> SVGPlot.Band {
            SVGPlot.Band(name: name, color: color, x: x,
                         lower: ws.map { d($0).meanInterval?.lower ?? .nan },
                         upper: ws.map { d($0).meanInterval?.upper ?? .nan })
        }
        plot.bands = [band("95% CI of mean (Frobenius)", palette[0], { $0.distanceFrobenius }),
                      band("95% CI of mean (operator)", palette[1], { $0.distanceOperator })]
        plot.series.append(.init(name: "mean distance, Frobenius", color: palette[0],
                                 points: ws.map { .init(x: Double($0.width), y: $0.distanceFrobenius.mean ?? .nan) }))
        plot.series.append(.init(name: "mean distance, operator", color: palette[1],
                                 points: ws.map { .init(x: Double($0.width), y: $0.distanceOperator.mean ?? .nan) }))
        let all = s.widths
        if let first = s.manifest.deltas.first {
            plot.series.append(.init(name: "Theorem 12 bound (delta=\(first))", color: "#000000",
                                     points: all.map { .init(x: Double($0.width), y: $0.deltas.first?.theorem12Bound ?? .nan) },
                                     style: .line, dash: "7 4"))
            plot.series.append(.init(name: "Theorem 12 corrected (delta=\(first))", color: "#555555",
                                     points: all.map { .init(x: Double($0.width), y: $0.deltas.first?.theorem12BoundCorrected ?? .nan) },
                                     style: .line, dash: "2 3"))
        }
        plot.series.append(.init(name: "leading-order prediction", color: palette[2],
                                 points: all.map { .init(x: Double($0.width), y: $0.prediction.meanPredicted ?? .nan) },
                                 style: .line, dash: "10 3 2 3"))
        return plot
    }

    static func probabilityPlot(_ s: StudySummary) -> SVGPlot {
        var plot = SVGPlot(title: "P(Theorem 12 bound holds) vs width, Wilson 95% intervals", xLabel: "width h",
                           yLabel: "fraction of converged trials", xLog: true, yLog: false)
        plot.yRange = -0.02...1.02
        for (i, delta) in s.manifest.deltas.enumerated() {
            let color = palette[i % palette.count]
            let rows = s.widths.filter { i < $0.deltas.count && $0.deltas[i].theorem12Holds.trials > 0 }
            plot.series.append(.init(name: "holds (stated), delta=\(delta)", color: color,
                                     points: rows.map { .init(x: Double($0.width), y: $0.deltas[i].theorem12Holds.estimate ?? .nan) }))
            plot.errorBars.append(.init(name: "Wilson 95%, delta=\(delta)", color: color, bars: rows.map {
                let p = $0.deltas[i].theorem12Holds
                return .init(x: Double($0.width), y: p.estimate ?? .nan, lower: p.wilson.lower ?? .nan,
                             upper: p.wilson.upper ?? .nan)
            }))
            // Corrected-bound hold rates: small markers in a paired, distinct color.
            plot.series.append(.init(name: "holds (corrected), delta=\(delta)", color: palette[(i + 4) % palette.count],
                                     points: rows.map { .init(x: Double($0.width), y: $0.deltas[i].theorem12CorrectedHolds.estimate ?? .nan) },
                                     style: .markers, markerRadius: 2.5))
            let widths = s.widths.map { Double($0.width) }
            if let lo = widths.min(), let hi = widths.max() {
                plot.series.append(.init(name: "nominal 1 - delta = \(1 - delta)", color: color,
                                         points: [.init(x: lo, y: 1 - delta), .init(x: hi, y: 1 - delta)],
                                         style: .line, dash: "4 4"))
            }
        }
        return plot
    }

    static func emptyRatePlot() -> SVGPlot {
        SVGPlot(title: "Measured rate vs Theorem 3 guaranteed rate (per converged trial)",
                xLabel: "Theorem 3 rate lambda_r c(0)", yLabel: "measured rate", xLog: true, yLog: true)
    }

    static func ratePlot(_ trials: [TrialResult]) -> SVGPlot {
        var plot = emptyRatePlot()
        let usable = trials.filter { $0.converged && $0.measuredRate.isFinite && $0.measuredRate > 0
            && $0.theorem3Rate.isFinite && $0.theorem3Rate > 0 }
        let stride = max(1, (usable.count + maximumScatterPoints - 1) / maximumScatterPoints)
        let shown = usable.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        let widths = Array(Set(shown.map(\.id.width))).sorted()
        for (i, w) in widths.enumerated() {
            plot.series.append(.init(name: "h = \(w)", color: palette[i % palette.count],
                                     points: shown.filter { $0.id.width == w }.map { .init(x: $0.theorem3Rate, y: $0.measuredRate) },
                                     style: .markers, markerRadius: 2.5))
        }
        // Identity line over the x range of the data (points above it beat the guarantee).
        let xs = shown.map(\.theorem3Rate)
        if let lo = xs.min(), let hi = xs.max() {
            plot.series.append(.init(name: "measured = guaranteed", color: "#000000",
                                     points: [.init(x: lo, y: lo), .init(x: hi, y: hi)], style: .line, dash: "5 4"))
        }
        return plot
    }

    static func histogramPlots(_ trials: [TrialResult], widths: [Int]) -> [SVGPlot] {
        widths.compactMap { w in
            let values = Array(trials.lazy.filter { $0.id.width == w && $0.converged }.map(\.distanceFrobenius)
                .filter { $0.isFinite })
            guard !values.isEmpty,
                  let hist = try? Histogram(values: values, binCount: Histogram.suggestedBinCount(sampleSize: values.count))
            else { return nil }
            var plot = SVGPlot(title: "h = \(w): distance histogram (\(values.count) trials)",
                               xLabel: "distance, Frobenius", yLabel: "trials")
            plot.width = 350
            plot.height = 260
            plot.bars = hist.counts.indices.map { .init(x0: hist.edges[$0], x1: hist.edges[$0 + 1], height: Double(hist.counts[$0])) }
            return plot
        }
    }
}
