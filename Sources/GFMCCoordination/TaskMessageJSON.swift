import GFMCModel

/// The bodies of `task` and `result`, the two messages sent once per task, written and read as canonical
/// JSON bytes (`CanonicalJSONWriter`/`CanonicalJSONReader`) instead of through Foundation's Codable: the
/// same text `GFMCJSON.encoder()` writes (keys sorted as it sorts them), at a small fraction of the cost.
/// `WireCodec` falls back to Foundation when these return nil (a string that needs escaping, or a body in
/// another valid form, e.g. from another implementation of the protocol).
public enum TaskMessageJSON {
    // MARK: Writing (nil: a string needs escaping; the caller uses Foundation's encoder)

    public static func encode(_ task: TaskAssignment) -> [UInt8]? {
        var out = CanonicalJSONWriter(capacity: 96 + 40 * task.trials.count)
        out.raw("{")
        out.key("studyHash", first: true); out.string(task.studyHash)
        out.key("taskID"); write(task.taskID, to: &out)
        out.key("trials"); out.raw("[")
        for (i, id) in task.trials.enumerated() {
            if i > 0 { out.raw(",") }
            write(id, to: &out)
        }
        out.raw("]}")
        return out.needsEscaping ? nil : out.bytes
    }

    public static func encode(_ result: TaskResult) -> [UInt8]? {
        var out = CanonicalJSONWriter(capacity: 128 + 1900 * result.results.count)
        out.raw("{")
        out.key("results", first: true); out.raw("[")
        for (i, trial) in result.results.enumerated() {
            if i > 0 { out.raw(",") }
            write(trial, to: &out)
        }
        out.raw("]")
        out.key("studyHash"); out.string(result.studyHash)
        out.key("taskID"); write(result.taskID, to: &out)
        out.key("trialSeconds"); out.raw("[")
        for (i, seconds) in result.trialSeconds.enumerated() {
            if i > 0 { out.raw(",") }
            out.double(seconds)
        }
        out.raw("]}")
        return out.needsEscaping ? nil : out.bytes
    }

    private static func write(_ id: TaskID, to out: inout CanonicalJSONWriter) {
        out.raw("{")
        out.key("epoch", first: true); out.integer(id.epoch)
        out.key("serial"); out.integer(id.serial)
        out.raw("}")
    }

    private static func write(_ id: TrialID, to out: inout CanonicalJSONWriter) {
        out.raw("{")
        out.key("index", first: true); out.integer(id.index)
        out.key("width"); out.integer(id.width)
        out.raw("}")
    }

    private static func write(_ b: BoundCheck, to out: inout CanonicalJSONWriter) {
        out.raw("{")
        out.key("delta", first: true); out.double(b.delta)
        out.key("lemma34Bound"); out.double(b.lemma34Bound)
        out.key("lemma34Holds"); out.boolean(b.lemma34Holds)
        out.key("lemma35Bound"); out.double(b.lemma35Bound)
        out.key("lemma35Holds"); out.boolean(b.lemma35Holds)
        out.key("theorem12Bound"); out.double(b.theorem12Bound)
        out.key("theorem12BoundCorrected"); out.double(b.theorem12BoundCorrected)
        out.key("theorem12CorrectedHolds"); out.boolean(b.theorem12CorrectedHolds)
        out.key("theorem12Holds"); out.boolean(b.theorem12Holds)
        out.key("theorem12WidthThreshold"); out.double(b.theorem12WidthThreshold)
        out.key("widthExceedsThreshold"); out.boolean(b.widthExceedsThreshold)
        out.raw("}")
    }

