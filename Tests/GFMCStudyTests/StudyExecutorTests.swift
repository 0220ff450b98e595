import Foundation
import GFMCEngine
import GFMCLinearAlgebra
import GFMCModel
import GFMCStudy
import Testing

/// The bridge from a study to the engine: data, initialization, settings and trial identities.
@Suite struct StudyExecutorTests {
    static func study(_ text: String) throws -> StudyDescription { try StudyDescription.parse(text) }

    static let small = """
    {"name": "small", "seed": 11, "data": {"recipe": "gaussian", "samples": 5, "input_dim": 8, "output_dim": 2},
     "widths": [10, 1000], "trials": 3, "deltas": [0.01]}
    """

    /// The trial without its measured wall time (the only field allowed to differ between runs).
    static func reproducible(_ r: TrialResult) -> TrialResult {
        var r = r
        r.wallSeconds = 0
        return r
    }

    static func sameResult(_ a: TrialResult, _ b: TrialResult) -> Bool {
        let x = try! TrialResultEquality.key(reproducible(a)), y = try! TrialResultEquality.key(reproducible(b))
        return x == y
    }

    @Test func trialsArePureFunctionsOfTheirIdentity() throws {
        let s = try Self.study(Self.small)
        let ids = try #require(s.trialIDs)
        let first = try StudyExecutor(study: s)
        let forward = try ids.map { try first.run($0) }
        let second = try StudyExecutor(study: s)
        let backward = try ids.reversed().map { try second.run($0) }.reversed()
        for (a, b) in zip(forward, backward) {
            #expect(Self.sameResult(a, b), "\(a.id)")
        }
        #expect(forward.map(\.id) == ids)
        #expect(forward.allSatisfy { $0.engine == "sampled" && $0.method == "flow" })
        #expect(forward.allSatisfy { $0.bounds.map(\.delta) == [0.01] })
        // Different indices are different random draws.
        #expect(forward[0].distanceFrobenius != forward[1].distanceFrobenius)
    }

