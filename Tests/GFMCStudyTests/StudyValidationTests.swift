import GFMCStudy
import Testing

/// Every validation error names the key path it is about (and, for choices, the allowed values).
@Suite struct StudyValidationTests {
    struct Case: CustomStringConvertible, Sendable {
        let path: String
        let value: String?
        let expectedPath: String
        let mentions: String
        var description: String { "\(path)=\(value ?? "<removed>")" }
    }

    static let cases: [Case] = [
        Case(path: "name", value: nil, expectedPath: "name", mentions: "missing"),
        Case(path: "name", value: "\"  \"", expectedPath: "name", mentions: "non-empty"),
        Case(path: "name", value: "3", expectedPath: "name", mentions: "a string"),
        Case(path: "seed", value: "-1", expectedPath: "seed", mentions: "18446744073709551615"),
        Case(path: "seed", value: "1.5", expectedPath: "seed", mentions: "integers"),
        Case(path: "seed", value: "18446744073709551616", expectedPath: "seed", mentions: "integers"),
        Case(path: "seed", value: "\"7\"", expectedPath: "seed", mentions: "unsigned 64-bit"),
        Case(path: "data", value: nil, expectedPath: "data", mentions: "recipe"),
        Case(path: "data", value: "[]", expectedPath: "data", mentions: "an object"),
        Case(path: "data.recipe", value: "\"mnist\"", expectedPath: "data.recipe", mentions: "\"factorization\""),
        Case(path: "data.recipe", value: nil, expectedPath: "data.recipe", mentions: "\"whitened\""),
        Case(path: "data.samples", value: "0", expectedPath: "data.samples", mentions: "≥ 1"),
        Case(path: "data.samples", value: nil, expectedPath: "data.samples", mentions: "missing"),
        Case(path: "data.input_dim", value: "2.5", expectedPath: "data.input_dim", mentions: "integer"),
        Case(path: "data.output_dim", value: "true", expectedPath: "data.output_dim", mentions: "integer"),
        Case(path: "data.noise", value: "-0.1", expectedPath: "data.noise", mentions: "≥ 0"),
        Case(path: "data.x_variance", value: "0", expectedPath: "data.x_variance", mentions: "> 0"),
        Case(path: "data.y_variance", value: "0.1", expectedPath: "data.y_variance", mentions: "input_dim"),
        Case(path: "data.x_file", value: "\"x.csv\"", expectedPath: "data.x_file", mentions: "samples"),
        Case(path: "data.data_seed", value: "-3", expectedPath: "data.data_seed", mentions: "integers"),
        Case(path: "init.kind", value: "\"zeros\"", expectedPath: "init.kind", mentions: "\"invariant_set\""),
        Case(path: "init.alpha", value: "1.5", expectedPath: "init.alpha", mentions: "(0, 1]"),
        Case(path: "init.alpha", value: "0.2", expectedPath: "init.alpha", mentions: "(1/4, 1/2]"),
        Case(path: "init.sigma_u", value: "1", expectedPath: "init.sigma_u", mentions: "alpha"),
        Case(path: "init.bogus", value: "1", expectedPath: "init.bogus", mentions: "kind"),
        Case(path: "widths", value: nil, expectedPath: "widths", mentions: "missing"),
        Case(path: "widths", value: "[]", expectedPath: "widths", mentions: "non-empty"),
        Case(path: "widths", value: "[10, 0]", expectedPath: "widths[1]", mentions: "≥ 1"),
        Case(path: "widths", value: "[10, 20, 10]", expectedPath: "widths[2]", mentions: "distinct"),
        Case(path: "widths", value: "\"10\"", expectedPath: "widths", mentions: "a list of integers"),
        Case(path: "widths", value: "{\"from\": 10, \"to\": 5, \"count\": 3}", expectedPath: "widths.to", mentions: "≥ widths.from"),
        Case(path: "widths", value: "{\"from\": 10, \"to\": 12, \"count\": 5}", expectedPath: "widths.count", mentions: "distinct"),
        Case(path: "widths", value: "{\"from\": 10, \"to\": 100}", expectedPath: "widths.count", mentions: "missing"),
        Case(path: "widths", value: "{\"from\": 10, \"to\": 100, \"count\": 3, \"spacing\": \"cubic\"}",
             expectedPath: "widths.spacing", mentions: "\"linear\""),
        Case(path: "widths", value: "{\"from\": 10, \"to\": 100, \"count\": 3, \"step\": 1}",
             expectedPath: "widths.step", mentions: "spacing"),
        Case(path: "trials", value: nil, expectedPath: "trials", mentions: "precision"),
        Case(path: "trials", value: "0", expectedPath: "trials", mentions: "≥ 1"),
        Case(path: "engine", value: "\"fast\"", expectedPath: "engine", mentions: "\"sampled\""),
        Case(path: "method", value: "\"adam\"", expectedPath: "method", mentions: "\"gd\""),
        Case(path: "gd_step", value: "0.1", expectedPath: "gd_step", mentions: "\"gd\""),
        Case(path: "gd_loss", value: "\"mean\"", expectedPath: "gd_loss", mentions: "\"gd\""),
        Case(path: "tolerances.relative", value: "0", expectedPath: "tolerances.relative", mentions: "(0, 1)"),
        Case(path: "tolerances.absolute", value: "-1", expectedPath: "tolerances.absolute", mentions: "≥ 0"),
        Case(path: "tolerances.excess_loss", value: "-1", expectedPath: "tolerances.excess_loss", mentions: "≥ 0"),
        Case(path: "tolerances.theta_change", value: "0", expectedPath: "tolerances.theta_change", mentions: "> 0"),
        Case(path: "tolerances.theta_change", value: "\"small\"", expectedPath: "tolerances.theta_change", mentions: "number"),
        Case(path: "tolerances.max_steps", value: "0", expectedPath: "tolerances.max_steps", mentions: "≥ 1"),
        Case(path: "tolerances.max_time", value: "0", expectedPath: "tolerances.max_time", mentions: "> 0"),
        Case(path: "tolerances.rtol", value: "0.1", expectedPath: "tolerances.rtol", mentions: "relative"),
        Case(path: "deltas", value: "[0.5, 1]", expectedPath: "deltas[1]", mentions: "(0, 1)"),
        Case(path: "deltas", value: "[0.05, 0.01]", expectedPath: "deltas[1]", mentions: "increasing"),
        Case(path: "deltas", value: "0.05", expectedPath: "deltas", mentions: "an array"),
        Case(path: "rank_tolerance", value: "0", expectedPath: "rank_tolerance", mentions: "> 0"),
        Case(path: "rank_tolerance", value: "\"tight\"", expectedPath: "rank_tolerance", mentions: "\"auto\""),
        Case(path: "widht", value: "[1]", expectedPath: "widht", mentions: "widths"),
    ]

