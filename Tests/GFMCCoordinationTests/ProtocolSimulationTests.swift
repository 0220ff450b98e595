import GFMCCoordination
import GFMCModel
import Testing

/// A deliberately broken coordinator: the real core, except that a result arriving again for a task whose
/// result it already accepted is accepted (persisted) again instead of being dropped as a duplicate.
private struct AcceptsDuplicateResults: SimulatedCoordinator {
    var core: CoordinatorCore
    var accepted: Set<TaskID> = []

    mutating func onMessage(from worker: WorkerID, _ message: Message, now: Double, peerKey: String?) -> [Directive] {
        var out: [Directive] = []
        if case .result(let result) = message, accepted.contains(result.taskID) {
            out.append(.persist(taskID: result.taskID, worker: worker, results: result.results))
        }
        let directives = core.onMessage(from: worker, message, now: now, peerKey: peerKey)
        for case .persist(let task, _, _) in directives { accepted.insert(task) }
        return out + directives
    }
    mutating func onSendFailed(to worker: WorkerID, undelivered: [Message], now: Double) -> [Directive] {
        core.onSendFailed(to: worker, undelivered: undelivered, now: now)
    }
    mutating func onTick(now: Double) -> [Directive] { core.onTick(now: now) }
    mutating func shutdownAll(now: Double) -> [Directive] { core.shutdownAll(now: now) }
    func outstandingTasks(of worker: WorkerID) -> Int { core.outstandingTasks(of: worker) }
    func creditCap(of worker: WorkerID) -> Int? { core.creditCap(of: worker) }
    var isComplete: Bool { core.isComplete }
    func nextTick() -> Double { core.nextTick() }
    func isFarewellOver(now: Double) -> Bool { core.isFarewellOver(now: now) }
}

/// A deliberately broken coordinator: its credit accounting is off by one (it believes each worker may
/// hold one task fewer than it hands out), so a worker holding its full window breaks the credit invariant.
private struct UnderstatesCredits: SimulatedCoordinator {
    var core: CoordinatorCore
    mutating func onMessage(from worker: WorkerID, _ message: Message, now: Double, peerKey: String?) -> [Directive] {
        core.onMessage(from: worker, message, now: now, peerKey: peerKey)
    }
    mutating func onSendFailed(to worker: WorkerID, undelivered: [Message], now: Double) -> [Directive] {
        core.onSendFailed(to: worker, undelivered: undelivered, now: now)
    }
    mutating func onTick(now: Double) -> [Directive] { core.onTick(now: now) }
    mutating func shutdownAll(now: Double) -> [Directive] { core.shutdownAll(now: now) }
    func outstandingTasks(of worker: WorkerID) -> Int { core.outstandingTasks(of: worker) }
    func creditCap(of worker: WorkerID) -> Int? { core.creditCap(of: worker).map { $0 - 1 } }
    var isComplete: Bool { core.isComplete }
    func nextTick() -> Double { core.nextTick() }
    func isFarewellOver(now: Double) -> Bool { core.isFarewellOver(now: now) }
}

private func core(trials: Int, seed: UInt64) throws -> CoordinatorCore {
    try CoordinatorCore(study: StudyIdentity(hash: "simulated-study", json: "{}"),
                        pendingTrials: ProtocolSimulation<CoordinatorCore>.trials(trials),
                        settings: ProtocolSimulation<CoordinatorCore>.coordinatorSettings, epoch: seed | 1, now: 0)
}

