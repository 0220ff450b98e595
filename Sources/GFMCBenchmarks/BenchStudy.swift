import Foundation
import GFMCConcurrency
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel

/// The paper's whole wide-network study (20 widths h = 500, 1000, …, 10 000), run in-process through the engine
/// (`TrialRunner`, engine `sampled`, which `auto` picks for this initialization) on `threads` threads, each
/// taking the next trial from a shared queue. BLAS runs single-threaded inside each thread.
public struct BenchStudyMeasurement: Codable, Sendable {
    public var widths: [Int]
    public var trialsPerWidth: Int
    /// The per-width count the goal asks for (1000).
    public var targetTrialsPerWidth: Int
    public var threads: Int
    public var method: String
    public var engine: String
    public var seconds: Double
    public var trialsRun: Int
    public var converged: Int
    public var trialsPerSecond: Double
    /// Wall time of the full study (`targetTrialsPerWidth` per width); measured when trialsPerWidth equals it,
    /// otherwise seconds · target/trialsPerWidth (extrapolated; every width is represented equally in the subset,
    /// and a sampled trial's cost does not depend on h).
    public var fullStudySeconds: Double
    public var extrapolated: Bool
    /// Median distance ‖U(∞)V(∞)ᵀ − Θ̂‖_F per width (a sanity check against the paper's figure).
    public var medianDistanceByWidth: [Int: Double]
}

public enum BenchStudy {
    /// h = 500, 1000, …, 10 000.
    public static let paperWidths = Array(stride(from: 500, through: 10_000, by: 500))

    public static func run(network: BenchWideNetwork, method: FlowMethod, trialsPerWidth: Int, targetTrialsPerWidth: Int,
                           threads: Int) throws -> BenchStudyMeasurement {
        let settings = method == .gd ? BenchWideNetwork.gradientDescentSettings : BenchWideNetwork.flowSettings
        let runner = try network.runner(engine: .sampled, settings: settings)
        var ids: [TrialID] = []
        for h in paperWidths { for i in 0..<trialsPerWidth { ids.append(TrialID(width: h, index: i)) } }
        let queue = BenchWorkQueue(ids: ids)
        let (_, seconds) = BenchClock.measure {
            DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
                while let id = queue.next() {
                    let result: TrialResult?
                    do { result = try runner.run(id) } catch { result = nil }
                    queue.record(id, result)
                }
            }
        }
        let results = queue.results
        var distances: [Int: [Double]] = [:]
        for (id, r) in results { if let r, r.distanceFrobenius.isFinite { distances[id.width, default: []].append(r.distanceFrobenius) } }
        let converged = results.values.filter { $0?.converged == true }.count
        let scale = Double(targetTrialsPerWidth) / Double(max(trialsPerWidth, 1))
        return BenchStudyMeasurement(widths: paperWidths, trialsPerWidth: trialsPerWidth,
                                     targetTrialsPerWidth: targetTrialsPerWidth, threads: threads,
                                     method: method.rawValue, engine: EngineKind.sampled.rawValue, seconds: seconds,
                                     trialsRun: ids.count, converged: converged,
                                     trialsPerSecond: Double(ids.count) / seconds,
                                     fullStudySeconds: seconds * scale, extrapolated: trialsPerWidth != targetTrialsPerWidth,
                                     medianDistanceByWidth: distances.compactMapValues { BenchTimingSummary($0)?.median })
    }
}

/// The trials shared by the study threads, handed out in order, and the results they return.
final class BenchWorkQueue: Sendable {
    private struct State {
        var position = 0
        var collected: [TrialID: TrialResult?] = [:]
    }
    private let ids: [TrialID]
    private let state = LockedValue(State())

    init(ids: [TrialID]) { self.ids = ids }

    func next() -> TrialID? {
        state.withLock { state in
            guard state.position < ids.count else { return nil }
            defer { state.position += 1 }
            return ids[state.position]
        }
    }

    func record(_ id: TrialID, _ result: TrialResult?) { state.withLock { $0.collected[id] = result } }

    var results: [TrialID: TrialResult?] { state.value.collected }
}
