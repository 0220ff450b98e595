import GFMCModel

/// What a protocol simulation runs and how hostile its network and machines are. Times are simulated seconds.
public struct SimulationSettings: Sendable, Equatable {
    /// Worker processes alive at once (crashed or stopped ones are replaced). ≥ 1.
    public var workers: Int
    /// Trials of the simulated study (width 4, indices 0..<trials). ≥ 1.
    public var trials: Int
    public var seed: UInt64
    /// Engine threads per worker. Default 2.
    public var slotsPerWorker = 2
    /// Probability that a message is lost / delivered twice. Defaults 2 % and 2 %.
    public var lossProbability = 0.02
    public var duplicateProbability = 0.02
    /// One-way delivery delay, uniform in this range (so messages overtake each other). Default 1–80 ms.
    public var latency: ClosedRange<Double> = 0.001...0.08
    /// Mean time between crashes (SIGKILL) of one worker, and most crashes in a run. Defaults 60 s, 3 × workers.
    public var meanSecondsBetweenCrashes = 60.0
    public var maxCrashes: Int?
    /// Mean time between partitions of one worker's link, and a partition's length (uniform). Defaults 40 s, 0.5–8 s.
    public var meanSecondsBetweenPartitions = 40.0
    public var partitionSeconds: ClosedRange<Double> = 0.5...8
    /// Mean time between stop requests (SIGTERM) to one worker. Default 120 s.
    public var meanSecondsBetweenStops = 120.0
    /// Compute time of one trial (uniform) and of a study preparation (uniform). Defaults 10–150 ms, 0–2 s.
    public var secondsPerTrial: ClosedRange<Double> = 0.01...0.15
    public var preparationSeconds: ClosedRange<Double> = 0...2
    /// Coordinator crashes (the process dies; its store survives and a new coordinator process starts on it after
    /// `coordinatorDowntime`): mean time between them and most in a run. Defaults 40 s and 3. Only where the
    /// simulation can build a new coordinator (`ProtocolSimulation.run(_:)`, the real core).
    public var meanSecondsBetweenCoordinatorCrashes = 40.0
    public var maxCoordinatorCrashes = 3
    public var coordinatorDowntime: ClosedRange<Double> = 0.2...3
    /// Simulated time after which the run is abandoned (the completion invariant then fails). Default 24 h.
    public var timeLimit = 86_400.0

    public init(workers: Int, trials: Int, seed: UInt64) {
        self.workers = workers
        self.trials = trials
        self.seed = seed
    }

    /// - Throws: `SimulationSettingsError` naming the first invalid field.
    public func validate() throws(SimulationSettingsError) {
        guard workers >= 1 else { throw SimulationSettingsError(message: "--workers must be ≥ 1 (got \(workers))") }
        guard trials >= 1 else { throw SimulationSettingsError(message: "--trials must be ≥ 1 (got \(trials))") }
        guard slotsPerWorker >= 1 else { throw SimulationSettingsError(message: "slots per worker must be ≥ 1") }
        for (p, name) in [(lossProbability, "loss probability"), (duplicateProbability, "duplicate probability")] {
            guard p >= 0, p < 1 else { throw SimulationSettingsError(message: "\(name) must be in [0, 1) (got \(p))") }
        }
    }
}

public struct SimulationSettingsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "simulate: \(message)" }
}

/// The outcome of one simulated run.
public struct SimulationReport: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var workers: Int
    public var trials: Int
    /// Distinct trials persisted.
    public var trialsPersisted: Int
    public var crashes: Int
    /// Coordinator crashes, each followed by a restart on the surviving store.
    public var coordinatorCrashes: Int
    public var partitions: Int
    public var stops: Int
    /// Messages delivered a second time by the network.
    public var duplicatesDelivered: Int
    public var messagesLost: Int
    /// Messages handed to the network (both directions).
    public var messages: Int
    public var simulatedSeconds: Double
    public var studyComplete: Bool
    /// Every invariant held after every step (see `ProtocolSimulation`).
    public var invariantsHold: Bool
    /// The first violations (at most 20), each naming the simulated time.
    public var violations: [String]
    /// Real seconds the simulation took (not reproducible; everything else is a function of the settings).
    public var wallSeconds: Double
}

