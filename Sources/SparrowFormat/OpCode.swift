// The closed operator table. Each opcode fixes its inputs, outputs and parameter record
// (Params/: one typed record per opcode family, the only code that knows the word layout);
// the verifier (SparrowRuntime) checks every one before anything runs.

public enum OpCode: UInt8 {
    /// inputs: x, filter[outC,kh,kw,inC], bias[outC] int32 (or none), multipliers[outC], shifts[outC].
    /// params: ConvParamRecord
    case conv2D = 0
    /// inputs as conv2D; filter [1,kh,kw,inC*depthMultiplier]. params: ConvParamRecord (with depthMultiplier)
    case depthwiseConv2D = 1
    /// inputs: x[batches, depth] (any shape whose last dim is depth), weights[outDepth, depth], bias, multipliers, shifts.
    /// params: FullyConnectedParamRecord
    case fullyConnected = 2
    /// inputs: a, b (broadcasting). params: AddParamRecord (add, sub), MulParamRecord (mul)
    case add = 3
    case sub = 4
    case mul = 5
    /// params: PoolParamRecord
    case maxPool = 6
    case averagePool = 7
    /// Mean over H and W (global average pool); output [n,1,1,c]. params: RescaleParamRecord
    case mean = 8
    /// Along the last axis; output scale 1/256, zero point -128. params: SoftmaxParamRecord
    case softmax = 9
    /// inputs: any number of tensors, joined along `axis` (a Shape4 axis 0...3). params: ConcatParamRecord
    case concat = 10
    /// Constant padding with the output zero point. params: PadParamRecord
    case pad = 11
    /// Output is an alias of the input (zero-copy).
    case reshape = 12
    /// float32 → int8 at the model input.
    case quantize = 13
    /// int8 → float32 at the model output.
    case dequantize = 14
    /// inputs: x, table[256] int8 (any unary function: sigmoid, hard-swish, …)
    case lookup = 15
    /// params: TransposeParamRecord
    case transpose = 16
    /// Rescale int8 to another scale/zero point. params: RescaleParamRecord
    case requantize = 17
    /// inputs: x[..., depth], bias[outDepth] int32 (or none), multipliers, shifts; the weights are a
    /// block-sparse matrix [outDepth, depth] in the sparse section (SparseMatrix.swift). Format 1.1.
    /// params: SparseFullyConnectedParamRecord
    case sparseFullyConnected = 18
    /// inputs: x[n,h,w,inC], bias[outC] (or none), multipliers, shifts; 1×1 filter [outC, inC] as a
    /// block-sparse matrix in the sparse section; no padding. Format 1.1. params: SparseConv1x1ParamRecord
    case sparseConv1x1 = 19
    /// inputs: x, alpha int8 const [C] or [1] (C = x's innermost dim; zero point 0). Format 1.2.
    /// params: PReluParamRecord
    case prelu = 20
    /// inputs: x[n,h,w,c], taps int32 const [outH + outW, 3] (lower index, upper index, weight of
    /// upper in 1/1024) per output row then column; output [n,outH,outW,c] with x's scale and zero
    /// point. Format 1.3. params: ResizeParamRecord
    case resize = 21
    /// inputs as conv2D (filter OHWI [outC,kh,kw,inC], not flipped); output
    /// [n, (h−1)·sH + dH·(kh−1) + 1 − padTop − padBottom + extra, …] with 0 ≤ extra < max(sH, dH)
    /// (ONNX output_padding). Format 1.3. params: ConvParamRecord
    case transposeConv2D = 22
    /// inputs as depthwiseConv2D, output shape as transposeConv2D. Format 1.3. params: ConvParamRecord (with depthMultiplier)
    case depthwiseTransposeConv2D = 23
    /// inputs: x int8; output int8 with x's scale and zero point, output[i] = x[begin + i·step] per
    /// Shape4 axis. Format 1.3. params: SliceParamRecord
    case slice = 24
    /// inputs: x int8, indices int32 const [k]; output x's shape with the axis replaced by k, same
    /// quantization. Format 1.3. params: GatherParamRecord
    case gather = 25
    /// inputs: x int8; output int32 indices, x's element count / the axis size (any shape).
    /// Format 1.3. params: ArgMaxParamRecord
    case argMax = 26
    /// inputs: x int8 [..., C], multipliers int32 const [C], shifts int32 const [C], bias int32
    /// const [C]; output int8, x's shape: layer normalization over the innermost axis with
    /// integer statistics, γ folded into the per-channel rescales and β into the bias.
    /// Format 1.3. params: LayerNormParamRecord
    case layerNorm = 27
    /// inputs: left int8, right int8 (both activations); output int8. Batched matrix product,
    /// each operand's logical axes mapped onto its Shape4 axes by the record (broadcasting a
    /// batch axis of size 1). Format 1.3. params: BatchMatMulParamRecord
    case batchMatMul = 28
    /// Log-softmax along the last axis; output scale 16/256, zero point 127 (TFLite's int8
    /// LOG_SOFTMAX convention). Format 1.3. params: SoftmaxParamRecord
    case logSoftmax = 30
    /// inputs: a, b int8 (broadcasting); the larger / smaller raw code of each pair, as LiteRT's
    /// MAXIMUM and MINIMUM (no rescaling). No params. Format 1.3 (imported TFLite models).
    case maximum = 40
    case minimum = 41
    /// inputs: x int8 [n,h,w,c]; output uint8 [n,outH,outW,c], no quantization: the window
    /// position ky·filterW + kx (from the padded window's top-left) of the first largest code in
    /// row-major order, as MediaPipe's MaxPoolingWithArgmax2D records it (its values are MaxPool's).
    /// Windows of at most 256 cells. Format 1.3. params: PoolParamRecord (activation unused,
    /// countIncludePad 0)
    case maxPoolArgmax = 42
    /// inputs: x int8 [n,h,w,c], positions uint8 [n,h,w,c] (MaxPoolArgmax's); output int8
    /// [n,outH,outW,c] with x's scale and zero point: the zero point everywhere, then each x
    /// written at (y·strideH − padTop + p / filterW, x·strideW − padLeft + p mod filterW) when
    /// inside (MediaPipe's MaxUnpooling2D). Format 1.3. params: UnpoolParamRecord
    case maxUnpool = 43
    /// inputs: x[..., depth] (FullyConnected, or a 1×1 stride-1 unpadded conv over NHWC pixels),
    /// packed[bytes] int8 constant: weights, bias − zx·Σw and requantization constants in the GEMM
    /// microkernels' layout (SparrowKernels/Qs8Gemm+Packing.swift). Format 1.3.
    /// params: PackedGemmParamRecord
    case packedGemm = 50
    /// inputs: x int8 NHWC, packed[bytes] int8 constant: per group of 16 channels bias − zx·Σw,
    /// the 3×3 taps and requantization constants (SparrowKernels/Qs8Dwconv3x3+Packing.swift);
    /// output int8 NHWC, same channels. Depthwise 3×3, multiplier 1, stride 1 or 2. Format 1.3.
    /// params: PackedDepthwise3x3ParamRecord
    case packedDepthwise3x3 = 51
    /// inputs: x int8 NHWC, packed[bytes] int8 constant (the OHWI filter packed as PackedGemm's,
    /// depth kh·kw·inC); outputs: y int8 NHWC, scratch int8 [bytes] (arena, alive only during
    /// this operator: the im2col rows, MR × K rounded up to KR). Format 1.3.
    /// params: PackedConvIm2colParamRecord
    case packedConvIm2col = 52

