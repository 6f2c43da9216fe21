import SparrowFormat
import SparrowKernels

// PackedGemm: FullyConnected, or a 1×1 stride-1 unpadded conv (m = N·H·W pixels), on weights the
// converter packed for a GEMM microkernel (kernel: Qs8Gemm.swift, layout: Qs8Gemm+Packing.swift;
// params: PackedGemmParamRecord). Format 1.3. The microkernel is chosen by this build's
// CPUFeatures among those reading the file's layout (a portable twin reads every layout).

extension OperandCheck {
    mutating func packedGemm() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: PackedGemmParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), packed = try constant(1, .int8, "packed weights"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let r = try params(PackedGemmParamRecord.init(decoding:))
        let n = Int(r.outputDepth), k = Int(r.depth)
        guard k <= maxAccumulationDepth else { throw fail(.accumulatorBound, k, limit: maxAccumulationDepth, "depth") }
        guard x.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "input") }
        try same(Int(x.dim(Int(x.rank) - 1)), k, "input depth")
        guard y.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "output") }
        try same(Int(y.dim(Int(y.rank) - 1)), n, "output depth")
        try same(Int(y.byteSize) / n, Int(x.byteSize) / k, "batches")
        let tile = Qs8GemmTile(mr: 1, nr: Int(r.layout.nr), kr: Int(r.layout.kr))
        try same(Int(packed.byteSize), tile.packedBytes(n: n, k: k), "packed weights size")
        try packedGroups(packed, tile: tile, n: n, k: k)
    }

    /// Every group record: weights in [−127, 127] (two products share an int16 lane in the c16
    /// kernels), and for each real channel a multiplier of 0 or ≥ 2^30, a left shift in [0, 30]
    /// and a right shift in [−31, 0] (not both), and |bias′| ≤ 2^30 + K·128·127 (the packer's bound).
    func packedGroups(_ packed: TensorRecord, tile: Qs8GemmTile, n: Int, k: Int) throws(ModelError) {
        let base = model.constantData(packed)
        let nr = tile.nr, weightBytes = tile.paddedK(k) * nr, biasBound = Int(maxBiasMagnitude) + k * 128 * 127
        for g in 0..<tile.groups(n: n) {
            let group = base + g * tile.groupBytes(k: k)
            let weights = (group + nr * 4).assumingMemoryBound(to: Int8.self)
            for i in 0..<weightBytes where weights[i] == -128 { throw fail(.weightOutOfRange, g * weightBytes + i, "packed weights") }
            let constants = group + nr * 4 + weightBytes
            for lane in 0..<min(nr, n - g * nr) {
                let bias = Int32(littleEndian: group.loadUnaligned(fromByteOffset: lane * 4, as: Int32.self))
                guard bias != Int32.min, Int(bias.magnitude) <= biasBound else {
                    throw fail(.biasOutOfRange, Int(bias), limit: biasBound, "packed bias")
                }
                let m = Int32(littleEndian: constants.loadUnaligned(fromByteOffset: lane * 4, as: Int32.self))
                let pre = Int32(littleEndian: constants.loadUnaligned(fromByteOffset: (nr + lane) * 4, as: Int32.self))
                let post = Int32(littleEndian: constants.loadUnaligned(fromByteOffset: (2 * nr + lane) * 4, as: Int32.self))
                guard pre >= 0, pre <= 30 else { throw fail(.badShift, Int(pre), limit: 30, "packed left shift") }
                guard post >= -31, post <= 0, pre == 0 || post == 0 else { throw fail(.badShift, Int(post), limit: -31, "packed right shift") }
                try requant(multiplier: m, shift: pre + post, "packed multipliers/shifts")
            }
        }
    }
}

extension Interpreter {
    func runPackedGemm(_ o: OperatorRecord) {
        let x = operand(o, 0), packed = operand(o, 1), y = result(o)
        let r = PackedGemmParamRecord(unchecked: model.paramWords(o))
        let n = Int(r.outputDepth), k = Int(r.depth)
        let config = Qs8GemmConfig.select(for: .thisBuild, packedNR: Int(r.layout.nr), kr: Int(r.layout.kr))
        let p = Qs8GemmParams(outputZeroPoint: y.zeroPoint, activationMin: Int8(truncatingIfNeeded: r.activation.min),
                              activationMax: Int8(truncatingIfNeeded: r.activation.max))
        qs8Gemm(config, m: Int(x.byteSize) / k, n: n, k: k, input: s8(x), inputStride: k,
                packed: UnsafeRawPointer(s8(packed)), output: outS8(y), outputStride: n, params: p)
    }
}