/// Runs `CoordinatorCore` (or a variant) and `WorkerCore`s against each other on a simulated clock over a
/// simulated network that loses, duplicates, delays and reorders messages, partitions links, crashes and
/// stops workers (replacing them), and crashes the coordinator (a new one starts on the surviving store, with a
/// new epoch, knowing only the persisted trials) — all driven by one seed. Messages travel as encoded frames
/// (`WireCodec`).
///
/// Invariants, checked after every step:
/// * every trial is persisted at most once, and only trials of the study;
/// * a persisted result comes from the worker the task was last leased to, and for exactly its trials;
/// * the coordinator never has more tasks outstanding at a worker than that worker's credit cap;
/// * a worker never computes more jobs than its slots;
/// and at the end: the study completed (every trial persisted exactly once) while workers remained.
public struct ProtocolSimulation<Coordinator: SimulatedCoordinator> {
    private enum Event {
        case toCoordinator(from: WorkerID, frames: [[UInt8]], duplicate: Bool)
        case toWorker(WorkerID, frames: [[UInt8]])
        case coordinatorTick
        case workerTick(WorkerID)
        case prepared(WorkerID, hash: String)
        case computed(WorkerID, job: Int, TaskAssignment)
        case crash(slot: Int)
        case partition(slot: Int)
        case heal(WorkerID)
        case stop(slot: Int)
        case start(slot: Int)
        case coordinatorCrash
        case coordinatorRestart
    }

    private typealias Scheduled = EventQueue<Event>.Entry

    private struct SimWorker {
        var core: WorkerCore
        let slot: Int
        var partitioned = false
        var scheduledTick = Double.infinity
        var computing = 0
    }

    private let settings: SimulationSettings
    private var coordinator: Coordinator
    /// Builds the coordinator that starts after a crash: the study's trials not yet persisted, a new epoch, the
    /// time. nil: the coordinator never crashes.
    private let restartCoordinator: ((_ pending: [TrialID], _ epoch: UInt64, _ now: Double) throws -> Coordinator)?
    private var coordinatorDown = false
    private var random: SimulationRandom
    private let codec = WireCodec()
    private var now = 0.0
    private var queue = EventQueue<Event>()
    /// Workers a step sent to or heard from: the ones whose per-step invariants can have changed.
    private var touched: [WorkerID] = []
    private var order = 0
    private var workers: [WorkerID: SimWorker] = [:]
    /// The live worker of each slot.
    private var slots: [WorkerID?]
    private var processes = 0
    private var persisted: Set<TrialID> = []
    private var leases: [TaskID: (worker: WorkerID, trials: [TrialID])] = [:]
    private let allTrials: Set<TrialID>
    private var complete = false
    private var shuttingDown = false
    /// When the pending `coordinatorTick` event is due (`.infinity`: none); other tick events are stale.
    private var scheduledCoordinatorTick = Double.infinity
    private var violations: [String] = []
    /// Events handled so far (a violation names the step it was found at; the seed replays it).
    private var step = 0
    private var report: SimulationReport

    /// - Parameter coordinator: a core for the study `trials` of width 4, indices 0..<settings.trials, whose
    ///   clock starts at 0 (see `ProtocolSimulation.run(_:)` for the real one).
    ///   - restartCoordinator: builds the coordinator that starts after a coordinator crash (pending trials,
    ///     epoch, time); nil (the default) for a coordinator that never crashes.
    public init(settings: SimulationSettings, coordinator: Coordinator,
                restartCoordinator: ((_ pending: [TrialID], _ epoch: UInt64, _ now: Double) throws -> Coordinator)? = nil)
        throws(SimulationSettingsError) {
        try settings.validate()
        self.settings = settings
        self.coordinator = coordinator
        self.restartCoordinator = restartCoordinator
        random = SimulationRandom(seed: settings.seed)
        slots = Array(repeating: nil, count: settings.workers)
        allTrials = Set((0..<settings.trials).map { TrialID(width: 4, index: $0) })
        report = SimulationReport(seed: settings.seed, workers: settings.workers, trials: settings.trials,
                                  trialsPersisted: 0, crashes: 0, coordinatorCrashes: 0, partitions: 0, stops: 0,
                                  duplicatesDelivered: 0,
                                  messagesLost: 0, messages: 0, simulatedSeconds: 0, studyComplete: false,
                                  invariantsHold: true, violations: [], wallSeconds: 0)
    }

    /// The coordinator settings the simulation uses with the real core: the defaults (so also the runtime's
    /// farewell), with quarantine effectively off (`maxAttempts` 1000) so "every trial persisted" is a fair
    /// invariant under crashes.
    public static var coordinatorSettings: CoordinatorSettings {
        var settings = CoordinatorSettings()
        settings.maxAttempts = 1000
        return settings
    }

    /// The simulated study's trials.
    public static func trials(_ count: Int) -> [TrialID] { (0..<count).map { TrialID(width: 4, index: $0) } }

