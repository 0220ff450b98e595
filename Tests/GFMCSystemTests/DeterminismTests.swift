import Foundation
import Testing

extension SystemTests {
    @Suite("Determinism: trials.csv does not depend on how the study was run")
    struct Determinism {
        @Test("Same study, 1 worker and 3 workers: byte-identical trials.csv")
        func oneAndThreeWorkersAgree() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("determinism")
            defer { harness.cleanup() }

            let studyPath = try study.write(into: harness.directory.path)
            let three = try await harness.gfmc.runToCompletion(study: studyPath, workers: 3,
                                                               out: harness.directory.file("three"), timeout: 120)
            #expect(try three.keys() == study.expectedKeys)
            let difference = three.firstDifference(from: reference)
            #expect(difference == nil, "\(difference ?? "")")
        }

        /// Small studies for the engines that integrate the full flow (the reduced Gram flow, and the weights
        /// themselves): their trials cost more than `sampled`'s, so fewer of them.
        static let engineStudies = [
            TestStudy(name: "systest-gram", widths: [8, 24], trials: 30, engine: "gram"),
            TestStudy(name: "systest-weights", widths: [8, 24], trials: 30, engine: "weights"),
        ]

        @Test("gram and weights engines, 1 worker and 3 workers: byte-identical trials.csv",
              arguments: Self.engineStudies)
        func otherEnginesAgreeAcrossWorkerCounts(_ study: TestStudy) async throws {
            let reference = try await ReferenceRuns.shared.trials(of: study)
            let harness = try Harness("determinism-\(study.engine)")
            defer { harness.cleanup() }
            let studyPath = try study.write(into: harness.directory.path)
            let three = try await harness.gfmc.runToCompletion(study: studyPath, workers: 3,
                                                               out: harness.directory.file("three"), timeout: 120)
            #expect(try three.keys() == study.expectedKeys)
            let difference = three.firstDifference(from: reference)
            #expect(difference == nil, "\(study.engine): \(difference ?? "")")
        }

        @Test("trials.csv has the contract's columns, one row per trial sorted by width then trial")
        func trialsCSVShape() async throws {
            let study = SharedStudies.twoThousand
            let reference = try await ReferenceRuns.shared.trials(of: study)
            for column in ["width", "trial", "distance_frobenius", "distance_operator", "converged"] {
                #expect(reference.header.contains(column), "trials.csv header lacks \(column): \(reference.header)")
            }
            #expect(try reference.keys() == study.expectedKeys)
            // The distances are finite, non-negative numbers (a row that carried a timing or a NaN would show here).
            let frobenius = try reference.columnIndex("distance_frobenius")
            let operatorNorm = try reference.columnIndex("distance_operator")
            for row in reference.rows {
                let f = try #require(Double(row[frobenius]), "distance_frobenius '\(row[frobenius])'")
                let o = try #require(Double(row[operatorNorm]), "distance_operator '\(row[operatorNorm])'")
                #expect(f.isFinite && o.isFinite && o >= 0)
                // ‖A‖₂ ≤ ‖A‖_F for every matrix (relative slack for rounding).
                #expect(o <= f * (1 + 1e-12) + 1e-300)
            }
        }
    }
}
