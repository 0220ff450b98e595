import Foundation
import Testing

/// What every system test needs: a temp directory, the children it starts, the `gfmc` launchers.
/// Call `cleanup()` in a `defer` right after creating it: it SIGKILLs every child still running and removes the
/// directory, whether the test passed or not.
///
/// `@unchecked Sendable`: its fields never change after `init` and are themselves safe to share.
final class Harness: @unchecked Sendable {
    let directory: TemporaryDirectory
    let group: ProcessGroupGuard
    let gfmc: GFMCProcesses

    init(_ name: String) throws {
        directory = try TemporaryDirectory(prefix: name)
        group = ProcessGroupGuard(logDirectory: directory.path)
        do {
            gfmc = try GFMCProcesses(group: group)
        } catch {
            directory.remove()
            throw error
        }
    }

    func cleanup() {
        group.stopAll()
        directory.remove()
    }

    /// Polls `gfmc status DIR --json` until `condition` holds for a snapshot (true) or the time or poll budget
    /// runs out (false). A status call that fails (no store yet) counts as "not yet".
    func waitForStatus(of runDirectory: String, timeout: Double, interval: Double = 0.1,
                       _ condition: (StatusSnapshot) throws -> Bool) async -> StatusSnapshot? {
        let deadline = Deadline(seconds: timeout)
        let maxPolls = Int(timeout / interval) + 1
        for _ in 0..<maxPolls {
            if deadline.hasPassed { break }
            if let snapshot = try? await gfmc.status(runDirectory: runDirectory, timeout: max(1, deadline.remainingSeconds)),
               (try? condition(snapshot)) == true {
                return snapshot
            }
            await pause(seconds: interval)
        }
        return nil
    }

    /// Polls the run directory's store (read-only) until it holds at least `count` trials; the count then, or
    /// nil when the time or poll budget ran out. A store that does not exist yet counts as 0.
    func waitForStoredTrials(in runDirectory: String, atLeast count: Int, timeout: Double,
                             interval: Double = 0.02) async -> Int? {
        var reached: Int? = nil
        _ = await waitUntil(timeout: timeout, interval: interval) {
            guard let stored = try? StoreProbe.count(in: runDirectory), stored >= count else { return false }
            reached = stored
            return true
        }
        return reached
    }
}

/// A coordinator started by `Harness.startListeningCoordinator`: its process, loopback endpoint and run
/// directory (`run` in the harness directory).
struct ListeningCoordinator {
    let process: ChildProcess
    let port: Int
    let endpoint: String
    let out: String
}

extension Harness {
    /// Writes `study`, starts `gfmc coordinator` on a free loopback port and returns once it reports a status
    /// (it listens), before any worker joins.
    /// - Throws: `SystemTestError` with the coordinator's output when it never comes up within 60 s.
    func startListeningCoordinator(_ study: TestStudy) async throws -> ListeningCoordinator {
        let studyPath = try study.write(into: directory.path)
        let port = try freeLoopbackPort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let out = directory.file("run")
        let coordinator = try gfmc.coordinator(study: studyPath, bind: endpoint, out: out)
        let up = await waitForStatus(of: out, timeout: 60) { _ in true }
        guard up != nil, coordinator.isRunning else {
            throw SystemTestError("the coordinator never came up:\n\(coordinator.describe())")
        }
        return ListeningCoordinator(process: coordinator, port: port, endpoint: endpoint, out: out)
    }
}
