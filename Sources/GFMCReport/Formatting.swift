import Foundation

/// Number and text formatting shared by the HTML and terminal writers. Deterministic (C locale printf).
enum Format {
    /// `%.<digits>g`, or `missing` for nil / non-finite.
    static func number(_ x: Double?, digits: Int = 4, missing: String = "n/a") -> String {
        guard let x, x.isFinite else { return missing }
        return String(format: "%.\(digits)g", x)
    }

    /// "[lo, hi]" with unbounded ends shown as -inf / inf.
    static func interval(_ i: IntervalSummary?, digits: Int = 3, missing: String = "n/a") -> String {
        guard let i else { return missing }
        let lo = i.lower.map { number($0, digits: digits) } ?? "-inf"
        let hi = i.upper.map { number($0, digits: digits) } ?? "inf"
        return "[\(lo), \(hi)]"
    }

    /// Fraction as "k/n".
    static func count(_ p: ProportionSummary) -> String { "\(p.successes)/\(p.trials)" }
}

/// Escaping for text placed in HTML/SVG (element content and attribute values).
enum Escape {
    static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0: drop them.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
