import Foundation

/// The plain-text table printed at the end of a run (ASCII only, fixed-width columns, no colors).
public enum TerminalSummary {
    public static func make(_ s: StudySummary) -> String {
        var out = "Study \(s.manifest.studyName) (hash \(s.manifest.studyHash.prefix(12))), engine \(s.manifest.engine)/\(s.manifest.method), seed \(s.manifest.seed)\n"
        out += "Trials: \(s.totals.trials) distinct, \(s.totals.converged) converged, \(s.totals.nonConverged) not converged"
        out += "\n"
        let delta = s.manifest.deltas.first
        var header = ["h", "trials", "conv", "mean dist F", "95% CI (t)", "median F"]
        if let d = delta {
            header += ["q\(Format.number(1 - d, digits: 3)) op", "Thm12 bound", "bound/q", "P(Thm12 holds)", "Wilson 95%"]
        }
        header += ["rate/Thm3", "pred/meas"]
        var rows: [[String]] = []
        for w in s.widths {
            var r = [String(w.width), String(w.trials), String(w.converged), Format.number(w.distanceFrobenius.mean),
                     Format.interval(w.distanceFrobenius.meanInterval),
                     Format.number(w.distanceFrobenius.quantiles.first { $0.probability == 0.5 }?.value)]
            if delta != nil {
                if let d = w.deltas.first {
                    r += [Format.number(d.distanceQuantile.value), Format.number(d.theorem12Bound),
                          Format.number(d.boundToQuantileRatio),
                          d.theorem12Holds.estimate.map { Format.number($0, digits: 3) + " (\(Format.count(d.theorem12Holds)))" } ?? "n/a",
                          Format.interval(d.theorem12Holds.wilson)]
                } else {
                    r += Array(repeating: "n/a", count: 5)
                }
            }
            r += [Format.number(w.rate.medianRatio), Format.number(w.prediction.ratio)]
            rows.append(r)
        }
        out += render(header: header, rows: rows)
        let e = s.exponent
        out += "Exponent of mean distance (Frobenius) vs h: \(Format.number(e.frobenius?.slope)) "
        out += "95% CI \(Format.interval(e.frobenius?.slopeInterval)); theory \(Format.number(e.theoryExponent))\n"
        out += "Distance statistics use converged trials only (see summary.json nonConvergedPolicy).\n"
        if let precision = s.precision { out += precision.terminalLines }
        return out
    }

    static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in String(repeating: " ", count: widths[i] - c.count) + c }
                .joined(separator: "  ")
        }
        var out = line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}
