// Lowering of FullyConnected and 1×1 stride-1 unpadded Conv to PackedGemm when the conversion
// packs weights for a board (`ConversionOptions.packedWeights`; runtime:
// SparrowRuntime/Ops/PackedGemm.swift). The weights, bias − zx·Σw and requantization constants
// go into one constant in the microkernels' layout (SparrowKernels/Qs8Gemm+Packing.swift).
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

extension ModelBuilder {
    /// The packed constant of a quantized layer with weights [outC][K], or nil when the packer
    /// refuses it (a weight of −128 from a QDQ model, a shift outside [−31, 30]): the layer then
    /// keeps the reference operator.
    mutating func packedGemmTensor(_ q: QuantizedLayer, inputZeroPoint: Int32, layout: PackedGemmLayout)
        throws(ConversionError) -> Int32? {
        let n = q.channels, k = q.weights.values.count / max(n, 1), tile = layout.tile
        var bytes = [UInt8](repeating: 0, count: tile.packedBytes(n: n, k: k))
        let rejection = bytes.withUnsafeMutableBytes { out in
            q.weights.values.withUnsafeBufferPointer { w in
                q.multipliers.withUnsafeBufferPointer { m in
                    q.shifts.withUnsafeBufferPointer { s in
                        (q.bias?.codes ?? []).withUnsafeBufferPointer { b in
                            packQs8GemmWeights(tile: tile, n: n, k: k, weights: w.baseAddress!,
                                               bias: q.bias == nil ? nil : b.baseAddress, inputZeroPoint: inputZeroPoint,
                                               multipliers: m.baseAddress!, shifts: s.baseAddress!, into: out.baseAddress!)
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
