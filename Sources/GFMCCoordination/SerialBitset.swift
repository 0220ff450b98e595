/// A set of task serials (positive integers) as a bitset: one bit per serial up to the largest inserted,
/// so remembering which of 10^8 tasks were revoked costs 12.5 MB.
struct SerialBitset: Sendable {
    private var words: [UInt64] = []

    mutating func insert(_ serial: UInt64) {
        let w = Int(serial >> 6)
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: w + 1 - words.count)) }
        words[w] |= 1 << (serial & 63)
    }

    func contains(_ serial: UInt64) -> Bool {
        let w = serial >> 6
        return w < UInt64(words.count) && words[Int(w)] & (1 << (serial & 63)) != 0
    }
}
