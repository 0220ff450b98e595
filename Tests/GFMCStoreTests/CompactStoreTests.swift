import Foundation
import Testing
import GFMCModel
import GFMCStore

/// Every field of a result as exact bits and values, so two results compare bit for bit (NaN payloads
/// included), not by `==`.
func exactFields(_ r: TrialResult) -> [String] {
    var out = ["\(r.id)", r.engine, r.method, r.stopReason.rawValue, "\(r.converged)", "\(r.theorem3Holds)",
               "\(r.lemma33Holds)", "\(r.steps)", "\(r.rhsEvaluations)"]
    out += doubleFields.map { String(r[keyPath: $0].bitPattern, radix: 16) }
    for b in r.bounds {
        out += boundDoubleFields.map { String(b[keyPath: $0].bitPattern, radix: 16) }
        out += ["\(b.lemma34Holds)\(b.lemma35Holds)\(b.theorem12Holds)\(b.theorem12CorrectedHolds)\(b.widthExceedsThreshold)"]
    }
    out.append("bounds:\(r.bounds.count)")
    return out
}

/// A deterministic xorshift stream of bit patterns.
struct BitStream {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    /// A finite double with a random sign, exponent and mantissa.
    mutating func finite() -> Double {
        while true {
            let x = Double(bitPattern: next())
            if x.isFinite { return x }
        }
    }
}

@Suite struct CompactStoreTests {
    static let awkward: [Double] = [
        -0.0, 0.0, .nan, -Double.nan, Double(bitPattern: 0x7FF8_0000_0000_0001), Double(bitPattern: 0xFFF8_0000_0000_0000),
        Double(bitPattern: 0x7FF0_0000_0000_0001), Double(bitPattern: 0xFFFF_FFFF_FFFF_FFFF), .infinity, -.infinity,
        .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, 1, -1, 3, 4_503_599_627_370_496,
        -9_007_199_254_740_992, 1e300, 0.1,
    ]

