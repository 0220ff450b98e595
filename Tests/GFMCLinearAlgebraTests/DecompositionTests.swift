import Testing
import GFMCLinearAlgebra

@Suite("BLAS/LAPACK layer")
struct DecompositionTests {
    let a = Matrix(rowArrays: [[4, 1, 2], [1, 3, 0], [2, 0, 5]])

    @Test func productMatchesHandComputation() {
        let b = Matrix(rowArrays: [[1, 2], [0, 1], [1, 0]])
        #expect((a * b).rowArrays == [[6, 9], [1, 5], [7, 4]])
        #expect(a.times(b, transposeSelf: true).rowArrays == [[6, 9], [1, 5], [7, 4]]) // a is symmetric
        #expect(b.times(b, transposeSelf: true).rowArrays == [[2, 2], [2, 5]])
    }

    @Test func symmetricEigenReconstructsAndIsDecreasing() throws {
        let eig = try a.symmetricEigen()
        #expect(eig.values == eig.values.sorted(by: >))
        let rebuilt = eig.vectors * Matrix.diagonal(eig.values) * eig.vectors.transposed
        #expect((rebuilt - a).maxAbs < 1e-12)
        #expect(abs(eig.values.reduce(0, +) - a.trace) < 1e-12)
    }

    @Test func svdReconstructsAndOperatorNormIsLargestSingularValue() throws {
        let m = Matrix(rowArrays: [[3, 0], [4, 5], [0, 1]])
        let svd = try m.svd()
        let rebuilt = svd.u * Matrix.diagonal(svd.singularValues) * svd.v.transposed
        #expect((rebuilt - m).maxAbs < 1e-12)
        let eigs = try (m.transposed * m).symmetricEigenvalues()
        #expect(abs(try m.operatorNorm() - eigs[0].squareRoot()) < 1e-12)
    }

    @Test func solveAndCholesky() throws {
        let b = Matrix(rowArrays: [[1], [2], [3]])
        let x = try a.solve(b)
        #expect((a * x - b).maxAbs < 1e-12)
        let l = try a.cholesky()
        #expect((l * l.transposed - a).maxAbs < 1e-12)
        #expect(throws: LinearAlgebraError.self) { try Matrix(rowArrays: [[1, 2], [2, 1]]).cholesky() }
        #expect(throws: LinearAlgebraError.self) { try Matrix(rowArrays: [[1, 2], [2, 4]]).solve(Matrix(rowArrays: [[1], [1]])) }
    }

    @Test func symmetricSquareRootSquaresBack() throws {
        let root = try a.symmetricSquareRoot()
        #expect((root * root - a).maxAbs < 1e-12)
    }
}
