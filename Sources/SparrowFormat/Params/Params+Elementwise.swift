// Records of the elementwise and reduction operators: Add/Sub, Mul, Mean, Softmax, Requantize,
// PRelu, ArgMax.

/// Add and Sub (9 words): the integer parameters of the left-shift-20 scheme (Docs/quantization.md).
/// Words: 0 leftShift, 1-2 input 1 rescale, 3-4 input 2 rescale, 5-6 output rescale,
/// 7-8 activation clamp.
public struct AddParamRecord: ParamRecord, Equatable {
    /// In 0...20.
    public var leftShift: Int32
    public var input1: Rescale
    public var input2: Rescale
    public var output: Rescale
    public var activation: ActivationClamp

    public static let wordCount = 9
    public var wordCount: Int { Self.wordCount }

    public init(leftShift: Int32, input1: Rescale, input2: Rescale, output: Rescale, activation: ActivationClamp) {
        self.leftShift = leftShift
        self.input1 = input1
        self.input2 = input2
        self.output = output
        self.activation = activation
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(leftShift: w[0], input1: w.rescale(at: 1), input2: w.rescale(at: 3), output: w.rescale(at: 5),
                  activation: w.clamp(at: 7))
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let activation = try w.checkedClamp(at: 7)
        guard w[0] >= 0, w[0] <= 20 else { throw ParamError(.badParameter, Int(w[0]), limit: 20, "leftShift") }
        self.init(leftShift: w[0], input1: try w.checkedRescale(at: 1, "input1Multiplier"),
                  input2: try w.checkedRescale(at: 3, "input2Multiplier"),
                  output: try w.checkedRescale(at: 5, "outputMultiplier"), activation: activation)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, leftShift)
        storeWord(p, 1, input1.multiplier); storeWord(p, 2, input1.shift)
        storeWord(p, 3, input2.multiplier); storeWord(p, 4, input2.shift)
        storeWord(p, 5, output.multiplier); storeWord(p, 6, output.shift)
        storeWord(p, 7, activation.min); storeWord(p, 8, activation.max)
    }
}

/// Mul (4 words). Words: 0-1 output rescale, 2-3 activation clamp.
public struct MulParamRecord: ParamRecord, Equatable {
    public var output: Rescale
    public var activation: ActivationClamp

    public static let wordCount = 4
    public var wordCount: Int { Self.wordCount }

    public init(output: Rescale, activation: ActivationClamp) {
        self.output = output
        self.activation = activation
    }

    @inline(__always)
    public init(unchecked w: ParamWords) { self.init(output: w.rescale(at: 0), activation: w.clamp(at: 2)) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let activation = try w.checkedClamp(at: 2)
        self.init(output: try w.checkedRescale(at: 0, "outputMultiplier"), activation: activation)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, output.multiplier); storeWord(p, 1, output.shift)
        storeWord(p, 2, activation.min); storeWord(p, 3, activation.max)
    }
}

/// Mean over H and W and Requantize (2 words): one rescale. Words: 0-1 rescale.
public struct RescaleParamRecord: ParamRecord, Equatable {
    public var rescale: Rescale

    public static let wordCount = 2
    public var wordCount: Int { Self.wordCount }

    public init(_ rescale: Rescale) { self.rescale = rescale }

    @inline(__always)
    public init(unchecked w: ParamWords) { rescale = w.rescale(at: 0) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        rescale = try w.checkedRescale(at: 0, "multiplier")
    }

    /// Mean's record: the multiplier may also lie in [2^29, 2^30), as LiteRT's MEAN makes it by
    /// folding 1/count in with an integer division (`(m << k) / count`, k = ⌊log2 count⌋), which
    /// imported TFLite models keep to stay bit-exact. The kernel's arithmetic is the same.
    public init(decodingMean w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let r = w.rescale(at: 0)
        if r.multiplier >= (1 << 29) && r.multiplier < (1 << 30) {
            try Rescale(multiplier: 1 << 30, shift: r.shift).check("multiplier")   // the shift's range
        } else {
            try r.check("multiplier")
        }
        rescale = r
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, rescale.multiplier); storeWord(p, 1, rescale.shift)
    }
}

