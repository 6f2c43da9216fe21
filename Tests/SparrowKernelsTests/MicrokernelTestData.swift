/// Seeded data for the microkernel tests (SplitMix64 steps; self-contained so these tests do not
/// depend on where the shared test helpers live).
struct MicrokernelRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform integer in `range` (inclusive).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func int8s(_ count: Int, _ range: ClosedRange<Int> = -128...127) -> [Int8] {
        (0..<count).map { _ in Int8(int(range)) }
    }
}