    /// Runs to the end: the study complete and every worker gone or the coordinator's farewell over, or
    /// `timeLimit`. `wallSeconds` is left 0 (the caller measures it).
    public mutating func run() -> SimulationReport {
        for slot in 0..<settings.workers { schedule(random.uniform(0, 0.5), .start(slot: slot)) }
        scheduleCoordinatorTick()
        if restartCoordinator != nil, settings.maxCoordinatorCrashes > 0 {
            schedule(random.exponential(mean: settings.meanSecondsBetweenCoordinatorCrashes), .coordinatorCrash)
        }
        while let next = popNext() {
            guard next.time <= settings.timeLimit else { break }
            now = max(now, next.time)
            step += 1
            handle(next.event)
            checkInvariants()
            if shuttingDown && (workers.isEmpty || coordinator.isFarewellOver(now: now)) { break }
        }
        if !complete { violate("the study did not complete within \(settings.timeLimit) simulated seconds") }
        if persisted != allTrials {
            violate("\(allTrials.subtracting(persisted).count) trial(s) never persisted")
        }
        report.trialsPersisted = persisted.count
        report.simulatedSeconds = now
        report.studyComplete = complete
        report.violations = Array(violations.prefix(20))
        report.invariantsHold = violations.isEmpty
        return report
    }

    // MARK: Events

    private mutating func handle(_ event: Event) {
        switch event {
        case .start(let slot):
            guard !shuttingDown, slots[slot] == nil else { return }
            startWorker(slot: slot)
        case .coordinatorTick:
            guard !coordinatorDown, scheduledCoordinatorTick == now else { return }
            scheduledCoordinatorTick = .infinity
            executeCoordinator(coordinator.onTick(now: now))
        case .coordinatorCrash:
            guard !shuttingDown, !coordinatorDown, report.coordinatorCrashes < settings.maxCoordinatorCrashes else { return }
            report.coordinatorCrashes += 1
            coordinatorDown = true
            scheduledCoordinatorTick = .infinity
            leases.removeAll()  // the dead process's leases: no result for them may be accepted any more
            schedule(now + random.uniform(settings.coordinatorDowntime.lowerBound, settings.coordinatorDowntime.upperBound),
                     .coordinatorRestart)
        case .coordinatorRestart:
            guard let restartCoordinator else { return }
            let pending = allTrials.subtracting(persisted).sorted()
            let epoch = (settings.seed &+ UInt64(report.coordinatorCrashes) &* 0x9E37_79B9_7F4A_7C15) | 1
            do {
                coordinator = try restartCoordinator(pending, epoch, now)
            } catch {
                violate("the coordinator could not restart: \(error)")
                return
            }
            coordinatorDown = false
            scheduleCoordinatorTick()
            schedule(now + random.exponential(mean: settings.meanSecondsBetweenCoordinatorCrashes), .coordinatorCrash)
        case .toCoordinator(let from, let frames, _):
            if coordinatorDown {
                report.messagesLost += 1  // nobody listens while the coordinator is down
                return
            }
            guard let message = try? codec.decode(frames) else {
                violate("the coordinator could not decode a message from \(from)")
                return
            }
            touched.append(from)
            executeCoordinator(coordinator.onMessage(from: from, message, now: now, peerKey: nil), sender: from)
        case .toWorker(let id, let frames):
            guard workers[id] != nil, let message = try? codec.decode(frames) else { return }
            executeWorker(id) { $0.onMessage(message, now: $1) }
        case .workerTick(let id):
            guard let worker = workers[id], worker.scheduledTick == now else { return }
            workers[id]?.scheduledTick = .infinity
            executeWorker(id) { $0.onTick(now: $1) }
        case .prepared(let id, let hash):
            executeWorker(id) { $0.onPrepared(studyHash: hash, failure: nil, now: $1) }
        case .computed(let id, let job, let task):
            guard workers[id] != nil else { return }
            workers[id]?.computing -= 1
            let results = task.trials.map { trial -> TrialResult in
                var result = TrialResult(id: trial, engine: "sampled", method: "flow")
                result.converged = true
                result.steps = trial.index
                return result
            }
            let seconds = task.trials.map { _ in 0.05 }
            executeWorker(id) { $0.onComputed(job: job, .success(results: results, seconds: seconds), now: $1) }
        case .crash(let slot):
            guard let id = slots[slot], !shuttingDown else { return }
            if report.crashes < (settings.maxCrashes ?? 3 * settings.workers) {
                report.crashes += 1
                removeWorker(id, restartAfter: random.uniform(1, 5))
            }
        case .partition(let slot):
            guard let id = slots[slot], workers[id]?.partitioned == false else { return }
            report.partitions += 1
            workers[id]?.partitioned = true
            schedule(now + random.uniform(settings.partitionSeconds.lowerBound, settings.partitionSeconds.upperBound),
                     .heal(id))
            schedule(now + random.exponential(mean: settings.meanSecondsBetweenPartitions), .partition(slot: slot))
        case .heal(let id):
            workers[id]?.partitioned = false
        case .stop(let slot):
            guard let id = slots[slot], !shuttingDown else { return }
            report.stops += 1
            executeWorker(id) { $0.onStopRequested(reason: "SIGTERM", now: $1) }
        }
    }

