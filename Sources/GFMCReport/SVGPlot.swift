import Foundation

/// A small deterministic SVG chart builder for the report: scatter/line series, shaded bands, vertical error
/// bars, bars (histograms), log or linear axes with labelled ticks, and a legend. The output is well-formed
/// XML (every element closed, all text escaped) and needs no external assets.
struct SVGPlot {
    struct Point { var x: Double; var y: Double }

    enum Style { case line, markers, lineAndMarkers }

    struct Series {
        var name: String
        var color: String
        var points: [Point]
        var style: Style = .lineAndMarkers
        var dash: String? = nil
        var markerRadius: Double = 3.5
    }

    struct Band {
        var name: String
        var color: String
        var x: [Double]
        var lower: [Double]
        var upper: [Double]
    }

    struct ErrorBar { var x: Double; var y: Double; var lower: Double; var upper: Double }

    struct ErrorBars {
        var name: String
        var color: String
        var bars: [ErrorBar]
    }

    struct Bar { var x0: Double; var x1: Double; var height: Double }

    var title: String
    var xLabel: String
    var yLabel: String
    var xLog = false
    var yLog = false
    var series: [Series] = []
    var bands: [Band] = []
    var errorBars: [ErrorBars] = []
    var bars: [Bar] = []
    var barColor = "#4c78a8"
    /// Fixed y range (e.g. 0...1 for probabilities); computed from the data when nil.
    var yRange: ClosedRange<Double>? = nil
    var width = 720.0
    var height = 420.0

    private let left = 78.0, right = 20.0, top = 40.0, bottom = 58.0

    // MARK: Rendering

    /// Legend rows (two columns) drawn below the plot area, so they never hide data.
    private var legendEntries: [(String, String, String?)] {
        var entries: [(String, String, String?)] = []  // name, color, dash ("band" for a band swatch)
        for b in bands { entries.append((b.name, b.color, "band")) }
        for e in errorBars { entries.append((e.name, e.color, nil)) }
        for se in series { entries.append((se.name, se.color, se.dash)) }
        return entries
    }

    private var legendHeight: Double {
        let n = legendEntries.count
        return n == 0 ? 0 : Double((n + 1) / 2) * 15 + 6
    }

