import Foundation
import Testing
import GFMCEngine
import GFMCLinearAlgebra

@Suite("CSV loader")
struct CSVLoaderTests {
    @Test func parsesNumbersWithoutHeader() throws {
        let m = try CSVMatrixLoader.parse("1, 2.5,-3\n4,5e-1, 6\r\n\n", file: "a.csv")
        #expect(m == Matrix(rowArrays: [[1, 2.5, -3], [4, 0.5, 6]]))
    }

    @Test func detectsAndSkipsHeaderRow() throws {
        let m = try CSVMatrixLoader.parse("x1,x2\n1,2\n3,4\n", file: "h.csv")
        #expect(m == Matrix(rowArrays: [[1, 2], [3, 4]]))
        let quoted = try CSVMatrixLoader.parse("\"a\",\"b\"\n\"1\",2\n", file: "q.csv")
        #expect(quoted == Matrix(rowArrays: [[1, 2]]))
    }

    @Test func nonNumberReportsFileLineColumn() {
        #expect(throws: DataLoadError.atPosition(file: "bad.csv", line: 3, column: 4,
                                                 reason: "expected a number, found \"abc\"")) {
            try CSVMatrixLoader.parse("1,2\n3,4\n5, abc\n", file: "bad.csv")
        }
        do {
            _ = try CSVMatrixLoader.parse("1,2\n3,\n", file: "empty-field.csv")
            Issue.record("an empty field must be an error")
        } catch {
            #expect(String(describing: error) == "empty-field.csv:2:3: expected a number, found an empty field")
        }
    }

    @Test func raggedRowAndNonFiniteAndEmptyAreErrors() {
        #expect(throws: DataLoadError.self) { try CSVMatrixLoader.parse("1,2\n3\n", file: "r.csv") }
        do { _ = try CSVMatrixLoader.parse("1,2\n3\n", file: "r.csv") } catch {
            #expect(String(describing: error).hasPrefix("r.csv:2:1: row has 1 fields, expected 2"))
        }
        do { _ = try CSVMatrixLoader.parse("1,nan\n", file: "n.csv") } catch {
            #expect(String(describing: error) == "n.csv:1:3: \"nan\" is not finite")
        }
        #expect(throws: DataLoadError.invalidFile(file: "e.csv", reason: "no numeric rows")) {
            try CSVMatrixLoader.parse("a,b\n\n", file: "e.csv")
        }
    }

    @Test func missingFileNamesThePath() {
        do {
            _ = try CSVMatrixLoader.load(path: "/nonexistent/gfmc/x.csv")
            Issue.record("must throw")
        } catch let error as DataLoadError {
            guard case .unreadable(let file, _) = error else { Issue.record("wrong case \(error)"); return }
            #expect(file == "/nonexistent/gfmc/x.csv")
        } catch { Issue.record("wrong error type \(error)") }
    }

    @Test func loadsFromDiskByExtension() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let path = dir.appendingPathComponent("y.csv").path
        try "0.25,1\n-2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try MatrixFileLoader.load(path: path) == Matrix(rowArrays: [[0.25, 1], [-2, 3]]))
    }
}

@Suite("Problem from X and Y files")
struct ProblemFilesTests {
    @Test func loadsAndNamesTheFileOnMismatch() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let x = dir.appendingPathComponent("x.csv").path, y = dir.appendingPathComponent("y.csv").path
        let y3 = dir.appendingPathComponent("y3.csv").path
        try "a,b,c\n1,0,0\n0,1,0\n".write(toFile: x, atomically: true, encoding: .utf8)
        try "1\n2\n".write(toFile: y, atomically: true, encoding: .utf8)
        try "1\n2\n3\n".write(toFile: y3, atomically: true, encoding: .utf8)
        let p = try ProblemFiles.load(xPath: x, yPath: y)
        #expect(p.rank == 2 && p.thetaHat == Matrix(rowArrays: [[1], [2], [0]]))
        do {
            _ = try ProblemFiles.load(xPath: x, yPath: y3)
            Issue.record("must throw")
        } catch {
            #expect(String(describing: error).hasPrefix(y3 + ": Y: expected shape"))
        }
    }
}