    @Test func everyFieldRoundTripsBitExactlyIncludingNaNPayloadsAndNegativeZero() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        var originals: [TrialResult] = []
        var stream = BitStream(state: 0x9E37_79B9_7F4A_7C15)
        for index in 0..<40 {
            var r = sampleResult(width: 7, index: index, converged: index % 3 == 0)
            r.engine = ["sampled", "gram", "weights", "ünïcode ✓"][index % 4]
            r.method = index % 2 == 0 ? "flow" : "gd"
            r.stopReason = [StopReason.converged, .maxSteps, .nonFinite, .notRun][index % 4]
            r.steps = index == 1 ? Int.max : index * 1_000_003
            r.rhsEvaluations = index == 2 ? Int.min : index
            r.theorem3Holds = index % 5 == 0
            r.lemma33Holds = index % 7 == 0
            for (k, path) in doubleFields.enumerated() {
                r[keyPath: path] = (index + k) % 3 == 0 ? Self.awkward[(index + k) % Self.awkward.count] : stream.finite()
            }
            switch index % 4 {
            case 0: r.bounds = []
            case 1: break  // the shared sample bounds
            default:
                r.bounds = (0..<(index % 4 + 1)).map { d in
                    var b = r.bounds[0]
                    for (k, path) in boundDoubleFields.enumerated() {
                        b[keyPath: path] = (d + k + index) % 4 == 0 ? Self.awkward[(d + k) % Self.awkward.count] : stream.finite()
                    }
                    b.lemma34Holds = d % 2 == 0; b.lemma35Holds = d % 3 == 0; b.theorem12Holds = index % 2 == 0
                    b.theorem12CorrectedHolds = d == 1; b.widthExceedsThreshold = index % 3 == 0
                    return b
                }
            }
            originals.append(r)
        }
        #expect(try store.record(Array(originals.prefix(25)), worker: "host-a:1", attempt: 1) == 25)
        #expect(try store.record(Array(originals.dropFirst(25)), worker: "host-b:2", attempt: 2,
                                 build: BuildIdentity(version: "1.2.3", fingerprint: "abc")) == 15)
        // Read back through the same connection and through a fresh reader.
        #expect(try store.allResults().map(exactFields) == originals.map(exactFields))
        store.close()
        let reader = try StudyStore.open(path: path, readOnly: true)
        let decoded = try reader.allResults()
        try #require(decoded.count == originals.count)
        for (a, b) in zip(originals, decoded) {
            #expect(exactFields(a) == exactFields(b), "\(a.id)")
        }
    }

    @Test func eachBuildIsRecordedPerTrial() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let old = BuildIdentity(version: "0.9", fingerprint: "f1"), new = BuildIdentity(version: "1.0", fingerprint: "f2")
        try store.record((0..<3).map { sampleResult(width: 2, index: $0) }, worker: "w", attempt: 1, build: old)
        try store.record((3..<8).map { sampleResult(width: 2, index: $0) }, worker: "w", attempt: 1, build: new)
        try store.record([sampleResult(width: 2, index: 8)], worker: "w", attempt: 1)
        store.close()
        let reader = try StudyStore.open(path: path, readOnly: true)
        #expect(try reader.trialCountsByBuild() == [old: 3, new: 5])
        #expect(try reader.build(of: TrialID(width: 2, index: 1)) == old)
        #expect(try reader.build(of: TrialID(width: 2, index: 7)) == new)
        #expect(try reader.build(of: TrialID(width: 2, index: 8)) == nil)
    }

    /// The paper's wide problem (configs/paper-wide.json: 20 widths, 2 δ, engine sampled, method gd) with
    /// every double a full-precision value (the worst case for size), written in the interleaved order a
    /// coordinator writes (a few trials of each width in turn).
    @Test func paperWideTrialsTakeAtMost400BytesEach() throws {
        let (dir, path) = try temporaryStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try StudyStore.open(path: path)
        try store.initialize(studyHash: "h", resolvedStudyJSON: "{}", version: "v")
        let widths = (0..<20).map { 500 + $0 * 500 }, perWidth = 300
        var stream = BitStream(state: 42)
        var sharedBounds: [Int: [BoundCheck]] = [:]
        for width in widths {
            sharedBounds[width] = [0.01, 0.05].map { delta in
                BoundCheck(delta: delta, lemma34Bound: stream.finite(), lemma34Holds: true, lemma35Bound: stream.finite(),
                           lemma35Holds: true, theorem12Bound: stream.finite(), theorem12Holds: true,
                           theorem12BoundCorrected: stream.finite(), theorem12CorrectedHolds: true,
                           theorem12WidthThreshold: stream.finite(), widthExceedsThreshold: false)
            }
        }
        let build = BuildIdentity(version: "1.4.0+abcdef0", fingerprint: String(repeating: "f", count: 64))
        for start in stride(from: 0, to: perWidth, by: 6) {
            for width in widths {
                let batch = (start..<start + 6).map { index -> TrialResult in
                    var r = TrialResult(id: TrialID(width: width, index: index), engine: "sampled", method: "gd")
                    r.converged = true
                    r.stopReason = .converged
                    r.steps = 150_000 + index
                    r.rhsEvaluations = 150_001 + index
                    for path in doubleFields { r[keyPath: path] = abs(stream.finite()) }
                    r.theorem3Holds = true
                    r.lemma33Holds = true
                    r.bounds = sharedBounds[width]!
                    r.bounds[1].theorem12Holds = index % 2 == 0
                    return r
                }
                try store.record(batch, worker: "worker-host-17.cluster.example:48213#3", attempt: 1, build: build)
            }
        }
        store.close()  // checkpoints the write-ahead log into the file
        let trials = widths.count * perWidth
        let bytes = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
        #expect(Double(bytes) / Double(trials) <= 400, "\(bytes) bytes for \(trials) trials")
        #expect(try StudyStore.open(path: path, readOnly: true).count() == trials)
    }
}
