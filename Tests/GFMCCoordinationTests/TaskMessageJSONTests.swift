import Foundation
import GFMCCoordination
import GFMCModel
import GFMCTestSupport
import Testing

/// `TaskMessageJSON` against Foundation's Codable with `GFMCJSON`, the oracle: the same bytes when writing,
/// the same values (or a refusal, then the fallback) when reading.
@Suite("Task and result bodies without Codable")
struct TaskMessageJSONTests {
    /// A double drawn to cover what the writer must format: random bit patterns (subnormals, huge, tiny),
    /// integers (".0" dropped), ±0, ±inf, NaN, and everyday values.
    static func draw(_ generator: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: return Double(bitPattern: generator.next())
        case 1: return Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
        case 2: return [0.0, -0.0, .infinity, -.infinity, .nan, 1e16, 1e21, 5e-324, .greatestFiniteMagnitude]
            .randomElement(using: &generator)!
        default: return Double.random(in: -10...10, using: &generator) * pow(10, Double(Int.random(in: -30...30, using: &generator)))
        }
    }

    static func randomResult(_ generator: inout SeededGenerator) -> TrialResult {
        var r = TrialResult(id: TrialID(width: Int.random(in: 1...1_000_000_000, using: &generator),
                                        index: Int.random(in: 0...Int.max, using: &generator)),
                            engine: ["sampled", "gram", "weights"].randomElement(using: &generator)!,
                            method: ["flow", "gd"].randomElement(using: &generator)!)
        r.converged = Bool.random(using: &generator)
        r.stopReason = StopReason.allCases.randomElement(using: &generator)!
        r.steps = Int.random(in: 0...Int.max, using: &generator)
        r.rhsEvaluations = Int.random(in: -5...Int.max, using: &generator)
        for keyPath in [\TrialResult.finalTime, \.wallSeconds, \.distanceFrobenius, \.distanceOperator,
                        \.distanceFrobeniusDirect, \.distanceOperatorDirect, \.initialNullSpaceCoupling, \.initialLoss,
                        \.finalLoss, \.optimalLoss, \.effectiveImbalance, \.deltaPlus, \.deltaMinus, \.margin,
                        \.rateConstant, \.theorem3Rate, \.measuredRate, \.imbalanceDrift, \.lemma34Quantity,
                        \.lemma35Quantity, \.predictedDistance] {
            r[keyPath: keyPath] = draw(&generator)
        }
        r.theorem3Holds = Bool.random(using: &generator)
        r.lemma33Holds = Bool.random(using: &generator)
        r.bounds = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
            BoundCheck(delta: draw(&generator), lemma34Bound: draw(&generator), lemma34Holds: Bool.random(using: &generator),
                       lemma35Bound: draw(&generator), lemma35Holds: Bool.random(using: &generator),
                       theorem12Bound: draw(&generator), theorem12Holds: Bool.random(using: &generator),
                       theorem12BoundCorrected: draw(&generator), theorem12CorrectedHolds: Bool.random(using: &generator),
                       theorem12WidthThreshold: draw(&generator), widthExceedsThreshold: Bool.random(using: &generator))
        }
        return r
    }

    static func randomTaskResult(_ generator: inout SeededGenerator) -> TaskResult {
        let count = Int.random(in: 0...4, using: &generator)
        return TaskResult(taskID: TaskID(epoch: generator.next(), serial: generator.next()),
                          studyHash: String(generator.next(), radix: 16),
                          results: (0..<count).map { _ in randomResult(&generator) },
                          trialSeconds: (0..<count).map { _ in draw(&generator) })
    }

    static func foundation<T: Encodable>(_ value: T) throws -> [UInt8] { Array(try GFMCJSON.encoder().encode(value)) }
    static func foundationDecode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try GFMCJSON.decoder().decode(type, from: Data(bytes))
    }

    @Test("Writes exactly Foundation's bytes, and reads them back bit for bit (seeded, 400 results)")
    func sameBytesAsFoundation() throws {
        var generator = SeededGenerator(seed: 31)
        for _ in 0..<400 {
            let message = Self.randomTaskResult(&generator)
            let expected = try Self.foundation(message)
            let written = try #require(TaskMessageJSON.encode(message))
            #expect(written == expected, "first difference at byte \(zip(written, expected).prefix { $0 == $1 }.count)")
            let fast = TaskMessageJSON.decodeResult(expected)
            #expect(fast != nil, "the canonical form must take the fast path")
            guard let read = fast else { continue }
            #expect(try Self.foundation(read) == expected)
        }
        for _ in 0..<100 {
            let trials = (0..<Int.random(in: 0...50, using: &generator)).map { _ in
                TrialID(width: Int.random(in: 1...Int.max, using: &generator), index: Int.random(in: 0...Int.max, using: &generator))
            }
            let task = TaskAssignment(taskID: TaskID(epoch: generator.next(), serial: generator.next()), studyHash: "ab12", trials: trials)
            let expected = try Self.foundation(task)
            #expect(TaskMessageJSON.encode(task) == expected)
            #expect(TaskMessageJSON.decodeTask(expected) == task)
        }
    }

    @Test("Other valid forms and strings needing escapes go through Foundation, with the same result")
    func fallback() throws {
        var generator = SeededGenerator(seed: 5)
        var message = Self.randomTaskResult(&generator)
        message.studyHash = "a/b\"c"
        #expect(TaskMessageJSON.encode(message) == nil)
        let codec = WireCodec()
        guard case .result(let back) = try codec.decode(try codec.encode(.result(message))) else {
            Issue.record("not a result"); return
        }
        #expect(try Self.foundation(back) == Self.foundation(message))

        // Pretty-printed (whitespace) and unsorted keys: valid JSON the fast reader does not take.
        let pretty = Array(try GFMCJSON.encoder([.prettyPrinted, .sortedKeys]).encode(message))
        #expect(TaskMessageJSON.decodeResult(pretty) == nil)
        guard case .result(let fromPretty) = try codec.decode([WireCodec.header(), Array("result".utf8), pretty]) else {
            Issue.record("not a result"); return
        }
        #expect(try Self.foundation(fromPretty) == Self.foundation(message))
        let unsorted = Array(#"{"trials":[],"taskID":{"serial":2,"epoch":1},"studyHash":"h"}"#.utf8)
        #expect(TaskMessageJSON.decodeTask(unsorted) == nil)
        #expect(try codec.decode([WireCodec.header(), Array("task".utf8), unsorted])
                == .task(TaskAssignment(taskID: TaskID(epoch: 1, serial: 2), studyHash: "h", trials: [])))
    }

    @Test("Mutated bodies: whenever the fast reader accepts, Foundation accepts the same value (seeded, 6000)")
    func differentialOnMutations() throws {
        var generator = SeededGenerator(seed: 404)
        var accepted = 0
        for iteration in 0..<6000 {
            let isTask = iteration % 4 == 0
            var body: [UInt8]
            if isTask {
                body = try Self.foundation(TaskAssignment(taskID: TaskID(epoch: 7, serial: 9), studyHash: "h",
                                                          trials: [TrialID(width: 10, index: 3), TrialID(width: 10, index: 12)]))
            } else {
                body = try Self.foundation(Self.randomTaskResult(&generator))
            }
            // Digits, signs, dots and letters that keep the text plausible, so many mutants stay valid JSON.
            let alphabet = Array("0123456789-+.eE\"nafltrusi{}[],:".utf8)
            for _ in 0..<Int.random(in: 1...3, using: &generator) where !body.isEmpty {
                let at = Int.random(in: 0..<body.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: body[at] = alphabet.randomElement(using: &generator)!
                case 1: body.remove(at: at)
                default: body.insert(alphabet.randomElement(using: &generator)!, at: at)
                }
            }
            if isTask {
                guard let fast = TaskMessageJSON.decodeTask(body) else { continue }
                accepted += 1
                #expect((try? Self.foundationDecode(TaskAssignment.self, body)) == fast,
                        "fast reader accepted \(String(decoding: body.prefix(200), as: UTF8.self))")
            } else {
                guard let fast = TaskMessageJSON.decodeResult(body) else { continue }
                accepted += 1
                var refusal = ""
                let slow: TaskResult?
                do { slow = try Self.foundationDecode(TaskResult.self, body) } catch { slow = nil; refusal = "\(error)" }
                let expected = try slow.map(Self.foundation)
                let got = try Self.foundation(fast)
                if expected != got {
                    let at = zip(expected ?? [], got).prefix { $0 == $1 }.count
                    Issue.record("fast reader accepted a body Foundation reads differently (\(slow == nil ? "refuses: \(refusal.prefix(300))" : "differs")) near: \(String(decoding: (expected ?? got).dropFirst(max(0, at - 40)).prefix(80), as: UTF8.self)) / \(String(decoding: got.dropFirst(max(0, at - 40)).prefix(80), as: UTF8.self))")
                }
            }
        }
        #expect(accepted > 300, "too few mutants stayed valid to compare (\(accepted))")
    }
}
