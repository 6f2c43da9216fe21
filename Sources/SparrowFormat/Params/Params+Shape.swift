// Records of the data-movement operators: Concat, Pad, Transpose, Resize, Slice, Gather. Their axes are Shape4 axes
// (n, h, w, c after padding lower ranks with leading 1s).

/// Concat (1 + 2·inputs words). Words: 0 axis (0...3), then per input i the rescale of input i
/// into the output's quantization at words 1 + 2i, 2 + 2i (multiplier 0 = identity copy).
public struct ConcatParamRecord {
    public var axis: Int32
    /// The per-input rescales, read in place (a variable-length tail, so no stored array).
    let words: ParamWords

    public static func wordCount(inputs: Int) -> Int { 1 + 2 * inputs }
    public var inputCount: Int { (words.count - 1) / 2 }

    /// The rescale of input `i` into the output's scale and zero point.
    @inline(__always)
    public func inputRescale(_ i: Int) -> Rescale { words.rescale(at: 1 + 2 * i) }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        axis = w[0]
        words = w
    }

    public init(decoding w: ParamWords, inputs: Int) throws(ParamError) {
        try w.expectCount(Self.wordCount(inputs: inputs))
        axis = try w.nonNegative(0, "axis", max: 3)
        words = w
        for i in 0..<inputs { _ = try w.checkedRescale(at: 1 + 2 * i, "input multiplier") }
    }

    #if !hasFeature(Embedded)
    /// The words of a Concat along Shape4 `axis` with one rescale per input.
    public static func words(axis: Int32, inputRescales: [Rescale]) -> [Int32] {
        [axis] + inputRescales.flatMap { [$0.multiplier, $0.shift] }
    }
    #endif
}

/// Pad (4 or 5 words): the padding before each Shape4 axis; the padding after follows from the
/// output shape. Words: 0 beforeN, 1 beforeH, 2 beforeW, 3 beforeC; 4 (optional) the int8 code
/// padded cells get (TFLite PADV2's constant). The 4-word form pads with the output zero point,
/// what ONNX conversions write.
public struct PadParamRecord: ParamRecord, Equatable {
    public var beforeN: Int32, beforeH: Int32, beforeW: Int32, beforeC: Int32
    /// The padded cells' code; nil = the output zero point.
    public var fill: Int8?

    public static let wordCount = 4
    public static let fillWordCount = 5
    public var wordCount: Int { fill == nil ? Self.wordCount : Self.fillWordCount }

    public init(beforeN: Int32, beforeH: Int32, beforeW: Int32, beforeC: Int32, fill: Int8? = nil) {
        self.beforeN = beforeN; self.beforeH = beforeH; self.beforeW = beforeW; self.beforeC = beforeC
        self.fill = fill
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(beforeN: w[0], beforeH: w[1], beforeW: w[2], beforeC: w[3],
                  fill: w.count == Self.fillWordCount ? Int8(truncatingIfNeeded: w[4]) : nil)
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        guard w.count == Self.wordCount || w.count == Self.fillWordCount else {
            throw ParamError(.wrongParamCount, w.count, limit: Self.fillWordCount, "params")
        }
        var fill: Int8? = nil
        if w.count == Self.fillWordCount {
            guard w[4] >= -128, w[4] <= 127 else { throw ParamError(.badParameter, Int(w[4]), limit: 127, "fill") }
            fill = Int8(w[4])
        }
        self.init(beforeN: try w.nonNegative(0, "before"), beforeH: try w.nonNegative(1, "before"),
                  beforeW: try w.nonNegative(2, "before"), beforeC: try w.nonNegative(3, "before"), fill: fill)
    }

    /// Padding before Shape4 axis `d` (0...3).
    public func before(axis d: Int) -> Int32 {
        switch d {
        case 0: return beforeN
        case 1: return beforeH
        case 2: return beforeW
        default: return beforeC
        }
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, beforeN); storeWord(p, 1, beforeH); storeWord(p, 2, beforeW); storeWord(p, 3, beforeC)
        if let fill { storeWord(p, 4, Int32(fill)) }
    }
}

/// Transpose (4 words): output Shape4 axis i takes input axis perm.i. Words: 0-3 perm.
/// Each entry is range-checked here; that they form a permutation is checked with the shapes.
public struct TransposeParamRecord: ParamRecord, Equatable {
    public var perm: (Int32, Int32, Int32, Int32)

    public static let wordCount = 4
    public var wordCount: Int { Self.wordCount }

    public init(perm: (Int32, Int32, Int32, Int32)) { self.perm = perm }

