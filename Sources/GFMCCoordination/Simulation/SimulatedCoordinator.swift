/// The coordinator as the protocol simulation drives it: `CoordinatorCore`, or a variant of it (tests wrap
/// the real core in deliberately broken ones to show that the simulation's invariants catch them).
public protocol SimulatedCoordinator: Sendable {
    mutating func onMessage(from worker: WorkerID, _ message: Message, now: Double, peerKey: String?) -> [Directive]
    mutating func onSendFailed(to worker: WorkerID, undelivered: [Message], now: Double) -> [Directive]
    mutating func onTick(now: Double) -> [Directive]
    mutating func shutdownAll(now: Double) -> [Directive]
    func outstandingTasks(of worker: WorkerID) -> Int
    func creditCap(of worker: WorkerID) -> Int?
    var isComplete: Bool { get }
    /// When the coordinator next needs `onTick` (see `CoordinatorCore.nextTick()`).
    func nextTick() -> Double
    /// True once the farewell `shutdownAll` started is over.
    func isFarewellOver(now: Double) -> Bool
}

extension CoordinatorCore: SimulatedCoordinator {}