    private static func write(_ t: TrialResult, to out: inout CanonicalJSONWriter) {
        out.raw("{")
        out.key("bounds", first: true); out.raw("[")
        for (i, bound) in t.bounds.enumerated() {
            if i > 0 { out.raw(",") }
            write(bound, to: &out)
        }
        out.raw("]")
        out.key("converged"); out.boolean(t.converged)
        out.key("deltaMinus"); out.double(t.deltaMinus)
        out.key("deltaPlus"); out.double(t.deltaPlus)
        out.key("distanceFrobenius"); out.double(t.distanceFrobenius)
        out.key("distanceFrobeniusDirect"); out.double(t.distanceFrobeniusDirect)
        out.key("distanceOperator"); out.double(t.distanceOperator)
        out.key("distanceOperatorDirect"); out.double(t.distanceOperatorDirect)
        out.key("effectiveImbalance"); out.double(t.effectiveImbalance)
        out.key("engine"); out.string(t.engine)
        out.key("finalLoss"); out.double(t.finalLoss)
        out.key("finalTime"); out.double(t.finalTime)
        out.key("id"); write(t.id, to: &out)
        out.key("imbalanceDrift"); out.double(t.imbalanceDrift)
        out.key("initialLoss"); out.double(t.initialLoss)
        out.key("initialNullSpaceCoupling"); out.double(t.initialNullSpaceCoupling)
        out.key("lemma33Holds"); out.boolean(t.lemma33Holds)
        out.key("lemma34Quantity"); out.double(t.lemma34Quantity)
        out.key("lemma35Quantity"); out.double(t.lemma35Quantity)
        out.key("margin"); out.double(t.margin)
        out.key("measuredRate"); out.double(t.measuredRate)
        out.key("method"); out.string(t.method)
        out.key("optimalLoss"); out.double(t.optimalLoss)
        out.key("predictedDistance"); out.double(t.predictedDistance)
        out.key("rateConstant"); out.double(t.rateConstant)
        out.key("rhsEvaluations"); out.integer(t.rhsEvaluations)
        out.key("steps"); out.integer(t.steps)
        out.key("stopReason"); out.string(t.stopReason.rawValue)
        out.key("theorem3Holds"); out.boolean(t.theorem3Holds)
        out.key("theorem3Rate"); out.double(t.theorem3Rate)
        out.key("wallSeconds"); out.double(t.wallSeconds)
        out.raw("}")
    }

    // MARK: Reading (nil: not the canonical form; the caller falls back to Foundation)

    public static func decodeTask(_ body: [UInt8]) -> TaskAssignment? {
        var input = CanonicalJSONReader(body)
        guard input.literal("{"), input.key("studyHash", first: true), let studyHash = input.string(),
              input.key("taskID"), let taskID = readTaskID(&input),
              input.key("trials"), let trials = readList(&input, limit: WireLimits.trialsPerMessage, readTrialID),
              input.literal("}"), input.atEnd else { return nil }
        return TaskAssignment(taskID: taskID, studyHash: studyHash, trials: trials)
    }

    public static func decodeResult(_ body: [UInt8]) -> TaskResult? {
        var input = CanonicalJSONReader(body)
        guard input.literal("{"), input.key("results", first: true),
              let results = readList(&input, limit: WireLimits.trialsPerMessage, readTrialResult),
              input.key("studyHash"), let studyHash = input.string(),
              input.key("taskID"), let taskID = readTaskID(&input),
              input.key("trialSeconds"),
              let seconds = readList(&input, limit: WireLimits.trialsPerMessage, { $0.double() }),
              input.literal("}"), input.atEnd else { return nil }
        return TaskResult(taskID: taskID, studyHash: studyHash, results: results, trialSeconds: seconds)
    }

    /// `[a,b,…]`; nil past `limit` elements (the caller's fallback then reports the limit).
    private static func readList<T>(_ input: inout CanonicalJSONReader, limit: Int,
                                    _ element: (inout CanonicalJSONReader) -> T?) -> [T]? {
        guard input.literal("[") else { return nil }
        var list: [T] = []
        if input.literal("]") { return list }
        repeat {
            guard list.count < limit, let value = element(&input) else { return nil }
            list.append(value)
        } while input.literal(",")
        return input.literal("]") ? list : nil
    }

    private static func readTaskID(_ input: inout CanonicalJSONReader) -> TaskID? {
        guard input.literal("{"), input.key("epoch", first: true), let epoch = input.integer(UInt64.self),
              input.key("serial"), let serial = input.integer(UInt64.self), input.literal("}") else { return nil }
        return TaskID(epoch: epoch, serial: serial)
    }

    private static func readTrialID(_ input: inout CanonicalJSONReader) -> TrialID? {
        guard input.literal("{"), input.key("index", first: true), let index = input.integer(Int.self),
              input.key("width"), let width = input.integer(Int.self), input.literal("}") else { return nil }
        return TrialID(width: width, index: index)
    }

