import Foundation
import Testing
import GFMCEngine
import GFMCLinearAlgebra

@Suite("Data recipes")
struct DataRecipeTests {
    @Test func whitenedHasUnitSingularValuesAndPlantedModel() throws {
        let recipe = DataRecipe.whitened(samples: 20, inputDimension: 50, outputDimension: 2, noise: 0.01)
        let data = try recipe.generate(seed: 7)
        let sv = try data.x.singularValues()
        #expect(sv.count == 20 && sv.allSatisfy { abs($0 - 1) < 1e-12 })
        let theta = try #require(data.theta)
        let noise = data.y - data.x * theta
        let rms = (noise.frobeniusNormSquared / Double(noise.storage.count)).squareRoot()
        #expect(rms > 0.005 && rms < 0.02)
        let problem = try recipe.problem(seed: 7)
        #expect(problem.rank == 20)
    }

    @Test func gaussianEntriesHaveTheRequestedVariance() throws {
        let data = try DataRecipe.gaussian(samples: 100, inputDimension: 400, outputDimension: 1, noise: 0.01).generate(seed: 3)
        let variance = data.x.frobeniusNormSquared / 40_000
        #expect(abs(variance * 400 - 1) < 0.05)   // sd of the estimate ≈ 0.7 %
        let theta = try #require(data.theta)
        #expect(abs(theta.frobeniusNormSquared / 400 * 400 - 1) < 0.25)   // 400 entries of variance 1/400
        let custom = try DataRecipe.gaussian(samples: 50, inputDimension: 40, outputDimension: 1, noise: 0, xVariance: 4)
            .generate(seed: 3)
        #expect(abs(custom.x.frobeniusNormSquared / 2000 / 4 - 1) < 0.1)
        #expect(custom.y == custom.x * custom.theta!)
    }

    @Test func deterministicAndSeedDependent() throws {
        let recipe = DataRecipe.gaussian(samples: 5, inputDimension: 8, outputDimension: 2, noise: 0.1)
        let a = try recipe.generate(seed: 42), b = try recipe.generate(seed: 42), c = try recipe.generate(seed: 43)
        #expect(a.x == b.x && a.y == b.y)
        #expect(a.x != c.x)
    }

    @Test func factorizationDependsOnWidthOnlyThroughX() throws {
        let recipe = DataRecipe.factorization(inputDimension: 20, outputDimension: 5)
        #expect(recipe.dependsOnWidth)
        let a = try recipe.generate(seed: 1, width: 30), b = try recipe.generate(seed: 1, width: 1000)
        #expect(a.y == b.y)
        #expect(abs(a.x[3, 3] - 1 / sqrt(150.0)) < 1e-15 && a.x[3, 4] == 0)
        #expect(abs(b.x[0, 0] - 1 / sqrt(5000.0)) < 1e-15)
        let variance = a.y.frobeniusNormSquared / 100
        #expect(variance > 0.05 && variance < 0.16)
        #expect(throws: ProblemError.invalid(field: "width", reason: "the factorization recipe needs the hidden width")) {
            try recipe.generate(seed: 1)
        }
    }

    @Test func invalidParametersNameTheField() {
        #expect(throws: ProblemError.invalid(field: "samples", reason: "must be at least 1, got 0")) {
            try DataRecipe.gaussian(samples: 0, inputDimension: 3, outputDimension: 1, noise: 0).generate(seed: 1)
        }
        #expect(throws: ProblemError.invalid(field: "noise", reason: "must be finite and ≥ 0, got -1.0")) {
            try DataRecipe.whitened(samples: 2, inputDimension: 3, outputDimension: 1, noise: -1).generate(seed: 1)
        }
        #expect(throws: ProblemError.invalid(field: "outputDimension", reason: "must be at least 1, got 0")) {
            try DataRecipe.factorization(inputDimension: 3, outputDimension: 0).generate(seed: 1, width: 4)
        }
    }
}