@Suite("NumPy .npy loader")
struct NPYLoaderTests {
    /// Hand-built version 1.0 file: the header is padded so that the data start at a multiple of 64.
    static func npy(descr: String, fortran: Bool, shape: String, payload: [UInt8], major: UInt8 = 1) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        let prefix = major == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        let n = header.utf8.count
        if major == 1 { bytes += [UInt8(n & 0xff), UInt8(n >> 8)] } else {
            bytes += [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)]
        }
        return bytes + Array(header.utf8) + payload
    }

    static func f8(_ values: [Double]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    @Test func handBuiltFloat64COrderAndFortranOrder() throws {
        let c = Self.npy(descr: "<f8", fortran: false, shape: "(2, 3)", payload: Self.f8([1, 2, 3, 4, 5, 6]))
        #expect(try NPYMatrixLoader.parse(c, file: "c.npy") == Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]]))
        let f = Self.npy(descr: "<f8", fortran: true, shape: "(2, 3)", payload: Self.f8([1, 4, 2, 5, 3, 6]), major: 2)
        #expect(try NPYMatrixLoader.parse(f, file: "f.npy") == Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]]))
        let v = Self.npy(descr: "<f8", fortran: false, shape: "(3,)", payload: Self.f8([7, 8, 9]))
        #expect(try NPYMatrixLoader.parse(v, file: "v.npy") == Matrix(rowArrays: [[7], [8], [9]]))
    }

    @Test func rejectsUnsupportedFilesNamingThem() {
        let cases: [([UInt8], String)] = [
            (Self.npy(descr: "<i8", fortran: false, shape: "(1,)", payload: Self.f8([1])), "unsupported dtype '<i8'"),
            (Self.npy(descr: ">f8", fortran: false, shape: "(1,)", payload: Self.f8([1])), "unsupported dtype '>f8'"),
            (Self.npy(descr: "<f8", fortran: false, shape: "(1, 1, 1)", payload: Self.f8([1])), "3 dimensions"),
            (Self.npy(descr: "<f8", fortran: false, shape: "(2, 2)", payload: Self.f8([1, 2, 3])), "data has 24 bytes"),
            (Array("just text".utf8), "not a NumPy .npy file"),
        ]
        for (bytes, fragment) in cases {
            do {
                _ = try NPYMatrixLoader.parse(bytes, file: "bad.npy")
                Issue.record("expected an error containing \(fragment)")
            } catch {
                let text = String(describing: error)
                #expect(text.hasPrefix("bad.npy: "), "message must name the file: \(text)")
                #expect(text.contains(fragment), "\(text) should contain \(fragment)")
            }
        }
    }

    @Test func shapesWhoseSizeOverflowsAreErrorsNotTraps() {
        let shapes = ["(4611686018427387904, 4)", "(3037000500, 3037000500)", "(9223372036854775807,)",
                      "(1152921504606846976, 1)"]   // the last: 2^60 entries fit, 2^63 bytes do not
        for shape in shapes {
            let bytes = Self.npy(descr: "<f8", fortran: false, shape: shape, payload: Self.f8([1, 2]))
            do {
                _ = try NPYMatrixLoader.parse(bytes, file: "huge.npy")
                Issue.record("shape \(shape) was accepted")
            } catch {
                let text = String(describing: error)
                #expect(text.hasPrefix("huge.npy: ") && text.contains("too large"), "\(shape): \(text)")
            }
        }
        // A dimension beyond Int is a header error, not a trap.
        let beyond = Self.npy(descr: "<f8", fortran: false, shape: "(99999999999999999999, 1)", payload: [])
        #expect(throws: DataLoadError.self) { try NPYMatrixLoader.parse(beyond, file: "beyond.npy") }
    }

    @Test func readsFilesWrittenByNumPy() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let script = """
        import sys, numpy as np
        d = sys.argv[1]
        a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7.0 - 0.5
        np.save(d + '/c8.npy', a)
        np.save(d + '/f8.npy', np.asfortranarray(a))
        np.save(d + '/c4.npy', a.astype('<f4'))
        np.save(d + '/v.npy', np.array([1.5, -2.0, 3.25]))
        np.lib.format.write_array(open(d + '/v2.npy', 'wb'), a, version=(2, 0))
        np.save(d + '/i8.npy', np.arange(3))
        np.save(d + '/be.npy', a.astype('>f8'))
        """
        let status = try TestSupport.runPython(script, arguments: [dir.path])
        try #require(status == 0, "python3 with numpy is required to write the test files")
        let expected = Matrix(rows: 3, cols: 4) { i, j in Double(i * 4 + j) / 7.0 - 0.5 }
        for name in ["c8", "f8", "v2"] {
            #expect(try NPYMatrixLoader.load(path: dir.appendingPathComponent("\(name).npy").path) == expected, "\(name)")
        }
        let single = try NPYMatrixLoader.load(path: dir.appendingPathComponent("c4.npy").path)
        let expectedSingle = Matrix(rows: 3, cols: 4) { i, j in Double(Float(Double(i * 4 + j) / 7.0 - 0.5)) }
        #expect(single == expectedSingle)
        #expect(try MatrixFileLoader.load(path: dir.appendingPathComponent("v.npy").path)
                == Matrix(rowArrays: [[1.5], [-2.0], [3.25]]))
        for (name, fragment) in [("i8", "'<i8'"), ("be", "'>f8'")] {
            let path = dir.appendingPathComponent("\(name).npy").path
            do {
                _ = try NPYMatrixLoader.load(path: path)
                Issue.record("\(name) must be rejected")
            } catch {
                #expect(String(describing: error).hasPrefix(path))
                #expect(String(describing: error).contains(fragment))
            }
        }
    }
}