    @Test(arguments: cases)
    func errorNamesTheKey(_ c: Case) throws {
        let error = try #require(StudyFixture.error(StudyFixture.with(c.path, c.value)), "accepted \(c)")
        #expect(error.path == c.expectedPath, "\(error)")
        #expect(error.description.contains(c.expectedPath), "\(error)")
        #expect(error.description.contains(c.mentions), "\(error)")
    }

    @Test func unknownKeyListsTheAllowedKeys() throws {
        let error = try #require(StudyFixture.error(StudyFixture.with("data.nosie", "0.1")))
        #expect(error == .unknownKey(path: "data.nosie",
                                     allowed: ["recipe", "samples", "input_dim", "output_dim", "noise", "data_seed",
                                               "x_variance"]))
        #expect(error.description.contains("noise"))
    }

    @Test func gdNeedsAStep() throws {
        let error = try #require(StudyFixture.error(StudyFixture.with("method", "\"gd\"")))
        #expect(error.path == "gd_step")
        let bad = StudyFixture.with("gd_step", "-1", in: StudyFixture.with("method", "\"gd\""))
        #expect(StudyFixture.error(bad)?.path == "gd_step")
        let badLoss = StudyFixture.with("gd_loss", "\"sum\"", in: StudyFixture.with("gd_step", "0.1",
                                        in: StudyFixture.with("method", "\"gd\"")))
        #expect(StudyFixture.error(badLoss)?.description.contains("\"mean\"") == true)
    }

    @Test func sampledEngineRefusesTheBalancedStart() throws {
        var json = StudyFixture.with("init", #"{"kind": "balanced", "sigma_u": 0.1, "sigma_v": 0.1}"#)
        #expect(StudyFixture.error(json) == nil)
        json = StudyFixture.with("engine", "\"sampled\"", in: json)
        let error = try #require(StudyFixture.error(json))
        #expect(error.path == "engine")
        #expect(error.description.contains("balanced"))
    }

    @Test func initializationKindsAndTheirKeys() throws {
        #expect(StudyFixture.error(StudyFixture.with("init", #"{"kind": "gaussian", "sigma_u": 0.1}"#))?.path
                == "init.sigma_v")
        #expect(StudyFixture.error(StudyFixture.with("init", #"{"kind": "gaussian", "sigma_u": 0.1, "sigma_v": 0}"#))?
                .path == "init.sigma_v")
        #expect(StudyFixture.error(StudyFixture.with("init", #"{"kind": "gaussian", "sigma_u": 1, "sigma_v": 1, "alpha": 0.5}"#))?
                .path == "init.alpha")
        #expect(StudyFixture.error(StudyFixture.with("init", #"{"kind": "invariant_set", "alpha": 0.5, "sigma_u": 1, "sigma_v": 1}"#))?
                .path == "init.alpha")
        let s = try StudyDescription.resolve(StudyFixture.with("init", #"{"kind": "invariant_set", "sigma_u": 1, "sigma_v": 2}"#))
        #expect(s.initialization == StudyInitialization(kind: .invariantSet, sigmaU: 1, sigmaV: 2))
    }

    @Test func alphaOutsideTheBoundRangeIsAllowedWithoutDeltas() throws {
        let json = StudyFixture.with("deltas", "[]", in: StudyFixture.with("init.alpha", "0.8",
                                     in: StudyFixture.with("init.kind", "\"width_scaled\"")))
        let s = try StudyDescription.resolve(json)
        #expect(s.initialization.alpha == 0.8)
        #expect(s.deltas.isEmpty)
    }

    @Test func filesRecipeKeys() throws {
        let files = #"{"recipe": "files", "x_file": "x.npy", "y_file": "y.csv"}"#
        let s = try StudyDescription.resolve(StudyFixture.with("data", files))
        #expect(s.data.xFile == "x.npy" && s.data.yFile == "y.csv" && s.data.dataSeed == nil)
        #expect(StudyFixture.error(StudyFixture.with("data", #"{"recipe": "files", "x_file": "x.txt", "y_file": "y.csv"}"#))?
                .path == "data.x_file")
        #expect(StudyFixture.error(StudyFixture.with("data", #"{"recipe": "files", "x_file": "x.csv"}"#))?.path
                == "data.y_file")
        #expect(StudyFixture.error(StudyFixture.with("data", #"{"recipe": "files", "x_file": "x.csv", "y_file": "y.csv", "x_sha256": "abc"}"#))?
                .path == "data.x_sha256")
        #expect(StudyFixture.error(StudyFixture.with("data", #"{"recipe": "files", "x_file": "x.csv", "y_file": "y.csv", "noise": 1}"#))?
                .path == "data.noise")
    }

    @Test func precisionTargets() throws {
        let base = StudyFixture.with("trials", nil)
        let good = #"{"targets": [{"statistic": "mean_distance_frobenius", "half_width": 0.01}, {"statistic": "theorem12_corrected_holds", "delta": 0.05, "half_width": 0.02}], "max_trials_per_width": 500}"#
        let s = try StudyDescription.resolve(StudyFixture.with("precision", good, in: base))
        #expect(s.trials == nil && s.trialIDs == nil)
        #expect(s.precision == PrecisionTargets(targets: [
            PrecisionTarget(statistic: .meanDistanceFrobenius, halfWidth: 0.01),
            PrecisionTarget(statistic: .theorem12CorrectedHolds, halfWidth: 0.02, delta: 0.05),
        ], confidence: 0.95, minTrialsPerWidth: 10, maxTrialsPerWidth: 500))

        let bad: [(String, String)] = [
            (#"{"targets": [], "max_trials_per_width": 5}"#, "precision.targets"),
            (#"{"targets": [{"statistic": "mean_loss", "half_width": 1}], "max_trials_per_width": 50}"#,
             "precision.targets[0].statistic"),
            (#"{"targets": [{"statistic": "theorem12_holds", "half_width": 0.1}], "max_trials_per_width": 50}"#,
             "precision.targets[0].delta"),
            (#"{"targets": [{"statistic": "theorem12_holds", "half_width": 0.1, "delta": 0.3}], "max_trials_per_width": 50}"#,
             "precision.targets[0].delta"),
            (#"{"targets": [{"statistic": "theorem3_holds", "half_width": 0.1, "delta": 0.05}], "max_trials_per_width": 50}"#,
             "precision.targets[0].delta"),
            (#"{"targets": [{"statistic": "theorem3_holds", "half_width": 0}], "max_trials_per_width": 50}"#,
             "precision.targets[0].half_width"),
            (#"{"targets": [{"statistic": "theorem3_holds", "half_width": 0.1}]}"#, "precision.max_trials_per_width"),
            (#"{"targets": [{"statistic": "theorem3_holds", "half_width": 0.1}], "max_trials_per_width": 5}"#,
             "precision.max_trials_per_width"),
            (#"{"targets": [{"statistic": "theorem3_holds", "half_width": 0.1}], "max_trials_per_width": 50, "confidence": 1}"#,
             "precision.confidence"),
            (#"{"targets": [{"statistic": "theorem3_holds", "half_width": 0.1, "hw": 1}], "max_trials_per_width": 50}"#,
             "precision.targets[0].hw"),
        ]
        for (text, path) in bad {
            let error = StudyFixture.error(StudyFixture.with("precision", text, in: base))
            #expect(error?.path == path, "\(text) gave \(String(describing: error))")
        }
        // trials and precision together
        #expect(StudyFixture.error(StudyFixture.with("precision", good))?.path == "precision")
    }

    @Test func topLevelMustBeAnObject() {
        #expect(StudyFixture.error(.array([])) == .wrongType(path: "(top level)", expected: "an object", got: "an array ([])"))
    }

    @Test func syntaxErrorsSayWhere() {
        #expect(throws: StudyError.self) { try StudyDescription.parse("{\"name\": \"x\",\n \"seed\": }") }
        do {
            _ = try StudyDescription.parse("{\"name\": \"x\",\n \"seed\": }")
        } catch {
            #expect("\(error)".contains("line 2"))
        }
    }
}
