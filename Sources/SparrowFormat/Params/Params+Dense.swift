// Records of the matrix operators: FullyConnected and the block-sparse FullyConnected and 1×1
// conv (whose weight matrix lies in the sparse section, SparseMatrix.swift).

/// FullyConnected (2 or 3 words). Words: 0-1 activation clamp; 2 (optional) rounding: 1 = one
/// rounding in the requantization (LiteRT's FULLY_CONNECTED, for imported TFLite models). The
/// 2-word form, gemmlowp's double rounding, is what ONNX conversions write.
public struct FullyConnectedParamRecord: ParamRecord, Equatable {
    public var activation: ActivationClamp
    public var singleRounding: Bool

    public static let wordCount = 2
    public static let singleRoundingWordCount = 3
    public var wordCount: Int { singleRounding ? Self.singleRoundingWordCount : Self.wordCount }

    public init(activation: ActivationClamp, singleRounding: Bool = false) {
        self.activation = activation
        self.singleRounding = singleRounding
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        activation = w.clamp(at: 0)
        singleRounding = w.count == Self.singleRoundingWordCount && w[2] == 1
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        guard w.count == Self.wordCount || w.count == Self.singleRoundingWordCount else {
            throw ParamError(.wrongParamCount, w.count, limit: Self.singleRoundingWordCount, "params")
        }
        activation = try w.checkedClamp(at: 0)
        singleRounding = false
        if w.count == Self.singleRoundingWordCount {
            guard w[2] == 1 else { throw ParamError(.badParameter, Int(w[2]), limit: 1, "rounding") }
            singleRounding = true
        }
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, activation.min); storeWord(p, 1, activation.max)
        if singleRounding { storeWord(p, 2, 1) }
    }
}

/// Where a block-sparse weight matrix lies in the sparse section: byte offset (a multiple of 16)
/// and byte size. The verifier checks both against the section and walks the matrix.
public struct SparseMatrixLocation: Equatable {
    public var offset: Int32
    public var size: Int32
    public init(offset: Int32, size: Int32) {
        self.offset = offset
        self.size = size
    }
}

/// SparseFullyConnected (4 words). Words: 0-1 activation clamp, 2 matrix offset, 3 matrix size.
public struct SparseFullyConnectedParamRecord: ParamRecord, Equatable {
    public var activation: ActivationClamp
    public var matrix: SparseMatrixLocation

    public static let wordCount = 4
    public var wordCount: Int { Self.wordCount }

    public init(activation: ActivationClamp, matrix: SparseMatrixLocation) {
        self.activation = activation
        self.matrix = matrix
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(activation: w.clamp(at: 0), matrix: SparseMatrixLocation(offset: w[2], size: w[3]))
    }

    /// Checks the clamp; the matrix location is checked against the sparse section by the verifier.
    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        self.init(activation: try w.checkedClamp(at: 0), matrix: SparseMatrixLocation(offset: w[2], size: w[3]))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, activation.min); storeWord(p, 1, activation.max)
        storeWord(p, 2, matrix.offset); storeWord(p, 3, matrix.size)
    }
}

/// SparseConv1x1 (6 words; no padding or dilation: a 1×1 filter).
/// Words: 0 strideH, 1 strideW, 2-3 activation clamp, 4 matrix offset, 5 matrix size.
public struct SparseConv1x1ParamRecord: ParamRecord, Equatable {
    public var strideH: Int32, strideW: Int32
    public var activation: ActivationClamp
    public var matrix: SparseMatrixLocation

    public static let wordCount = 6
    public var wordCount: Int { Self.wordCount }

    public init(strideH: Int32, strideW: Int32, activation: ActivationClamp, matrix: SparseMatrixLocation) {
        self.strideH = strideH
        self.strideW = strideW
        self.activation = activation
        self.matrix = matrix
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(strideH: w[0], strideW: w[1], activation: w.clamp(at: 2),
                  matrix: SparseMatrixLocation(offset: w[4], size: w[5]))
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        self.init(strideH: try w.positive(0, "strideH"), strideW: try w.positive(1, "strideW"),
                  activation: try w.checkedClamp(at: 2), matrix: SparseMatrixLocation(offset: w[4], size: w[5]))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, strideH); storeWord(p, 1, strideW)
        storeWord(p, 2, activation.min); storeWord(p, 3, activation.max)
        storeWord(p, 4, matrix.offset); storeWord(p, 5, matrix.size)
    }
}