    #if !hasFeature(Embedded)
    /// A rank-r permutation (r <= 4) over the Shape4 axes: ranks below 4 gain leading unit axes
    /// that stay in place.
    public init(rankPermutation p: [Int]) {
        let lead = 4 - p.count
        func axis(_ i: Int) -> Int32 { i < lead ? Int32(i) : Int32(p[i - lead] + lead) }
        perm = (axis(0), axis(1), axis(2), axis(3))
    }
    #endif

    @inline(__always)
    public init(unchecked w: ParamWords) { perm = (w[0], w[1], w[2], w[3]) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        perm = (try w.nonNegative(0, "perm", max: 3), try w.nonNegative(1, "perm", max: 3),
                try w.nonNegative(2, "perm", max: 3), try w.nonNegative(3, "perm", max: 3))
    }

    /// Input axis of output axis `d` (0...3).
    public func axis(_ d: Int) -> Int32 {
        switch d {
        case 0: return perm.0
        case 1: return perm.1
        case 2: return perm.2
        default: return perm.3
        }
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, perm.0); storeWord(p, 1, perm.1); storeWord(p, 2, perm.2); storeWord(p, 3, perm.3)
    }

    public static func == (a: TransposeParamRecord, b: TransposeParamRecord) -> Bool { a.perm == b.perm }
}

/// Resize (1 word): word 0 mode, 0 nearest or 1 bilinear. The geometry is in the taps operand.
public struct ResizeParamRecord: ParamRecord, Equatable {
    public var bilinear: Bool

    public static let wordCount = 1
    public var wordCount: Int { Self.wordCount }

    public init(bilinear: Bool) { self.bilinear = bilinear }

    @inline(__always)
    public init(unchecked w: ParamWords) { bilinear = w[0] == 1 }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        bilinear = try w.nonNegative(0, "mode", max: 1) == 1
    }

    public func encode(into p: UnsafeMutableRawPointer) { storeWord(p, 0, bilinear ? 1 : 0) }
}

/// Slice (8 words): per Shape4 axis the first index and the step (nonzero, may be negative); the
/// count per axis is the output's shape. Words: 0-3 begin n, h, w, c; 4-7 step n, h, w, c.
public struct SliceParamRecord: ParamRecord, Equatable {
    public var begin: (Int32, Int32, Int32, Int32)
    public var step: (Int32, Int32, Int32, Int32)

    public static let wordCount = 8
    public var wordCount: Int { Self.wordCount }

    public init(begin: (Int32, Int32, Int32, Int32), step: (Int32, Int32, Int32, Int32)) {
        self.begin = begin
        self.step = step
    }

    public static func == (a: Self, b: Self) -> Bool { a.begin == b.begin && a.step == b.step }

    @inline(__always)
    public init(unchecked w: ParamWords) { self.init(begin: (w[0], w[1], w[2], w[3]), step: (w[4], w[5], w[6], w[7])) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        for k in 4..<8 where w[k] == 0 || w[k] < -(1 << 16) || w[k] > 1 << 16 {
            throw ParamError(.badParameter, Int(w[k]), limit: 1 << 16, "step")
        }
        self.init(begin: (try w.nonNegative(0, "begin"), try w.nonNegative(1, "begin"), try w.nonNegative(2, "begin"),
                          try w.nonNegative(3, "begin")), step: (w[4], w[5], w[6], w[7]))
    }

    /// Begin and step of Shape4 axis `d`.
    public func axis(_ d: Int) -> (begin: Int32, step: Int32) {
        switch d {
        case 0: return (begin.0, step.0)
        case 1: return (begin.1, step.1)
        case 2: return (begin.2, step.2)
        default: return (begin.3, step.3)
        }
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, begin.0); storeWord(p, 1, begin.1); storeWord(p, 2, begin.2); storeWord(p, 3, begin.3)
        storeWord(p, 4, step.0); storeWord(p, 5, step.1); storeWord(p, 6, step.2); storeWord(p, 7, step.3)
    }
}

/// Gather (1 word): word 0 the Shape4 axis (0...3) the constant index table selects along.
public struct GatherParamRecord: ParamRecord, Equatable {
    public var axis: Int32

    public static let wordCount = 1
    public var wordCount: Int { Self.wordCount }

    public init(axis: Int32) { self.axis = axis }

    @inline(__always)
    public init(unchecked w: ParamWords) { axis = w[0] }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        axis = try w.nonNegative(0, "axis", max: 3)
    }

    public func encode(into p: UnsafeMutableRawPointer) { storeWord(p, 0, axis) }
}