    public var name: StaticString {
        switch self {
        case .conv2D: return "Conv2D"
        case .depthwiseConv2D: return "DepthwiseConv2D"
        case .fullyConnected: return "FullyConnected"
        case .add: return "Add"
        case .sub: return "Sub"
        case .mul: return "Mul"
        case .maxPool: return "MaxPool"
        case .averagePool: return "AveragePool"
        case .mean: return "Mean"
        case .softmax: return "Softmax"
        case .concat: return "Concat"
        case .pad: return "Pad"
        case .reshape: return "Reshape"
        case .quantize: return "Quantize"
        case .dequantize: return "Dequantize"
        case .lookup: return "Lookup"
        case .transpose: return "Transpose"
        case .requantize: return "Requantize"
        case .sparseFullyConnected: return "SparseFullyConnected"
        case .sparseConv1x1: return "SparseConv1x1"
        case .prelu: return "PRelu"
        case .resize: return "Resize"
        case .transposeConv2D: return "TransposeConv2D"
        case .depthwiseTransposeConv2D: return "DepthwiseTransposeConv2D"
        case .slice: return "Slice"
        case .gather: return "Gather"
        case .argMax: return "ArgMax"
        case .layerNorm: return "LayerNorm"
        case .batchMatMul: return "BatchMatMul"
        case .logSoftmax: return "LogSoftmax"
        case .maximum: return "Maximum"
        case .minimum: return "Minimum"
        case .maxPoolArgmax: return "MaxPoolArgmax"
        case .maxUnpool: return "MaxUnpool"
        case .packedGemm: return "PackedGemm"
        case .packedDepthwise3x3: return "PackedDepthwise3x3"
        case .packedConvIm2col: return "PackedConvIm2col"
        }
    }
}
