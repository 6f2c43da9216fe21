// Packed weights for the microkernels when the conversion packs for a board
// (`ConversionOptions.packedWeights`): FullyConnected and 1×1 stride-1 unpadded convs become
// PackedGemm, depthwise 3×3 convs PackedDepthwise3x3, other dense convs PackedConvIm2col (runtime:
// SparrowRuntime/Ops/PackedGemm.swift, PackedConvolution.swift). The weights, bias − zx·Σw and
// requantization constants go into one constant in the microkernel's layout
// (SparrowKernels/Qs8Gemm+Packing.swift, Qs8Dwconv3x3+Packing.swift). Folding −zx·Σw is exact
// for padded convs too: the kernels read the input zero point for every tap outside the input.
import SparrowFormat
import SparrowKernels

extension PackedGemmLayout {
    /// The layout the device build for a board's CPU selects (`Qs8GemmConfig.packedTile`):
    /// NR 16 KR 4 where the core has `sdot` (Cortex-A76, Pi 5), NR 8 KR 16 on the A53/A72 and armv7.
    public static func forBoard(targetCPU: String) -> PackedGemmLayout {
        targetCPU == "cortex-a76" ? .nr16kr4 : .nr8kr16
    }

    var tile: Qs8GemmTile { Qs8GemmTile(mr: 1, nr: Int(nr), kr: Int(kr)) }
}

/// Which microkernel layout a layer's weights are packed in.
enum WeightPacking {
    /// [outC][K] rows for the GEMM (FC, 1×1 conv, and im2col convs with K = kh·kw·inC).
    case gemm(PackedGemmLayout)
    /// A [1, 3, 3, C] depthwise filter in groups of 16 channels.
    case depthwise3x3
}

extension ModelBuilder {
    /// The packed constant of a quantized layer, or nil when the packer refuses it (a weight of
    /// −128 from a QDQ model, a shift outside [−31, 30]): the layer then keeps the reference operator.
    mutating func packedTensor(_ q: QuantizedLayer, inputZeroPoint: Int32, packing: WeightPacking)
        throws(ConversionError) -> Int32? {
        let n = q.channels, k = q.weights.values.count / max(n, 1)
        let size: Int
        switch packing {
        case .gemm(let layout): size = layout.tile.packedBytes(n: n, k: k)
        case .depthwise3x3: size = Qs8Dwconv3x3Layout.packedBytes(c: n)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let rejection = bytes.withUnsafeMutableBytes { out in
            q.weights.values.withUnsafeBufferPointer { w in
                q.multipliers.withUnsafeBufferPointer { m in
                    q.shifts.withUnsafeBufferPointer { s in
                        (q.bias?.codes ?? []).withUnsafeBufferPointer { b -> Qs8PackRejection? in
                            let bias = q.bias == nil ? nil : b.baseAddress
                            switch packing {
                            case .gemm(let layout):
                                return packQs8GemmWeights(tile: layout.tile, n: n, k: k, weights: w.baseAddress!, bias: bias,
                                                          inputZeroPoint: inputZeroPoint, multipliers: m.baseAddress!,
                                                          shifts: s.baseAddress!, into: out.baseAddress!)
                            case .depthwise3x3:
                                return packQs8Dwconv3x3Weights(c: n, filter: w.baseAddress!, bias: bias, inputZeroPoint: inputZeroPoint,
                                                               multipliers: m.baseAddress!, shifts: s.baseAddress!,
                                                               into: out.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        if rejection != nil { return nil }
        return try addConstantTensor(name: graph.values[q.weightValue].name + "_packed", dtype: .int8,
                                     shape: [bytes.count], data: bytes)
    }
}
