// Deterministic test data for every test target: the product's SplitMix64 (the generator
// `sparrow bench-sparse` draws its weights from) plus the draws the tests use.
@_exported import struct SparrowConverter.SplitMix64

extension SplitMix64 {
    /// Uniform integer in `range` (inclusive).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// Uniform integer in [0, n) (0 when n ≤ 1).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// Uniform double in [lo, hi), 53 random bits.
    public mutating func double(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// Uniform float in [lo, hi), 24 random bits.
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }

    /// `count` uniform floats in [lo, hi).
    public mutating func floats(_ count: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(lo, hi) }
    }

    /// Uniform int8 in [lo, hi].
    public mutating func int8(_ lo: Int8 = -127, _ hi: Int8 = 127) -> Int8 {
        Int8(Int(lo) + Int(next() % UInt64(Int(hi) - Int(lo) + 1)))
    }

    /// `count` uniform int8 values in `range`.
    public mutating func int8s(_ count: Int, _ range: ClosedRange<Int> = -128...127) -> [Int8] {
        (0..<count).map { _ in Int8(int(range)) }
    }
}
