import Foundation
import GFMCEngine
import GFMCModel
import GFMCStudy
import Testing

@Suite("Resource estimates: studies too large for the machine are refused naming the key")
struct ResourceEstimateTests {
    static let eightGiB = MemoryLimit(bytes: 8 * 1024 * 1024 * 1024, source: "test")

    static func estimate(_ text: String) throws -> ResourceEstimate {
        let study = try StudyDescription.parse(text)
        let shape = try #require(ResourceEstimate.syntheticShape(study.data))
        let engine = try #require(ResourceEstimate.engine(for: study))
        return ResourceEstimate(study: study, shape: shape, engine: engine)
    }

    static func refusal(_ text: String, limit: MemoryLimit = eightGiB) throws -> StudyInputError? {
        do {
            try estimate(text).check(limit: limit)
            return nil
        } catch let error as StudyInputError {
            return error
        }
    }

    @Test("every shipped config and the quick study fit in 8 GiB")
    func shippedConfigsFit() throws {
        #expect(try Self.refusal(EmbeddedStudies.quick) == nil)
    }

    @Test("trials: 1e12 is refused on the coordinator's state, naming trials and the estimate")
    func hugeTrialCount() throws {
        let error = try #require(try Self.refusal(
            #"{"name": "t", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10], "trials": 1e12}"#))
        #expect(error.kind == .resources && error.key == "trials", "\(error)")
        #expect(error.problem.contains("1000000000000 trials") && error.problem.contains("coordinator memory")
                && error.problem.contains("1.8 PiB") && error.problem.contains("8.0 GiB"), "\(error)")
        let precision = try #require(try Self.refusal("""
            {"name": "p", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10, 20],
             "precision": {"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.01}],
                           "max_trials_per_width": 1e12}}
            """))
        #expect(precision.key == "precision.max_trials_per_width", "\(precision)")
    }

    @Test("a 10^8-trial study is charged 2 B per trial plus one width's decoded results, a precision study every result")
    func coordinatorChargesBitsetsAndOneWidth() throws {
        let widths = (1...20).map { "\($0 * 10)" }.joined(separator: ", ")
        let text = #"{"name": "big", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": ["#
            + widths + #"], "trials": 5e6}"#
        let fixed = try Self.estimate(text)
        #expect(fixed.trials == 1e8 && fixed.reportTrials == 5e6)
        #expect(fixed.coordinatorBytes == 1e8 * 2 + 5e6 * 2048)
        #expect(try Self.refusal(text, limit: MemoryLimit(bytes: 16 * 1024 * 1024 * 1024, source: "test")) == nil)
        let precision = try Self.estimate("""
            {"name": "p", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10, 20],
             "precision": {"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.01}],
                           "max_trials_per_width": 1000}}
            """)
        #expect(precision.trials == 2000 && precision.reportTrials == 2000)
        #expect(precision.coordinatorBytes == 2000 * 2 + 2000 * 2048)
    }

    @Test("a weights or gram study at h = 1e15 is refused naming widths; the sampled engine does not depend on h")
    func hugeWidth() throws {
        for engine in ["weights", "gram"] {
            let error = try #require(try Self.refusal("""
                {"name": "w", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10, 1e15],
                 "trials": 1, "engine": "\(engine)"}
                """), "\(engine) accepted")
            #expect(error.key == "widths" && error.problem.contains("width 1000000000000000")
                    && error.problem.contains("\(engine) engine"), "\(error)")
        }
        #expect(try Self.refusal("""
            {"name": "s", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 10}, "widths": [10, 1e15],
             "trials": 1, "engine": "sampled"}
            """) == nil)
    }

    @Test("input dimension 1e8 is refused on the data, naming data.input_dim")
    func hugeInputDimension() throws {
        let error = try #require(try Self.refusal(
            #"{"name": "n", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 1e8}, "widths": [10], "trials": 1}"#))
        #expect(error.key == "data.input_dim" && error.problem.contains("n = 100000000")
                && error.problem.contains("on each worker"), "\(error)")
        let samples = try #require(try Self.refusal(
            #"{"name": "n", "data": {"recipe": "gaussian", "samples": 1e12, "input_dim": 2}, "widths": [10], "trials": 1}"#))
        #expect(samples.key == "data.samples", "\(samples)")
    }

    @Test("trial bytes follow the stated formula (hand-computed) and grow with the width")
    func formulaByHand() throws {
        let shape = ResourceEstimate.DataShape(samples: 10, inputDimension: 10, outputDimension: 1)
        // reduced part 8·(4·11·11 + 4·10·1 + 4·10·1) = 4512; weights, dopri5 (7 slots): 8·1000·(70 + 28) = 784000.
        #expect(ResourceEstimate.trialBytes(engine: .weights, shape: shape, width: 1000, stageSlots: 7) == 788_512)
        // gram: 8·1000·(50 + 4) = 432000.
        #expect(ResourceEstimate.trialBytes(engine: .gram, shape: shape, width: 1000, stageSlots: 7) == 436_512)
        #expect(ResourceEstimate.trialBytes(engine: .sampled, shape: shape, width: 1000, stageSlots: 7) == 4512)
        // Problem: 8·(3·100 + 2·10 + 3·100 + 6·100 + 10) = 9840.
        #expect(ResourceEstimate.problemPeakBytes(shape) == 9840)
        var previous = 0.0
        for h in [1, 10, 100, 10_000, 1_000_000] {
            let bytes = ResourceEstimate.trialBytes(engine: .weights, shape: shape, width: h, stageSlots: 13)
            #expect(bytes > previous)
            previous = bytes
        }
    }

    @Test("memory limits: GFMC_MEMORY_LIMIT sizes, and a bad value names the variable")
    func memoryLimitParsing() throws {
        #expect(MemoryLimit.parseSize("123") == 123)
        #expect(MemoryLimit.parseSize("64K") == 65536)
        #expect(MemoryLimit.parseSize("1.5G") == 1.5 * 1024 * 1024 * 1024)
        #expect(MemoryLimit.parseSize("2TiB") == 2 * pow(1024, 4))
        #expect(MemoryLimit.parseSize("512mb") == 536_870_912.0)
        for bad in ["", "abc", "-1", "0", "1Q", "inf"] { #expect(MemoryLimit.parseSize(bad) == nil, "\(bad)") }
        #expect(try MemoryLimit.current(environment: ["GFMC_MEMORY_LIMIT": "10M"]).bytes == 10 * 1024 * 1024)
        #expect(try MemoryLimit.current(environment: [:]).bytes > 0)
        do {
            _ = try MemoryLimit.current(environment: ["GFMC_MEMORY_LIMIT": "lots"])
            Issue.record("a bad GFMC_MEMORY_LIMIT was accepted")
        } catch let error as StudyInputError {
            #expect(error.key == "GFMC_MEMORY_LIMIT" && error.problem.contains("\"lots\""), "\(error)")
        }
    }

    @Test("a worker's executor fails a trial it cannot afford with the estimate, and runs the ones it can")
    func executorRefusesUnaffordableTrials() throws {
        let study = try StudyDescription.parse("""
            {"name": "w", "data": {"recipe": "gaussian", "samples": 6, "input_dim": 10}, "widths": [4, 200000],
             "trials": 1, "engine": "weights", "deltas": []}
            """)
        let executor = try StudyExecutor(study: study, memoryLimit: MemoryLimit(bytes: 10 * 1024 * 1024, source: "test"))
        #expect(try executor.run(TrialID(width: 4, index: 0)).converged)
        do {
            _ = try executor.run(TrialID(width: 200_000, index: 0))
            Issue.record("the unaffordable trial ran")
        } catch let error as StudyInputError {
            #expect(error.kind == .resources && error.key == "widths" && error.problem.contains("width 200000")
                    && error.problem.contains("10.0 MiB (test"), "\(error)")
        }
        // Data that do not fit are refused before they are generated.
        let wide = try StudyDescription.parse(
            #"{"name": "n", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 1e8}, "widths": [10], "trials": 1}"#)
        #expect(throws: StudyInputError.self) { try StudyExecutor(study: wide, memoryLimit: Self.eightGiB) }
    }
}