    @Test func executorFromCanonicalTextChecksTheHash() throws {
        let s = try Self.study(Self.small)
        let executor = try StudyExecutor(studyJSON: s.canonicalJSON, expectedHash: s.identityHash)
        #expect(executor.study == s)
        let id = TrialID(width: 1000, index: 2)
        #expect(Self.sameResult(try executor.run(id), try StudyExecutor(study: s).run(id)))
        #expect(throws: StudyError.self) {
            try StudyExecutor(studyJSON: s.canonicalJSON, expectedHash: String(repeating: "0", count: 64))
        }
    }

    @Test func concurrentCallsGiveTheSameResults() async throws {
        let s = try Self.study(Self.small)
        let executor = try StudyExecutor(study: s)
        let ids = try #require(s.trialIDs)
        let serial = try ids.map { try executor.run($0) }
        let parallel = try await withThrowingTaskGroup(of: TrialResult.self) { group in
            for id in ids { group.addTask { try executor.run(id) } }
            var all: [TrialResult] = []
            for try await r in group { all.append(r) }
            return all.sorted { $0.id < $1.id }
        }
        for (a, b) in zip(serial, parallel) { #expect(Self.sameResult(a, b)) }
    }

    @Test func dataComeFromTheRecipeWithTheDataSeed() throws {
        let s = try Self.study(Self.small)
        let executor = try StudyExecutor(study: s)
        let expected = try DataRecipe.gaussian(samples: 5, inputDimension: 8, outputDimension: 2, noise: 0.01)
            .problem(seed: 11)
        let p = try executor.problem(width: 10)
        #expect(p.x == expected.x && p.y == expected.y)
        #expect(try executor.problem(width: 1000).x == p.x)
        let other = try StudyExecutor(study: Self.study(Self.small.replacingOccurrences(of: "\"output_dim\": 2",
                                                                                          with: "\"output_dim\": 2, \"data_seed\": 12")))
        #expect(try other.problem(width: 10).x != p.x)
    }

    @Test func factorizationBuildsOneProblemPerWidth() throws {
        let s = try Self.study("""
        {"name": "f", "data": {"recipe": "factorization", "input_dim": 4, "output_dim": 2},
         "init": {"kind": "gaussian", "sigma_u": 1, "sigma_v": 1}, "widths": [3, 50], "trials": 1, "deltas": [],
         "method": "gd", "gd_step": 0.05, "tolerances": {"max_steps": 2000}}
        """)
        let executor = try StudyExecutor(study: s)
        for h in [3, 50] {
            let x = try executor.problem(width: h).x
            // X = I_n / sqrt(m·h) (theory.md §7.1)
            #expect(abs(x[0, 0] - 1 / (2.0 * Double(h)).squareRoot()) < 1e-15)
            #expect(x[0, 1] == 0 && x.rows == 4)
        }
        #expect(executor.settings.gdStepSize == 0.05)
        #expect(executor.settings.method == .gd)
        let r = try executor.run(TrialID(width: 50, index: 0))
        #expect(r.method == "gd" && r.steps <= 2000)
    }

    @Test func meanLossStepIsConvertedToTheHalfLoss() throws {
        let s = try Self.study(Self.small.replacingOccurrences(of: "\"trials\": 3",
                                                               with: "\"trials\": 3, \"method\": \"gd\", \"gd_step\": 0.005, \"gd_loss\": \"mean\""))
        let executor = try StudyExecutor(study: s)
        #expect(executor.settings.gdStepSize == 2 * 0.005 / 5)
        #expect(executor.settings.maxSteps == s.tolerances.maxSteps)
        #expect(executor.settings.relativeTolerance == s.tolerances.relative)
        #expect(executor.settings.excessLossTolerance == s.tolerances.excessLoss)
    }

    @Test func invariantSetStartEndsAtTheMinimumNormSolution() throws {
        // Proposition 10: U2(0) = 0 ⇒ U(∞)V(∞)ᵀ = Θ̂ exactly (an oracle independent of the bridge).
        let s = try Self.study("""
        {"name": "inv", "data": {"recipe": "whitened", "samples": 4, "input_dim": 9},
         "init": {"kind": "invariant_set", "sigma_u": 0.3, "sigma_v": 0.3}, "widths": [20], "trials": 2, "deltas": [],
         "engine": "weights"}
        """)
        let r = try StudyExecutor(study: s).run(TrialID(width: 20, index: 1))
        #expect(r.engine == "weights" && r.converged)
        #expect(r.distanceFrobenius < 1e-9)
        #expect(r.distanceFrobeniusDirect < 1e-7)
    }

    @Test func engineResolution() throws {
        #expect(try StudyExecutor(study: Self.study(Self.small)).engine == .sampled)
        let balanced = try Self.study(Self.small.replacingOccurrences(of: "\"deltas\": [0.01]",
            with: "\"deltas\": [], \"init\": {\"kind\": \"balanced\", \"sigma_u\": 0.1, \"sigma_v\": 0.1}"))
        #expect(try StudyExecutor(study: balanced).engine == .gram)
        #expect(try StudyExecutor(study: balanced, engineOverride: .weights).engine == .weights)
        #expect(throws: StudyError.self) { try StudyExecutor(study: balanced, engineOverride: .sampled) }
    }

    @Test func trialsOutsideTheStudyAreRefusedNamingTheField() throws {
        let executor = try StudyExecutor(study: Self.study(Self.small))
        for (id, path) in [(TrialID(width: 11, index: 0), "width"), (TrialID(width: 10, index: 3), "index"),
                           (TrialID(width: 10, index: -1), "index")] {
            do {
                _ = try executor.run(id)
                Issue.record("accepted \(id)")
            } catch let e as StudyError {
                #expect(e.path == path)
            }
        }
    }

    @Test func filesRecipeReadsTheDataAndChecksItsDigest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gfmc-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "1,0,0\n0,2,0\n".write(to: dir.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        try "1\n4\n".write(to: dir.appendingPathComponent("y.csv"), atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("s.json").path
        try """
        {"name": "f", "data": {"recipe": "files", "x_file": "x.csv", "y_file": "y.csv"}, "widths": [6], "trials": 1,
         "deltas": []}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let s = try StudyDescription.load(path: path)
        let executor = try StudyExecutor(study: s)
        let p = try executor.problem(width: 6)
        #expect(p.x == Matrix(rowArrays: [[1, 0, 0], [0, 2, 0]]))
        // Θ̂ = X^†Y = (1, 2, 0)ᵀ
        #expect(abs(p.thetaHat[0, 0] - 1) < 1e-14 && abs(p.thetaHat[1, 0] - 2) < 1e-14 && abs(p.thetaHat[2, 0]) < 1e-14)
        let r = try executor.run(TrialID(width: 6, index: 0))
        #expect(r.converged && r.finalLoss < 1e-10)

        try "1,0,0\n0,3,0\n".write(to: dir.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        do {
            _ = try StudyExecutor(study: s)
            Issue.record("a data file whose digest changed must be refused")
        } catch let error as StudyInputError {
            #expect(error.key == "data.x_sha256" && error.file == s.data.xFile, "\(error)")
        }
    }
}

/// Compares trial results through their lossless JSON (NaN-aware: NaN fields compare equal to NaN).
enum TrialResultEquality {
    static func key(_ r: TrialResult) throws -> String {
        String(decoding: try GFMCJSON.encoder().encode(r), as: UTF8.self)
    }
}
