import Foundation
import GFMCCoordination
import GFMCModel
import Testing

/// Bounded at the door: every decoded string and list has a limit, every message type a body limit, and
/// rejections are logged at a bounded rate.
@Suite("Wire limits")
struct WireLimitsTests {
    let codec = WireCodec()

    func readyFrames(host: String, version: String = "gfmc 1", fingerprint: String? = nil, credits: Int = 2) -> [[UInt8]] {
        var fields: [String: Any] = ["credits": credits, "slots": credits, "host": host, "pid": 7, "workerVersion": version]
        if let fingerprint { fields["numericsFingerprint"] = fingerprint }
        let body = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return [WireCodec.header(), Array("ready".utf8), Array(body)]
    }

    @Test("a 7 MB ready is refused from its size alone, before its JSON is read")
    func oversizedReady() throws {
        let huge = String(repeating: "h", count: 7_000_000)
        let frames = readyFrames(host: huge, version: huge)
        let limit = try #require(WireLimits.maxBodyBytes(for: .ready))
        #expect(throws: WireError.oversizedBody(bytes: frames[2].count, limit: limit)) { try codec.decode(frames) }
        // Not even valid JSON matters: the size is checked first.
        let garbage: [[UInt8]] = [WireCodec.header(), Array("ready".utf8), Array(repeating: 0x7b, count: limit + 1)]
        #expect(throws: WireError.oversizedBody(bytes: limit + 1, limit: limit)) { try codec.decode(garbage) }
    }

    @Test("each string field over its limit is refused, naming the field; at the limit it is accepted")
    func stringFields() throws {
        let atLimit = readyFrames(host: String(repeating: "a", count: WireLimits.host),
                                  version: String(repeating: "v", count: WireLimits.workerVersion),
                                  fingerprint: String(repeating: "f", count: WireLimits.numericsFingerprint))
        guard case .ready(let a) = try codec.decode(atLimit) else { Issue.record("not a ready"); return }
        #expect(a.host.utf8.count == WireLimits.host && a.numericsFingerprint?.count == WireLimits.numericsFingerprint)

        #expect(throws: WireError.fieldTooLong(type: "ready", field: "host", length: WireLimits.host + 1, limit: WireLimits.host)) {
            try codec.decode(readyFrames(host: String(repeating: "a", count: WireLimits.host + 1)))
        }
        // Multi-byte characters count in UTF-8 bytes.
        #expect(throws: WireError.fieldTooLong(type: "ready", field: "host", length: 256, limit: WireLimits.host)) {
            try codec.decode(readyFrames(host: String(repeating: "é", count: 128)))
        }
        #expect(throws: WireError.fieldTooLong(type: "ready", field: "workerVersion", length: 201, limit: WireLimits.workerVersion)) {
            try codec.decode(readyFrames(host: "h", version: String(repeating: "v", count: 201)))
        }
        #expect(throws: WireError.fieldTooLong(type: "ready", field: "numericsFingerprint", length: 129, limit: WireLimits.numericsFingerprint)) {
            try codec.decode(readyFrames(host: "h", fingerprint: String(repeating: "f", count: 129)))
        }
        #expect(throws: WireError.fieldTooLong(type: "ready", field: "credits", length: 2_000_000, limit: WireLimits.credits)) {
            try codec.decode(readyFrames(host: "h", credits: 2_000_000))
        }
        let reason = String(repeating: "r", count: WireLimits.reason + 1)
        let failed = try codec.encode(.taskFailed(TaskFailure(taskID: TaskID(epoch: 1, serial: 1), reason: reason)))
        #expect(throws: WireError.fieldTooLong(type: "task_failed", field: "reason", length: WireLimits.reason + 1, limit: WireLimits.reason)) {
            try codec.decode(failed)
        }
    }

    @Test("lists over their limit are refused")
    func lists() throws {
        let ids = (0..<(WireLimits.goodbyeTaskIDs + 1)).map { TaskID(epoch: 1, serial: UInt64($0)) }
        let goodbye = try codec.encode(.goodbye(WorkerGoodbye(returnedTaskIDs: ids)))
        #expect(throws: WireError.fieldTooLong(type: "goodbye", field: "returnedTaskIDs+finishingTaskIDs",
                                               length: ids.count, limit: WireLimits.goodbyeTaskIDs)) {
            try codec.decode(goodbye)
        }
        let trials = (0..<(WireLimits.trialsPerMessage + 1)).map { TrialID(width: 2, index: $0) }
        let task = try codec.encode(.task(TaskAssignment(taskID: TaskID(epoch: 1, serial: 1), studyHash: "h", trials: trials)))
        #expect(throws: WireError.fieldTooLong(type: "task", field: "trials", length: trials.count, limit: WireLimits.trialsPerMessage)) {
            try codec.decode(task)
        }
        var result = TrialResult(id: TrialID(width: 2, index: 0), engine: "sampled", method: "flow")
        result.bounds = Array(repeating: BoundCheck(delta: 0.1, lemma34Bound: 1, lemma34Holds: true, lemma35Bound: 1,
                                                    lemma35Holds: true, theorem12Bound: 1, theorem12Holds: true,
                                                    theorem12BoundCorrected: 1, theorem12CorrectedHolds: true,
                                                    theorem12WidthThreshold: 1, widthExceedsThreshold: true),
                              count: WireLimits.boundsPerResult + 1)
        let frames = try codec.encode(.result(TaskResult(taskID: TaskID(epoch: 1, serial: 1), studyHash: "h",
                                                         results: [result], trialSeconds: [0.1])))
        #expect(throws: WireError.fieldTooLong(type: "result", field: "bounds", length: WireLimits.boundsPerResult + 1,
                                               limit: WireLimits.boundsPerResult)) {
            try codec.decode(frames)
        }
    }

    @Test("rejection logging: first lines per peer, then every 1000th, and a global cap per window")
    func logLimiter() {
        var limiter = RejectionLogLimiter()
        let a = WorkerID("a")
        let logged = (1...3000).filter { _ in limiter.shouldLog(peer: a, now: 0) }.count
        #expect(logged == limiter.perPeerFirst + 3)  // 1…5, 1000, 2000, 3000
        let suppressed = limiter.takeSuppressed()
        #expect(suppressed == 3000 - logged)
        // Many peers: the global cap holds within a window and reopens in the next one.
        var many = RejectionLogLimiter()
        let first = (0..<10_000).filter { many.shouldLog(peer: WorkerID("p\($0)"), now: 1) }.count
        #expect(first == many.globalPerWindow)
        let reopened = many.shouldLog(peer: WorkerID("fresh"), now: 1 + many.window)
        #expect(reopened)
    }
}
