// Operator parameter records: the one place that knows how an opcode's parameter words are laid
// out. The converter builds a record and encodes it; the verifier decodes it with range checks;
// the interpreter reads the fields of a verified model's records without re-checking. Nothing
// outside SparrowFormat indexes parameter words.
//
// Every record's words are Int32, little-endian, `paramCount` of them starting at the operator's
// `paramsStart` in the params section. Zero points and scales are not repeated here: they come
// from the tensor records. Records decode from a view over the file (no copy, no allocation).

/// The parameter words of one operator, read in place.
public struct ParamWords {
    let base: UnsafeRawPointer?
    public let count: Int

    /// `count` little-endian Int32 words at `base` (which may be unaligned).
    public init(_ base: UnsafeRawPointer?, count: Int) {
        self.base = base
        self.count = count
    }

    @inline(__always)
    subscript(_ i: Int) -> Int32 { loadLE(base.unsafelyUnwrapped, 4 * i, as: Int32.self) }
}

/// Why a parameter record was rejected: the field, its value and the limit it broke. The
/// reasons share their names with the verifier's `ModelError.Reason`, which adds the operator.
public struct ParamError: Error {
    public enum Reason: UInt8 { case wrongParamCount, badParameter, badActivationRange, badMultiplier, badShift }
    public var reason: Reason
    public var value: Int
    public var limit: Int
    public var field: StaticString

    public init(_ reason: Reason, _ value: Int, limit: Int = 0, _ field: StaticString) {
        self.reason = reason
        self.value = value
        self.limit = limit
        self.field = field
    }
}

/// A fixed-layout parameter record, as the writer stores it.
public protocol ParamRecord {
    /// Number of Int32 words `encode(into:)` writes.
    var wordCount: Int { get }
    /// Stores the words little-endian at `p` (room for `wordCount` words).
    func encode(into p: UnsafeMutableRawPointer)
}

/// The output clamp of a fused activation: two consecutive words, min then max
/// (-128 <= min <= max <= 127).
public struct ActivationClamp: Equatable {
    public var min: Int32
    public var max: Int32
    public init(min: Int32, max: Int32) {
        self.min = min
        self.max = max
    }
}

/// A fixed-point rescale: two consecutive words, multiplier (0 = identity, else in [2^30, 2^31))
/// then shift (in [-31, 30]).
public struct Rescale: Equatable {
    public var multiplier: Int32
    public var shift: Int32
    public init(multiplier: Int32, shift: Int32) {
        self.multiplier = multiplier
        self.shift = shift
    }
}

// MARK: Field readers shared by the records (the ranges the kernels rely on)

extension ParamWords {
    func expectCount(_ n: Int) throws(ParamError) {
        guard count == n else { throw ParamError(.wrongParamCount, count, limit: n, "params") }
    }

    /// Word `k`, required in 1...max (strides, dilations, window sizes).
    func positive(_ k: Int, _ field: StaticString, max: Int32 = 1 << 16) throws(ParamError) -> Int32 {
        let v = self[k]
        guard v >= 1, v <= max else { throw ParamError(.badParameter, Int(v), limit: Int(max), field) }
        return v
    }

    /// Word `k`, required in 0...max (paddings, axes, flags).
    func nonNegative(_ k: Int, _ field: StaticString, max: Int32 = 1 << 16) throws(ParamError) -> Int32 {
        let v = self[k]
        guard v >= 0, v <= max else { throw ParamError(.badParameter, Int(v), limit: Int(max), field) }
        return v
    }

    func clamp(at k: Int) -> ActivationClamp { ActivationClamp(min: self[k], max: self[k + 1]) }

    func checkedClamp(at k: Int) throws(ParamError) -> ActivationClamp {
        let c = clamp(at: k)
        guard c.min >= -128, c.max <= 127, c.min <= c.max else {
            throw ParamError(.badActivationRange, Int(c.min), limit: Int(c.max), "activation")
        }
        return c
    }

    func rescale(at k: Int) -> Rescale { Rescale(multiplier: self[k], shift: self[k + 1]) }

    func checkedRescale(at k: Int, _ field: StaticString) throws(ParamError) -> Rescale {
        let r = rescale(at: k)
        try r.check(field)
        return r
    }
}

extension Rescale {
    /// The range the requantization kernels assume (Docs/quantization.md).
    public func check(_ field: StaticString) throws(ParamError) {
        guard multiplier == 0 || multiplier >= (1 << 30) else {
            throw ParamError(.badMultiplier, Int(multiplier), limit: 1 << 30, field)
        }
        guard shift >= -31, shift <= 30 else { throw ParamError(.badShift, Int(shift), limit: 30, field) }
    }
}

@inline(__always)
func storeWord(_ p: UnsafeMutableRawPointer, _ k: Int, _ v: Int32) { storeLE(p, 4 * k, v) }

#if !hasFeature(Embedded)
extension ParamRecord {
    /// The record's words, for the writer.
    public var words: [Int32] {
        var words = [Int32](repeating: 0, count: wordCount)
        words.withUnsafeMutableBytes { encode(into: $0.baseAddress!) }
        return words.map { Int32(littleEndian: $0) }
    }
}

extension ParamWords {
    /// The raw words in order, for dumps (`sparrow inspect`); records are the way to read them.
    public var dump: [Int32] { (0..<count).map { self[$0] } }
}
#endif