    func render() -> String {
        let (xr, yr) = ranges()
        let totalHeight = height + legendHeight
        let pw = width - left - right, ph = height - top - bottom
        func tx(_ x: Double) -> Double { left + pw * (scaled(x, xLog) - xr.lowerBound) / (xr.upperBound - xr.lowerBound) }
        func ty(_ y: Double) -> Double { top + ph * (1 - (scaled(y, yLog) - yr.lowerBound) / (yr.upperBound - yr.lowerBound)) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"\(f(width))\" height=\"\(f(totalHeight))\" "
        s += "viewBox=\"0 0 \(f(width)) \(f(totalHeight))\" role=\"img\" aria-label=\"\(Escape.html(title))\">\n"
        s += "<title>\(Escape.html(title))</title>\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(totalHeight))\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(Escape.html(title))</text>\n"
        // Clip region for data.
        let clipID = "clip" + String(abs(title.hashValueStable) % 1_000_000_007)
        s += "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\"/></clipPath></defs>\n"
        // Grid and ticks.
        for t in ticks(xr, log: xLog) {
            let x = tx(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + ph))\" stroke=\"#e3e3e3\"/>\n"
            s += "<text x=\"\(f(x))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\" font-size=\"11\">\(Escape.html(tickLabel(t)))</text>\n"
        }
        for t in ticks(yr, log: yLog) {
            let y = ty(t)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + pw))\" y2=\"\(f(y))\" stroke=\"#e3e3e3\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(Escape.html(tickLabel(t)))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#333333\"/>\n"
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\" font-size=\"13\">\(Escape.html(xLabel))</text>\n"
        s += "<text x=\"16\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 16 \(f(top + ph / 2)))\">\(Escape.html(yLabel))</text>\n"
        s += "<g clip-path=\"url(#\(clipID))\">\n"
        // Bars.
        for b in bars where b.height > 0 {
            let x0 = tx(b.x0), x1 = tx(b.x1), y = ty(b.height), y0 = ty(yLog ? yr.lowerBound : 0)
            s += "<rect class=\"bar\" x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(0, x1 - x0 - 1)))\" height=\"\(f(max(0, y0 - y)))\" fill=\"\(barColor)\"/>\n"
        }
        // Bands.
        for band in bands {
            var pts: [String] = []
            for i in band.x.indices where usable(band.x[i], band.lower[i]) && usable(band.x[i], band.upper[i]) {
                pts.append("\(f(tx(band.x[i]))),\(f(ty(band.upper[i])))")
            }
            var lowerPts: [String] = []
            for i in band.x.indices.reversed() where usable(band.x[i], band.lower[i]) && usable(band.x[i], band.upper[i]) {
                lowerPts.append("\(f(tx(band.x[i]))),\(f(ty(band.lower[i])))")
            }
            if pts.count >= 2 {
                s += "<polygon class=\"band\" points=\"\((pts + lowerPts).joined(separator: " "))\" fill=\"\(band.color)\" fill-opacity=\"0.22\" stroke=\"none\"/>\n"
            }
        }
        // Error bars.
        for eb in errorBars {
            for b in eb.bars where usable(b.x, b.lower) && usable(b.x, b.upper) {
                let x = tx(b.x)
                s += "<line class=\"errorbar\" x1=\"\(f(x))\" y1=\"\(f(ty(b.lower)))\" x2=\"\(f(x))\" y2=\"\(f(ty(b.upper)))\" stroke=\"\(eb.color)\" stroke-width=\"1.5\"/>\n"
                for yv in [b.lower, b.upper] {
                    s += "<line x1=\"\(f(x - 4))\" y1=\"\(f(ty(yv)))\" x2=\"\(f(x + 4))\" y2=\"\(f(ty(yv)))\" stroke=\"\(eb.color)\" stroke-width=\"1.5\"/>\n"
                }
            }
        }
        // Series.
        for se in series {
            let pts = se.points.filter { usable($0.x, $0.y) }
            if se.style != .markers && pts.count >= 2 {
                let path = pts.map { "\(f(tx($0.x))),\(f(ty($0.y)))" }.joined(separator: " ")
                let dash = se.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                s += "<polyline class=\"series\" points=\"\(path)\" fill=\"none\" stroke=\"\(se.color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            if se.style != .line {
                for p in pts {
                    s += "<circle class=\"marker\" cx=\"\(f(tx(p.x)))\" cy=\"\(f(ty(p.y)))\" r=\"\(f(se.markerRadius))\" fill=\"\(se.color)\" fill-opacity=\"0.8\"/>\n"
                }
            }
        }
        s += "</g>\n"
        s += legend()
        s += "</svg>\n"
        return s
    }

    private func legend() -> String {
        let entries = legendEntries
        guard !entries.isEmpty else { return "" }
        var s = "<g class=\"legend\" font-size=\"11\">\n"
        let columnWidth = (width - left - right) / 2
        for (i, (name, color, dash)) in entries.enumerated() {
            let x = left + Double(i % 2) * columnWidth
            let y = height + Double(i / 2) * 15 + 4
            if dash == "band" {
                s += "<rect x=\"\(f(x))\" y=\"\(f(y - 7))\" width=\"22\" height=\"10\" fill=\"\(color)\" fill-opacity=\"0.22\"/>\n"
            } else {
                let d = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                s += "<line x1=\"\(f(x))\" y1=\"\(f(y - 2))\" x2=\"\(f(x + 22))\" y2=\"\(f(y - 2))\" stroke=\"\(color)\" stroke-width=\"2\"\(d)/>\n"
                if dash == nil {
                    s += "<circle cx=\"\(f(x + 11))\" cy=\"\(f(y - 2))\" r=\"3\" fill=\"\(color)\"/>\n"
                }
            }
            s += "<text x=\"\(f(x + 28))\" y=\"\(f(y + 2))\">\(Escape.html(name))</text>\n"
        }
        return s + "</g>\n"
    }

    // MARK: Scales

    private func usable(_ x: Double, _ y: Double) -> Bool {
        x.isFinite && y.isFinite && (!xLog || x > 0) && (!yLog || y > 0)
    }

    private func scaled(_ v: Double, _ log: Bool) -> Double { log ? log10(v) : v }

    /// Data ranges in scaled coordinates, padded.
    private func ranges() -> (ClosedRange<Double>, ClosedRange<Double>) {
        var xs: [Double] = [], ys: [Double] = []
        for se in series { for p in se.points where usable(p.x, p.y) { xs.append(p.x); ys.append(p.y) } }
        for b in bands {
            for i in b.x.indices {
                if usable(b.x[i], b.lower[i]) { xs.append(b.x[i]); ys.append(b.lower[i]) }
                if usable(b.x[i], b.upper[i]) { xs.append(b.x[i]); ys.append(b.upper[i]) }
            }
        }
        for e in errorBars {
            for b in e.bars {
                if usable(b.x, b.lower) { xs.append(b.x); ys.append(b.lower) }
                if usable(b.x, b.upper) { xs.append(b.x); ys.append(b.upper) }
            }
        }
        for b in bars where b.x0.isFinite && b.x1.isFinite && b.height.isFinite {
            xs.append(b.x0); xs.append(b.x1); ys.append(b.height); if !yLog { ys.append(0) }
        }
        let xr = padded(xs.map { scaled($0, xLog) }, fraction: 0.05)
        let yr: ClosedRange<Double>
        if let fixed = yRange {
            yr = scaled(fixed.lowerBound, yLog)...scaled(fixed.upperBound, yLog)
        } else {
            yr = padded(ys.map { scaled($0, yLog) }, fraction: 0.08)
        }
        return (xr, yr)
    }

    private func padded(_ values: [Double], fraction: Double) -> ClosedRange<Double> {
        guard let lo = values.min(), let hi = values.max() else { return 0...1 }
        if hi == lo { return (lo - 0.5)...(hi + 0.5) }
        let pad = (hi - lo) * fraction
        return (lo - pad)...(hi + pad)
    }

    /// Tick values (in data units) for a scaled range.
    private func ticks(_ r: ClosedRange<Double>, log: Bool) -> [Double] {
        if log {
            let lo = Int(r.lowerBound.rounded(.up)), hi = Int(r.upperBound.rounded(.down))
            let decades = hi >= lo ? Array(lo...hi) : []
            var t: [Double] = []
            if decades.count <= 2 {
                // Few decades: also 2× and 5×.
                let first = Int(r.lowerBound.rounded(.down)), last = Int(r.upperBound.rounded(.up))
                for k in first...last {
                    for m in [1.0, 2.0, 5.0] {
                        let v = m * pow(10, Double(k))
                        if log10(v) >= r.lowerBound && log10(v) <= r.upperBound { t.append(v) }
                    }
                }
            } else {
                let step = max(1, decades.count / 8)
                t = decades.enumerated().filter { $0.offset % step == 0 }.map { pow(10, Double($0.element)) }
            }
            if t.count < 2 {
                // A narrow range inside one decade: linear ticks in data units.
                let lo = pow(10, r.lowerBound), hi = pow(10, r.upperBound)
                t = linearTicks(lo...hi).filter { $0 > 0 }
            }
            return t
        }
        return linearTicks(r)
    }

    /// "Nice" ticks (1, 2, 5 × 10^k steps), about six over the range.
    private func linearTicks(_ r: ClosedRange<Double>) -> [Double] {
        let span = r.upperBound - r.lowerBound
        guard span > 0 && span.isFinite else { return [] }
        let raw = span / 6
        let mag = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t: [Double] = []
        var v = (r.lowerBound / step).rounded(.up) * step
        var guardCount = 0
        while v <= r.upperBound + step * 1e-9 && guardCount < 100 {
            t.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
            guardCount += 1
        }
        return t
    }

    private func tickLabel(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.2g", v) }
        return String(format: "%.4g", v)
    }

    private func f(_ v: Double) -> String { String(format: "%.2f", v) }
}

extension String {
    /// FNV-1a hash of the UTF-8 bytes: stable across runs (Swift's `hashValue` is randomly seeded).
    var hashValueStable: Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h & 0x7fff_ffff_ffff_ffff)
    }
}
