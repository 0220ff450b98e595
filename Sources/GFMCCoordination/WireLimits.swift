import GFMCModel

/// Every bound a decoded message must respect (docs/protocol.md, "Limits"). Checked by `WireCodec.decode`
/// before a message reaches the core, so nothing longer is ever stored, logged or kept in memory.
///
/// * Body bytes per message type (`maxBodyBytes(for:)`): the small worker messages (`ready`, `heartbeat`,
///   `task_failed`, `goodbye`, `cancel`, `refused`) are refused from their size alone, before any JSON is
///   parsed; `result`, `task` and `welcome` may use the codec's whole limit.
/// * Strings (UTF-8 bytes): `host` 255, `workerVersion` 200, `numericsFingerprint` 128, study hashes 128,
///   `reason` 4096, a result's `engine`/`method` 32 each.
/// * Lists: trials per task and results per result 100 000 (with as many timings); `bounds` per result 64;
///   task ids in a `goodbye` 65 536 (both lists together).
/// * Numbers: `credits` and `slots` in 0…1 000 000 (credits < 1 is refused by the core).
public enum WireLimits {
    public static let host = 255
    public static let workerVersion = 200
    public static let numericsFingerprint = 128
    public static let studyHash = 128
    public static let reason = 4096
    public static let engineName = 32
    public static let trialsPerMessage = 100_000
    public static let boundsPerResult = 64
    public static let goodbyeTaskIDs = 65_536
    public static let credits = 1_000_000

    /// Largest body of a `ready`, `heartbeat`, `cancel`, `refused` (8 KiB), `task_failed` (16 KiB) and
    /// `goodbye` (2 MiB); the others are bounded by the codec's `maxBodyBytes` only.
    public static func maxBodyBytes(for kind: Message.Kind) -> Int? {
        switch kind {
        case .ready, .heartbeat, .cancel, .refused, .shutdown, .reannounce: 8 << 10
        case .taskFailed: 16 << 10
        case .goodbye: 2 << 20
        case .result, .task, .welcome: nil
        }
    }

    /// Throws `WireError.fieldTooLong` naming the first field over its limit.
    public static func check(_ message: Message) throws(WireError) {
        let type = message.typeName
        func text(_ field: String, _ value: String, _ limit: Int) throws(WireError) {
            let length = value.utf8.count
            if length > limit { throw .fieldTooLong(type: type, field: field, length: length, limit: limit) }
        }
        func count(_ field: String, _ length: Int, _ limit: Int) throws(WireError) {
            if length > limit { throw .fieldTooLong(type: type, field: field, length: length, limit: limit) }
        }
        switch message {
        case .ready(let a):
            try text("host", a.host, host)
            try text("workerVersion", a.workerVersion, workerVersion)
            try text("numericsFingerprint", a.numericsFingerprint ?? "", numericsFingerprint)
            if !(0...credits).contains(a.credits) { throw .fieldTooLong(type: type, field: "credits", length: a.credits, limit: credits) }
            if !(0...credits).contains(a.slots) { throw .fieldTooLong(type: type, field: "slots", length: a.slots, limit: credits) }
        case .result(let r):
            try text("studyHash", r.studyHash, studyHash)
            try count("results", r.results.count, trialsPerMessage)
            try count("trialSeconds", r.trialSeconds.count, trialsPerMessage)
            for result in r.results {
                try text("engine", result.engine, engineName)
                try text("method", result.method, engineName)
                try count("bounds", result.bounds.count, boundsPerResult)
            }
        case .taskFailed(let f):
            try text("reason", f.reason, reason)
        case .goodbye(let g):
            try count("returnedTaskIDs+finishingTaskIDs", g.returnedTaskIDs.count + g.finishingTaskIDs.count, goodbyeTaskIDs)
        case .welcome(let w):
            try text("studyHash", w.studyHash, studyHash)
        case .refused(let r):
            try text("reason", r.reason, reason)
        case .task(let t):
            try text("studyHash", t.studyHash, studyHash)
            try count("trials", t.trials.count, trialsPerMessage)
        case .cancel, .shutdown, .reannounce, .heartbeat:
            break
        }
    }
}
