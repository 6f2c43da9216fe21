// Record of the packed-weight GEMM (opcode 50): the layout its packed constant was written in,
// so a reader can refuse one it does not know before running anything.

/// The packed layouts a file may name: NR output channels per group, KR input bytes per step
/// (SparrowKernels' `Qs8GemmTile`; the tile's MR is the device's choice and not stored).
public enum PackedGemmLayout: Equatable, Sendable {
    /// NR 16, KR 4: qs8-gemm-4x16c4 (neondot on the Pi 5; scalar twin elsewhere).
    case nr16kr4
    /// NR 8, KR 16: qs8-gemm-2x8c16 / 1x8c16 (neon-mlal on the A53, A72 and armv7; scalar twin elsewhere).
    case nr8kr16

    public var nr: Int32 { self == .nr16kr4 ? 16 : 8 }
    public var kr: Int32 { self == .nr16kr4 ? 4 : 16 }

    public init?(nr: Int32, kr: Int32) {
        switch (nr, kr) {
        case (16, 4): self = .nr16kr4
        case (8, 16): self = .nr8kr16
        default: return nil
        }
    }
}

/// PackedGemm (6 words). Words: 0-1 activation clamp, 2 NR, 3 KR (the packed layout),
/// 4 output depth N, 5 depth K.
public struct PackedGemmParamRecord: ParamRecord, Equatable {
    public var activation: ActivationClamp
    public var layout: PackedGemmLayout
    public var outputDepth: Int32
    public var depth: Int32

    public static let wordCount = 6
    public var wordCount: Int { Self.wordCount }

    public init(activation: ActivationClamp, layout: PackedGemmLayout, outputDepth: Int32, depth: Int32) {
        self.activation = activation
        self.layout = layout
        self.outputDepth = outputDepth
        self.depth = depth
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(activation: w.clamp(at: 0), layout: w[2] == 16 ? .nr16kr4 : .nr8kr16, outputDepth: w[4], depth: w[5])
    }

    /// Checks the clamp, that the layout is one this reader knows, and N, K ≥ 1 (K's accumulator
    /// bound and the packed size are checked by the verifier against the tensors).
    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        guard let layout = PackedGemmLayout(nr: w[2], kr: w[3]) else {
            throw ParamError(.badParameter, Int(w[2]), limit: Int(w[3]),
                             "packed layout NR×KR (this build reads 16×4 and 8×16; reconvert with a matching --board)")
        }
        self.init(activation: try w.checkedClamp(at: 0), layout: layout,
                  outputDepth: try w.positive(4, "output depth", max: Int32.max),
                  depth: try w.positive(5, "depth", max: Int32.max))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, activation.min); storeWord(p, 1, activation.max)
        storeWord(p, 2, layout.nr); storeWord(p, 3, layout.kr)
        storeWord(p, 4, outputDepth); storeWord(p, 5, depth)
    }
}

/// PackedDepthwise3x3 (8 words): depthwise 3×3, depth multiplier 1, dilation 1, the same stride
/// (1 or 2) on both axes. Words: 0 stride, 1 padTop, 2 padLeft, 3 padBottom, 4 padRight,
/// 5-6 activation clamp, 7 channels per packed group (16: SparrowKernels' Qs8Dwconv3x3Layout).
public struct PackedDepthwise3x3ParamRecord: ParamRecord, Equatable {
    public var stride: Int32
    public var padTop: Int32, padLeft: Int32, padBottom: Int32, padRight: Int32
    public var activation: ActivationClamp
    public var groupChannels: Int32

    public static let wordCount = 8
    public var wordCount: Int { Self.wordCount }

    public init(stride: Int32, padTop: Int32, padLeft: Int32, padBottom: Int32, padRight: Int32,
                activation: ActivationClamp, groupChannels: Int32 = 16) {
        self.stride = stride
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.activation = activation
        self.groupChannels = groupChannels
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(stride: w[0], padTop: w[1], padLeft: w[2], padBottom: w[3], padRight: w[4], activation: w.clamp(at: 5),
                  groupChannels: w[7])
    }

    /// Checks stride ∈ {1, 2}, paddings in [0, 2] (a 3×3 window with more padding would read
    /// nothing but padding), the clamp, and a group width this reader knows (16).
    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let stride = try w.positive(0, "stride", max: 2)
        guard w[7] == 16 else {
            throw ParamError(.badParameter, Int(w[7]), limit: 16, "packed depthwise group channels (this build reads 16)")
        }
        self.init(stride: stride, padTop: try w.nonNegative(1, "padTop", max: 2), padLeft: try w.nonNegative(2, "padLeft", max: 2),
                  padBottom: try w.nonNegative(3, "padBottom", max: 2), padRight: try w.nonNegative(4, "padRight", max: 2),
                  activation: try w.checkedClamp(at: 5), groupChannels: 16)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeWord(p, 0, stride)
        storeWord(p, 1, padTop); storeWord(p, 2, padLeft); storeWord(p, 3, padBottom); storeWord(p, 4, padRight)
        storeWord(p, 5, activation.min); storeWord(p, 6, activation.max)
        storeWord(p, 7, groupChannels)
    }
}

/// PackedConvIm2col (14 words): a dense convolution run as im2col rows + the packed GEMM.
/// Words: 0-9 as ConvParamRecord (strides, dilations, paddings, activation clamp), 10 NR, 11 KR
/// (the packed layout, as PackedGemm), 12 kernel height, 13 kernel width. The filter's input
/// channels are the input's; the GEMM depth is kernelH·kernelW·inputChannels.
public struct PackedConvIm2colParamRecord: ParamRecord, Equatable {
    public var conv: ConvParamRecord
    public var layout: PackedGemmLayout
    public var kernelH: Int32, kernelW: Int32

    public static let wordCount = 14
    public var wordCount: Int { Self.wordCount }

    public init(conv: ConvParamRecord, layout: PackedGemmLayout, kernelH: Int32, kernelW: Int32) {
        self.conv = conv
        self.layout = layout
        self.kernelH = kernelH
        self.kernelW = kernelW
    }

    @inline(__always)
    public init(unchecked w: ParamWords) {
        self.init(conv: ConvParamRecord(unchecked: ParamWords(w.base, count: 10), depthwise: false),
                  layout: w[10] == 16 ? .nr16kr4 : .nr8kr16, kernelH: w[12], kernelW: w[13])
    }

    public init(decoding w: ParamWords) throws(ParamError) {
        try w.expectCount(Self.wordCount)
        let conv = try ConvParamRecord(decoding: ParamWords(w.base, count: 10), depthwise: false)
        guard let layout = PackedGemmLayout(nr: w[10], kr: w[11]) else {
            throw ParamError(.badParameter, Int(w[10]), limit: Int(w[11]),
                             "packed layout NR×KR (this build reads 16×4 and 8×16; reconvert with a matching --board)")
        }
        self.init(conv: conv, layout: layout, kernelH: try w.positive(12, "kernel height", max: 1 << 10),
                  kernelW: try w.positive(13, "kernel width", max: 1 << 10))
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        conv.encode(into: p)
        storeWord(p, 10, layout.nr); storeWord(p, 11, layout.kr)
        storeWord(p, 12, kernelH); storeWord(p, 13, kernelW)
    }
}
