import Foundation
import GFMCEngine
import GFMCModel
import GFMCStudy
import Testing

@Suite struct StudyDefaultsTests {
    @Test func minimalStudyGetsEveryDefault() throws {
        let s = try StudyDescription.parse("""
        {"name": "t", "data": {"recipe": "gaussian", "samples": 10, "input_dim": 20}, "widths": [100, 10], "trials": 3}
        """)
        #expect(s.name == "t")
        #expect(s.seed == 1)
        #expect(s.data == StudyData(recipe: .gaussian, samples: 10, inputDim: 20, outputDim: 1, noise: 0.01,
                                    xVariance: nil, dataSeed: 1))
        #expect(s.initialization == StudyInitialization(kind: .widthScaled, alpha: 0.5))
        #expect(s.widths == [10, 100])
        #expect(s.trials == 3 && s.precision == nil)
        #expect(s.engine == .auto && s.method == .flow && s.gdStep == nil && s.gdLoss == nil)
        #expect(s.tolerances == Tolerances(relative: 1e-10, absolute: 1e-14, excessLoss: 1e-12, thetaChange: 1e-10,
                                           maxSteps: 1_000_000, maxTime: 1e6))
        #expect(s.deltas == [0.05])
        #expect(s.rankTolerance == nil)
    }

    @Test func dataSeedDefaultsToTheStudySeedButCanDiffer() throws {
        var json = StudyFixture.with("seed", "18446744073709551615")
        #expect(try StudyDescription.resolve(json).data.dataSeed == UInt64.max)
        json = StudyFixture.with("data.data_seed", "7", in: json)
        let s = try StudyDescription.resolve(json)
        #expect(s.seed == UInt64.max && s.data.dataSeed == 7)
    }

    @Test func recipeDefaults() throws {
        let f = try StudyDescription.resolve(StudyFixture.with("data", #"{"recipe": "factorization", "input_dim": 20}"#))
        #expect(f.data == StudyData(recipe: .factorization, inputDim: 20, outputDim: 1, yVariance: 0.1, dataSeed: 1))
        #expect(f.data.dependsOnWidth)
        let w = try StudyDescription.resolve(StudyFixture.with("data",
            #"{"recipe": "whitened", "samples": 5, "input_dim": 9, "output_dim": 2, "noise": 0}"#))
        #expect(w.data == StudyData(recipe: .whitened, samples: 5, inputDim: 9, outputDim: 2, noise: 0, dataSeed: 1))
        let g = try StudyDescription.resolve(StudyFixture.with("data.x_variance", "0.25"))
        #expect(g.data.xVariance == 0.25)
        let auto = try StudyDescription.resolve(StudyFixture.with("data.x_variance", "\"auto\""))
        #expect(auto.data.xVariance == nil)
    }

    @Test func widthRanges() throws {
        let linear = try StudyDescription.resolve(StudyFixture.with("widths",
            #"{"from": 500, "to": 10000, "count": 20, "spacing": "linear"}"#))
        #expect(linear.widths == Array(stride(from: 500, through: 10000, by: 500)))
        let log = try StudyDescription.resolve(StudyFixture.with("widths", #"{"from": 10, "to": 1000, "count": 3}"#))
        #expect(log.widths == [10, 100, 1000])
        let one = try StudyDescription.resolve(StudyFixture.with("widths", #"{"from": 7, "to": 7, "count": 1}"#))
        #expect(one.widths == [7])
        let exponent = try StudyDescription.resolve(StudyFixture.with("widths", "[1e3, 2000.0]"))
        #expect(exponent.widths == [1000, 2000])
    }

    @Test func trialIDsAreOrderedByWidthThenIndex() throws {
        let s = try StudyDescription.resolve(StudyFixture.with("widths", "[30, 5]"))
        #expect(s.trialIDs == [TrialID(width: 5, index: 0), TrialID(width: 5, index: 1), TrialID(width: 5, index: 2),
                               TrialID(width: 30, index: 0), TrialID(width: 30, index: 1), TrialID(width: 30, index: 2)])
        #expect(s.totalTrials == 6)
        #expect(s.trialIDs == s.trialIDs?.sorted())
    }

    @Test func gradientDescentStepScaling() throws {
        let gd = StudyFixture.with("gd_step", "0.005", in: StudyFixture.with("method", "\"gd\""))
        let half = try StudyDescription.resolve(gd)
        #expect(half.gdLoss == .half)
        #expect(half.effectiveGDStep(samples: 100) == 0.005)
        let mean = try StudyDescription.resolve(StudyFixture.with("gd_loss", "\"mean\"", in: gd))
        // GD with step η on (1/N)‖R‖² moves by η·(2/N)·∇(½‖R‖²): step 2η/N on the ½-loss.
        #expect(mean.effectiveGDStep(samples: 100) == 2 * 0.005 / 100)
        #expect(try StudyDescription.resolve(StudyFixture.minimal).effectiveGDStep(samples: 100) == nil)
    }
}

@Suite struct StudyIdentityTests {
    static let reordered = """
    /* the same study as StudyFixture.minimal, written differently */
    {
      "trials": 3,   // per width
      "widths": [10, 100],
      "init": {"alpha": 0.5, "kind": "width_scaled"},
      "data": {
        "input_dim": 20, "samples": 10,
        "recipe": "gaussian"
      },
      "name": "t"
    }
    """

    @Test func canonicalJSONIsStableUnderReorderingWhitespaceAndComments() throws {
        let a = try StudyDescription.resolve(StudyFixture.minimal)
        let b = try StudyDescription.parse(Self.reordered)
        #expect(a == b)
        #expect(a.canonicalJSON == b.canonicalJSON)
        #expect(a.identityHash == b.identityHash)
        #expect(a.identityHash.count == 64)
    }

    @Test func defaultsWrittenOutGiveTheSameIdentity() throws {
        let a = try StudyDescription.resolve(StudyFixture.minimal)
        let explicit = try StudyDescription.parse(a.prettyJSON)
        #expect(explicit == a)
        #expect(explicit.identityHash == a.identityHash)
        let withDefaults = StudyFixture.with("tolerances.max_steps", "1000000",
                                             in: StudyFixture.with("engine", "\"auto\""))
        #expect(try StudyDescription.resolve(withDefaults).identityHash == a.identityHash)
    }

    @Test func canonicalJSONParsesBackToTheSameStudy() throws {
        let text = """
        {"name": "p", "seed": 9, "data": {"recipe": "factorization", "input_dim": 4, "output_dim": 2},
         "init": {"kind": "balanced", "sigma_u": 0.5, "sigma_v": 0.02}, "widths": {"from": 2, "to": 64, "count": 6},
         "precision": {"targets": [{"statistic": "lemma35_holds", "delta": 0.01, "half_width": 0.05}],
                       "max_trials_per_width": 100},
         "method": "gd", "gd_step": 1e-3, "gd_loss": "mean", "deltas": [0.01, 0.2], "rank_tolerance": 1e-9,
         "tolerances": {"max_time": 2.5}}
        """
        let s = try StudyDescription.parse(text)
        let again = try StudyDescription.parse(s.canonicalJSON)
        #expect(again == s)
        #expect(again.canonicalJSON == s.canonicalJSON)
        #expect(s.canonicalJSON.contains(#""gd_step":0.001"#))
        #expect(!s.canonicalJSON.contains(" "))
    }

    @Test func widthRangeAndExplicitListAreTheSameStudy() throws {
        let range = try StudyDescription.resolve(StudyFixture.with("widths", #"{"from": 10, "to": 100, "count": 2}"#))
        let list = try StudyDescription.resolve(StudyFixture.minimal)
        #expect(range.identityHash == list.identityHash)
    }

    @Test func anyChangeChangesTheIdentityAndTheDiffSaysWhat() throws {
        let base = try StudyDescription.resolve(StudyFixture.minimal)
        #expect(StudyDescription.diff(base, base).isEmpty)

        let noisier = try StudyDescription.resolve(StudyFixture.with("data.noise", "0.02"))
        #expect(noisier.identityHash != base.identityHash)
        #expect(StudyDescription.diff(base, noisier) == ["data.noise: 0.01 → 0.02"])

        let moreWidths = try StudyDescription.resolve(StudyFixture.with("seed", "5",
                                                      in: StudyFixture.with("widths", "[10, 100, 1000]")))
        #expect(StudyDescription.diff(base, moreWidths) == [
            "data.data_seed: 1 → 5", "seed: 1 → 5", "widths: [10,100] → [10,100,1000]",
        ])

        let gd = try StudyDescription.resolve(StudyFixture.with("gd_step", "0.1", in: StudyFixture.with("method", "\"gd\"")))
        #expect(StudyDescription.diff(base, gd) == [
            "gd_loss: added (\"half\")", "gd_step: added (0.1)", "method: \"flow\" → \"gd\"",
        ])
        #expect(StudyDescription.diff(gd, base).contains("gd_step: removed (was 0.1)"))
    }

    @Test func codableRoundTrip() throws {
        let s = try StudyDescription.parse(Self.reordered)
        let data = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(StudyDescription.self, from: data) == s)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"input_dim\"") && text.contains("\"init\""))
    }
}

@Suite struct StudyInCodeTests {
    @Test func validatedChecksADescriptionBuiltInCode() throws {
        let good = StudyDescription(name: "c", data: StudyData(recipe: .gaussian, samples: 4, inputDim: 6, outputDim: 1,
                                                                noise: 0.01, dataSeed: 1),
                                    widths: [8, 16], trials: 2)
        #expect(try good.validated() == good)
        var bad = good
        bad.tolerances.relative = .nan
        #expect(throws: StudyError.self) { try bad.validated() }
        do { _ = try bad.validated() } catch let e as StudyError { #expect(e.path == "tolerances.relative") }
        bad = good
        bad.widths = [16, 8]
        // Validation sorts widths: the resolved form differs from the unsorted input.
        #expect(try bad.validated().widths == [8, 16])
        bad.trials = nil
        #expect((try? bad.validated()) == nil)
    }
}
