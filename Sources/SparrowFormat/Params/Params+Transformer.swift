// Records of the transformer operators: LayerNorm and BatchMatMul (format 1.3).

/// LayerNorm (2 words): the ε term E = round(ε·C²/sx²) of the integer variance, as a 64-bit value:
/// word 0 its low 32 bits, word 1 its high 32 bits; E ≤ 2^60. The per-channel γ rescales and β
/// terms are operands.
public struct LayerNormParamRecord: ParamRecord, Equatable {
    public var epsilonTerm: UInt64

    public static let wordCount = 2
    public var wordCount: Int { Self.wordCount }
    /// The largest E the kernel's 64-bit variance sum allows (SparrowKernels.layerNormMaxEpsilonTerm).
    public static let maxEpsilonTerm: UInt64 = 0x1000_0000_0000_0000   // 2^60 (a literal: a shift here allocates on armv7 Embedded)

    public init(epsilonTerm: UInt64) { self.epsilonTerm = epsilonTerm }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        // Two words as one little-endian UInt64 (no integer widening: on armv7 Embedded Swift it
        // pulls in allocating generic code).
        epsilonTerm = unsafeBitCast((UInt32(bitPattern: w[0]), UInt32(bitPattern: w[1])), to: UInt64.self)
    }

    /// The largest high word: E ≤ 2^60.
    static let maxHighWord: Int32 = 1 << 28

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let high = w[1]
        guard high >= 0, high <= Self.maxHighWord else {
            throw ParamError(.badParameter, Int(high), limit: Int(Self.maxHighWord), "epsilonTermHigh")
        }
        self.init(unchecked: w)
        guard epsilonTerm <= Self.maxEpsilonTerm else {
            throw ParamError(.badParameter, Int(high), limit: Int(Self.maxHighWord), "epsilonTermHigh")
        }
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        let halves = unsafeBitCast(epsilonTerm, to: (UInt32, UInt32).self)   // little-endian: low first
        storeWord(p, 0, Int32(bitPattern: halves.0))
        storeWord(p, 1, Int32(bitPattern: halves.1))
    }
}

/// Which Shape4 axis (0 n, 1 h, 2 w, 3 c) of one operand holds each logical axis: the two batch
/// axes, then the operand's first and second matrix axis. Four words, a permutation of 0...3.
public struct MatMulAxes: Equatable {
    public var batch0: Int32
    public var batch1: Int32
    public var first: Int32
    public var second: Int32

    public init(batch0: Int32, batch1: Int32, first: Int32, second: Int32) {
        self.batch0 = batch0
        self.batch1 = batch1
        self.first = first
        self.second = second
    }

    /// The plain order: Shape4 axes (n, h) are the batches, (w, c) the matrix.
    public static let rowMajor = MatMulAxes(batch0: 0, batch1: 1, first: 2, second: 3)

    init(_ w: ParamWords, at k: Int) { self.init(batch0: w[k], batch1: w[k + 1], first: w[k + 2], second: w[k + 3]) }

    init(checking w: ParamWords, at k: Int, _ field: StaticString) throws(ParamError) {
        self.init(w, at: k)
        var seen: Int32 = 0
        for j in 0..<4 {   // (no array literal or integer conversion: the device build allocates nothing)
            let v = w[k + j]
            guard v >= 0, v <= 3, seen & (Int32(1) &<< v) == 0 else { throw ParamError(.badParameter, Int(v), limit: 3, field) }
            seen |= Int32(1) &<< v
        }
    }

    func encode(into p: UnsafeMutableRawPointer, at k: Int) {
        storeWord(p, k, batch0); storeWord(p, k + 1, batch1); storeWord(p, k + 2, first); storeWord(p, k + 3, second)
    }
}

/// BatchMatMul (16 words): 0-1 output rescale (leftScale·rightScale/outputScale), 2-3 activation
/// clamp, 4-7 the left operand's axes (batch0, batch1, rows, depth), 8-11 the right operand's
/// (batch0, batch1, depth, columns), 12-15 the output's (batch0, batch1, rows, columns).
public struct BatchMatMulParamRecord: ParamRecord, Equatable {
    public var output: Rescale
    public var activation: ActivationClamp
    public var leftAxes: MatMulAxes
    public var rightAxes: MatMulAxes
    public var outputAxes: MatMulAxes

    public static let wordCount = 16
    public var wordCount: Int { Self.wordCount }

    public init(output: Rescale, activation: ActivationClamp, leftAxes: MatMulAxes, rightAxes: MatMulAxes,
                outputAxes: MatMulAxes) {
        self.output = output
        self.activation = activation
        self.leftAxes = leftAxes
        self.rightAxes = rightAxes
        self.outputAxes = outputAxes
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(output: w.rescale(at: 0), activation: w.clamp(at: 2), leftAxes: MatMulAxes(w, at: 4),
                  rightAxes: MatMulAxes(w, at: 8), outputAxes: MatMulAxes(w, at: 12))
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let activation = try w.checkedClamp(at: 2)
        self.init(output: try w.checkedRescale(at: 0, "outputMultiplier"), activation: activation,
                  leftAxes: try MatMulAxes(checking: w, at: 4, "leftAxes"),
                  rightAxes: try MatMulAxes(checking: w, at: 8, "rightAxes"),
                  outputAxes: try MatMulAxes(checking: w, at: 12, "outputAxes"))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, output.multiplier); storeWord(p, 1, output.shift)
        storeWord(p, 2, activation.min); storeWord(p, 3, activation.max)
        leftAxes.encode(into: p, at: 4); rightAxes.encode(into: p, at: 8); outputAxes.encode(into: p, at: 12)
    }
}