    private mutating func startWorker(slot: Int) {
        processes += 1
        let id = WorkerID("w\(slot).\(processes)")
        var workerSettings = WorkerSettings(slots: settings.slotsPerWorker)
        workerSettings.giveUpAfterSeconds = nil
        guard let core = try? WorkerCore(settings: workerSettings, announcement: WorkerAnnouncement(
            credits: settings.slotsPerWorker, slots: settings.slotsPerWorker, host: "sim-\(processes)",
            pid: Int32(processes), workerVersion: "simulated"), now: now) else { return }
        workers[id] = SimWorker(core: core, slot: slot)
        slots[slot] = id
        scheduleTick(id)
        schedule(now + random.exponential(mean: settings.meanSecondsBetweenCrashes), .crash(slot: slot))
        schedule(now + random.exponential(mean: settings.meanSecondsBetweenPartitions), .partition(slot: slot))
        schedule(now + random.exponential(mean: settings.meanSecondsBetweenStops), .stop(slot: slot))
    }

    private mutating func removeWorker(_ id: WorkerID, restartAfter delay: Double?) {
        guard let worker = workers.removeValue(forKey: id) else { return }
        slots[worker.slot] = nil
        if let delay, !shuttingDown { schedule(now + delay, .start(slot: worker.slot)) }
    }

    // MARK: Directives

    private mutating func executeCoordinator(_ directives: [Directive], sender: WorkerID? = nil) {
        var undelivered: [WorkerID: [Message]] = [:]
        for directive in directives {
            switch directive {
            case .send(let to, let message):
                touched.append(to)
                guard let worker = workers[to] else {
                    undelivered[to, default: []].append(message)
                    continue
                }
                if case .task(let task) = message { leases[task.taskID] = (to, task.trials) }
                if worker.partitioned { report.messages += 1; report.messagesLost += 1; continue }
                transmit(try? codec.encode(message)) { .toWorker(to, frames: $0) }
            case .persist(let taskID, let worker, let results):
                checkPersist(taskID: taskID, worker: worker, results: results, sender: sender)
            case .log, .quarantine:
                break
            case .studyComplete:
                complete = true
                if !shuttingDown {
                    shuttingDown = true
                    executeCoordinator(coordinator.shutdownAll(now: now))
                }
            }
        }
        for (worker, messages) in undelivered.sorted(by: { $0.key < $1.key }) {
            executeCoordinator(coordinator.onSendFailed(to: worker, undelivered: messages, now: now))
        }
        scheduleCoordinatorTick()
    }

    /// Schedules the coordinator's next tick at its `nextTick()` (at least a millisecond ahead, so the clock
    /// always moves) when that is sooner than the tick already scheduled.
    private mutating func scheduleCoordinatorTick() {
        guard !coordinatorDown else { return }
        let due = max(coordinator.nextTick(), now + 0.001)
        guard due.isFinite, due < scheduledCoordinatorTick else { return }
        scheduledCoordinatorTick = due
        schedule(due, .coordinatorTick)
    }

    private mutating func executeWorker(_ id: WorkerID, _ event: (inout WorkerCore, Double) -> [WorkerDirective]) {
        guard var worker = workers[id] else { return }
        let directives = event(&worker.core, now)
        workers[id] = worker
        for directive in directives {
            guard let current = workers[id] else { return }
            switch directive {
            case .send(let message):
                if current.partitioned {
                    executeWorker(id) { $0.onSendFailed(message, now: $1) }
                } else {
                    transmit(try? codec.encode(message)) { .toCoordinator(from: id, frames: $0, duplicate: false) }
                }
            case .prepare(let welcome):
                schedule(now + random.uniform(settings.preparationSeconds.lowerBound, settings.preparationSeconds.upperBound),
                         .prepared(id, hash: welcome.studyHash))
            case .compute(let job, let task):
                workers[id]?.computing += 1
                if (workers[id]?.computing ?? 0) > settings.slotsPerWorker {
                    violate("worker \(id) computes \(workers[id]?.computing ?? 0) jobs with \(settings.slotsPerWorker) slots")
                }
                let seconds = task.trials.reduce(0.0) { sum, _ in
                    sum + random.uniform(settings.secondsPerTrial.lowerBound, settings.secondsPerTrial.upperBound)
                }
                schedule(now + seconds, .computed(id, job: job, task))
            case .log:
                break
            case .exit(let ending):
                removeWorker(id, restartAfter: ending == .shutdown ? nil : random.uniform(0.5, 3))
                return
            }
        }
        scheduleTick(id)
    }

