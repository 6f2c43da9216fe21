// Records of the sliding-window operators: Conv2D, DepthwiseConv2D, MaxPool, AveragePool,
// MaxPoolArgmax (PoolParamRecord) and MaxUnpool.

/// Conv2D (10 words) and DepthwiseConv2D (11 words).
/// Words: 0 strideH, 1 strideW, 2 dilationH, 3 dilationW, 4 padTop, 5 padLeft, 6 padBottom,
/// 7 padRight, 8-9 activation clamp, 10 depthMultiplier (depthwise only).
public struct ConvParamRecord: ParamRecord, Equatable {
    public var strideH: Int32, strideW: Int32
    public var dilationH: Int32, dilationW: Int32
    public var padTop: Int32, padLeft: Int32, padBottom: Int32, padRight: Int32
    public var activation: ActivationClamp
    /// Output channels per input channel; nil for a (non-depthwise) Conv2D.
    public var depthMultiplier: Int32?

    public static func wordCount(depthwise: Bool) -> Int { depthwise ? 11 : 10 }
    public var wordCount: Int { Self.wordCount(depthwise: depthMultiplier != nil) }

    public init(strideH: Int32, strideW: Int32, dilationH: Int32, dilationW: Int32, padTop: Int32, padLeft: Int32,
                padBottom: Int32, padRight: Int32, activation: ActivationClamp, depthMultiplier: Int32? = nil) {
        self.strideH = strideH; self.strideW = strideW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.activation = activation
        self.depthMultiplier = depthMultiplier
    }

    /// Reads words that `init(decoding:depthwise:)` has accepted (a verified model's).
    @inline(__always)
    public init(unchecked w: ParamWords, depthwise: Bool) {
        self.init(strideH: w[0], strideW: w[1], dilationH: w[2], dilationW: w[3], padTop: w[4], padLeft: w[5],
                  padBottom: w[6], padRight: w[7], activation: w.clamp(at: 8), depthMultiplier: depthwise ? w[10] : nil)
    }

    public init(decoding w: ParamWords, depthwise: Bool) throws(ParamError) {
        try w.expectCount(Self.wordCount(depthwise: depthwise))
        self.init(strideH: try w.positive(0, "strideH"), strideW: try w.positive(1, "strideW"),
                  dilationH: try w.positive(2, "dilationH"), dilationW: try w.positive(3, "dilationW"),
                  padTop: try w.nonNegative(4, "padTop"), padLeft: try w.nonNegative(5, "padLeft"),
                  padBottom: try w.nonNegative(6, "padBottom"), padRight: try w.nonNegative(7, "padRight"),
                  activation: try w.checkedClamp(at: 8),
                  depthMultiplier: depthwise ? try w.positive(10, "depthMultiplier") : nil)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, strideH); storeWord(p, 1, strideW); storeWord(p, 2, dilationH); storeWord(p, 3, dilationW)
        storeWord(p, 4, padTop); storeWord(p, 5, padLeft); storeWord(p, 6, padBottom); storeWord(p, 7, padRight)
        storeWord(p, 8, activation.min); storeWord(p, 9, activation.max)
        if let depthMultiplier { storeWord(p, 10, depthMultiplier) }
    }
}

/// MaxPool and AveragePool (11 words). Pooling keeps the input's quantization.
/// Words: 0 strideH, 1 strideW, 2 filterH, 3 filterW, 4 padTop, 5 padLeft, 6 padBottom,
/// 7 padRight, 8-9 activation clamp, 10 countIncludePad (0 or 1).
public struct PoolParamRecord: ParamRecord, Equatable {
    public var strideH: Int32, strideW: Int32
    public var filterH: Int32, filterW: Int32
    /// Each smaller than the window, so every window holds at least one real cell.
    public var padTop: Int32, padLeft: Int32, padBottom: Int32, padRight: Int32
    public var activation: ActivationClamp
    /// Padded cells count in the average's divisor (ONNX count_include_pad).
    public var countIncludePad: Bool

    public static let wordCount = 11
    public var wordCount: Int { Self.wordCount }

    public init(strideH: Int32, strideW: Int32, filterH: Int32, filterW: Int32, padTop: Int32, padLeft: Int32,
                padBottom: Int32, padRight: Int32, activation: ActivationClamp, countIncludePad: Bool) {
        self.strideH = strideH; self.strideW = strideW
        self.filterH = filterH; self.filterW = filterW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.activation = activation
        self.countIncludePad = countIncludePad
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(strideH: w[0], strideW: w[1], filterH: w[2], filterW: w[3], padTop: w[4], padLeft: w[5],
                  padBottom: w[6], padRight: w[7], activation: w.clamp(at: 8), countIncludePad: w[10] != 0)
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let sh = try w.positive(0, "strideH"), sw = try w.positive(1, "strideW")
        let fh = try w.positive(2, "filterH"), fw = try w.positive(3, "filterW")
        let pt = try w.nonNegative(4, "padTop", max: fh - 1), pl = try w.nonNegative(5, "padLeft", max: fw - 1)
        let pb = try w.nonNegative(6, "padBottom", max: fh - 1), pr = try w.nonNegative(7, "padRight", max: fw - 1)
        let include = try w.nonNegative(10, "countIncludePad", max: 1)
        self.init(strideH: sh, strideW: sw, filterH: fh, filterW: fw, padTop: pt, padLeft: pl, padBottom: pb,
                  padRight: pr, activation: try w.checkedClamp(at: 8), countIncludePad: include == 1)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, strideH); storeWord(p, 1, strideW); storeWord(p, 2, filterH); storeWord(p, 3, filterW)
        storeWord(p, 4, padTop); storeWord(p, 5, padLeft); storeWord(p, 6, padBottom); storeWord(p, 7, padRight)
        storeWord(p, 8, activation.min); storeWord(p, 9, activation.max)
        storeWord(p, 10, countIncludePad ? 1 : 0)
    }
}

/// MaxUnpool (5 words). Words: 0 strideH, 1 strideW, 2 filterW (a position p is row p / filterW,
/// column p mod filterW of the window), 3 padTop, 4 padLeft. Each at most 2^12, so positions
/// computed in Int stay far from overflow on 32-bit boards.
public struct UnpoolParamRecord: ParamRecord, Equatable {
    public var strideH: Int32, strideW: Int32, filterW: Int32
    public var padTop: Int32, padLeft: Int32

    public static let wordCount = 5
    public var wordCount: Int { Self.wordCount }
    static let largest: Int32 = 1 << 12

    public init(strideH: Int32, strideW: Int32, filterW: Int32, padTop: Int32, padLeft: Int32) {
        self.strideH = strideH; self.strideW = strideW; self.filterW = filterW
        self.padTop = padTop; self.padLeft = padLeft
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(strideH: w[0], strideW: w[1], filterW: w[2], padTop: w[3], padLeft: w[4])
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        self.init(strideH: try w.positive(0, "strideH", max: Self.largest), strideW: try w.positive(1, "strideW", max: Self.largest),
                  filterW: try w.positive(2, "filterW", max: Self.largest),
                  padTop: try w.nonNegative(3, "padTop", max: Self.largest), padLeft: try w.nonNegative(4, "padLeft", max: Self.largest))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, strideH); storeWord(p, 1, strideW); storeWord(p, 2, filterW)
        storeWord(p, 3, padTop); storeWord(p, 4, padLeft)
    }
}