@Suite("Protocol simulation")
struct ProtocolSimulationTests {
    @Test("the real cores keep every invariant under loss, duplication, reordering, partitions, crashes and stops", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func realCoresHold(seed: UInt64) throws {
        var settings = SimulationSettings(workers: Int(seed % 4) + 1, trials: 1500, seed: seed)
        settings.duplicateProbability = 0.1
        settings.lossProbability = 0.05
        settings.meanSecondsBetweenCrashes = 20
        let report = try ProtocolSimulation.run(settings)
        #expect(report.invariantsHold, "\(report.violations)")
        #expect(report.studyComplete && report.trialsPersisted == 1500)
        #expect(report.duplicatesDelivered > 0 && report.messagesLost > 0, "the network was hostile")
        #expect(report.crashes + report.partitions + report.stops > 0)
    }

    @Test("the coordinator crashes and a new one starts on the store: every invariant holds", arguments: [11, 12, 13, 14] as [UInt64])
    func coordinatorRestartsHold(seed: UInt64) throws {
        var settings = SimulationSettings(workers: Int(seed % 3) + 2, trials: 3000, seed: seed)
        settings.meanSecondsBetweenCoordinatorCrashes = 4
        let report = try ProtocolSimulation.run(settings)
        #expect(report.coordinatorCrashes > 0, "the coordinator never crashed")
        #expect(report.invariantsHold, "\(report.violations)")
        #expect(report.studyComplete && report.trialsPersisted == 3000)
    }

    @Test("a coordinator that restarts without its store (every trial pending again) is caught: trials persisted twice")
    func catchesRestartWithoutStore() throws {
        var settings = SimulationSettings(workers: 3, trials: 2000, seed: 21)
        settings.meanSecondsBetweenCoordinatorCrashes = 4
        let everyTrial = ProtocolSimulation<CoordinatorCore>.trials(2000)
        var simulation = try ProtocolSimulation(settings: settings, coordinator: core(trials: 2000, seed: 21)) { _, epoch, now in
            try CoordinatorCore(study: StudyIdentity(hash: "simulated-study", json: "{}"), pendingTrials: everyTrial,
                                settings: ProtocolSimulation<CoordinatorCore>.coordinatorSettings, epoch: epoch, now: now)
        }
        let report = simulation.run()
        #expect(report.coordinatorCrashes > 0)
        #expect(!report.invariantsHold)
        #expect(report.violations.contains { $0.contains("persisted twice") }, "\(report.violations)")
    }

    @Test("a seed replays the same run")
    func deterministic() throws {
        let settings = SimulationSettings(workers: 3, trials: 800, seed: 42)
        #expect(try ProtocolSimulation.run(settings) == ProtocolSimulation.run(settings))
        var other = settings
        other.seed = 43
        #expect(try ProtocolSimulation.run(settings) != ProtocolSimulation.run(other))
    }

    @Test("a core that accepts a duplicated result again is caught: a trial persisted twice")
    func catchesDoubleAcceptance() throws {
        var settings = SimulationSettings(workers: 3, trials: 1000, seed: 9)
        settings.duplicateProbability = 0.2
        var simulation = try ProtocolSimulation(settings: settings,
                                                coordinator: AcceptsDuplicateResults(core: core(trials: 1000, seed: 9)))
        let report = simulation.run()
        #expect(!report.invariantsHold)
        #expect(report.violations.contains { $0.contains("persisted twice") }, "\(report.violations)")
        // A violation names the seed and the step, so the run can be replayed to it.
        #expect(report.violations.first?.hasPrefix("seed \(report.seed), step ") == true, "\(report.violations)")
    }

    @Test("a core whose credit accounting is off by one is caught")
    func catchesCreditOverrun() throws {
        let settings = SimulationSettings(workers: 2, trials: 500, seed: 5)
        var simulation = try ProtocolSimulation(settings: settings,
                                                coordinator: UnderstatesCredits(core: core(trials: 500, seed: 5)))
        let report = simulation.run()
        #expect(!report.invariantsHold)
        #expect(report.violations.contains { $0.contains("credit cap") }, "\(report.violations)")
    }

    @Test("bad settings are refused, naming the option")
    func badSettings() {
        let error = #expect(throws: SimulationSettingsError.self) {
            try ProtocolSimulation.run(SimulationSettings(workers: 0, trials: 10, seed: 1))
        }
        #expect(error?.message.contains("--workers") == true)
    }
}