/// Softmax along the last axis (3 words). Words: 0-1 the fixed-point beta·scale input rescale,
/// 2 diffMin (the smallest difference from the row maximum that still counts; <= 0).
public struct SoftmaxParamRecord: ParamRecord, Equatable {
    public var input: Rescale
    public var diffMin: Int32

    public static let wordCount = 3
    public var wordCount: Int { Self.wordCount }

    public init(input: Rescale, diffMin: Int32) {
        self.input = input
        self.diffMin = diffMin
    }

    @inline(__always)
    public init(unchecked w: ParamWords) { self.init(input: w.rescale(at: 0), diffMin: w[2]) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let input = try w.checkedRescale(at: 0, "inputMultiplier")
        guard w[2] <= 0 else { throw ParamError(.badParameter, Int(w[2]), "diffMin") }
        self.init(input: input, diffMin: w[2])
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, input.multiplier); storeWord(p, 1, input.shift); storeWord(p, 2, diffMin)
    }
}

/// PRelu (4 words): one rescale per sign of x − zx. Words: 0-1 identity rescale (inputScale /
/// outputScale, for x >= zx), 2-3 alpha rescale (inputScale · alphaScale / outputScale, applied
/// to (x − zx) · alpha code, for x < zx).
public struct PReluParamRecord: ParamRecord, Equatable {
    public var identity: Rescale
    public var alpha: Rescale

    public static let wordCount = 4
    public var wordCount: Int { Self.wordCount }

    public init(identity: Rescale, alpha: Rescale) {
        self.identity = identity
        self.alpha = alpha
    }

    @inline(__always)
    public init(unchecked w: ParamWords) { self.init(identity: w.rescale(at: 0), alpha: w.rescale(at: 2)) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        self.init(identity: try w.checkedRescale(at: 0, "identityMultiplier"), alpha: try w.checkedRescale(at: 2, "alphaMultiplier"))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, identity.multiplier); storeWord(p, 1, identity.shift)
        storeWord(p, 2, alpha.multiplier); storeWord(p, 3, alpha.shift)
    }
}

/// Quantize (0 or 1 word). No words: ties rounded to even (ONNX QuantizeLinear). Word 0 = 1: ties
/// rounded away from zero (LiteRT's QUANTIZE, for imported TFLite models with float inputs).
public struct QuantizeParamRecord: ParamRecord, Equatable {
    public var roundHalfAway: Bool

    public static let halfAwayWordCount = 1
    public var wordCount: Int { roundHalfAway ? Self.halfAwayWordCount : 0 }

    public init(roundHalfAway: Bool) { self.roundHalfAway = roundHalfAway }

    @inline(__always)
    public init(unchecked w: ParamWords) { roundHalfAway = w.count == Self.halfAwayWordCount && w[0] == 1 }

    public init(decoding w: ParamWords) throws(ParamError) {
        guard w.count <= Self.halfAwayWordCount else { throw ParamError(.wrongParamCount, w.count, limit: 1, "params") }
        roundHalfAway = false
        if w.count == Self.halfAwayWordCount {
            guard w[0] == 1 else { throw ParamError(.badParameter, Int(w[0]), limit: 1, "rounding") }
            roundHalfAway = true
        }
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        if roundHalfAway { storeWord(p, 0, 1) }
    }
}

/// ArgMax (2 words): word 0 the Shape4 axis (0...3), word 1 selectLast (0 first maximum, 1 last).
public struct ArgMaxParamRecord: ParamRecord, Equatable {
    public var axis: Int32
    public var selectLast: Bool

    public static let wordCount = 2
    public var wordCount: Int { Self.wordCount }

    public init(axis: Int32, selectLast: Bool) {
        self.axis = axis
        self.selectLast = selectLast
    }

    @inline(__always)
    public init(unchecked w: ParamWords) { self.init(axis: w[0], selectLast: w[1] == 1) }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        self.init(axis: try w.nonNegative(0, "axis", max: 3), selectLast: try w.nonNegative(1, "selectLast", max: 1) == 1)
    }

    public func encode(into p: UnsafeMutableRawPointer) { storeWord(p, 0, axis); storeWord(p, 1, selectLast ? 1 : 0) }
}
