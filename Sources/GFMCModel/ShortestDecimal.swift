/// Swift's shortest round-trip decimal text of a `Double`, appended as UTF-8 bytes without making a `String`.
///
/// The text is exactly `value.description` ("1.0", "0.1", "1e-05", "-0.0", "inf", "-inf"; "nan" for every
/// NaN), so files written through it are byte-identical to files written through `description`; it parses
/// back (`Double(_:)`) to the identical bit pattern for every finite value. It calls the same Swift runtime
/// routine `description` calls (`swift_float64ToString`, non-debug form), into a stack buffer, which saves the
/// heap allocation `description` makes for texts longer than 15 bytes (most doubles that are not round). Hot
/// paths only: the rows of `trials.csv` and the numbers of wire messages. The routine is the runtime's, not a
/// documented API: `ShortestDecimalTests` compares the two texts on hundreds of thousands of values, so a
/// toolchain that changes it fails the suite instead of changing files.
public enum ShortestDecimal {
    private static let nan: [UInt8] = Array("nan".utf8)

    /// Appends `value.description`'s UTF-8 bytes to `bytes`.
    public static func append(_ value: Double, to bytes: inout [UInt8]) {
        // `description` prints every NaN (either sign, any payload) as "nan"; the runtime routine would keep
        // the sign.
        if value.isNaN {
            bytes.append(contentsOf: nan)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            // The routine leaves some zero digits unwritten (e.g. those of "0.00028…"): it expects a buffer
            // of '0's.
            buffer.initialize(repeating: UInt8(ascii: "0"))
            let base = buffer.baseAddress!
            let length = Int(swiftRuntimeFloat64ToString(base, 32, value, false))
            bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: min(length, 32)))
        }
    }
}

/// The Swift runtime's formatter behind `Double.description`: writes the text of `value` into `buffer` (at most
/// `bufferLength` bytes) and returns its length. 32 bytes hold every Double's text (the longest, e.g.
/// "-2.2250738585072014e-308", has 24).
@_silgen_name("swift_float64ToString")
private func swiftRuntimeFloat64ToString(_ buffer: UnsafeMutablePointer<UInt8>, _ bufferLength: UInt, _ value: Double,
                                         _ debug: Bool) -> UInt64