    /// Hands a message to the network: lost, delivered once, or delivered twice, each after its own delay.
    private mutating func transmit(_ frames: [[UInt8]]?, _ event: ([[UInt8]]) -> Event) {
        report.messages += 1
        guard let frames else {
            violate("a message could not be encoded")
            return
        }
        if random.chance(settings.lossProbability) {
            report.messagesLost += 1
            return
        }
        schedule(now + delay(), event(frames))
        if random.chance(settings.duplicateProbability) {
            report.duplicatesDelivered += 1
            schedule(now + delay(), event(frames))
        }
    }

    private mutating func delay() -> Double { random.uniform(settings.latency.lowerBound, settings.latency.upperBound) }

    private mutating func scheduleTick(_ id: WorkerID) {
        guard let worker = workers[id], !worker.core.isFinished else { return }
        // A tick due now (or rounding a hair short of its condition) is taken a millisecond later, so the
        // clock always moves.
        let due = max(worker.core.nextTick(), now + 0.001)
        if due < worker.scheduledTick {
            workers[id]?.scheduledTick = due
            schedule(due, .workerTick(id))
        }
    }

    // MARK: Invariants

    private mutating func checkPersist(taskID: TaskID, worker: WorkerID, results: [TrialResult], sender: WorkerID?) {
        if sender != worker { violate("\(taskID) persisted for \(worker) on a message from \(sender?.description ?? "no worker")") }
        guard let lease = leases[taskID] else {
            violate("\(taskID) persisted but never leased")
            return
        }
        if lease.worker != worker { violate("\(taskID) persisted from \(worker), but it was leased to \(lease.worker)") }
        if results.map(\.id).sorted() != lease.trials.sorted() { violate("\(taskID) persisted with trials other than its lease's") }
        for result in results {
            if !allTrials.contains(result.id) { violate("trial \(result.id) persisted but not in the study") }
            if !persisted.insert(result.id).inserted { violate("trial \(result.id) persisted twice") }
        }
    }

    /// The per-step invariants, for the workers the step touched (no other worker's state changed).
    private mutating func checkInvariants() {
        guard !touched.isEmpty else { return }
        let ids = Set(touched).sorted()
        touched.removeAll(keepingCapacity: true)
        for id in ids {
            if let cap = coordinator.creditCap(of: id), coordinator.outstandingTasks(of: id) > cap {
                violate("worker \(id) holds \(coordinator.outstandingTasks(of: id)) tasks with a credit cap of \(cap)")
            }
        }
    }

    private mutating func violate(_ what: String) {
        if violations.count < 1000 {
            violations.append("seed \(settings.seed), step \(step), t=\(Double(Int(now * 1000)) / 1000) s: \(what)")
        }
    }

    // MARK: Queue

    private mutating func schedule(_ time: Double, _ event: Event) {
        order += 1
        queue.push(Scheduled(time: time, order: order, event: event))
    }

    private mutating func popNext() -> Scheduled? { queue.pop() }
}

extension ProtocolSimulation where Coordinator == CoordinatorCore {
    /// Runs the real cores: `CoordinatorCore` with `coordinatorSettings`, epoch from the seed.
    public static func run(_ settings: SimulationSettings) throws(SimulationSettingsError) -> SimulationReport {
        try settings.validate()
        let core: CoordinatorCore
        do {
            core = try CoordinatorCore(study: StudyIdentity(hash: "simulated-study", json: "{}"),
                                       pendingTrials: trials(settings.trials), settings: coordinatorSettings,
                                       epoch: settings.seed | 1, now: 0)
        } catch {
            throw SimulationSettingsError(message: "\(error)")
        }
        let study = StudyIdentity(hash: "simulated-study", json: "{}")
        var simulation = try ProtocolSimulation(settings: settings, coordinator: core) { pending, epoch, now in
            try CoordinatorCore(study: study, pendingTrials: pending, settings: coordinatorSettings, epoch: epoch, now: now)
        }
        return simulation.run()
    }
}
