import Foundation
#if canImport(FoundationXML)
import FoundationXML  // XMLParser on Linux
#endif
import GFMCModel
import GFMCReport
import GFMCTestSupport
import Testing

@Suite("summary.json, trials.csv, report.html and terminal writers")
struct WriterTests {
    let trials = Fixtures.trials(perWidth: 20)
    let manifest = Fixtures.manifest()

    @Test func csvHasEveryColumnAndOneSortedRowPerDistinctTrial() throws {
        var rng = SeededGenerator(seed: 9)
        var input = trials + trials.prefix(3)
        rng.shuffle(&input)
        let csv = TrialsCSV.make(trials: input, deltas: Fixtures.deltas)
        #expect(csv == TrialsCSV.make(trials: trials, deltas: Fixtures.deltas))
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")  // trailing newline
        let header = lines[0].split(separator: ",").map(String.init)
        for required in ["width", "trial", "distance_frobenius", "distance_operator", "converged", "stop_reason",
                         "measured_rate", "predicted_distance", "lemma33_holds", "theorem12_bound_d0.05",
                         "theorem12_holds_d0.01", "theorem12_bound_corrected_d0.05", "lemma34_holds_d0.01"] {
            #expect(header.contains(required), "missing column \(required)")
        }
        #expect(!header.contains { $0.contains("wall") })
        // Every TrialResult field except wallSeconds, id (→ width, trial) and bounds (→ per-δ block).
        #expect(header.count == 30 + 10 * Fixtures.deltas.count)
        #expect(Set(header).count == header.count)
        let rows = lines.dropFirst().dropLast().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == trials.count)
        #expect(rows.allSatisfy { $0.count == header.count })
        let ids = rows.map { (Int($0[0])!, Int($0[1])!) }
        #expect(ids.map { TrialID(width: $0.0, index: $0.1) } == trials.map(\.id).sorted())
        // Numbers round-trip exactly.
        let col = header.firstIndex(of: "distance_frobenius")!
        let byID = Dictionary(uniqueKeysWithValues: trials.map { ($0.id, $0) })
        for r in rows {
            let t = byID[TrialID(width: Int(r[0])!, index: Int(r[1])!)]!
            #expect(Double(r[col])! == t.distanceFrobenius)
            #expect(r[header.firstIndex(of: "converged")!] == String(t.converged))
            #expect(r[header.firstIndex(of: "distance_operator_direct")!] == "nan")
        }
    }

    @Test func csvQuotesTextWithCommas() {
        var t = trials[0]
        t.engine = "odd, \"quoted\""
        let csv = TrialsCSV.make(trials: [t], deltas: [])
        #expect(csv.contains(",\"odd, \"\"quoted\"\"\","))
    }

    @Test func htmlIsWellFormedSelfContainedAndHasThePlots() throws {
        let hostile = Fixtures.manifest(name: "study <script>alert('x')</script> & \"more\"")
        let summary = StudySummary.make(trials: trials, manifest: hostile)
        let html = ReportHTML.make(summary: summary, trials: trials)
        #expect(html == ReportHTML.make(summary: summary, trials: trials.reversed()))
        #expect(!html.contains("<script"))
        #expect(html.contains("study &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"))
        #expect(!html.contains("http://") || !html.contains("src=\"http"))
        #expect(!html.contains("<link") && !html.contains("<img") && !html.contains("src="))
        try TagBalance.check(html)
        let xml = try XMLCheck.parse(html)
        // distance, probability, rate, and one histogram per width with converged trials
        #expect(xml.count("svg") == 3 + Fixtures.widths.count)
        #expect(xml.count("polygon", class: "band") >= 1)
        #expect(xml.count("line", class: "errorbar") >= Fixtures.widths.count)
        #expect(xml.count("rect", class: "bar") >= Fixtures.widths.count)
        #expect(xml.count("circle", class: "marker") >= Fixtures.widths.count)
        #expect(xml.ids.contains("non-converged-policy") && xml.ids.contains("bound-caveat"))
        #expect(xml.ids.contains("widths") && xml.ids.contains("delta-0") && xml.ids.contains("delta-1"))
        for title in ["Distance to min-norm solution vs width", "P(Theorem 12 bound holds)", "Measured rate vs Theorem 3",
                      "distance histogram"] {
            #expect(html.contains(title), "missing plot \(title)")
        }
        #expect(html.contains("sqrt(log(2/delta))"))
        for legend in ["Theorem 12 bound (delta=0.05)", "Theorem 12 corrected (delta=0.05)", "leading-order prediction",
                       "95% CI of mean (Frobenius)", "Wilson 95%, delta=0.01", "measured = guaranteed"] {
            #expect(html.contains(legend), "missing legend entry \(legend)")
        }
        #expect(html.contains("did not converge"))
        // Optional: keep a copy for a look in a browser (GFMC_REPORT_SAMPLE_DIR=/some/dir swift test ...).
        if let dir = ProcessInfo.processInfo.environment["GFMC_REPORT_SAMPLE_DIR"] {
            let sample = StudySummary.make(trials: Fixtures.trials(perWidth: 60), manifest: manifest)
            try ReportHTML.make(summary: sample, trials: Fixtures.trials(perWidth: 60))
                .write(toFile: dir + "/report.html", atomically: true, encoding: .utf8)
            try SummaryJSON.encode(sample).write(to: URL(fileURLWithPath: dir + "/summary.json"))
            try TerminalSummary.make(sample).write(toFile: dir + "/summary.txt", atomically: true, encoding: .utf8)
        }
        // An optional timestamp appears only when passed in.
        #expect(ReportHTML.make(summary: summary, trials: trials, generatedAt: "2026-01-01T00:00:00Z")
            .contains("2026-01-01T00:00:00Z"))
    }

    @Test func htmlHandlesAnEmptyStudy() throws {
        let summary = StudySummary.make(trials: [], manifest: manifest)
        let html = ReportHTML.make(summary: summary, trials: [])
        try TagBalance.check(html)
        _ = try XMLCheck.parse(html)
        #expect(!html.contains("nan"))
        #expect(html.contains("n/a"))
    }

    @Test func wellFormednessCheckersRejectBrokenMarkup() {
        #expect(throws: (any Error).self) { try TagBalance.check("<a><b></a>") }
        #expect(throws: (any Error).self) { try TagBalance.check("<p>a & b</p>") }
        #expect(throws: (any Error).self) { try XMLCheck.parse("<a><b></a>") }
        #expect(throws: (any Error).self) { try XMLCheck.parse("<p>a & b</p>") }
        #expect((try? XMLCheck.parse("<a><b class=\"x\"/></a>"))?.count("b", class: "x") == 1)
    }

    @Test func terminalSummaryHasOneRowPerWidth() {
        let summary = StudySummary.make(trials: trials, manifest: manifest)
        let text = TerminalSummary.make(summary)
        let lines = text.split(separator: "\n")
        for w in Fixtures.widths {
            #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(w) ") })
        }
        #expect(text.contains("converged trials only"))
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
    }
}