    private static func readBound(_ input: inout CanonicalJSONReader) -> BoundCheck? {
        guard input.literal("{"),
              input.key("delta", first: true), let delta = input.double(),
              input.key("lemma34Bound"), let lemma34Bound = input.double(),
              input.key("lemma34Holds"), let lemma34Holds = input.boolean(),
              input.key("lemma35Bound"), let lemma35Bound = input.double(),
              input.key("lemma35Holds"), let lemma35Holds = input.boolean(),
              input.key("theorem12Bound"), let theorem12Bound = input.double(),
              input.key("theorem12BoundCorrected"), let theorem12BoundCorrected = input.double(),
              input.key("theorem12CorrectedHolds"), let theorem12CorrectedHolds = input.boolean(),
              input.key("theorem12Holds"), let theorem12Holds = input.boolean(),
              input.key("theorem12WidthThreshold"), let theorem12WidthThreshold = input.double(),
              input.key("widthExceedsThreshold"), let widthExceedsThreshold = input.boolean(),
              input.literal("}") else { return nil }
        return BoundCheck(delta: delta, lemma34Bound: lemma34Bound, lemma34Holds: lemma34Holds,
                          lemma35Bound: lemma35Bound, lemma35Holds: lemma35Holds, theorem12Bound: theorem12Bound,
                          theorem12Holds: theorem12Holds, theorem12BoundCorrected: theorem12BoundCorrected,
                          theorem12CorrectedHolds: theorem12CorrectedHolds,
                          theorem12WidthThreshold: theorem12WidthThreshold,
                          widthExceedsThreshold: widthExceedsThreshold)
    }

    private static func readTrialResult(_ input: inout CanonicalJSONReader) -> TrialResult? {
        guard input.literal("{"), input.key("bounds", first: true),
              let bounds = readList(&input, limit: WireLimits.boundsPerResult, readBound),
              input.key("converged"), let converged = input.boolean(),
              input.key("deltaMinus"), let deltaMinus = input.double(),
              input.key("deltaPlus"), let deltaPlus = input.double(),
              input.key("distanceFrobenius"), let distanceFrobenius = input.double(),
              input.key("distanceFrobeniusDirect"), let distanceFrobeniusDirect = input.double(),
              input.key("distanceOperator"), let distanceOperator = input.double(),
              input.key("distanceOperatorDirect"), let distanceOperatorDirect = input.double(),
              input.key("effectiveImbalance"), let effectiveImbalance = input.double(),
              input.key("engine"), let engine = input.string(),
              input.key("finalLoss"), let finalLoss = input.double(),
              input.key("finalTime"), let finalTime = input.double(),
              input.key("id"), let id = readTrialID(&input),
              input.key("imbalanceDrift"), let imbalanceDrift = input.double(),
              input.key("initialLoss"), let initialLoss = input.double(),
              input.key("initialNullSpaceCoupling"), let initialNullSpaceCoupling = input.double(),
              input.key("lemma33Holds"), let lemma33Holds = input.boolean(),
              input.key("lemma34Quantity"), let lemma34Quantity = input.double(),
              input.key("lemma35Quantity"), let lemma35Quantity = input.double(),
              input.key("margin"), let margin = input.double(),
              input.key("measuredRate"), let measuredRate = input.double(),
              input.key("method"), let method = input.string(),
              input.key("optimalLoss"), let optimalLoss = input.double(),
              input.key("predictedDistance"), let predictedDistance = input.double(),
              input.key("rateConstant"), let rateConstant = input.double(),
              input.key("rhsEvaluations"), let rhsEvaluations = input.integer(Int.self),
              input.key("steps"), let steps = input.integer(Int.self),
              input.key("stopReason"), let stopReasonText = input.string(),
              let stopReason = StopReason(rawValue: stopReasonText),
              input.key("theorem3Holds"), let theorem3Holds = input.boolean(),
              input.key("theorem3Rate"), let theorem3Rate = input.double(),
              input.key("wallSeconds"), let wallSeconds = input.double(),
              input.literal("}") else { return nil }
        var t = TrialResult(id: id, engine: engine, method: method)
        t.bounds = bounds
        t.converged = converged
        t.deltaMinus = deltaMinus
        t.deltaPlus = deltaPlus
        t.distanceFrobenius = distanceFrobenius
        t.distanceFrobeniusDirect = distanceFrobeniusDirect
        t.distanceOperator = distanceOperator
        t.distanceOperatorDirect = distanceOperatorDirect
        t.effectiveImbalance = effectiveImbalance
        t.finalLoss = finalLoss
        t.finalTime = finalTime
        t.imbalanceDrift = imbalanceDrift
        t.initialLoss = initialLoss
        t.initialNullSpaceCoupling = initialNullSpaceCoupling
        t.lemma33Holds = lemma33Holds
        t.lemma34Quantity = lemma34Quantity
        t.lemma35Quantity = lemma35Quantity
        t.margin = margin
        t.measuredRate = measuredRate
        t.optimalLoss = optimalLoss
        t.predictedDistance = predictedDistance
        t.rateConstant = rateConstant
        t.rhsEvaluations = rhsEvaluations
        t.steps = steps
        t.stopReason = stopReason
        t.theorem3Holds = theorem3Holds
        t.theorem3Rate = theorem3Rate
        t.wallSeconds = wallSeconds
        return t
    }
}
