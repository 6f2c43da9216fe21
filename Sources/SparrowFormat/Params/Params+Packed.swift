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