/// A minimal XML tag-balance checker (independent of FoundationXML): every start tag is closed in order,
/// self-closing tags are accepted, attribute quotes are balanced, and no raw '<' or '&' appears in text.
enum TagBalance {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func check(_ s: String) throws {
        let chars = Array(s.unicodeScalars)
        var stack: [String] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "&" {
                var j = i + 1
                while j < chars.count && j - i < 10 && chars[j] != ";" { j += 1 }
                guard j < chars.count && chars[j] == ";" else { throw Failure(description: "bare & at \(i)") }
                i = j + 1
                continue
            }
            guard c == "<" else { i += 1; continue }
            var j = i + 1
            var quote: Unicode.Scalar? = nil
            while j < chars.count {
                let d = chars[j]
                if let q = quote { if d == q { quote = nil } } else if d == "\"" || d == "'" { quote = d } else if d == ">" { break } else if d == "<" {
                    throw Failure(description: "'<' inside a tag at \(j)")
                }
                j += 1
            }
            guard j < chars.count else { throw Failure(description: "unterminated tag at \(i)") }
            let body = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
            i = j + 1
            if body.hasPrefix("!") || body.hasPrefix("?") { continue }
            if body.hasPrefix("/") {
                let name = String(body.dropFirst()).trimmingCharacters(in: .whitespaces)
                guard stack.last == name else {
                    throw Failure(description: "closing </\(name)> but open <\(stack.last ?? "none")>")
                }
                stack.removeLast()
            } else if body.hasSuffix("/") {
                continue
            } else {
                let name = String(body.prefix { !$0.isWhitespace })
                stack.append(name)
            }
        }
        guard stack.isEmpty else { throw Failure(description: "unclosed tags \(stack)") }
    }
}

/// Strict XML well-formedness check with Foundation's XMLParser (libxml2 SAX): the document is accepted only
/// if parsing succeeds with no parser error. Collects element names with their class attribute, and ids.
final class XMLCheck: NSObject, XMLParserDelegate {
    struct Failure: Error, CustomStringConvertible { var description: String }

    private(set) var elements: [(name: String, cls: String?)] = []
    private(set) var ids: Set<String> = []

    static func parse(_ text: String) throws -> XMLCheck {
        let parser = XMLParser(data: Data(text.utf8))
        let collector = XMLCheck()
        parser.delegate = collector
        let ok = parser.parse()
        if !ok || parser.parserError != nil {
            throw Failure(description: "not well-formed: \(String(describing: parser.parserError)) at line \(parser.lineNumber)")
        }
        return collector
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        elements.append((elementName, attributeDict["class"]))
        if let id = attributeDict["id"] { ids.insert(id) }
    }

    func count(_ name: String, class cls: String? = nil) -> Int {
        elements.filter { $0.name == name && (cls == nil || $0.cls == cls) }.count
    }
}