@Suite("Problem JSON file")
struct TrialProblemFileTests {
    static let valid = """
    {"X": [[1, 0, 0], [0, 1, 0]], "Y": [[1], [2]], "U0": [[0.1, 0.2], [0.3, 0.4], [0.5, -0.6]], "V0": [[0.7, 0.8]]}
    """

    func parse(_ text: String) throws -> TrialProblemFile {
        try TrialProblemFile.parse(Data(text.utf8), file: "p.json")
    }

    @Test func parsesValidFile() throws {
        let p = try parse(Self.valid)
        #expect(p.x == Matrix(rowArrays: [[1, 0, 0], [0, 1, 0]]))
        #expect(p.y == Matrix(rowArrays: [[1], [2]]))
        #expect(p.u0[2, 1] == -0.6)
        #expect(p.v0 == Matrix(rowArrays: [[0.7, 0.8]]))
    }

    @Test func errorsNameKeyAndRow() {
        let cases: [(String, DataLoadError)] = [
            (#"{"X": [[1]], "Y": [[1]], "U0": [[1]], "V0": [[1]], "W": 3}"#,
             .invalidKey(file: "p.json", key: "W", row: nil, reason: "unknown key (allowed: X, Y, U0, V0)")),
            (#"{"X": [[1]], "Y": [[1]], "U0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "V0", row: nil, reason: "missing")),
            (#"{"X": [[1, 2], [3]], "Y": [[1], [1]], "U0": [[1], [1]], "V0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "X", row: 1, reason: "has 1 entries, row 0 has 2 (ragged rows)")),
            (#"{"X": [[1]], "Y": [["a"]], "U0": [[1]], "V0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "Y", row: 0, reason: "entry 0 is a string, not a number")),
            (#"{"X": [[1]], "Y": [[1]], "U0": [[true]], "V0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "U0", row: 0, reason: "entry 0 is a boolean, not a number")),
            (#"{"X": [[1]], "Y": [[1]], "U0": [[1]], "V0": [[null]]}"#,
             .invalidKey(file: "p.json", key: "V0", row: 0, reason: "entry 0 is null, not a number")),
            (#"{"X": [[1]], "Y": [[1]], "U0": [[1, 2]], "V0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "V0", row: nil, reason: "has 1 columns, U0 has 2 (both are ·×h)")),
            (#"{"X": [[1]], "Y": [[1], [2]], "U0": [[1]], "V0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "Y", row: nil, reason: "has 2 rows, X has 1 (one row per sample)")),
            (#"{"X": 5, "Y": [[1]], "U0": [[1]], "V0": [[1]]}"#,
             .invalidKey(file: "p.json", key: "X", row: nil, reason: "must be a non-empty array of rows")),
        ]
        for (text, expected) in cases {
            #expect(throws: expected) { try parse(text) }
        }
    }

    @Test func notJSONOrNotAnObject() {
        for text in ["{\"X\": [[1]", "[1, 2]"] {
            do {
                _ = try parse(text)
                Issue.record("must fail: \(text)")
            } catch let error as DataLoadError {
                guard case .invalidFile(let file, _) = error else { Issue.record("wrong case \(error)"); continue }
                #expect(file == "p.json")
            } catch { Issue.record("wrong error \(error)") }
        }
    }

    @Test func loadsFromDisk() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let path = dir.appendingPathComponent("problem.json").path
        try Self.valid.write(toFile: path, atomically: true, encoding: .utf8)
        let p = try TrialProblemFile.load(path: path)
        #expect(p.u0.rows == 3 && p.u0.cols == 2)
        #expect(throws: DataLoadError.self) { try TrialProblemFile.load(path: path + ".missing") }
    }
}
