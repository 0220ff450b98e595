import Foundation
import GFMCModel
import Testing
import GFMCStore

@Suite struct ResultRoundTripTests {
    static let specials: [Double] = [
        0.0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        Double.leastNormalMagnitude.nextDown, .leastNormalMagnitude, .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, .pi, 0.1, 1.0 / 3.0, 1e-300, 123456789.123456789, .ulpOfOne,
    ]

    /// Deterministic doubles from random bit patterns (NaNs excluded), covering all exponents.
    static func randomDoubles(count: Int) -> [Double] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var values: [Double] = []
        while values.count < count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let value = Double(bitPattern: state)
            if !value.isNaN { values.append(value) }
        }
        return values
    }

    func check(_ values: [Double]) throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        var originals: [TrialResult] = []
        var cursor = 0
        func next() -> Double { defer { cursor += 1 }; return values[cursor % values.count] }
        for index in 0..<max(1, values.count / (doubleFields.count + boundDoubleFields.count) + 1) {
            var r = sampleResult(width: 5, index: index)
            for path in doubleFields { r[keyPath: path] = next() }
            for b in r.bounds.indices { for path in boundDoubleFields { r.bounds[b][keyPath: path] = next() } }
            originals.append(r)
        }
        #expect(try store.record(originals, worker: "w", attempt: 1) == originals.count)
        store.close()
        let decoded = try StudyStore.open(path: path, readOnly: true).allResults()
        try #require(decoded.count == originals.count)
        for (a, b) in zip(originals, decoded) {
            for path in doubleFields {
                #expect(sameBits(a[keyPath: path], b[keyPath: path]), "\(path): \(a[keyPath: path]) vs \(b[keyPath: path])")
            }
            try #require(a.bounds.count == b.bounds.count)
            for (x, y) in zip(a.bounds, b.bounds) {
                for path in boundDoubleFields { #expect(sameBits(x[keyPath: path], y[keyPath: path])) }
                #expect(x.lemma35Holds == y.lemma35Holds && x.theorem12Holds == y.theorem12Holds)
            }
            #expect(a.id == b.id && a.engine == b.engine && a.method == b.method && a.steps == b.steps)
            #expect(a.stopReason == b.stopReason && a.converged == b.converged)
            if values.allSatisfy({ !$0.isNaN }) { #expect(a == b) }
        }
    }

    @Test func specialValuesRoundTripBitExactly() throws {
        try check(Self.specials)
    }

    @Test func randomBitPatternsRoundTripBitExactly() throws {
        try check(Self.randomDoubles(count: 2000))
    }

    @Test func nonFiniteValuesAreWrittenAsStrings() throws {
        var r = TrialResult(id: TrialID(width: 1, index: 0), engine: "gram", method: "gd")
        r.finalLoss = .infinity
        r.initialLoss = -.infinity
        let json = try TrialResultCoding.encode(r)
        #expect(json.contains(#""finalLoss":"inf""#))
        #expect(json.contains(#""initialLoss":"-inf""#))
        #expect(json.contains(#""margin":"nan""#))
        let back = try TrialResultCoding.decode(json)
        #expect(back.finalLoss == .infinity && back.initialLoss == -.infinity && back.margin.isNaN)
        // Sorted keys: deterministic text.
        #expect(try TrialResultCoding.encode(back) == json)
    }
}
