import GFMCCoordination
import GFMCModel
import GFMCTestSupport
import Testing

@Suite("Wire codec")
struct WireCodecTests {
    let codec = WireCodec()

    func sampleResult() -> TrialResult {
        var r = fakeResult(TrialID(width: 64, index: 7))
        r.measuredRate = .nan
        r.predictedDistance = .infinity
        r.margin = -.infinity
        r.finalLoss = 0x1.23456789abcdep-40
        r.bounds = [BoundCheck(delta: 0.05, lemma34Bound: 1.5, lemma34Holds: true, lemma35Bound: .nan,
                               lemma35Holds: false, theorem12Bound: 2, theorem12Holds: true,
                               theorem12BoundCorrected: 3, theorem12CorrectedHolds: true,
                               theorem12WidthThreshold: .infinity, widthExceedsThreshold: false)]
        return r
    }

    func everyMessage() -> [Message] {
        let task = TaskID(epoch: 0xdead_beef_1234, serial: 99)
        return [
            .ready(announcement(credits: 3)),
            .heartbeat,
            .result(TaskResult(taskID: task, studyHash: "h", results: [sampleResult()], trialSeconds: [0.25])),
            .taskFailed(TaskFailure(taskID: task, reason: "engine threw: non-finite")),
            .goodbye(WorkerGoodbye(returnedTaskIDs: [task, TaskID(epoch: 1, serial: 2)], finishingTaskIDs: [TaskID(epoch: 1, serial: 5)])),
            .welcome(StudyWelcome(studyHash: "h", studyJSON: #"{"a": [1, 2], "s": "ü\n"}"#)),
            .refused(WorkerRefusal(reason: "gfmc version \"gfmc 0.9\" differs from the coordinator's \"gfmc 1.0\"")),
            .task(TaskAssignment(taskID: task, studyHash: "h", trials: [TrialID(width: 8, index: 0), TrialID(width: 8, index: 1)])),
            .cancel(TaskCancellation(taskID: task)),
            .shutdown,
            .reannounce,
        ]
    }

    @Test("every message kind round-trips (re-encoding gives identical frames)")
    func roundTrip() throws {
        let messages = everyMessage()
        #expect(Set(messages.map(\.kind)) == Set(Message.Kind.allCases))
        for message in messages {
            let frames = try codec.encode(message)
            #expect(frames.count == 3)
            #expect(frames[0] == Array("GFMC".utf8) + [0, 1])
            #expect(frames[1] == Array(message.typeName.utf8))
            let decoded = try codec.decode(frames)
            #expect(decoded.kind == message.kind)
            #expect(try codec.encode(decoded) == frames)
            if case .result = message {} else { #expect(decoded == message) }  // no NaN outside results
        }
    }

    @Test("NaN and ±infinity survive; finite doubles are bit-exact")
    func nonFiniteAndExactDoubles() throws {
        var generator = SeededGenerator(seed: 7)
        var result = sampleResult()
        var expected: [UInt64] = []
        for _ in 0..<200 {
            var value: Double
            repeat { value = Double(bitPattern: generator.next()) } while !value.isFinite
            expected.append(value.bitPattern)
        }
        let message = Message.result(TaskResult(taskID: TaskID(epoch: 1, serial: 1), studyHash: "h",
                                                results: [result], trialSeconds: expected.map(Double.init(bitPattern:))))
        guard case .result(let back) = try codec.decode(try codec.encode(message)) else {
            Issue.record("decoded to another kind"); return
        }
        #expect(back.trialSeconds.map(\.bitPattern) == expected)
        result = back.results[0]
        #expect(result.measuredRate.isNaN)
        #expect(result.predictedDistance == .infinity)
        #expect(result.margin == -.infinity)
        #expect(result.finalLoss == 0x1.23456789abcdep-40)
        #expect(result.bounds[0].lemma35Bound.isNaN)
        #expect(result.bounds[0].theorem12WidthThreshold == .infinity)
        #expect(result.distanceFrobenius == 64.007)
    }

    @Test("wrong frame count")
    func wrongFrameCount() throws {
        let frames = try codec.encode(.heartbeat)
        #expect(throws: WireError.wrongFrameCount(2)) { try codec.decode(Array(frames.prefix(2))) }
        #expect(throws: WireError.wrongFrameCount(0)) { try codec.decode([]) }
        #expect(throws: WireError.wrongFrameCount(4)) { try codec.decode(frames + [[]]) }
    }

    @Test("unknown tag and unsupported version")
    func tagAndVersion() throws {
        #expect(throws: WireError.unknownTag(Array("XFMC".utf8) + [0, 1])) {
            try codec.decode([Array("XFMC".utf8) + [0, 1], Array("heartbeat".utf8), []])
        }
        #expect(throws: WireError.unknownTag(Array("GFMC".utf8))) {  // version bytes missing
            try codec.decode([Array("GFMC".utf8), Array("heartbeat".utf8), []])
        }
        #expect(throws: WireError.unsupportedVersion(2)) {
            try codec.decode([WireCodec.header(version: 2), Array("heartbeat".utf8), []])
        }
        #expect(throws: WireError.unsupportedVersion(0x0100)) {
            try codec.decode([WireCodec.header(version: 0x0100), Array("heartbeat".utf8), []])
        }
    }

    @Test("unknown message type")
    func unknownType() throws {
        #expect(throws: WireError.unknownType("bogus")) { try codec.decode([WireCodec.header(), Array("bogus".utf8), []]) }
        #expect(throws: WireError.unknownType("")) { try codec.decode([WireCodec.header(), [], []]) }
        #expect(throws: WireError.self) { try codec.decode([WireCodec.header(), [0xff, 0xfe], []]) }
    }

    @Test("malformed bodies name what is wrong")
    func malformedBody() throws {
        func decode(_ type: String, _ body: String) throws(WireError) -> Message {
            try codec.decode([WireCodec.header(), Array(type.utf8), Array(body.utf8)])
        }
        do {
            _ = try decode("ready", #"{"credits": 2}"#)
            Issue.record("accepted a ready without slots")
        } catch let error {
            guard case .malformedBody(let type, let detail) = error else { Issue.record("\(error)"); return }
            #expect(type == "ready")
            #expect(detail.contains("missing key"))
        }
        do {
            _ = try decode("task", #"{"taskID": {"epoch": 1, "serial": 2}, "studyHash": "h", "trials": [{"width": "x", "index": 0}]}"#)
            Issue.record("accepted a string width")
        } catch let error {
            guard case .malformedBody(_, let detail) = error else { Issue.record("\(error)"); return }
            #expect(detail.contains("trials"))
        }
        #expect(throws: WireError.self) { try decode("cancel", "{not json") }
        #expect(throws: WireError.self) { try decode("cancel", "") }
        #expect(throws: WireError.malformedBody(type: "heartbeat", detail: "expected an empty body, got 2 bytes")) {
            try decode("heartbeat", "{}")
        }
        // A negative serial cannot be a UInt64.
        #expect(throws: WireError.self) { try decode("cancel", #"{"taskID": {"epoch": 1, "serial": -2}}"#) }
    }

    @Test("oversized bodies are refused on decode and on encode")
    func oversized() throws {
        let small = WireCodec(maxBodyBytes: 100)
        let body = [UInt8](repeating: 0x20, count: 101)
        #expect(throws: WireError.oversizedBody(bytes: 101, limit: 100)) {
            try small.decode([WireCodec.header(), Array("welcome".utf8), body])
        }
        let big = Message.welcome(StudyWelcome(studyHash: "h", studyJSON: String(repeating: "x", count: 200)))
        #expect(throws: WireError.self) { try small.encode(big) }
        #expect(try codec.decode(try codec.encode(big)) == big)
    }

    @Test("random and mutated frames never crash the decoder (seeded, bounded)")
    func fuzz() throws {
        var generator = SeededGenerator(seed: 2026)
        let valid = try everyMessage().map { try codec.encode($0) }
        let limited = WireCodec(maxBodyBytes: 4096)
        var decodedCount = 0
        var errorCount = 0
        for iteration in 0..<3000 {
            var frames: [[UInt8]]
            if iteration % 2 == 0 {
                // Pure noise: 0–5 frames of 0–64 random bytes, sometimes with a valid header.
                let count = Int.random(in: 0...5, using: &generator)
                frames = (0..<count).map { _ in
                    (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }
                if count >= 1, Bool.random(using: &generator) { frames[0] = WireCodec.header() }
                if count >= 2, Bool.random(using: &generator) {
                    frames[1] = Array(Message.Kind.allCases.randomElement(using: &generator)!.rawValue.utf8)
                }
            } else {
                // A valid message with random byte flips, truncation or extension.
                frames = valid.randomElement(using: &generator)!
                let f = Int.random(in: 0..<frames.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !frames[f].isEmpty:
                    for _ in 0..<Int.random(in: 1...4, using: &generator) {
                        frames[f][Int.random(in: 0..<frames[f].count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                case 1: frames[f] = Array(frames[f].prefix(Int.random(in: 0...frames[f].count, using: &generator)))
                default: frames[f] += (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }
            }
            do {
                _ = try limited.decode(frames)
                decodedCount += 1
            } catch {
                errorCount += 1
            }
        }
        #expect(decodedCount + errorCount == 3000)
        #expect(errorCount > 1000)  // noise is overwhelmingly rejected
    }
}
